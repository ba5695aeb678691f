"""Fill a PostgreSQL database with 100,000 members and a million gifts for the staff admin benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outlet_h6 \\
        nice -n 10 .venv/bin/python -m bench.member_data [--members 100000] [--donations 1000000] [--reset]

Members come in the mix a small newsroom sees: about two thirds active, some past due, some set to end at period
end, a fifth lapsed, 3 % complimentary; paid monthly or yearly in GEL, USD or EUR over the last ~33 months. Each has
an account (allauth EmailAddress, mostly verified), a provider customer, the webhook event that made them a member,
~5 timeline rows, one payment per billing period (~12 per paid member, ~2 % refunded, a few partly), numbered
receipts for the third who asked for them, and the emails they were sent. Every tenth member's address is also a
donor's, so those member pages show gifts too. The million gifts are bench.donation_data's, called, not copied.

Rows are made by INSERT ... SELECT over generate_series, so the data is the same on every run (no random numbers:
mixes come from arithmetic on the member number). Running it again without --reset leaves existing members alone
and only regenerates the gifts when their count differs; --reset deletes the generated members (found by their
`bench-member-` usernames) and everything hanging off them first. Not for production databases.
"""

from __future__ import annotations

import argparse
import os
import time

USERNAME_PREFIX = "bench-member-"
PROVIDER = "sandbox"
CAMPAIGN_SLUG = "bench-fund"
STAFF_USERNAME = "bench-membership-manager"
FIRST_NAMES = [
    "Nino",
    "Giorgi",
    "Ana",
    "Luka",
    "Mariam",
    "Davit",
    "Tamar",
    "Levan",
    "Elene",
    "Irakli",
    "Anna",
    "James",
    "Sofia",
    "Armen",
    "Lilit",
    "Aysel",
    "Oliver",
    "Keti",
    "Zurab",
    "Maia",
]
LAST_NAMES = [
    "Beridze",
    "Kapanadze",
    "Gelashvili",
    "Mamedova",
    "Hakobyan",
    "Smith",
    "Lomidze",
    "Tsiklauri",
    "Meladze",
    "Petrosyan",
    "Aliyev",
    "Brown",
    "Khutsishvili",
    "Dolidze",
    "Sargsyan",
    "Nozadze",
    "Walker",
    "Abashidze",
]
# name, slug, position, {(interval, currency): amount_minor}
TIERS = [
    (
        "Supporter",
        "supporter",
        0,
        {
            ("month", "GEL"): 1500,
            ("year", "GEL"): 15000,
            ("month", "USD"): 600,
            ("year", "USD"): 6000,
            ("month", "EUR"): 500,
            ("year", "EUR"): 5000,
        },
    ),
    (
        "Member",
        "member",
        1,
        {
            ("month", "GEL"): 3000,
            ("year", "GEL"): 30000,
            ("month", "USD"): 1200,
            ("year", "USD"): 12000,
            ("month", "EUR"): 1000,
            ("year", "EUR"): 10000,
        },
    ),
    (
        "Patron",
        "patron",
        2,
        {
            ("month", "GEL"): 10000,
            ("year", "GEL"): 100000,
            ("month", "USD"): 4000,
            ("year", "USD"): 40000,
            ("month", "EUR"): 3500,
            ("year", "EUR"): 35000,
        },
    ),
]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outlet.settings")
    import django

    django.setup()


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def insert_select(cursor, model, columns: dict[str, str], from_sql: str, params: dict | None = None) -> int:
    """INSERT INTO model's table (columns) SELECT expressions FROM ..., with every other NOT NULL column filled from
    the model field's default: a field added to a model later does not break the generator."""
    from django.db import connection
    from django.utils import timezone

    params = dict(params or {})
    select = dict(columns)
    with connection.cursor() as introspect:
        in_table = {c.name for c in connection.introspection.get_table_description(introspect, model._meta.db_table)}
    for field in model._meta.concrete_fields:
        # A field whose migration is not applied here yet has no column to fill.
        if field.primary_key or field.column in select or field.column not in in_table:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now()
        else:
            value = field.get_default()
        if value is None and field.null:
            continue
        name = f"fill_{field.column}"
        params[name] = field.get_db_prep_save(value, connection)
        select[field.column] = f"%({name})s"
    quoted = ", ".join(connection.ops.quote_name(column) for column in select)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({quoted}) "  # noqa: S608 - names from models, values are params
        f"SELECT {', '.join(select.values())} {from_sql}"
    )
    cursor.execute(sql, params)
    return cursor.rowcount


