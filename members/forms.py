from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Tier, TierPrice


class JoinForm(forms.Form):
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.filter(is_active=True),
        to_field_name="slug",
        error_messages={"invalid_choice": gettext_lazy("That tier is not open for joining. Choose another.")},
    )
    interval = forms.ChoiceField(choices=TierPrice.Interval.choices)
    currency = forms.CharField(max_length=3)

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class ChangePlanForm(forms.Form):
    """One radio group on the account page: "<tier slug>|<interval>"."""

    tier_interval = forms.CharField(
        max_length=100, error_messages={"required": gettext_lazy("Choose a tier and a billing interval.")}
    )

    def clean(self):
        slug, _sep, interval = self.cleaned_data.get("tier_interval", "").partition("|")
        tier = Tier.objects.filter(is_active=True, slug=slug).first()
        if tier is None or interval not in TierPrice.Interval.values:
            raise forms.ValidationError(_("Choose a tier and a billing interval."))
        self.cleaned_data |= {"tier": tier, "interval": interval}
        return self.cleaned_data


class OfferFilter(forms.Form):
    """The membership page's query string: ?currency=USD&interval=year (bad values fall back, never error)."""

    currency = forms.CharField(required=False, max_length=3)
    interval = forms.ChoiceField(required=False, choices=TierPrice.Interval.choices)

    def choice(self, currencies: list[str]) -> tuple[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        currency = (data.get("currency") or "").upper()
        if currency not in currencies:
            currency = currencies[0] if currencies else settings.MEMBERSHIP_CURRENCIES[0]
        return currency, data.get("interval") or "month"


class SignupForm(forms.Form):
    """allauth's sign-up with a name (optional): emails greet a reader by the name they gave, never by the first
    half of their email address. allauth adds email and passwords (ACCOUNT_SIGNUP_FORM_CLASS)."""

    field_order = ["name", "email", "password1", "password2"]
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=150,
        required=False,
        strip=True,
        help_text=gettext_lazy("How we greet you in emails; it is never shown on the site."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user) -> None:
        name = self.cleaned_data.get("name", "")
        if name:
            user.first_name = name[:150]
            user.save(update_fields=["first_name"])
