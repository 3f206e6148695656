import zoneinfo

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import HANDLE_MAX_LENGTH


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, where the username is the @handle."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        handle = self.fields["username"]
        handle.label = _("Handle")
        handle.max_length = HANDLE_MAX_LENGTH
        handle.widget.attrs.update({"placeholder": _("e.g. ada_l"), "maxlength": HANDLE_MAX_LENGTH})
        handle.help_text = User._meta.get_field("handle").help_text


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=50, required=False)
    bio = forms.CharField(
        label=_("Bio"), max_length=160, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove the avatar"), required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Times of Spaces are shown in this zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["avatar"].help_text = _(
            "JPEG, PNG, GIF or WebP, at most %(size)s. It is cropped to a square."
        ) % {"size": filesizeformat(settings.AVATAR_MAX_BYTES)}
        self.fields["time_zone"].choices = time_zone_choices(_("Use my browser's"))


def time_zone_choices(blank_label) -> list[tuple[str, str]]:
    zones = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
    return [("", blank_label), *((zone, zone.replace("_", " ")) for zone in zones)]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
