"""Running sums of the allocation ledger per outlet and currency (filled from the ledger), and the indexes the
admin's gift search uses on PostgreSQL."""

import django.db.models.deletion
from django.db import migrations, models


def fill_beneficiary_totals(apps, schema_editor):
    """The running sums start from the ledger as it stands: one grouped query, one insert."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Coalesce

    AllocationEntry = apps.get_model("donations", "AllocationEntry")
    BeneficiaryTotal = apps.get_model("donations", "BeneficiaryTotal")
    db = schema_editor.connection.alias
    rows = (
        AllocationEntry.objects.using(db).values("beneficiary_id", "currency")
        .annotate(gifts=Coalesce(Sum("amount_minor", filter=Q(kind="gift")), 0),
                  refunds=Coalesce(Sum("amount_minor", filter=Q(kind="refund")), 0),
                  number=Count("id", filter=Q(kind="gift")))
        .order_by()
    )
    BeneficiaryTotal.objects.using(db).bulk_create(
        [BeneficiaryTotal(beneficiary_id=row["beneficiary_id"], currency=row["currency"], gifts_minor=row["gifts"],
                          refunds_minor=row["refunds"], number_of_gifts=row["number"]) for row in rows],
        batch_size=1000,
    )


def drop_beneficiary_totals(apps, schema_editor):
    apps.get_model("donations", "BeneficiaryTotal").objects.using(schema_editor.connection.alias).all().delete()


# Gift search in the admin (donations/admin_gifts.py) on PostgreSQL. Django's case-insensitive lookups compare
# UPPER(column::text), so the indexes are on that expression: a whole or leading email (iexact/istartswith, served
# by text_pattern_ops) and names anywhere (icontains, served by trigrams). SQLite has neither; it does not need them.
EMAIL_INDEX = ("CREATE INDEX IF NOT EXISTS donation_email_upper_idx "
               "ON donations_donation (UPPER(email::text) text_pattern_ops)")
TRIGRAM_INDEXES = [
    "CREATE INDEX IF NOT EXISTS donation_name_trgm_idx ON donations_donation USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS donation_display_name_trgm_idx ON donations_donation USING gin (UPPER(display_name::text) gin_trgm_ops)",
]
INDEX_NAMES = ["donation_email_upper_idx", "donation_name_trgm_idx", "donation_display_name_trgm_idx"]


def add_search_indexes(apps, schema_editor):
    from django.db import DatabaseError, transaction

    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(EMAIL_INDEX)
    try:
        with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint: without pg_trgm, carry on
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return  # no right to add the extension: name search still works, by scanning
    for sql in TRIGRAM_INDEXES:
        schema_editor.execute(sql)


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEX_NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0003_staff_permissions_recent_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='BeneficiaryTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('gifts_minor', models.BigIntegerField(default=0)),
                ('refunds_minor', models.BigIntegerField(default=0, help_text='Negative, as booked.')),
                ('number_of_gifts', models.PositiveIntegerField(default=0)),
                ('beneficiary', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='totals', to='donations.beneficiary')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('beneficiary', 'currency'), name='one_total_per_beneficiary_currency')],
            },
        ),
        migrations.RunPython(fill_beneficiary_totals, drop_beneficiary_totals),
        migrations.RunPython(add_search_indexes, drop_search_indexes),
    ]
