"""Accounts found by email without reading every account: allauth's sign-in, the member list's and the Ghost import's
lookups all compare UPPER(email::text) (Django's iexact/istartswith). PostgreSQL only; SQLite needs none."""

from django.db import migrations

INDEX = "CREATE INDEX IF NOT EXISTS account_email_upper_idx ON auth_user (UPPER(email::text) text_pattern_ops)"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS account_email_upper_idx")


class Migration(migrations.Migration):
    dependencies = [("members", "0004_ghost_import"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(add_index, drop_index)]
