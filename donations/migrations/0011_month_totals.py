"""Gifts per campaign, currency and calendar month, kept by PostgreSQL in the same transaction as every change to a
gift, for the revenue dashboard (donations.stats.gifts_by_campaign).

Statement-level triggers with transition tables add what an INSERT brings, take away what a DELETE removes, and do
both for an UPDATE (a refund, a changed date; an update that moves no amount, such as the retention period
blanking donors' names, touches no total and takes no lock), so the totals hold whatever wrote the gifts: the services, a
queryset.update(), a bulk insert, raw SQL; TRUNCATE empties them. The month is the site's (TIME_ZONE when they were
built, kept in donations_month_total_zone): the dashboard reads them only while that is still the site's zone.
Not Django models, so a test database flush does not empty them behind the trigger's back. Only on PostgreSQL;
elsewhere the dashboard reads the gifts."""

from django.conf import settings
from django.db import migrations

TABLES = """
CREATE TABLE donations_month_total (
    campaign_id bigint NOT NULL,
    currency varchar(3) NOT NULL,
    month date NOT NULL,
    gross bigint NOT NULL,
    refunded bigint NOT NULL,
    gifts bigint NOT NULL,
    kept bigint NOT NULL,
    PRIMARY KEY (campaign_id, currency, month)
);
CREATE TABLE donations_month_total_zone (zone text NOT NULL);
"""

# The one function behind the four triggers. `kept`: gifts not fully refunded, as CampaignTotal counts them.
FUNCTION = """
CREATE FUNCTION donations_month_total_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    z text;
BEGIN
    SELECT zone INTO z FROM donations_month_total_zone LIMIT 1;
    IF z IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM donations_month_total;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO donations_month_total AS t (campaign_id, currency, month, gross, refunded, gifts, kept)
        SELECT campaign_id, currency, date_trunc('month', donated_at AT TIME ZONE z)::date,
               sum(amount_minor), sum(amount_refunded_minor), count(*),
               count(*) FILTER (WHERE amount_refunded_minor < amount_minor)
        FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (campaign_id, currency, month) DO UPDATE SET gross = t.gross + EXCLUDED.gross,
            refunded = t.refunded + EXCLUDED.refunded, gifts = t.gifts + EXCLUDED.gifts, kept = t.kept + EXCLUDED.kept;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO donations_month_total AS t (campaign_id, currency, month, gross, refunded, gifts, kept)
        SELECT campaign_id, currency, date_trunc('month', donated_at AT TIME ZONE z)::date,
               -sum(amount_minor), -sum(amount_refunded_minor), -count(*),
               -count(*) FILTER (WHERE amount_refunded_minor < amount_minor)
        FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (campaign_id, currency, month) DO UPDATE SET gross = t.gross + EXCLUDED.gross,
            refunded = t.refunded + EXCLUDED.refunded, gifts = t.gifts + EXCLUDED.gifts, kept = t.kept + EXCLUDED.kept;
    ELSE
        INSERT INTO donations_month_total AS t (campaign_id, currency, month, gross, refunded, gifts, kept)
        SELECT campaign_id, currency, month, sum(gross), sum(refunded), sum(gifts), sum(kept)
        FROM (
            SELECT campaign_id, currency, date_trunc('month', donated_at AT TIME ZONE z)::date AS month,
                   amount_minor::bigint AS gross, amount_refunded_minor::bigint AS refunded, 1 AS gifts,
                   (amount_refunded_minor < amount_minor)::int AS kept
            FROM new_rows
            UNION ALL
            SELECT campaign_id, currency, date_trunc('month', donated_at AT TIME ZONE z)::date,
                   -amount_minor::bigint, -amount_refunded_minor::bigint, -1,
                   -(amount_refunded_minor < amount_minor)::int
            FROM old_rows
        ) AS change
        GROUP BY 1, 2, 3
        HAVING sum(gross) <> 0 OR sum(refunded) <> 0 OR sum(gifts) <> 0 OR sum(kept) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (campaign_id, currency, month) DO UPDATE SET gross = t.gross + EXCLUDED.gross,
            refunded = t.refunded + EXCLUDED.refunded, gifts = t.gifts + EXCLUDED.gifts, kept = t.kept + EXCLUDED.kept;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER donations_month_total_insert AFTER INSERT ON donations_donation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION donations_month_total_apply();
CREATE TRIGGER donations_month_total_update AFTER UPDATE ON donations_donation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION donations_month_total_apply();
CREATE TRIGGER donations_month_total_delete AFTER DELETE ON donations_donation
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION donations_month_total_apply();
CREATE TRIGGER donations_month_total_truncate AFTER TRUNCATE ON donations_donation
    FOR EACH STATEMENT EXECUTE FUNCTION donations_month_total_apply();
"""

# Also donations.stats.rebuild_month_totals (for a new TIME_ZONE): writers wait while the totals are made.
BUILD = """
LOCK TABLE donations_donation IN SHARE MODE;
DELETE FROM donations_month_total_zone;
DELETE FROM donations_month_total;
INSERT INTO donations_month_total_zone (zone) VALUES (%(zone)s);
INSERT INTO donations_month_total (campaign_id, currency, month, gross, refunded, gifts, kept)
SELECT campaign_id, currency, date_trunc('month', donated_at AT TIME ZONE %(zone)s)::date,
       sum(amount_minor), sum(amount_refunded_minor), count(*),
       count(*) FILTER (WHERE amount_refunded_minor < amount_minor)
FROM donations_donation GROUP BY 1, 2, 3;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS donations_month_total_insert ON donations_donation;
DROP TRIGGER IF EXISTS donations_month_total_update ON donations_donation;
DROP TRIGGER IF EXISTS donations_month_total_delete ON donations_donation;
DROP TRIGGER IF EXISTS donations_month_total_truncate ON donations_donation;
DROP FUNCTION IF EXISTS donations_month_total_apply();
DROP TABLE IF EXISTS donations_month_total;
DROP TABLE IF EXISTS donations_month_total_zone;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TABLES, params=None)
    schema_editor.execute(FUNCTION, params=None)
    with schema_editor.connection.cursor() as cursor:
        for statement in filter(None, (s.strip() for s in BUILD.split(";"))):
            cursor.execute(statement, {"zone": settings.TIME_ZONE} if "%(zone)s" in statement else None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0010_texts_in_each_language"),
    ]

    operations = [migrations.RunPython(forward, backward)]