def make_tiers() -> dict[str, int]:
    from members.models import Tier, TierPrice

    ids = {}
    for name, slug, position, prices in TIERS:
        tier, _ = Tier.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "position": position,
                "is_active": True,
                "description": f"{name} of independent reporting.",
                "benefits": "Ad-free reading\nThe weekly newsletter\nOur thanks in the annual report",
            },
        )
        for (interval, currency), amount in prices.items():
            TierPrice.objects.update_or_create(
                tier=tier, interval=interval, currency=currency, defaults={"amount_minor": amount, "is_active": True}
            )
        ids[slug] = tier.pk
    return ids


def make_staff_user():
    from django.contrib.auth import get_user_model

    staff, _ = get_user_model().objects.get_or_create(
        username=STAFF_USERNAME,
        defaults={
            "email": "membership-manager@example.org",
            "is_staff": True,
            "first_name": "Membership",
            "last_name": "Manager",
        },
    )
    return staff


def existing_members() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).count()


def delete_members() -> dict:
    """Everything the generator made for members, found from their usernames (gifts are donation_data's to clear)."""
    from django.db import connection, transaction

    deleted = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "CREATE TEMP TABLE bench_old_user ON COMMIT DROP AS SELECT id, email FROM auth_user WHERE username LIKE %s",
            [USERNAME_PREFIX + "%"],
        )
        cursor.execute("CREATE INDEX ON bench_old_user (id)")
        statements = {
            "sent_emails": 'DELETE FROM outlet_sentemail WHERE "to" IN (SELECT email FROM bench_old_user)',
            "receipts": (
                "DELETE FROM donations_receipt WHERE payment_id IN (SELECT p.id FROM payments_payment p JOIN "
                "bench_old_user u ON u.id = p.user_id WHERE p.purpose = 'membership')"
            ),
            "member_events": "DELETE FROM members_memberevent WHERE user_id IN (SELECT id FROM bench_old_user)",
            "payments": (
                "DELETE FROM payments_payment WHERE purpose = 'membership' AND user_id IN (SELECT id FROM "
                "bench_old_user)"
            ),
            "gifts_unlinked": (
                "UPDATE donations_donation SET user_id = NULL WHERE user_id IN (SELECT id FROM bench_old_user)"
            ),
            "gift_payments_unlinked": (
                "UPDATE payments_payment SET user_id = NULL WHERE user_id IN (SELECT id FROM bench_old_user)"
            ),
            "webhook_events": (
                "DELETE FROM payments_webhookevent WHERE provider = 'sandbox' AND event_id LIKE 'evt\\_bench\\_%'"
            ),
            "provider_customers": (
                "DELETE FROM payments_providercustomer WHERE user_id IN (SELECT id FROM bench_old_user)"
            ),
            "memberships": "DELETE FROM members_membership WHERE user_id IN (SELECT id FROM bench_old_user)",
            "checkouts": "DELETE FROM members_membershipcheckout WHERE user_id IN (SELECT id FROM bench_old_user)",
            "email_addresses": "DELETE FROM account_emailaddress WHERE user_id IN (SELECT id FROM bench_old_user)",
            "admin_log": "DELETE FROM django_admin_log WHERE user_id IN (SELECT id FROM bench_old_user)",
            "users": "DELETE FROM auth_user WHERE id IN (SELECT id FROM bench_old_user)",
        }
        for name, sql in statements.items():
            cursor.execute(sql)
            deleted[name] = cursor.rowcount
    return deleted


