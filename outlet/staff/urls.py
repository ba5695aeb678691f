"""Staff accounts prove it is them before their first authenticator app (staff_enrolment_views.py). Included at
accounts/2fa/ above allauth's URLs: the first route stands in front of allauth's setup page at the same address."""

from django.urls import path

from outlet.staff import staff_enrolment_views

urlpatterns = [
    path("totp/activate/", staff_enrolment_views.activate_totp),
    path("staff-enrolment/", staff_enrolment_views.enrolment, name="staff_enrolment"),
    path("staff-enrolment/send/", staff_enrolment_views.send_code, name="staff_enrolment_send_code"),
    path("staff-enrolment/link/<str:token>/", staff_enrolment_views.enrolment_link, name="staff_enrolment_link"),
]
