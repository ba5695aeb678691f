# StaffEnrolmentProof, moved here from the publishing app (label "outlet") by state only: its table was made by
# outlet's migration 0007 and keeps its name (Meta.db_table). Its content type is renamed from app "outlet" to
# "staff" so the permission rows and admin log entries that point at it stay attached.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ('staffenrolmentproof',)


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
        ('outlet', '0010_staffenrolmentproof_to_staff'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='StaffEnrolmentProof',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('emailed_code', 'Code emailed to the staff member'), ('admin_link', 'Link issued by an administrator')], max_length=20)),
                        ('secret_digest', models.CharField(db_index=True, editable=False, max_length=64)),
                        ('sent_to', models.EmailField(blank=True, max_length=254)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('expires_at', models.DateTimeField()),
                        ('wrong_attempts', models.PositiveSmallIntegerField(default=0)),
                        ('used_at', models.DateTimeField(blank=True, null=True)),
                        ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                        ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff_enrolment_proofs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'outlet_staffenrolmentproof',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['user', 'kind', '-created_at'], name='outlet_enrolproof_user_idx')],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_types('outlet', 'staff'), rename_content_types('staff', 'outlet')),
    ]
