"""Staff roles: Django groups created by a data migration, and the checks views and admin use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

SOLUTIONS_ARCHITECTS = "Solutions Architects"
ACCOUNT_MANAGERS = "Account Managers"


def is_solutions_architect(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or _in_group(user, SOLUTIONS_ARCHITECTS)))


def is_account_manager(user: User) -> bool:
    return bool(user.is_active and _in_group(user, ACCOUNT_MANAGERS))


def _in_group(user: User, name: str) -> bool:
    # Cached on the instance: the admin asks several times per request.
    cache = getattr(user, "_cpp_group_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True)) if user.pk else set()
        user._cpp_group_names = cache
    return name in cache
