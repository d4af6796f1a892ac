"""allauth's hooks: password sign-in is for staff only, and nobody signs up with a password."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Customers sign up by magic link (accounts.views); staff are created by an SA.
        return False

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        # Customers sign in by magic link only: a reset link would hand them a password. The page
        # answers the same either way, so it tells nobody whether the address is a customer's.
        if user.is_staff:
            super().send_password_reset_mail(user, email, context)

    def pre_login(self, request, user, **kwargs):
        # allauth signs people in only by password (customers' magic links log in through Django
        # directly), and that is for staff: a customer who somehow holds a password is turned away.
        if not user.is_staff:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request, user, **kwargs):
        from accounts import roles
        from accounts.second_factor import has_second_factor

        # Required of SAs (the middleware sees to that), offered to AMs once per sign-in until they take it.
        if roles.is_account_manager(user) and not user.is_superuser and not has_second_factor(user):
            messages.info(
                request,
                _("Protect your account with a second factor: an authenticator app or a security key, at %(url)s.")
                % {"url": reverse("mfa_index")},
            )
        return super().post_login(request, user, **kwargs)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's own emails (password reset, security notices) go through the outbox too."""
        from notifications.models import EmailKind
        from notifications.services import email_enqueue

        request = context.get("request")
        message = self.render_mail(template_prefix, email, {"email": email, "request": request, **context})
        html = next((body for body, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
        email_enqueue(
            # Each is a new message (a reset link is single-use): a fresh key every time.
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4()}",
            kind=EmailKind.ACCOUNT_MESSAGE,
            to=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
        )
