"""Receipt and statement downloads: from the account page, or from a signed link in the email (guests)."""

app_name = "receipts"
urlpatterns: list = []
