# Receipts were donations' models until they became an app of their own. Their tables stay where they are
# (Meta.db_table: donations_receipt, donations_receiptsequence) with every row: this migration only tells Django's
# state that the models are now receipts', and renames their content types so that the permissions granted to staff
# roles ("donations.view_receipt" becomes "receipts.view_receipt") and the admin's log entries stay attached.
# donations' 0007 removes the models from donations' state once this has run.

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("receipt", "receiptsequence")


def _move_content_types(apps, schema_editor, *, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        existing = content_types.filter(app_label=source, model=model).first()
        if existing is None:
            continue  # a database never migrated before: post_migrate makes the content types
        # One made for the target by an earlier partial run's post_migrate has only its own new permissions.
        content_types.filter(app_label=target, model=model).delete()
        existing.app_label = target
        existing.save(update_fields=["app_label"])


def content_types_to_receipts(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="donations", target="receipts")


def content_types_to_donations(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="receipts", target="donations")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('payments', '0005_refunds_wait_for_their_payment'),
        # The tables, made (and last changed) by donations.
        ('donations', '0006_readable_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ReceiptSequence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('issuer', models.CharField(max_length=20)),
                        ('year', models.PositiveSmallIntegerField()),
                        ('last_number', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'donations_receiptsequence',
                        'constraints': [models.UniqueConstraint(fields=('issuer', 'year'), name='one_sequence_per_issuer_year')],
                    },
                ),
                migrations.CreateModel(
                    name='Receipt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('original', 'Receipt'), ('correction', 'Corrected receipt')], default='original', max_length=10)),
                        ('refund_level_minor', models.BigIntegerField(default=0, verbose_name='refunded when issued')),
                        ('issuer', models.CharField(max_length=20)),
                        ('year', models.PositiveSmallIntegerField()),
                        ('sequence', models.PositiveIntegerField()),
                        ('number', models.CharField(max_length=40)),
                        ('donor_name', models.CharField(blank=True, max_length=150)),
                        ('donor_email', models.EmailField(blank=True, max_length=254)),
                        ('description', models.CharField(max_length=300)),
                        ('amount_minor', models.BigIntegerField(verbose_name='amount')),
                        ('currency', models.CharField(max_length=3)),
                        ('lines', models.JSONField(blank=True, default=list, help_text="The split shown on the receipt: each outlet's name and amount.")),
                        ('issued_at', models.DateTimeField()),
                        ('voided_at', models.DateTimeField(blank=True, null=True)),
                        ('void_reason', models.CharField(blank=True, max_length=200)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('access_key', models.CharField(help_text='Random; part of the signed guest download link.', max_length=32)),
                        ('payment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='receipts', to='payments.payment')),
                        ('replaces', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replaced_by', to='receipts.receipt')),
                    ],
                    options={
                        'db_table': 'donations_receipt',
                        'ordering': ['-issued_at'],
                        'permissions': [('resend_receipt', 'Can resend receipt emails')],
                        'indexes': [models.Index(fields=['donor_email', 'year'], name='donations_r_donor_e_ea096e_idx')],
                        'constraints': [models.UniqueConstraint(fields=('issuer', 'year', 'sequence'), name='receipt_number_unique'), models.UniqueConstraint(fields=('payment', 'kind', 'refund_level_minor'), name='one_receipt_per_payment_state')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_receipts, content_types_to_donations),
    ]
