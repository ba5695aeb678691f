"""The donation form: what a donor types, parsed into what services.DonationRequest needs.

Parsing only. Limits, the split's rules and the fee are the services' business; the view turns their
DonationError into a form error, so the donor sees one message in one place whichever layer refused."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from donations import services
from donations.models import Beneficiary, Campaign, CampaignCurrency, DonationCheckout
from outlet.common.money import AmountNotUnderstood, format_money, parse_typed_amount

CUSTOM = "custom"
SPLIT_DEFAULT, SPLIT_CUSTOM, SPLIT_ONE = "default", "custom", "one"
MAX_AMOUNT_DIGITS = 12  # far above any campaign's maximum; longer input is a typo or an attack, not a gift


class AmountError(ValueError):
    pass


def parse_amount_minor(text: str, currency: str) -> int:
    """Major units as a donor types them ("12.50", "12,50", "1,000") to integer minor units
    (outlet.common.money.parse_typed_amount), with what is wrong said in a donor's words. A donor who typed 12.345
    meant something we should ask about, not guess; a gift of nothing is no gift."""
    try:
        amount = parse_typed_amount(text, currency=currency, max_whole_digits=MAX_AMOUNT_DIGITS)
    except AmountNotUnderstood as exc:
        raise AmountError(_DONOR_WORDS[exc.reason](exc.digits)) from None
    if amount <= 0:
        raise AmountError(_("Enter an amount above zero."))
    return amount


# Called when the donor's amount is read, so each message is in the language of the request.
_DONOR_WORDS = {
    AmountNotUnderstood.EMPTY: lambda digits: _("Enter an amount."),
    AmountNotUnderstood.NEGATIVE: lambda digits: _("Enter an amount above zero."),
    AmountNotUnderstood.NOT_A_NUMBER: lambda digits: _("Enter the amount as a number, like 25 or 12.50."),
    AmountNotUnderstood.TOO_MANY_DECIMALS: (
        lambda digits: (
            (
                ngettext("Use at most %(digits)d decimal place.", "Use at most %(digits)d decimal places.", digits)
                % {"digits": digits}
            )
            if digits
            else _("Enter a whole amount.")
        )
    ),
    AmountNotUnderstood.TOO_LARGE: lambda digits: _("That amount is far too large."),
}


def share_percents(beneficiaries: list[Beneficiary]) -> dict[int, int]:
    """Each newsroom's share of the default split in whole percent, summing to 100 (the largest remainders round up)."""
    total = sum(b.share for b in beneficiaries)
    if total <= 0:
        return {b.pk: 0 for b in beneficiaries}
    parts = {b.pk: divmod(b.share * 100, total) for b in beneficiaries}  # (whole percent, remainder)
    percents = {pk: whole for pk, (whole, _) in parts.items()}
    for pk in sorted(parts, key=lambda k: parts[k][1], reverse=True)[: 100 - sum(percents.values())]:
        percents[pk] += 1
    return percents


