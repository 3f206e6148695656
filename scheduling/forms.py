from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import time_zone_choices
from rooms.forms import SpaceForm
from rooms.models import Space

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class WhenFields(forms.Form):
    """A wall-clock time and the zone it is meant in (the viewer's, by default)."""

    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=[LOCAL_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        help_text=_("Up to 14 days ahead."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices("")[1:]

    def clean_starts_at(self):
        # The browser sends a wall-clock time; the zone field says where that wall is.
        value = self.cleaned_data["starts_at"]
        return value.replace(tzinfo=None) if value else value


class CohostsField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Co-hosts"),
            required=False,
            help_text=_("Up to 2 handles, separated by commas."),
            widget=forms.TextInput(attrs={"placeholder": _("e.g. @grace, @linus")}),
            **kwargs,
        )

    def clean(self, value):
        return [h for h in super().clean(value).split(",") if h.strip()]


class ScheduleForm(SpaceForm, WhenFields):
    cohosts = CohostsField()
    tweet_on_start = forms.BooleanField(
        label=_("Tweet the link when the Space starts"), required=False
    )
    field_order = [
        "title",
        "topics",
        "starts_at",
        "time_zone",
        "cohosts",
        "speak_policy",
        "record",
    ]

    def clean_title(self):
        return Space.clean_title(self.cleaned_data["title"])


class EditForm(WhenFields):
    title = forms.CharField(label=_("Title"))
    topics = forms.CharField(label=_("Topics"), required=False, help_text=_("Up to 3."))
    cohosts = CohostsField()
    field_order = ["title", "topics", "starts_at", "time_zone", "cohosts"]

    def clean_title(self):
        return Space.clean_title(self.cleaned_data["title"])

    def topic_list(self) -> list[str]:
        return [t for t in self.cleaned_data.get("topics", "").split(",") if t.strip()]
