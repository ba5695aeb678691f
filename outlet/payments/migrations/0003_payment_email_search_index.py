"""The payments list finds a whole email through an index (Django's iexact compares UPPER(email::text)); on
PostgreSQL only, since SQLite needs none."""

from django.db import migrations

INDEX = "CREATE INDEX IF NOT EXISTS payment_email_upper_idx ON payments_payment (UPPER(email::text) text_pattern_ops)"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS payment_email_upper_idx")


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_staff_permissions")]
    operations = [migrations.RunPython(add_index, drop_index)]