def generate_members(*, members: int) -> dict:
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from members.models import MemberEvent, Membership
    from outlet.common.models import SentEmail
    from outlet.payments.models import Payment, ProviderCustomer, WebhookEvent
    from outlet.receipts.models import Receipt

    User = get_user_model()
    make_tiers()
    staff = make_staff_user()
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}

    def step(name: str, started: float) -> None:
        timings[name] = round(time.monotonic() - started, 2)

    prices = ", ".join(
        f"('{slug}', '{interval}', '{currency}', {amount})"
        for _, slug, _, table in TIERS
        for (interval, currency), amount in table.items()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # As in donation_data: Django's deferred foreign-key checks for a few million rows would all run at COMMIT.
        # Ids come from the rows just inserted, and check() looks at the result.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")

        started = time.monotonic()
        # One row per member with every choice made from arithmetic on n (deterministic, evenly spread mixes).
        cursor.execute(
            f"""
            CREATE TEMP TABLE bench_member ON COMMIT DROP AS
            WITH base AS (
                SELECT n,
                       (n::bigint * 7919) %% 100 AS tier_bucket,
                       (n::bigint * 104729) %% 100 AS status_bucket,
                       n %% 33 = 0 AS is_comp,
                       CASE WHEN (n::bigint * 13) %% 4 = 0 THEN 'year' ELSE 'month' END AS billing_interval,
                       CASE WHEN (n::bigint * 17) %% 20 < 12 THEN 'GEL' WHEN (n::bigint * 17) %% 20 < 17 THEN 'USD'
                            ELSE 'EUR' END AS currency,
                       date_trunc('minute', now()) - (1 + (n::bigint * 7907) %% 1000) * interval '1 day'
                           - ((n::bigint * 211) %% 1440) * interval '1 minute' AS started_at,
                       ({_sql_array(FIRST_NAMES)})[1 + (n::bigint * 7) %% {len(FIRST_NAMES)}] AS first_name,
                       ({_sql_array(LAST_NAMES)})[1 + (n::bigint * 11) %% {len(LAST_NAMES)}] AS last_name
                FROM generate_series(1, %(members)s) AS n
            ), shaped AS (
                SELECT b.*,
                       CASE WHEN tier_bucket < 60 THEN 'supporter' WHEN tier_bucket < 90 THEN 'member'
                            ELSE 'patron' END AS tier_slug,
                       CASE WHEN b.billing_interval = 'year' THEN interval '1 year'
                            ELSE interval '1 month' END AS period,
                       CASE WHEN b.billing_interval = 'year' THEN date_part('year', age(now(), started_at))::int + 1
                            ELSE (date_part('year', age(now(), started_at)) * 12
                                  + date_part('month', age(now(), started_at)))::int + 1
                       END AS periods_so_far
                FROM base b
            ), planned AS (
                SELECT s.*,
                       CASE WHEN is_comp THEN CASE WHEN status_bucket >= 90 THEN 'lapsed' ELSE 'active' END
                            WHEN status_bucket < 68 THEN 'active' WHEN status_bucket < 71 THEN 'past_due'
                            WHEN status_bucket < 78 THEN 'cancelled' ELSE 'lapsed' END AS planned_status
                FROM shaped s
            ), counted AS (
                SELECT p.*,
                       CASE WHEN is_comp THEN 0
                            WHEN planned_status = 'lapsed' THEN GREATEST(1, periods_so_far * (1 + n %% 7) / 8)
                            ELSE periods_so_far END AS paid_periods
                FROM planned p
            )
            SELECT c.n, c.first_name, c.last_name, c.is_comp, c.tier_slug, c.started_at, c.period, c.paid_periods,
                   CASE WHEN n %% 10 = 0 THEN 'donor' || n || '@example.org'
                        ELSE lower(c.first_name || '.' || c.last_name) || '.' || n || '@example.org' END AS email,
                   -- a lapse whose last period has not ended yet is, for now, a cancellation at period end
                   CASE WHEN c.planned_status = 'lapsed' AND NOT c.is_comp
                             AND c.started_at + c.paid_periods * c.period > now()
                        THEN 'cancelled' ELSE c.planned_status END AS status,
                   CASE WHEN c.is_comp THEN '' ELSE c.billing_interval END AS billing_interval,
                   CASE WHEN c.is_comp THEN '' ELSE c.currency END AS currency,
                   CASE WHEN c.is_comp THEN NULL ELSE pr.amount END AS amount,
                   t.id AS tier_id, t.name AS tier_name,
                   CASE WHEN c.is_comp THEN
                            CASE WHEN c.status_bucket >= 90
                                 THEN LEAST(now() - interval '1 day', c.started_at + interval '90 days')
                                 WHEN n %% 2 = 0 THEN NULL ELSE now() + interval '180 days' END
                        WHEN c.planned_status = 'past_due' THEN now() - ((n %% 5) + 1) * interval '1 day'
                        ELSE c.started_at + c.paid_periods * c.period END AS period_end
            FROM counted c
            JOIN members_tier t ON t.slug = c.tier_slug
            LEFT JOIN (VALUES {prices}) AS pr(slug, billing, currency, amount)
                   ON pr.slug = c.tier_slug AND pr.billing = c.billing_interval AND pr.currency = c.currency
        """,
            {"members": members},
        )  # noqa: S608 - only integers and fixed names are formatted in
        cursor.execute("ALTER TABLE bench_member ADD COLUMN user_id bigint")
        cursor.execute("CREATE UNIQUE INDEX ON bench_member (n)")
        step("plan", started)

        started = time.monotonic()
        counts["users"] = insert_select(
            cursor,
            User,
            {
                "username": f"'{USERNAME_PREFIX}' || n",
                "email": "email",
                "first_name": "first_name",
                "last_name": "last_name",
                "password": "%(password)s",
                "is_staff": "false",
                "is_superuser": "false",
                "is_active": "true",
                "date_joined": "started_at - ((n %% 30) + 1) * interval '1 day'",
                "last_login": "CASE WHEN n %% 4 = 0 THEN NULL ELSE now() - (n %% 60) * interval '1 day' END",
            },
            "FROM bench_member ORDER BY n",
            {"password": make_password("bench member password")},
        )
        cursor.execute(
            "UPDATE bench_member m SET user_id = u.id FROM auth_user u WHERE u.username = %s || m.n", [USERNAME_PREFIX]
        )
        cursor.execute("CREATE INDEX ON bench_member (user_id)")
        cursor.execute("ANALYZE bench_member")
        counts["email_addresses"] = insert_select(
            cursor,
            EmailAddress,
            {
                "user_id": "user_id",
                "email": "email",
                "verified": "n %% 20 <> 0",
                "primary": "true",
            },
            "FROM bench_member ORDER BY n",
        )
        step("users", started)

        started = time.monotonic()
        counts["memberships"] = insert_select(
            cursor,
            Membership,
            {
                "user_id": "user_id",
                "tier_id": "tier_id",
                "status": "status",
                "source": "CASE WHEN is_comp THEN 'comp' ELSE 'paid' END",
                "started_at": "started_at",
                "current_period_end": "period_end",
                "updated_at": "GREATEST(started_at, LEAST(now(), period_end))",
                "interval": "billing_interval",
                "currency": "currency",
                "amount_minor": "amount",
                "provider": f"CASE WHEN is_comp THEN '' ELSE '{PROVIDER}' END",
                "provider_customer_id": "CASE WHEN is_comp THEN '' ELSE 'cus_bench_' || n END",
                "provider_subscription_id": "CASE WHEN is_comp THEN '' ELSE 'sub_bench_' || n END",
                "cancel_at_period_end": "status = 'cancelled'",
                "grace_until": "CASE WHEN status = 'past_due' THEN now() + ((n %% 7) + 1) * interval '1 day' END",
                "ended_at": "CASE WHEN status = 'lapsed' THEN period_end END",
                "provider_state_at": "CASE WHEN is_comp THEN NULL ELSE LEAST(now(), period_end) END",
                "provider_state_rank": "0",
            },
            "FROM bench_member ORDER BY n",
        )
        counts["provider_customers"] = insert_select(
            cursor,
            ProviderCustomer,
            {
                "provider": f"'{PROVIDER}'",
                "customer_id": "'cus_bench_' || n",
                "user_id": "user_id",
                "created_at": "started_at",
            },
            "FROM bench_member WHERE NOT is_comp ORDER BY n",
        )
        counts["webhook_events"] = insert_select(
            cursor,
            WebhookEvent,
            {
                "provider": f"'{PROVIDER}'",
                "event_id": "'evt_bench_' || n",
                "type": "'checkout.session.completed'",
                "created_at_provider": "started_at",
                "payload": """jsonb_build_object('id', 'evt_bench_' || n, 'type', 'checkout.session.completed',
                'data', jsonb_build_object('customer', 'cus_bench_' || n, 'subscription', 'sub_bench_' || n))""",
                "livemode": "false",
                "via": "'webhook'",
                "status": "'processed'",
                "received_at": "started_at",
                "processed_at": "started_at + interval '2 seconds'",
                "attempts": "1",
                "last_error": "''",
            },
            "FROM bench_member WHERE NOT is_comp ORDER BY n",
        )
        step("memberships", started)

        started = time.monotonic()
        # One charge per billing period; ~1.7 % fully refunded, ~0.4 % half refunded.
        counts["payments"] = insert_select(
            cursor,
            Payment,
            {
                "provider": f"'{PROVIDER}'",
                "provider_ref": "'bm_' || m.n || '_' || k",
                "other_refs": "'ch_bm_' || m.n || '_' || k",
                "purpose": "'membership'",
                "user_id": "m.user_id",
                "email": "m.email",
                "customer_id": "'cus_bench_' || m.n",
                "subscription_id": "'sub_bench_' || m.n",
                "amount_minor": "m.amount",
                "currency": "m.currency",
                "amount_refunded_minor": (
                    "CASE WHEN (m.n::bigint * 31 + k) %% 60 = 0 THEN m.amount "
                    "WHEN (m.n::bigint * 31 + k) %% 250 = 1 THEN m.amount / 2 ELSE 0 END"
                ),
                "status": (
                    "CASE WHEN (m.n::bigint * 31 + k) %% 60 = 0 THEN 'refunded' "
                    "WHEN (m.n::bigint * 31 + k) %% 250 = 1 THEN 'partially_refunded' ELSE 'succeeded' END"
                ),
                "description": "m.tier_name || ' membership'",
                "paid_at": "m.started_at + k * m.period + interval '30 seconds'",
                "provider_receipt_url": "''",
                "metadata": "jsonb_build_object('bench', true)",
            },
            "FROM bench_member m CROSS JOIN LATERAL generate_series(0, m.paid_periods - 1) AS k "
            "WHERE m.paid_periods > 0 ORDER BY m.n, k",
        )
        step("payments", started)

        started = time.monotonic()
        issuer = settings.RECEIPT_ISSUER["code"]
        cursor.execute("SELECT year, last_number FROM donations_receiptsequence WHERE issuer = %s", [issuer])
        offsets = dict(cursor.fetchall())
        offset_sql = " ".join(f"WHEN {int(y)} THEN {int(last)}" for y, last in offsets.items())
        offset_case = f"CASE date_part('year', p.paid_at)::int {offset_sql} ELSE 0 END" if offsets else "0"
        # Receipts for the third of members who asked for them; a fully refunded charge's receipt is void.
        counts["receipts"] = insert_select(
            cursor,
            Receipt,
            {
                "payment_id": "p.id",
                "kind": "'original'",
                "refund_level_minor": "0",
                "replaces_id": "NULL",
                "issuer": "%(issuer)s",
                "year": "date_part('year', p.paid_at)::int",
                "sequence": (
                    f"{offset_case} + row_number() OVER (PARTITION BY date_part('year', p.paid_at) ORDER BY "
                    "p.paid_at, p.id)"
                ),
                "number": (
                    f"date_part('year', p.paid_at)::int || '-' || lpad(({offset_case} + row_number() "
                    "OVER (PARTITION BY date_part('year', p.paid_at) ORDER BY p.paid_at, p.id))::text, 6, '0')"
                ),
                "donor_name": "m.first_name || ' ' || m.last_name",
                "donor_email": "m.email",
                "description": "p.description",
                "amount_minor": "p.amount_minor",
                "currency": "p.currency",
                "lines": "'[]'::jsonb",
                "issued_at": "p.paid_at + interval '1 minute'",
                "voided_at": "CASE WHEN p.status = 'refunded' THEN p.paid_at + interval '3 days' END",
                "void_reason": "CASE WHEN p.status = 'refunded' THEN 'Refunded' ELSE '' END",
                "emailed_at": "p.paid_at + interval '2 minutes'",
                "access_key": "md5('bench receipt ' || p.id)",
            },
            "FROM payments_payment p JOIN bench_member m ON m.user_id = p.user_id WHERE p.purpose = 'membership' AND "
            "m.n %% 3 = 0",
            {"issuer": issuer},
        )
        cursor.execute(
            """
            INSERT INTO donations_receiptsequence (issuer, year, last_number)
            SELECT issuer, year, MAX(sequence) FROM donations_receipt WHERE issuer = %s GROUP BY issuer, year
            ON CONFLICT (issuer, year) DO UPDATE
                SET last_number = GREATEST(donations_receiptsequence.last_number, EXCLUDED.last_number)
        """,
            [issuer],
        )
        step("receipts", started)

        started = time.monotonic()
        counts["member_events"] = _insert_member_events(cursor, MemberEvent, staff_id=staff.pk)
        step("member_events", started)

        started = time.monotonic()
        counts["sent_emails"] = _insert_sent_emails(cursor, SentEmail, issuer=issuer)
        step("sent_emails", started)

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE auth_user, account_emailaddress, members_membership, members_memberevent, "
            "payments_payment, payments_webhookevent, payments_providercustomer, donations_receipt, outlet_sentemail"
        )
    step("vacuum_analyze", started)
    return {"members": members, "rows": counts, "seconds": timings}


