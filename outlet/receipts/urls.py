"""Receipt downloads: from the account page, or from a signed link in the email (guests). (The year-end statements
linked from the same page are donations': donations/urls.py.)"""

from django.urls import path

from outlet.receipts import views

app_name = "receipts"
urlpatterns = [
    path("accounts/receipts/", views.receipt_list, name="list"),
    path("accounts/receipts/<str:number>.pdf", views.receipt_pdf, name="pdf"),
    path("receipts/<str:token>/", views.signed_receipt, name="signed"),
    path("receipts/<str:token>/receipt.pdf", views.signed_receipt_pdf, name="signed_pdf"),
]
