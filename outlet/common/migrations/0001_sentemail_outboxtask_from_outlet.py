# SentEmail and OutboxTask, moved here from the publishing app (label "outlet") by state only: their tables were made
# by outlet's migrations 0003, 0005 and 0008 and keep their names (Meta.db_table). Their content types are renamed
# from app "outlet" to "common" so the permission rows and admin log entries that point at them stay attached.

import django.utils.timezone
from django.db import migrations, models

MODELS = ('sentemail', 'outboxtask')


def rename_content_types(from_label, to_label):
    def rename(apps, schema_editor):
        ContentType = apps.get_model('contenttypes', 'ContentType')
        db = schema_editor.connection.alias
        for model in MODELS:
            # A row already under the new label (made by a post_migrate run in between) wins; the old one is left.
            if not ContentType.objects.using(db).filter(app_label=to_label, model=model).exists():
                ContentType.objects.using(db).filter(app_label=from_label, model=model).update(app_label=to_label)

    return rename


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('outlet', '0009_sentemail_outboxtask_to_common'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SentEmail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200, unique=True)),
                        ('kind', models.CharField(max_length=60)),
                        ('to', models.EmailField(db_index=True, max_length=254)),
                        ('subject', models.CharField(max_length=300)),
                        ('sent_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'outlet_sentemail',
                        'ordering': ['-sent_at'],
                    },
                ),
                migrations.CreateModel(
                    name='OutboxTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('task', models.CharField(help_text="The Celery task's name.", max_length=200)),
                        ('args', models.JSONField(blank=True, default=list)),
                        ('key', models.CharField(help_text='What makes it the same task twice.', max_length=200, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('sent_at', models.DateTimeField(blank=True, help_text='Last handed to the broker.', null=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'outlet_outboxtask',
                        'indexes': [models.Index(fields=['done_at', 'created_at'], name='outlet_outb_done_at_d0533f_idx')],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_types('outlet', 'common'), rename_content_types('common', 'outlet')),
    ]