def _insert_member_events(cursor, MemberEvent, *, staff_id: int) -> int:
    """~5 timeline rows per member, each the kind and summary the services and lifecycle would have written."""
    money = "to_char(m.amount / 100.0, 'FM999990.00') || ' ' || m.currency"
    membership = "(SELECT id FROM members_membership WHERE user_id = m.user_id)"
    event = "(SELECT id FROM payments_webhookevent WHERE provider = 'sandbox' AND event_id = 'evt_bench_' || m.n)"
    kinds = [
        # kind, summary, at, from, to, webhook event, staff, by reader, reader visible, where
        (
            "checkout_started",
            "'Started checkout: ' || m.tier_name || ', ' "
            "|| CASE m.billing_interval WHEN 'year' THEN 'yearly' ELSE 'monthly' END || ', ' || m.currency",
            "m.started_at - interval '4 minutes'",
            "''",
            "''",
            "NULL",
            "NULL",
            "true",
            "false",
            "NOT m.is_comp",
        ),
        (
            "checkout_completed",
            "'Checkout completed'",
            "m.started_at - interval '1 minute'",
            "''",
            "''",
            event,
            "NULL",
            "false",
            "false",
            "NOT m.is_comp",
        ),
        (
            "joined",
            "'Became a ' || m.tier_name || ' member'",
            "m.started_at",
            "''",
            "'active'",
            event,
            "NULL",
            "false",
            "true",
            "NOT m.is_comp",
        ),
        (
            "comped",
            "'Complimentary ' || m.tier_name || ' membership ' "
            "|| CASE WHEN m.period_end IS NULL THEN 'with no end date' "
            "ELSE 'until ' || to_char(m.period_end, 'FMDD FMMonth YYYY') END",
            "m.started_at",
            "''",
            "'active'",
            "NULL",
            str(int(staff_id)),
            "false",
            "true",
            "m.is_comp",
        ),
        (
            "email_sent",
            "'Welcome email sent'",
            "m.started_at + interval '1 minute'",
            "''",
            "''",
            "NULL",
            "NULL",
            "false",
            "false",
            "true",
        ),
        (
            "renewed",
            f"'Payment of ' || {money} || ' received'",
            "m.started_at + (m.paid_periods - 1) * m.period + interval '30 seconds'",
            "''",
            "''",
            "NULL",
            "NULL",
            "false",
            "true",
            "m.paid_periods > 1",
        ),
        (
            "plan_changed",
            "'Plan changed to ' || m.tier_name || ', ' "
            "|| CASE m.billing_interval WHEN 'year' THEN 'yearly' ELSE 'monthly' END",
            "m.started_at + (m.paid_periods / 2) * m.period + interval '3 days'",
            "''",
            "''",
            "NULL",
            "NULL",
            "true",
            "true",
            "NOT m.is_comp AND m.n %% 5 = 0 AND m.paid_periods > 2",
        ),
        (
            "payment_failed",
            "'Payment overdue; access kept until ' || to_char(now() + interval '7 days', 'FMDD FMMonth YYYY')",
            "m.period_end + interval '1 hour'",
            "'active'",
            "'past_due'",
            "NULL",
            "NULL",
            "false",
            "true",
            "m.status = 'past_due'",
        ),
        (
            "cancel_requested",
            "'Set to end on ' || to_char(m.period_end, 'FMDD FMMonth YYYY')",
            "m.period_end - interval '9 days'",
            "''",
            "''",
            "NULL",
            "NULL",
            "true",
            "true",
            "m.status = 'cancelled'",
        ),
        (
            "lapsed",
            "'Membership ended'",
            "m.period_end",
            "'cancelled'",
            "'lapsed'",
            "NULL",
            "NULL",
            "false",
            "true",
            "m.status = 'lapsed' AND NOT m.is_comp",
        ),
        (
            "comp_ended",
            "'Complimentary membership ended'",
            "m.period_end",
            "'active'",
            "'lapsed'",
            "NULL",
            str(int(staff_id)),
            "false",
            "true",
            "m.status = 'lapsed' AND m.is_comp",
        ),
    ]
    total = 0
    for kind, summary, at, from_status, to_status, webhook_event, staff, by_reader, visible, where in kinds:
        total += insert_select(
            cursor,
            MemberEvent,
            {
                "user_id": "m.user_id",
                "membership_id": membership,
                "kind": f"'{kind}'",
                "from_status": from_status,
                "to_status": to_status,
                "summary": f"left({summary}, 300)",
                "reader_visible": visible,
                "webhook_event_id": webhook_event,
                "staff_user_id": staff,
                "by_reader": by_reader,
                "created_at": at,
            },
            f"FROM bench_member m WHERE {where}",
        )
    # A refund shows on the timeline of the member it was for.
    total += insert_select(
        cursor,
        MemberEvent,
        {
            "user_id": "m.user_id",
            "membership_id": membership,
            "kind": "'refunded'",
            "from_status": "''",
            "to_status": "''",
            "summary": (
                "'Refunded ' || to_char(p.amount_refunded_minor / 100.0, 'FM999990.00') || ' ' || p.currency "
                "|| ' of ' || to_char(p.amount_minor / 100.0, 'FM999990.00') || ' ' || p.currency"
            ),
            "reader_visible": "true",
            "webhook_event_id": "NULL",
            "staff_user_id": str(int(staff_id)),
            "by_reader": "false",
            "created_at": "p.paid_at + interval '3 days'",
        },
        "FROM payments_payment p JOIN bench_member m ON m.user_id = p.user_id WHERE p.purpose = 'membership' AND "
        "p.amount_refunded_minor > 0",
    )
    return total


