"""What bench/soak.py checks once the traffic has stopped and the sweeps have run: the books must agree with
themselves and with the sandbox provider. Each check returns {"name", "ok", "figures", "evidence"}; evidence lists
at most a few examples of each disagreement. Runs in the soak's own process with Django set up on the soak's
database."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

EXAMPLES = 8


def _check(name: str, ok: bool, figures: dict, evidence: dict | None = None) -> dict:
    return {
        "name": name,
        "ok": bool(ok),
        "figures": figures,
        "evidence": {k: v for k, v in (evidence or {}).items() if v},
    }


def events() -> dict:
    """Every event the sandbox emitted is stored once and reached a final status (processed, ignored, not ours)."""
    from outlet.payments.models import SandboxObject, WebhookEvent

    by_status = Counter(WebhookEvent.objects.filter(provider="sandbox").values_list("status", flat=True))
    by_via = Counter(WebhookEvent.objects.filter(provider="sandbox").values_list("via", flat=True))
    emitted = set(SandboxObject.objects.filter(kind="event").values_list("object_id", flat=True))
    stored = set(WebhookEvent.objects.filter(provider="sandbox").values_list("event_id", flat=True))
    final = {"processed", "ignored", "not_ours"}
    open_events = list(
        WebhookEvent.objects.filter(provider="sandbox")
        .exclude(status__in=final)
        .values("pk", "event_id", "type", "status", "attempts", "last_error")[:EXAMPLES]
    )
    retried = WebhookEvent.objects.filter(provider="sandbox", attempts__gt=1).count()
    errors = Counter(
        e.split(":", 1)[0]
        for e in WebhookEvent.objects.filter(provider="sandbox")
        .exclude(last_error="")
        .values_list("last_error", flat=True)
    )
    processed_types = Counter(
        WebhookEvent.objects.filter(provider="sandbox", status="processed").values_list("type", flat=True)
    )
    figures = {
        "emitted_by_sandbox": len(emitted),
        "stored": len(stored),
        "by_status": dict(by_status),
        "by_via": dict(by_via),
        "processed_by_type": dict(processed_types),
        "processed_more_than_once_attempted": retried,
        "queued_again_by_the_sweep": WebhookEvent.objects.filter(provider="sandbox").exclude(requeued_at=None).count(),
        "last_errors_kept": dict(errors),
    }
    missing = sorted(emitted - stored)
    return _check(
        "events stored = processed",
        not missing and sum(by_status.values()) == sum(by_status[s] for s in final),
        figures,
        {"emitted_not_stored": missing[:EXAMPLES], "not_final": open_events},
    )


def receipts() -> dict:
    """One original receipt per payment, numbers gap-free per issuer and year, refunds reflected, every receipt in
    force emailed."""
    from django.db.models import Count, F

    from outlet.payments.models import Payment
    from outlet.receipts.models import Receipt

    payments = Payment.objects.count()
    by_purpose = Counter(Payment.objects.values_list("purpose", flat=True))
    originals = Counter(Receipt.objects.filter(kind="original").values_list("payment_id", flat=True))
    payment_ids = set(Payment.objects.values_list("pk", flat=True))
    without = sorted(payment_ids - set(originals))
    doubled = sorted(pk for pk, n in originals.items() if n > 1)
    gaps = {}
    for issuer, year in Receipt.objects.values_list("issuer", "year").distinct():
        numbers = sorted(Receipt.objects.filter(issuer=issuer, year=year).values_list("sequence", flat=True))
        if numbers != list(range(1, len(numbers) + 1)):
            expected = set(range(1, (numbers[-1] if numbers else 0) + 1))
            gaps[f"{issuer}-{year}"] = {
                "count": len(numbers),
                "highest": numbers[-1] if numbers else 0,
                "missing": sorted(expected - set(numbers))[:EXAMPLES],
                "repeated": [n for n, c in Counter(numbers).items() if c > 1][:EXAMPLES],
            }
    duplicate_numbers = list(
        Receipt.objects.values("number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("number", flat=True)[:EXAMPLES]
    )
    stale = list(
        Receipt.objects.filter(voided_at=None, payment__amount_refunded_minor__gt=F("refund_level_minor")).values_list(
            "number", flat=True
        )[:EXAMPLES]
    )
    unsent = list(
        Receipt.objects.filter(voided_at=None, emailed_at=None)
        .exclude(donor_email="")
        .values_list("number", flat=True)[:EXAMPLES]
    )
    wrong_amount = [
        r.number
        for r in Receipt.objects.filter(kind="original").select_related("payment")
        if r.amount_minor != r.payment.amount_minor
    ][:EXAMPLES]
    figures = {
        "payments": payments,
        "payments_by_purpose": dict(by_purpose),
        "receipts": Receipt.objects.count(),
        "original_receipts": sum(originals.values()),
        "corrections": Receipt.objects.filter(kind="correction").count(),
        "void": Receipt.objects.exclude(voided_at=None).count(),
        "refunded_payments": Payment.objects.exclude(amount_refunded_minor=0).count(),
        "numbering": {
            f"{i}-{y}": Receipt.objects.filter(issuer=i, year=y).count()
            for i, y in Receipt.objects.values_list("issuer", "year").distinct()
        },
    }
    ok = not (without or doubled or gaps or duplicate_numbers or stale or unsent or wrong_amount)
    return _check(
        "payments = receipts (gap-free numbers)",
        ok,
        figures,
        {
            "payments_without_receipt": without[:EXAMPLES],
            "payments_with_two_originals": doubled[:EXAMPLES],
            "numbering_gaps": gaps,
            "duplicate_numbers": duplicate_numbers,
            "refund_not_reflected": stale,
            "in_force_not_emailed": unsent,
            "original_amount_differs_from_payment": wrong_amount,
        },
    )


def ledger() -> dict:
    """Each gift's ledger entries add up to its net less what was refunded of it; the campaign counters and the
    newsrooms' running sums equal what the gifts and the ledger say."""
    from donations.models import (
        AllocationEntry,
        BeneficiaryTotal,
        CampaignDonor,
        CampaignDonorCount,
        CampaignTotal,
        Donation,
    )
    from donations.services import donor_key
    from outlet.payments.models import Payment

    entries_by_gift: dict[int, int] = defaultdict(int)
    by_newsroom: dict[tuple, dict] = defaultdict(lambda: {"gift": 0, "refund": 0, "gifts": 0})
    campaign_net: dict[tuple, int] = defaultdict(int)
    for donation_id, beneficiary_id, kind, amount, currency, campaign_id in AllocationEntry.objects.values_list(
        "donation_id", "beneficiary_id", "kind", "amount_minor", "currency", "donation__campaign_id"
    ):
        entries_by_gift[donation_id] += amount
        row = by_newsroom[(beneficiary_id, currency)]
        row[kind] += amount
        row["gifts"] += kind == "gift"
        campaign_net[(campaign_id, currency)] += amount
    raised: dict[tuple, int] = defaultdict(int)
    counted: dict[tuple, int] = defaultdict(int)
    active_donors: dict[int, set] = defaultdict(set)
    gift_off = []
    for d in Donation.objects.all():
        expected = d.net_minor - min(d.amount_refunded_minor, d.net_minor)
        if entries_by_gift.get(d.pk, 0) != expected:
            gift_off.append({"donation": d.pk, "ledger": entries_by_gift.get(d.pk, 0), "expected": expected})
        raised[(d.campaign_id, d.currency)] += d.amount_minor - d.amount_refunded_minor
        if d.amount_refunded_minor < d.amount_minor:
            counted[(d.campaign_id, d.currency)] += 1
            active_donors[d.campaign_id].add(donor_key(d.email) if d.email else f"anonymised-{d.pk}")
    totals_off = []
    for total in CampaignTotal.objects.all():
        key = (total.campaign_id, total.currency)
        want = {"raised": raised.get(key, 0), "net": campaign_net.get(key, 0), "donations": counted.get(key, 0)}
        have = {"raised": total.raised_minor, "net": total.net_minor, "donations": total.donations}
        if want != have:
            totals_off.append(
                {
                    "campaign": total.campaign_id,
                    "currency": total.currency,
                    "counter": have,
                    "from_gifts_and_ledger": want,
                }
            )
    missing_totals = sorted(
        str(k) for k in set(raised) - set(CampaignTotal.objects.values_list("campaign_id", "currency")) if raised[k]
    )
    newsrooms_off = []
    for total in BeneficiaryTotal.objects.all():
        row = by_newsroom.get((total.beneficiary_id, total.currency), {"gift": 0, "refund": 0, "gifts": 0})
        have = {"gift": total.gifts_minor, "refund": total.refunds_minor, "gifts": total.number_of_gifts}
        if have != row:
            newsrooms_off.append(
                {
                    "beneficiary": total.beneficiary_id,
                    "currency": total.currency,
                    "running_sum": have,
                    "ledger": dict(row),
                }
            )
    donors_off = []
    for count in CampaignDonorCount.objects.all():
        rows = CampaignDonor.objects.filter(campaign_id=count.campaign_id, active_gifts__gt=0).count()
        distinct = len(active_donors.get(count.campaign_id, set()))
        if not count.donors == rows == distinct:
            donors_off.append(
                {
                    "campaign": count.campaign_id,
                    "counter": count.donors,
                    "donor_rows": rows,
                    "distinct_donors_from_gifts": distinct,
                }
            )
    gifts_without_donation = list(
        Payment.objects.filter(purpose="donation", donation__isnull=True).values_list("pk", flat=True)[:EXAMPLES]
    )
    payment_off = [
        d.pk
        for d in Donation.objects.select_related("payment")
        if (d.amount_minor, d.amount_refunded_minor) != (d.payment.amount_minor, d.payment.amount_refunded_minor)
    ][:EXAMPLES]
    figures = {
        "donations": Donation.objects.count(),
        "ledger_entries": AllocationEntry.objects.count(),
        "refund_entries": AllocationEntry.objects.filter(kind="refund").count(),
        "campaign_totals": [
            {
                "campaign": t.campaign_id,
                "currency": t.currency,
                "raised": t.raised_minor,
                "net": t.net_minor,
                "donations": t.donations,
            }
            for t in CampaignTotal.objects.order_by("campaign_id", "currency")
        ],
        "donors_counted": {c.campaign_id: c.donors for c in CampaignDonorCount.objects.all()},
    }
    ok = not (
        gift_off or totals_off or missing_totals or newsrooms_off or donors_off or gifts_without_donation or payment_off
    )
    return _check(
        "ledger = campaign totals and newsroom running sums",
        ok,
        figures,
        {
            "gift_ledger_differs": gift_off[:EXAMPLES],
            "campaign_counter_differs": totals_off,
            "campaign_counter_missing": missing_totals,
            "newsroom_running_sum_differs": newsrooms_off,
            "donor_count_differs": donors_off,
            "donation_payments_without_gift": gifts_without_donation,
            "gift_differs_from_its_payment": payment_off,
        },
    )


def emails(mailbox) -> dict:
    """Each message outlet.common.emails recorded (SentEmail, unique per key) was delivered once to the mailbox;
    nothing it sent is missing its record; welcomes and receipts went out once each."""
    from members.models import MemberEvent
    from outlet.common.models import OutboxTask, SentEmail
    from outlet.receipts.models import Receipt

    mailbox.scan()
    recorded = list(SentEmail.objects.values_list("key", "kind", "to", "subject"))
    by_kind = Counter(kind for _, kind, _, _ in recorded)
    want = Counter((to.lower(), subject) for _, _, to, subject in recorded)
    have = Counter((m.to.lower(), m.subject) for m in mailbox.messages)
    allauth = Counter(m.subject for m in mailbox.messages if (m.to.lower(), m.subject) not in want)
    delivered_twice = [
        {"to": to, "subject": subject, "recorded": want[(to, subject)], "in_mailbox": have[(to, subject)]}
        for (to, subject) in want
        if have[(to, subject)] > want[(to, subject)]
    ]
    not_delivered = [
        {"to": to, "subject": subject} for (to, subject) in want if have[(to, subject)] < want[(to, subject)]
    ]
    keys = Counter(key for key, _, _, _ in recorded)
    emailed_receipts = Receipt.objects.exclude(emailed_at=None).count()
    receipt_mails = by_kind["donation_receipt"] + by_kind["membership_receipt"] + by_kind["receipt_corrected"]
    joins = MemberEvent.objects.filter(kind=MemberEvent.Kind.JOINED).count()
    outbox_waiting = list(OutboxTask.objects.filter(done_at=None).values("key", "task", "attempts")[:EXAMPLES])
    figures = {
        "sent_email_rows": len(recorded),
        "by_kind": dict(by_kind),
        "mailbox_messages": len(mailbox.messages),
        "mailbox_not_from_outlet_emails": dict(allauth.most_common(10)),
        "receipts_emailed": emailed_receipts,
        "receipt_emails": receipt_mails,
        "members_joined": joins,
        "welcome_emails": by_kind["membership_welcome"],
        "outbox_tasks": OutboxTask.objects.count(),
        "outbox_handed_over_more_than_once": OutboxTask.objects.filter(attempts__gt=1).count(),
        "outbox_not_done": OutboxTask.objects.filter(done_at=None).count(),
    }
    ok = (
        not (delivered_twice or not_delivered or outbox_waiting)
        and all(n == 1 for n in keys.values())
        and receipt_mails == emailed_receipts
        and joins == by_kind["membership_welcome"]
    )
    return _check(
        "emails sent once per key",
        ok,
        figures,
        {
            "delivered_more_often_than_recorded": delivered_twice[:EXAMPLES],
            "recorded_but_not_in_mailbox": not_delivered[:EXAMPLES],
            "outbox_not_done": outbox_waiting,
            "receipt_emails_vs_receipts_emailed": []
            if receipt_mails == emailed_receipts
            else [receipt_mails, emailed_receipts],
            "welcomes_vs_joins": []
            if joins == by_kind["membership_welcome"]
            else [by_kind["membership_welcome"], joins],
        },
    )


def _when(timestamp) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def subscriptions() -> dict:
    """Memberships and monthly gifts say what the sandbox's subscriptions say (status, renewal, plan, period end),
    and every live subscription of ours is followed by one of them."""
    from donations.models import RecurringDonation
    from members.models import Membership, MembershipChange
    from outlet.payments.models import SandboxObject

    subscriptions = {row.object_id: row.data for row in SandboxObject.objects.filter(kind="subscription")}
    status_for = {
        ("active", False): "active",
        ("active", True): "cancelled",
        ("past_due", False): "past_due",
        ("past_due", True): "past_due",
        ("canceled", False): "lapsed",
        ("canceled", True): "lapsed",
    }
    differs, followed = [], set()
    memberships = Membership.objects.filter(provider="sandbox").exclude(provider_subscription_id="")
    for m in memberships:
        data = subscriptions.get(m.provider_subscription_id)
        followed.add(m.provider_subscription_id)
        if data is None:
            differs.append({"membership": m.pk, "problem": "the sandbox has no such subscription"})
            continue
        price = data["price"]
        want = {
            "status": status_for.get((data["status"], bool(data["cancel_at_period_end"])), data["status"]),
            "cancel_at_period_end": bool(data["cancel_at_period_end"]) and data["status"] != "canceled",
            "interval": price["interval"],
            "amount": price["amount"],
            "currency": price["currency"].upper(),
            "period_end": _when(data["current_period_end"]),
        }
        have = {
            "status": m.status,
            "cancel_at_period_end": m.cancel_at_period_end,
            "interval": m.interval,
            "amount": m.amount_minor,
            "currency": m.currency,
            "period_end": m.current_period_end,
        }
        if want != have:
            differs.append(
                {
                    "membership": m.pk,
                    "user": m.user_id,
                    "subscription": m.provider_subscription_id,
                    "ours": {k: str(v) for k, v in have.items() if want[k] != v},
                    "sandbox": {k: str(v) for k, v in want.items() if have[k] != v},
                }
            )
    gifts_differ = []
    for g in RecurringDonation.objects.filter(provider="sandbox"):
        data = subscriptions.get(g.subscription_id)
        followed.add(g.subscription_id)
        if data is None:
            gifts_differ.append({"monthly_gift": g.pk, "problem": "the sandbox has no such subscription"})
            continue
        gift_status = {"active": "active", "past_due": "past_due", "canceled": "canceled"}.get(
            data["status"], data["status"]
        )
        want = {
            "status": gift_status,
            "cancel_at_period_end": bool(data["cancel_at_period_end"]),
            "amount": data["price"]["amount"],
            "period_end": _when(data["current_period_end"]),
        }
        have = {
            "status": g.status,
            "cancel_at_period_end": g.cancel_at_period_end,
            "amount": g.amount_minor,
            "period_end": g.current_period_end,
        }
        if want != have:
            gifts_differ.append(
                {
                    "monthly_gift": g.pk,
                    "subscription": g.subscription_id,
                    "ours": {k: str(v) for k, v in have.items() if want[k] != v},
                    "sandbox": {k: str(v) for k, v in want.items() if have[k] != v},
                }
            )
    unfollowed = [
        sid
        for sid, data in subscriptions.items()
        if sid not in followed and data["status"] != "canceled" and (data.get("metadata") or {}).get("outlet_purpose")
    ]
    figures = {
        "sandbox_subscriptions": len(subscriptions),
        "sandbox_by_status": dict(
            Counter(
                d["status"] + (" (ends at period end)" if d["cancel_at_period_end"] else "")
                for d in subscriptions.values()
            )
        ),
        "memberships_by_status": dict(Counter(Membership.objects.values_list("status", flat=True))),
        "monthly_gifts_by_status": dict(Counter(RecurringDonation.objects.values_list("status", flat=True))),
        "membership_changes_unconfirmed": MembershipChange.objects.filter(confirmed_at=None).count(),
        "membership_changes": MembershipChange.objects.count(),
    }
    return _check(
        "memberships and monthly gifts = sandbox subscriptions",
        not (differs or gifts_differ or unfollowed),
        figures,
        {
            "membership_differs": differs[:EXAMPLES],
            "monthly_gift_differs": gifts_differ[:EXAMPLES],
            "live_subscription_followed_by_nobody": unfollowed[:EXAMPLES],
        },
    )


def paid_checkouts(paid: list[dict]) -> dict:
    """Every checkout the soak's people paid on the sandbox page became a payment (and a gift or a membership)."""
    from donations.models import Donation, DonationCheckout
    from members.models import MembershipCheckout
    from outlet.payments.models import Payment

    lost = []
    kinds = Counter()
    for item in paid:
        kinds[item["what"]] += 1
        reference = item["reference"]
        if item["what"] == "membership":
            found = Payment.objects.filter(metadata__outlet_checkout=reference).exists()
            checkout = MembershipCheckout.objects.filter(reference=reference).first()
            if not found or checkout is None:
                lost.append({**item, "payment": found, "checkout": checkout is not None})
        else:
            checkout = DonationCheckout.objects.filter(reference=reference).first()
            gift = checkout is not None and Donation.objects.filter(checkout=checkout).exists()
            if checkout is None or checkout.completed_at is None or not gift:
                lost.append(
                    {
                        **item,
                        "checkout": checkout is not None,
                        "completed": bool(checkout and checkout.completed_at),
                        "gift": gift,
                    }
                )
    return _check(
        "every paid checkout became a payment",
        not lost,
        {"paid_by_the_soak": dict(kinds), "total": len(paid)},
        {"paid_but_not_recorded": lost[:EXAMPLES]},
    )
