"""Donor-facing pages: campaigns, the donation form, thank-you pages, monthly gifts."""

app_name = "donations"
urlpatterns: list = []