def _insert_sent_emails(cursor, SentEmail, *, issuer: str) -> int:
    """What outlet.common.emails would have recorded: a welcome per paid member, the receipts, failures and endings."""
    total = 0
    for kind, subject, at, where in [
        ("membership_welcome", "'Welcome, ' || m.first_name", "m.started_at + interval '1 minute'", "NOT m.is_comp"),
        (
            "membership_payment_failed",
            "'Your payment did not go through'",
            "m.period_end + interval '1 hour'",
            "m.status = 'past_due'",
        ),
        ("membership_ended", "'Your membership has ended'", "m.period_end + interval '1 hour'", "m.status = 'lapsed'"),
    ]:
        total += insert_select(
            cursor,
            SentEmail,
            {
                "key": f"'bench-{kind}-' || m.n",
                "kind": f"'{kind}'",
                "to": "m.email",
                "subject": subject,
                "sent_at": at,
            },
            f"FROM bench_member m WHERE {where}",
        )
    total += insert_select(
        cursor,
        SentEmail,
        {
            "key": "'receipt-' || r.issuer || '-' || r.number",
            "kind": "'membership_receipt'",
            "to": "r.donor_email",
            "subject": "'Your receipt ' || r.number",
            "sent_at": "r.emailed_at",
        },
        "FROM donations_receipt r JOIN payments_payment p ON p.id = r.payment_id "
        "JOIN bench_member m ON m.user_id = p.user_id "
        "WHERE r.issuer = %(issuer)s",
        {"issuer": issuer},
    )
    return total


