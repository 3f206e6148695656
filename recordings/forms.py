from django import forms
from django.utils.translation import gettext_lazy as _


class TrimForm(forms.Form):
    trim_start = forms.FloatField(
        label=_("Start the replay at (seconds)"),
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "1", "min": "0"}),
    )
