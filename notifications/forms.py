from django import forms
from django.utils.translation import gettext_lazy as _


class NotificationSettingsForm(forms.Form):
    in_app = forms.BooleanField(label=_("In the app: the bell and live alerts"), required=False)
    email = forms.BooleanField(label=_("By email"), required=False)
    push = forms.BooleanField(
        label=_("By push notification, on the browsers where you turn it on"), required=False
    )