def link_member_donors() -> int:
    """Every tenth member gave to the fundraiser under the same address: their gifts carry their account."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE donations_donation d SET user_id = u.id FROM auth_user u
            WHERE u.username LIKE %s AND u.email LIKE 'donor%%' AND d.email = u.email
              AND d.user_id IS DISTINCT FROM u.id
        """,
            [USERNAME_PREFIX + "%"],
        )
        linked = cursor.rowcount
        cursor.execute("""
            UPDATE payments_payment p SET user_id = d.user_id FROM donations_donation d
            WHERE d.payment_id = p.id AND d.user_id IS NOT NULL AND p.user_id IS DISTINCT FROM d.user_id
        """)
    if linked:
        # The linked gifts are spread over every page of the table: without this, index-only scans (the gift
        # list's counts) go back to the heap for each row.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE donations_donation, payments_payment")
    return linked


def make_second_campaign() -> str:
    """A second, newer appeal with no gifts yet. With a single campaign Django's admin hides the campaign filter
    and ignores its parameter, so the gift list "filtered by campaign" would not be filtered at all."""
    from bench import donation_data
    from donations.models import Campaign

    slug = "bench-winter-appeal"
    donation_data.make_campaign(slug)
    Campaign.objects.filter(slug=slug).update(title="Winter appeal")
    return slug


