from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from rooms.models import TITLE_MAX_LENGTH, Space


class SpaceForm(forms.Form):
    # Lengths and counts are checked by the service, so the page and the API agree.
    title = forms.CharField(
        label=_("Title"),
        widget=forms.TextInput(
            attrs={
                "maxlength": TITLE_MAX_LENGTH,
                "placeholder": _("What do you want to talk about?"),
            }
        ),
    )
    topics = forms.CharField(
        label=_("Topics"),
        required=False,
        help_text=_("Up to 3, separated by commas."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. music, podcasts")}),
    )
    speak_policy = forms.ChoiceField(
        label=_("Who can request to speak"),
        choices=Space.SpeakPolicy.choices,
        initial=Space.SpeakPolicy.EVERYONE,
    )
    record = forms.BooleanField(label=_("Record this Space"), required=False)
    captions = forms.BooleanField(label=_("Turn on captions"), required=False)
    # Each language in its own name (English, Italiano), as the site's language menu has it.
    captions_language = forms.ChoiceField(
        label=_("Caption language"),
        choices=[
            (code, capfirst(get_language_info(code)["name_local"]))
            for code, _n in settings.LANGUAGES
        ],
        required=False,  # left out: the host's language (the service's default)
        help_text=_("The language spoken in this Space, for its captions."),
    )

    @staticmethod
    def initial_for(user, page_language: str) -> dict:
        """The form's first caption language: the host's own, else the page's."""
        return {
            "captions_language": Space.caption_language_for(user, user.language or page_language)
        }

    def topic_list(self) -> list[str]:
        return [t for t in self.cleaned_data.get("topics", "").split(",") if t.strip()]


class PolicyForm(forms.Form):
    speak_policy = forms.ChoiceField(
        label=_("Who can request to speak"), choices=Space.SpeakPolicy.choices
    )


class HandleForm(forms.Form):
    handle = forms.CharField(label=_("Handle"), max_length=16)


class PinForm(forms.Form):
    tweet = forms.CharField(
        label=_("Tweet link or number"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. /tweets/42/")}),
    )

    def clean_tweet(self):
        value = self.cleaned_data["tweet"].strip().rstrip("/")
        tail = value.rsplit("/", 1)[-1]
        if not tail.isdigit():
            raise forms.ValidationError(_("Paste a tweet's link or its number."))
        return int(tail)
