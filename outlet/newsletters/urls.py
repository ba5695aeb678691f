from django.urls import path

from outlet.newsletters import views

app_name = "newsletters"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("thanks/", views.thanks, name="thanks"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
