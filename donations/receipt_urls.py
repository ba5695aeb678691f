"""Receipt and statement downloads: from the account page, or from a signed link in the email (guests)."""

from django.urls import path

from donations import receipt_views as views

app_name = "receipts"
urlpatterns = [
    path("accounts/receipts/", views.receipt_list, name="list"),
    path("accounts/receipts/<str:number>.pdf", views.receipt_pdf, name="pdf"),
    path("accounts/receipts/statements/<int:year>.pdf", views.statement_pdf, name="statement"),
    path("receipts/<str:token>/", views.signed_receipt, name="signed"),
    path("receipts/<str:token>/receipt.pdf", views.signed_receipt_pdf, name="signed_pdf"),
]
