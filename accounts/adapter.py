"""allauth's hooks: password sign-in is for staff only, and nobody signs up with a password."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Customers sign up by magic link (accounts.views); staff are created by an SA.
        return False
