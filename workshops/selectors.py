"""Reads of workshops that pages and the admin share."""

from django.db.models import Count, QuerySet

from accounts import roles
from accounts.models import User
from workshops.models import Stage, Workshop


def workshops_visible_to(user: User) -> QuerySet[Workshop]:
    """SAs see every workshop; AMs every published one; anyone else none."""
    workshops = Workshop.objects.select_related("topic").annotate(reserved_accounts=Count("sandbox_accounts"))
    if roles.is_solutions_architect(user):
        return workshops
    if roles.is_account_manager(user):
        return workshops.exclude(stage=Stage.DRAFT)
    return workshops.none()
