from django import forms
from django.utils.translation import gettext_lazy as _

from recordings.models import CLIP_MAX_SECONDS


class TrimForm(forms.Form):
    trim_start = forms.FloatField(
        label=_("Start the replay at (seconds)"),
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "1", "min": "0"}),
    )


class ClipForm(forms.Form):
    """The clip cutter: where it starts on the recording and how long it lasts."""

    start = forms.FloatField(
        label=_("Start (seconds)"),
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
    )
    duration = forms.FloatField(
        label=_("Length (seconds)"),
        initial=CLIP_MAX_SECONDS,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "max": CLIP_MAX_SECONDS}),
    )
    title = forms.CharField(label=_("Caption (optional)"), max_length=100, required=False)
