"""Access rules for customer pages."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse


def customer_profile_required(view):
    """Signed in, with a complete profile and current consent; else sign in or finish the profile first."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.profile_is_complete:
            return redirect(f"{reverse('accounts:profile')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper
