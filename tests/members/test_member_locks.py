"""The lock order on a reader's rows, on the real PostgreSQL (row locks are what is under test; SQLite has none).

bench/soak.py found webhook workers deadlocking on PostgreSQL: one held the reader's account row FOR UPDATE while
waiting for their membership, the other held something the first needed and, on committing a row that refers to the
account (a timeline row, a payment), waited for the key-share lock PostgreSQL's foreign-key check takes, which FOR
UPDATE blocks. Writers of a membership now lock the account FOR NO KEY UPDATE and then the membership, always in
that order (members.services.lock_member)."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from members import services
from members.models import MemberEvent, Membership
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def hold_locks_of(user_id: int, holding: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            services.lock_member(user_id)
            holding.set()
            release.wait(10)
    finally:
        connection.close()


def write_timeline_row(user_id: int, outcome: dict) -> None:
    """Another worker recording something about the same reader, unwilling to wait more than 2 s for a lock."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            MemberEvent.objects.create(user_id=user_id, kind=MemberEvent.Kind.STAFF_ACTION, summary="a note")
        outcome["committed"] = True
    except OperationalError as exc:
        outcome["error"] = str(exc).splitlines()[0]
    finally:
        connection.close()


def test_a_row_referring_to_a_reader_commits_while_their_membership_is_being_written(real_postgres):
    user = UserFactory()
    holding, release, outcome = threading.Event(), threading.Event(), {}
    holder = threading.Thread(target=hold_locks_of, args=(user.pk, holding, release))
    holder.start()
    try:
        assert holding.wait(10)
        writer = threading.Thread(target=write_timeline_row, args=(user.pk, outcome))
        writer.start()
        writer.join(15)
    finally:
        release.set()
        holder.join(15)
    assert outcome == {"committed": True}, outcome


def test_writers_of_one_membership_queue_on_the_account_and_all_finish(real_postgres, priced_tiers):
    """A failed payment and a staff comp ending for the same reader at once: the second waits, neither fails."""
    user = UserFactory()
    membership = Membership.objects.create(
        user=user, tier=priced_tiers["supporter"], source=Membership.Source.COMP, status=Membership.Status.ACTIVE
    )
    holding, release, errors = threading.Event(), threading.Event(), []

    def end_comp() -> None:
        try:
            services.end_comp(membership_id=membership.pk, staff_user=None)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_locks_of, args=(user.pk, holding, release))
    holder.start()
    assert holding.wait(10)
    ender = threading.Thread(target=end_comp)
    ender.start()
    ender.join(1)
    assert ender.is_alive(), "ending the comp did not wait for the reader's locks"
    release.set()
    holder.join(15)
    ender.join(15)
    assert errors == []
    membership.refresh_from_db()
    assert membership.status == Membership.Status.LAPSED
