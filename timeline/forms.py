from django import forms
from django.utils.translation import gettext_lazy as _

from timeline.models import TWEET_MAX_LENGTH


class TweetForm(forms.Form):
    # The service trims and checks the length; the widget only helps the person typing.
    text = forms.CharField(
        label=_("What is happening?"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": TWEET_MAX_LENGTH, "placeholder": _("What is happening?")}
        ),
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)
