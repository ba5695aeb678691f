"""Donor-facing pages: campaigns, the donation form, thank-you pages, monthly gifts."""

from django.urls import path

from donations import statement_views, views

app_name = "donations"
urlpatterns = [
    path("fundraisers/", views.index, name="index"),
    path("fundraisers/thanks/<uuid:reference>/", views.thanks, name="thanks"),
    path("fundraisers/<slug:slug>/", views.campaign, name="campaign"),
    path("fundraisers/<slug:slug>/give/", views.give, name="give"),
    path("accounts/gifts/", views.gifts, name="gifts"),
    # Linked from the account's receipts page (outlet.receipts), where the address has always been.
    path("accounts/receipts/statements/<int:year>.pdf", statement_views.statement_pdf_view, name="statement"),
    path("accounts/gifts/<int:gift_id>/amount/", views.gift_amount, name="gift_amount"),
    path("accounts/gifts/<int:gift_id>/cancel/", views.gift_renewal, {"renew": False}, name="gift_cancel"),
    path("accounts/gifts/<int:gift_id>/resume/", views.gift_renewal, {"renew": True}, name="gift_resume"),
    path("accounts/gifts/<int:gift_id>/card/", views.gift_card, name="gift_card"),
    path("fundraisers/gifts/<str:token>/", views.gift_link, name="gift_link"),
    path("fundraisers/gifts/<str:token>/amount/", views.gift_link_amount, name="gift_link_amount"),
    path("fundraisers/gifts/<str:token>/cancel/", views.gift_link_renewal, {"renew": False}, name="gift_link_cancel"),
    path("fundraisers/gifts/<str:token>/resume/", views.gift_link_renewal, {"renew": True}, name="gift_link_resume"),
    path("fundraisers/gifts/<str:token>/card/", views.gift_link_card, name="gift_link_card"),
    path("fundraisers/gifts/<str:token>/new-link/", views.gift_link_renew, name="gift_link_renew"),
]
