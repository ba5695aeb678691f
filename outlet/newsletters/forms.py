from django import forms
from django.utils.translation import gettext_lazy as _

from outlet.newsletters.models import Newsletter


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)
    newsletter = forms.ModelChoiceField(
        queryset=Newsletter.objects.filter(
            active=True, category=Newsletter.Category.NEWSLETTER, audience=Newsletter.Audience.ANYONE
        ),
        to_field_name="slug",
        label=_("Newsletter"),
        error_messages={"invalid_choice": _("That newsletter is not available any more.")},
    )
    # Left empty by people; filled by bots that fill every field. A filled one is thanked and ignored.
    website = forms.CharField(required=False, label="", widget=forms.TextInput(attrs={"tabindex": "-1"}))
