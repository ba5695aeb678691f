"""Year-end statements lost to a broker outage (the yearly beat run, or part of its fan-out) are sent in the weeks
after the run, once each; nothing is sent before the day staff scheduled."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from donations import statements, tasks
from donations.models import Donation
from tests.donations.conftest import give

pytestmark = pytest.mark.django_db(transaction=True)

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def at(month: int, day: int) -> datetime:
    return datetime(THIS_YEAR, month, day, 9, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def schedule():
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="10", month_of_year="1", timezone=settings.TIME_ZONE
    )
    return PeriodicTask.objects.update_or_create(
        name=statements.YEAR_END_TASK,
        defaults={"task": "donations.tasks.send_year_end_statements", "crontab": crontab, "enabled": True},
    )[0]


@pytest.fixture
def donors(campaign):
    for email in ("ana@example.org", "beka@example.org", "gio@example.org"):
        give(campaign, email=email, gift_minor=2000)
    Donation.objects.update(donated_at=datetime(LAST_YEAR, 6, 15, 12, tzinfo=timezone.get_current_timezone()))


def statements_sent(mailoutbox):
    return sorted(m.to[0] for m in mailoutbox if "statement of gifts" in m.subject)


def test_statements_the_run_did_not_send_go_out_once_in_the_weeks_after_it(schedule, donors, mailoutbox):
    statements.send_statement(year=LAST_YEAR, email="ana@example.org")  # the run got this far, then the broker went
    with time_machine.travel(at(1, 5)):
        assert tasks.catch_up_year_end_statements() == 0, "not before the scheduled day"
    with time_machine.travel(at(1, 12)):
        assert tasks.catch_up_year_end_statements() == 2
        assert tasks.catch_up_year_end_statements() == 0
    assert statements_sent(mailoutbox) == ["ana@example.org", "beka@example.org", "gio@example.org"]


def test_nothing_is_caught_up_when_staff_switched_the_run_off_or_long_after_it(schedule, donors, mailoutbox):
    with time_machine.travel(at(3, 30)):
        assert tasks.catch_up_year_end_statements() == 0
    schedule.enabled = False
    schedule.save()
    with time_machine.travel(at(1, 12)):
        assert tasks.catch_up_year_end_statements() == 0
    assert statements_sent(mailoutbox) == []
