import django.core.validators
import django.db.models.deletion
import outlet.publishing.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('outlet', '0005_sentemail_to_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='article',
            name='body',
            field=models.TextField(blank=True, help_text='The story. A draft may be saved empty; to publish or schedule it, the story needs text. Pictures come from the media library: the picture button, then “Browse…”.'),
        ),
        migrations.CreateModel(
            name='MediaImage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.ImageField(height_field='height', help_text='JPEG, PNG, WebP or GIF, up to 15 MB.', upload_to='library/%Y/%m/', validators=[django.core.validators.FileExtensionValidator(['jpg', 'jpeg', 'png', 'webp', 'gif']), outlet.publishing.models.validate_picture_size], verbose_name='picture', width_field='width')),
                ('width', models.PositiveIntegerField(editable=False, null=True)),
                ('height', models.PositiveIntegerField(editable=False, null=True)),
                ('alt_text', models.CharField(help_text='What the picture shows, read aloud to readers who cannot see it, e.g. “Miners at the gate of the Chiatura plant at dawn”.', max_length=300, verbose_name='description (alt text)')),
                ('caption', models.CharField(blank=True, help_text='Shown under the picture in stories.', max_length=400)),
                ('credit', models.CharField(blank=True, help_text='e.g. Photo: Nino K. for the Ledger', max_length=200)),
                ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                ('uploaded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'library picture',
                'verbose_name_plural': 'media library',
                'ordering': ['-uploaded_at', '-id'],
            },
        ),
    ]
