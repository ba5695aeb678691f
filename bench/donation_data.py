"""Fill a PostgreSQL database with one campaign and a million gifts, fast, in the shape the services would leave.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outlet_bench_campaign \\
        .venv/bin/python -m bench.donation_data --donations 1000000 [--slug bench-fund]

Rows are made by INSERT ... SELECT over generate_series (payments, donations, allocation entries for three newsrooms,
refund entries for ~1 % of gifts refunded), then the O(1) counters are set from the rows, and the result is checked:
counters equal the sums, every gift's ledger adds up to what it kept. Donor keys are the same keyed hash the
services use (pgcrypto's hmac with SECRET_KEY), so a real gift from a generated donor counts them once.

Not for production databases: it deletes the campaign's previous bench rows first.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

PROVIDER = "bench"
SHARES = [
    ("Mountain Voice", "mountain-voice", 50, True),
    ("Valley Dispatch", "valley-dispatch", 30, False),
    ("Border Radio", "border-radio", 20, False),
]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outlet.settings")
    import django

    django.setup()


def make_campaign(slug: str):
    from django.utils import timezone

    from donations.models import Beneficiary, Campaign, CampaignCurrency

    campaign, _ = Campaign.objects.update_or_create(
        slug=slug,
        defaults={
            "title": "Keep reporters safe",
            "summary": "Safety kit, legal help and secure tools for three small newsrooms.",
            "story": "<p>Three newsrooms, one appeal.</p>" * 6,
            "goal_minor": 50_000_000_00,
            "currency": "GEL",
            "starts_at": timezone.now() - timedelta(days=400),
            "is_published": True,
        },
    )
    for position, (code, presets, rate) in enumerate(
        [("GEL", [2000, 5000, 10000], 1_000_000), ("USD", [1000, 2500, 5000], 2_700_000)]
    ):
        CampaignCurrency.objects.update_or_create(
            campaign=campaign,
            currency=code,
            defaults={
                "preset_amounts_minor": presets,
                "min_amount_minor": 500,
                "max_amount_minor": 500_000,
                "rate_to_goal_ppm": rate,
                "position": position,
            },
        )
    for position, (name, b_slug, share, remainder) in enumerate(SHARES):
        Beneficiary.objects.update_or_create(
            campaign=campaign,
            slug=b_slug,
            defaults={
                "name": name,
                "share": share,
                "receives_rounding_remainder": remainder,
                "position": position,
                "description": f"{name} reports from where few others do.",
                "url": f"https://example.org/{b_slug}",
            },
        )
    return campaign


def _split_expressions(campaign, net: str) -> list[tuple[int, int, str]]:
    """(beneficiary id, weight, SQL for its part of `net`) as services.split_amount computes it: each part rounded
    down, the remainder to the stated newsroom. Integers only go into the SQL text."""
    beneficiaries = list(campaign.beneficiaries.filter(is_active=True, share__gt=0).order_by("position", "id"))
    total = sum(b.share for b in beneficiaries)
    floors = {b.pk: f"({net} * {b.share} / {total})" for b in beneficiaries}
    parts = []
    for b in beneficiaries:
        if b.receives_rounding_remainder:
            others = " - ".join(expr for pk, expr in floors.items() if pk != b.pk)
            parts.append((b.pk, b.share, f"({net} - {others})"))
        else:
            parts.append((b.pk, b.share, floors[b.pk]))
    return parts


def generate(*, slug: str, donations: int, donors: int) -> dict:
    from django.conf import settings
    from django.db import connection, transaction

    campaign = make_campaign(slug)
    fixed = settings.DONATION_FEE_FIXED_MINOR
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: five million deferred checks would run at COMMIT
        # (about two minutes here). A superuser may skip them for this load; ids come from the rows just inserted,
        # and verify() checks the result.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        started = time.monotonic()
        cursor.execute(
            "DELETE FROM donations_allocationentry WHERE donation_id IN (SELECT id FROM donations_donation WHERE "
            "campaign_id = %s)",
            [campaign.pk],
        )
        cursor.execute("DELETE FROM donations_donation WHERE campaign_id = %s", [campaign.pk])
        cursor.execute("DELETE FROM payments_payment WHERE provider = %s", [PROVIDER])
        for table in ("donations_campaigntotal", "donations_campaigndonor", "donations_campaigndonorcount"):
            cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])  # noqa: S608 - fixed names
        timings["clear"] = time.monotonic() - started

        started = time.monotonic()
        cursor.execute(
            """
            CREATE TEMP TABLE bench_gift ON COMMIT DROP AS
            SELECT n, email, currency, amount, donated_at,
                   LEAST(amount, (amount * %(bp)s + 9999) / 10000
                                 + CASE currency WHEN 'GEL' THEN %(fixed_gel)s ELSE %(fixed_usd)s END) AS fee,
                   CASE WHEN n %% 97 = 0 THEN amount ELSE 0 END AS refunded,
                   n %% 4 = 1 AS show_on_wall, n %% 40 = 1 AS anonymous
            FROM (
                SELECT n,
                       'donor' || (1 + (n::bigint * 7919) %% %(donors)s) || '@example.org' AS email,
                       CASE WHEN n %% 5 = 0 THEN 'USD' ELSE 'GEL' END AS currency,
                       (ARRAY[1000, 2000, 2500, 5000, 10000])[1 + (n::bigint * 31) %% 5]
                           + CASE WHEN n %% 7 = 0 THEN (n::bigint * 13) %% 9000 ELSE 0 END AS amount,
                       now() - interval '365 days'
                           + (n * (365 * 86400.0 / %(count)s)) * interval '1 second' AS donated_at
                FROM generate_series(1, %(count)s) AS n
            ) AS g
        """,
            {
                "bp": settings.DONATION_FEE_BASIS_POINTS,
                "fixed_gel": fixed.get("GEL", 0),
                "fixed_usd": fixed.get("USD", 0),
                "donors": donors,
                "count": donations,
            },
        )
        cursor.execute(
            """
            INSERT INTO payments_payment (provider, provider_ref, other_refs, purpose, user_id, email, customer_id,
                                          subscription_id, amount_minor, currency, amount_refunded_minor, status,
                                          description, paid_at, provider_receipt_url, metadata)
            SELECT %(provider)s, 'bench_' || n, '', 'donation', NULL, email, '', '', amount, currency, refunded,
                   CASE WHEN refunded > 0 THEN 'refunded' ELSE 'succeeded' END, 'Gift', donated_at, '', '{}'::jsonb
            FROM bench_gift
        """,
            {"provider": PROVIDER},
        )
        timings["payments"] = time.monotonic() - started

        started = time.monotonic()
        cursor.execute(
            """
            INSERT INTO donations_donation (campaign_id, payment_id, checkout_id, recurring_id, user_id, email, name,
                                            display_name, show_on_wall, anonymous, message, currency, amount_minor,
                                            fee_covered_minor, processing_fee_minor, net_minor, amount_refunded_minor,
                                            status, donated_at, anonymised_at)
            SELECT %(campaign)s, p.id, NULL, NULL, NULL, g.email, 'Donor ' || g.n,
                   CASE WHEN g.n %% 3 = 0 THEN 'Friend of the press ' || g.n ELSE '' END, g.show_on_wall, g.anonymous,
                   CASE WHEN g.n %% 12 = 1 THEN 'Keep going: we read every story. #' || g.n ELSE '' END,
                   g.currency, g.amount, 0, g.fee, g.amount - g.fee, g.refunded,
                   CASE WHEN g.refunded > 0 THEN 'refunded' ELSE 'succeeded' END, g.donated_at, NULL
            FROM bench_gift g JOIN payments_payment p ON p.provider = %(provider)s AND p.provider_ref = 'bench_' || g.n
        """,
            {"campaign": campaign.pk, "provider": PROVIDER},
        )
        timings["donations"] = time.monotonic() - started

        started = time.monotonic()
        for beneficiary_id, weight, part in _split_expressions(campaign, "d.net_minor"):
            cursor.execute(
                f"""
                INSERT INTO donations_allocationentry (donation_id, beneficiary_id, kind, amount_minor, currency,
                                                       weight, booked_at, refund_level_minor)
                SELECT d.id, %(beneficiary)s, 'gift', {part}, d.currency, %(weight)s, d.donated_at, 0
                FROM donations_donation d WHERE d.campaign_id = %(campaign)s AND {part} > 0
            """,
                {"beneficiary": beneficiary_id, "weight": weight, "campaign": campaign.pk},
            )  # noqa: S608 - integers only
            # A full refund gives back the whole net part, split the same way, booked a day later.
            cursor.execute(
                f"""
                INSERT INTO donations_allocationentry (donation_id, beneficiary_id, kind, amount_minor, currency,
                                                       weight, booked_at, refund_level_minor)
                SELECT d.id, %(beneficiary)s, 'refund', -{part}, d.currency, %(weight)s,
                       d.donated_at + interval '1 day', d.amount_refunded_minor
                FROM donations_donation d
                WHERE d.campaign_id = %(campaign)s AND d.amount_refunded_minor > 0 AND {part} > 0
            """,
                {"beneficiary": beneficiary_id, "weight": weight, "campaign": campaign.pk},
            )  # noqa: S608
        timings["allocation_entries"] = time.monotonic() - started

        started = time.monotonic()
        cursor.execute(
            """
            INSERT INTO donations_campaigntotal (campaign_id, currency, raised_minor, net_minor, donations)
            SELECT campaign_id, currency, SUM(amount_minor - amount_refunded_minor),
                   SUM(net_minor - LEAST(amount_refunded_minor, net_minor)),
                   COUNT(*) FILTER (WHERE status <> 'refunded')
            FROM donations_donation WHERE campaign_id = %s GROUP BY campaign_id, currency
        """,
            [campaign.pk],
        )
        cursor.execute(
            """
            INSERT INTO donations_campaigndonor (campaign_id, donor_key, active_gifts)
            SELECT campaign_id, encode(hmac(lower(trim(email)), %s, 'sha256'), 'hex'),
                   COUNT(*) FILTER (WHERE status <> 'refunded')
            FROM donations_donation WHERE campaign_id = %s GROUP BY campaign_id, lower(trim(email))
        """,
            [settings.SECRET_KEY, campaign.pk],
        )
        cursor.execute(
            """
            INSERT INTO donations_campaigndonorcount (campaign_id, donors)
            SELECT %s, COUNT(*) FROM donations_campaigndonor WHERE campaign_id = %s AND active_gifts > 0
        """,
            [campaign.pk, campaign.pk],
        )
        timings["counters"] = time.monotonic() - started
    # The newsrooms' running sums, from the ledger just written.
    from donations.reports import recount_beneficiary_totals

    recount_beneficiary_totals(campaign=campaign)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE payments_payment, donations_donation, donations_allocationentry")
    timings["vacuum_analyze"] = time.monotonic() - started
    return {
        "campaign": campaign.slug,
        "campaign_id": campaign.pk,
        "donations": donations,
        "donors": donors,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }


def verify(*, slug: str) -> dict:
    """The counters equal the rows, every gift's ledger adds up, and the services read the same numbers."""
    from django.db import connection

    from donations import services
    from donations.models import Campaign

    campaign = Campaign.objects.get(slug=slug)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FROM donations_campaigntotal t JOIN (
                SELECT currency, SUM(amount_minor - amount_refunded_minor) AS raised,
                       COUNT(*) FILTER (WHERE status <> 'refunded') AS n
                FROM donations_donation WHERE campaign_id = %(c)s GROUP BY currency) s USING (currency)
            WHERE t.campaign_id = %(c)s AND (t.raised_minor <> s.raised OR t.donations <> s.n)
        """,
            {"c": campaign.pk},
        )
        mismatched_totals = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT COUNT(*) FROM donations_donation d JOIN (
                SELECT donation_id, SUM(amount_minor) AS booked FROM donations_allocationentry GROUP BY donation_id
            ) e ON e.donation_id = d.id
            WHERE d.campaign_id = %s AND e.booked <> d.net_minor - LEAST(d.amount_refunded_minor, d.net_minor)
        """,
            [campaign.pk],
        )
        unbalanced = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT currency, SUM(net_minor - LEAST(amount_refunded_minor, net_minor)) FROM donations_donation
            WHERE campaign_id = %s GROUP BY currency
        """,
            [campaign.pk],
        )
        net_from_rows = dict(cursor.fetchall())
    net_counters = dict(campaign.totals.values_list("currency", "net_minor"))
    problems = _sample_matches_services(campaign)
    progress = services.campaign_progress(campaign)
    if mismatched_totals:
        problems.append(f"{mismatched_totals} currency totals differ from the rows")
    if unbalanced:
        problems.append(f"{unbalanced} gifts whose ledger does not add up")
    if net_counters != net_from_rows:
        problems.append(f"net counters {net_counters} != rows {net_from_rows}")
    return {
        "problems": problems,
        "raised_minor": progress.raised_minor,
        "donors": progress.donors,
        "donations": progress.donations,
    }


def _sample_matches_services(campaign, sample: int = 300) -> list[str]:
    """Spot-check that the SQL did what the services would: the fee, the split and the donor key."""
    from donations import services
    from donations.models import CampaignDonor, Donation

    problems = []
    weights = services.default_weights(campaign)
    remainder_to = services.remainder_beneficiary(campaign=campaign, weights=weights)
    keys = set()
    for donation in Donation.objects.filter(campaign=campaign).order_by("?").prefetch_related("allocations")[:sample]:
        if donation.processing_fee_minor != services.processing_fee_minor(
            amount_minor=donation.amount_minor, currency=donation.currency
        ):
            problems.append(f"gift {donation.pk}: fee differs from services.processing_fee_minor")
        expected = services.split_amount(
            amount_minor=donation.net_minor, weights=list(weights.items()), remainder_to=remainder_to
        )
        booked = {e.beneficiary_id: e.amount_minor for e in donation.allocations.all() if e.kind == "gift"}
        if booked != {k: v for k, v in expected.items() if v}:
            problems.append(f"gift {donation.pk}: split {booked} differs from services.split_amount {expected}")
        keys.add(services.donor_key(donation.email))
    found = CampaignDonor.objects.filter(campaign=campaign, donor_key__in=keys).count()
    if found != len(keys):
        problems.append(f"{len(keys) - found} donor keys differ from services.donor_key")
    return problems[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--donors", type=int, default=None, help="distinct donors (default: a quarter of the gifts)")
    parser.add_argument("--slug", default="bench-fund")
    args = parser.parse_args()
    _setup_django()
    started = time.monotonic()
    result = generate(slug=args.slug, donations=args.donations, donors=args.donors or max(1, args.donations // 4))
    result["generate_seconds"] = round(time.monotonic() - started, 1)
    check = verify(slug=args.slug)
    result["verify"] = check
    print(result)
    if check["problems"]:
        raise SystemExit("generated data is inconsistent: " + "; ".join(check["problems"]))


if __name__ == "__main__":
    main()
