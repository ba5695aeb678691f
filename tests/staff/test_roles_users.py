"""Administrators see, on the user list, each account's roles and whether it has set up two-factor sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from outlet.staff.roles import ADMINISTRATOR, EDITOR, FINANCE
from tests.factories import UserFactory
from tests.staff import give_authenticator_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator_client():
    boss = UserFactory(username="boss", is_staff=True)
    boss.groups.add(Group.objects.get(name=ADMINISTRATOR))
    client = Client()
    client.force_login(boss)  # with the second factor (tests.staff)
    return client


def test_the_user_list_shows_roles_and_two_factor(administrator_client):
    ready = UserFactory(username="ready", is_staff=True)
    ready.groups.add(Group.objects.get(name=FINANCE), Group.objects.get(name=EDITOR))
    give_authenticator_app(ready)
    UserFactory(username="newcomer", is_staff=True).groups.add(Group.objects.get(name=FINANCE))

    response = administrator_client.get("/admin/auth/user/", {"is_staff__exact": "1", "two_factor": "no"})

    listed = {row.username: row for row in response.context["cl"].result_list}
    assert set(listed) == {"newcomer"}  # the one who still has to set up an authenticator app
    page = administrator_client.get("/admin/auth/user/", {"q": "ready"}).content.decode()
    assert "Editor, Finance" in page


def test_the_user_list_does_not_query_per_user(administrator_client, django_assert_max_num_queries):
    for number in range(30):
        user = UserFactory(username=f"staff{number}", is_staff=True)
        user.groups.add(Group.objects.get(name=EDITOR))
    with django_assert_max_num_queries(12):
        assert administrator_client.get("/admin/auth/user/").status_code == 200
