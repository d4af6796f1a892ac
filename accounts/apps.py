from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and organisations")

    def ready(self):
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth.signals import user_logged_in

        from accounts.second_factor import remember_second_factor

        for signal in (
            user_logged_in,
            mfa_signals.authenticator_added,
            mfa_signals.authenticator_removed,
            mfa_signals.authenticator_reset,
        ):
            signal.connect(remember_second_factor, dispatch_uid=f"accounts.second_factor.{id(signal)}")
