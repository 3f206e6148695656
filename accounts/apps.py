from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from accounts.validators import HandleConverter


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Before any URLconf is read: accounts' and timeline's pages under /@<handle>/.
        register_converter(HandleConverter, "handle")
