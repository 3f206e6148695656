from django import forms
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
