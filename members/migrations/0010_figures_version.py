"""Indexes on the end dates, and a version of the members' figures that PostgreSQL moves with every change.

members_figures_version holds 64 counters; statement-level triggers on memberships and the timeline set the
counter of the writing transaction (txid % 64, so concurrent writers rarely wait on the same row) to the next value
of a sequence, in the same transaction as the change. The 64 values together therefore change with every committed
change, whatever wrote it (services, queryset.update(), bulk_create, raw SQL, TRUNCATE), and never come back to an
earlier state: a sequence value is used once, also when its transaction rolls back, and the sequence starts at a
random number, so another database (a test run's) does not walk the same values. members.stats keeps the
dashboard's figures in the cache under them. Not a Django model: a test database flush leaves it in place.
Only on PostgreSQL; elsewhere the figures are computed on every view."""

from django.db import migrations, models

FORWARD = """
CREATE SEQUENCE members_figures_seq;
SELECT setval('members_figures_seq', 1 + floor(random() * 4e18)::bigint);
CREATE TABLE members_figures_version (shard integer PRIMARY KEY, version bigint NOT NULL DEFAULT 0);
INSERT INTO members_figures_version (shard, version) SELECT g, 0 FROM generate_series(0, 63) AS g;
CREATE FUNCTION members_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A statement that changed no row (an UPDATE matching nothing, as a sweep often runs) changes no figure.
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    UPDATE members_figures_version SET version = nextval('members_figures_seq') WHERE shard = txid_current() % 64;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_membership_figures_insert AFTER INSERT ON members_membership
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_membership_figures_update AFTER UPDATE ON members_membership
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_membership_figures_delete AFTER DELETE ON members_membership
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_membership_figures_truncate AFTER TRUNCATE ON members_membership
    FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_memberevent_figures_insert AFTER INSERT ON members_memberevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_memberevent_figures_update AFTER UPDATE ON members_memberevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_memberevent_figures_delete AFTER DELETE ON members_memberevent
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
CREATE TRIGGER members_memberevent_figures_truncate AFTER TRUNCATE ON members_memberevent
    FOR EACH STATEMENT EXECUTE FUNCTION members_figures_changed();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS members_membership_figures_insert ON members_membership;
DROP TRIGGER IF EXISTS members_membership_figures_update ON members_membership;
DROP TRIGGER IF EXISTS members_membership_figures_delete ON members_membership;
DROP TRIGGER IF EXISTS members_membership_figures_truncate ON members_membership;
DROP TRIGGER IF EXISTS members_memberevent_figures_insert ON members_memberevent;
DROP TRIGGER IF EXISTS members_memberevent_figures_update ON members_memberevent;
DROP TRIGGER IF EXISTS members_memberevent_figures_delete ON members_memberevent;
DROP TRIGGER IF EXISTS members_memberevent_figures_truncate ON members_memberevent;
DROP FUNCTION IF EXISTS members_figures_changed();
DROP TABLE IF EXISTS members_figures_version;
DROP SEQUENCE IF EXISTS members_figures_seq;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_timeline_read_in_each_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["current_period_end"], name="membership_period_end_idx"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["grace_until"], name="membership_grace_until_idx"),
        ),
        migrations.RunPython(forward, backward),
    ]