class DonationForm(forms.Form):
    """Bound to one campaign, one currency and the campaign's active newsrooms (one weight field per newsroom)."""

    amount = forms.ChoiceField(label=gettext_lazy("Amount"), widget=forms.RadioSelect, required=False)
    custom_amount = forms.CharField(label=gettext_lazy("Other amount"), required=False, max_length=40)
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    interval = forms.ChoiceField(
        label=gettext_lazy("How often"),
        choices=DonationCheckout.Interval.choices,
        widget=forms.RadioSelect,
        initial=DonationCheckout.Interval.ONCE,
    )
    cover_fee = forms.BooleanField(label=gettext_lazy("Cover the processing fee"), required=False)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150, required=False)
    # No maxlength in the page (a browser would silently cut a pasted address); the form refuses it with a message.
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        help_text=gettext_lazy("For your receipt. Never shown to anyone."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        validators=[
            MaxLengthValidator(
                254,
                message=gettext_lazy(
                    "That email address is too long: we can keep addresses of up to "
                    "%(limit_value)d characters, and this one has %(show_value)d. Please use a shorter address."
                ),
            )
        ],
    )
    display_name = forms.CharField(
        label=gettext_lazy("Name on the donor wall"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("Leave empty to use your name."),
    )
    show_on_wall = forms.BooleanField(
        label=gettext_lazy("Show my gift on the donor wall"), required=False, initial=False
    )
    anonymous = forms.BooleanField(label=gettext_lazy("Show me as “Anonymous”"), required=False)
    message = forms.CharField(
        label=gettext_lazy("Message (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )
    split = forms.ChoiceField(
        label=gettext_lazy("How your gift is shared"),
        widget=forms.RadioSelect,
        initial=SPLIT_DEFAULT,
        choices=[
            (SPLIT_DEFAULT, gettext_lazy("Keep the campaign's split")),
            (SPLIT_CUSTOM, gettext_lazy("Choose my own split")),
            (SPLIT_ONE, gettext_lazy("Give it all to one newsroom")),
        ],
    )
    one_newsroom = forms.TypedChoiceField(
        label=gettext_lazy("Which newsroom"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self, *args, campaign: Campaign, option: CampaignCurrency, beneficiaries: list[Beneficiary], user=None, **kwargs
    ):
        self.campaign, self.option, self.beneficiaries = campaign, option, beneficiaries
        self.percents = share_percents(beneficiaries)
        initial = kwargs.setdefault("initial", {})
        presets = [int(p) for p in option.preset_amounts_minor if isinstance(p, int) and p > 0]
        initial.setdefault("currency", option.currency)
        initial.setdefault("amount", str(presets[len(presets) // 2]) if presets else CUSTOM)
        for b in beneficiaries:
            initial.setdefault(f"weight_{b.pk}", self.percents[b.pk])
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["amount"]).choices = [
            (str(p), format_money(p, option.currency)) for p in presets
        ] + [(CUSTOM, _("Other amount"))]
        # Translators: the smallest and largest gift, e.g. "Between GEL 5 and GEL 5,000."
        self.fields["custom_amount"].help_text = _("Between %(minimum)s and %(maximum)s.") % {
            "minimum": format_money(option.min_amount_minor, option.currency),
            "maximum": format_money(option.max_amount_minor, option.currency),
        }
        if not campaign.allow_monthly:
            cast(forms.ChoiceField, self.fields["interval"]).choices = [
                (DonationCheckout.Interval.ONCE, DonationCheckout.Interval.ONCE.label)
            ]
        cast(forms.ChoiceField, self.fields["one_newsroom"]).choices = [("", _("Choose a newsroom"))] + [
            (b.pk, b.name) for b in beneficiaries
        ]
        for b in beneficiaries:
            self.fields[f"weight_{b.pk}"] = forms.IntegerField(
                label=b.name,
                min_value=0,
                max_value=100,
                required=False,
                error_messages={
                    "min_value": _("Use a number from 0 to 100."),
                    "max_value": _("Use a number from 0 to 100."),
                    "invalid": _("Use a whole number from 0 to 100."),
                },
            )
        if user is not None and user.is_authenticated:
            # The gift belongs to the signed-in account: its address is the one on the receipt, and not editable.
            self.fields["email"].disabled = True
            self.fields["email"].initial = user.email
            self.fields["email"].help_text = _(
                "Your account's address: the receipt goes here and the gift shows in your account."
            )
            self.fields["name"].initial = user.get_full_name()

    # --- What the template needs --------------------------------------------------------------------------
    # The template writes its inputs itself from these: Django's widget templates cost most of the page's render
    # time (a template per radio button), and this is the busiest page a fundraiser has.

    def _options(self, name: str) -> list[dict]:
        bound = self[name]
        current = "" if bound.value() is None else str(bound.value())
        return [
            {"value": str(value), "label": label, "checked": str(value) == current, "id": f"{bound.auto_id}_{index}"}
            # The stubs give `choices` its setter's type; read back it is the normalised list of (value, label).
            for index, (value, label) in enumerate(cast(forms.ChoiceField, self.fields[name]).choices)  # type: ignore[arg-type]
        ]

    @property
    def amount_options(self) -> list[dict]:
        return self._options("amount")

    @property
    def interval_options(self) -> list[dict]:
        return self._options("interval")

    @property
    def split_options(self) -> list[dict]:
        return self._options("split")

    @property
    def newsroom_options(self) -> list[dict]:
        return self._options("one_newsroom")

    @property
    def weight_fields(self):
        return [(b, self[f"weight_{b.pk}"], self.percents[b.pk]) for b in self.beneficiaries]

    @property
    def fee_estimate(self) -> tuple[int, int] | None:
        """(gift, fee to cover it) for the amount chosen so far, for the label; donate.js updates it as the donor
        picks another amount, and the server works it out again when the gift starts."""
        if self.is_bound:
            gift = getattr(self, "cleaned_data", {}).get("gift_minor")
        else:
            choice = self.initial.get("amount")
            gift = int(choice) if choice and choice != CUSTOM else None
        if not gift:
            return None
        return gift, services.fee_to_cover_minor(gift_minor=gift, currency=self.option.currency)

    @property
    def fee_rule(self) -> str:
        fixed = settings.DONATION_FEE_FIXED_MINOR.get(self.option.currency, 0)
        percent = f"{Decimal(settings.DONATION_FEE_BASIS_POINTS).scaleb(-2).normalize():f}%"
        return f"{percent} + {format_money(fixed, self.option.currency)}" if fixed else percent

    # --- Cleaning ---------------------------------------------------------------------------------------------

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").upper()
        if value != self.option.currency:
            raise forms.ValidationError(
                _("The currency changed while you were giving; check the amount and try again.")
            )
        return value

    def clean(self):
        data = super().clean()
        choice = data.get("amount")
        if (data.get("custom_amount") or "").strip():
            choice = data["amount"] = CUSTOM  # a typed amount wins over a preset left selected (no JS to untick it)
        if not choice:
            self.add_error("amount", _("Choose an amount."))
        elif choice == CUSTOM:
            try:
                data["gift_minor"] = parse_amount_minor(data.get("custom_amount", ""), self.option.currency)
            except AmountError as exc:
                self.add_error("custom_amount", str(exc))
        elif choice:
            data["gift_minor"] = int(choice)
        data["weights"] = self._weights(data)
        return data

    def _weights(self, data) -> dict[str, int]:
        split = data.get("split")
        if split == SPLIT_CUSTOM:
            weights = {str(b.pk): data.get(f"weight_{b.pk}") or 0 for b in self.beneficiaries}
            if not any(weights.values()):
                self.add_error(
                    "split", _("Give at least one newsroom a part of your gift, or keep the campaign's split.")
                )
            return weights
        if split == SPLIT_ONE:
            newsroom = data.get("one_newsroom")
            if newsroom is None:
                self.add_error("one_newsroom", _("Choose the newsroom to give to."))
                return {}
            return {str(newsroom): 1}
        return {}

    def donation_request(self, *, user_id: int | None) -> services.DonationRequest:
        data = self.cleaned_data
        return services.DonationRequest(
            campaign=self.campaign,
            email=data["email"],
            currency=self.option.currency,
            gift_minor=data["gift_minor"],
            interval=data["interval"],
            cover_fee=data["cover_fee"],
            name=data["name"],
            display_name=data["display_name"],
            show_on_wall=data["show_on_wall"],
            anonymous=data["anonymous"],
            message=data["message"],
            weights=data["weights"],
            user_id=user_id,
        )


class ChangeMonthlyAmountForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("New monthly amount"), max_length=40)

    def __init__(self, *args, currency: str, **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def clean_amount(self) -> int:
        try:
            return parse_amount_minor(self.cleaned_data["amount"], self.currency)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None