def recount_outlet_totals() -> int | None:
    """donation_data writes the ledger in SQL, around the services that keep each newsroom's running sums: rebuild
    them from the ledger the way staff would after a bulk load (when this checkout has them)."""
    from donations import reports
    from donations.models import Campaign

    recount = getattr(reports, "recount_beneficiary_totals", None)
    return recount(campaign=Campaign.objects.get(slug=CAMPAIGN_SLUG)) if recount else None


def check(*, members: int) -> list[str]:
    """The shape the staff pages rely on: one membership and a primary address per member, receipts numbered
    uniquely, every payment's refund within its amount."""
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*), COUNT(ms.id), COUNT(e.id) FROM auth_user u
            LEFT JOIN members_membership ms ON ms.user_id = u.id
            LEFT JOIN account_emailaddress e ON e.user_id = u.id AND e."primary"
            WHERE u.username LIKE %s
        """,
            [USERNAME_PREFIX + "%"],
        )
        users, with_membership, with_address = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM payments_payment WHERE amount_refunded_minor > amount_minor OR amount_minor <= 0"
        )
        bad_payments = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM members_memberevent e LEFT JOIN auth_user u ON u.id = e.user_id WHERE u.id IS NULL"
        )
        orphan_events = cursor.fetchone()[0]
    if users != members:
        problems.append(f"{users} generated users, expected {members}")
    if with_membership != users or with_address != users:
        problems.append(f"{users} users but {with_membership} memberships and {with_address} primary addresses")
    if bad_payments:
        problems.append(f"{bad_payments} payments with a bad amount or refund")
    if orphan_events:
        problems.append(f"{orphan_events} timeline rows without their user")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--donations", type=int, default=1_000_000, help="0 skips the gifts")
    parser.add_argument(
        "--reset", action="store_true", help="delete the generated members first, and make the gifts again"
    )
    args = parser.parse_args()
    _setup_django()
    from bench import donation_data
    from donations.models import Donation

    result: dict = {}
    started_all = time.monotonic()
    if args.reset:
        started = time.monotonic()
        result["deleted"] = delete_members()
        result["reset_seconds"] = round(time.monotonic() - started, 1)
    have = existing_members()
    if have and have != args.members:
        raise SystemExit(f"{have} generated members exist, {args.members} asked for: run with --reset")
    if not have:
        started = time.monotonic()
        result["members"] = generate_members(members=args.members)
        result["members_seconds"] = round(time.monotonic() - started, 1)
    else:
        result["members"] = f"{have} already generated (use --reset to make them again)"
    if args.donations:
        started = time.monotonic()
        gifts = Donation.objects.filter(campaign__slug=CAMPAIGN_SLUG).count()
        if args.reset or gifts != args.donations:
            result["donations"] = donation_data.generate(
                slug=CAMPAIGN_SLUG, donations=args.donations, donors=max(1, args.donations // 4)
            )
            result["donations"]["verify"] = donation_data.verify(slug=CAMPAIGN_SLUG)
        else:
            result["donations"] = f"{gifts} gifts already generated"
        result["second_campaign"] = make_second_campaign()
        result["linked_member_gifts"] = link_member_donors()
        result["outlet_totals"] = recount_outlet_totals()
        result["donations_seconds"] = round(time.monotonic() - started, 1)
    result["check"] = check(members=args.members)
    result["total_seconds"] = round(time.monotonic() - started_all, 1)
    print(result)
    problems = result["check"] + (
        result["donations"].get("verify", {}).get("problems", []) if isinstance(result.get("donations"), dict) else []
    )
    if problems:
        raise SystemExit("generated data is inconsistent: " + "; ".join(problems))


if __name__ == "__main__":
    main()
