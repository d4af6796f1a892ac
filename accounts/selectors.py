"""Reads of people and customer organisations that pages and the admin share."""

from django.db.models import Count, QuerySet

from accounts import roles
from accounts.models import CustomerOrganisation, User


def organisations_visible_to(user: User) -> QuerySet[CustomerOrganisation]:
    """SAs see every organisation; AMs the ones they manage; anyone else none."""
    organisations = CustomerOrganisation.objects.select_related("account_manager").annotate(
        member_count=Count("members")
    )
    if roles.is_solutions_architect(user):
        return organisations
    if roles.is_account_manager(user):
        return organisations.filter(account_manager=user)
    return organisations.none()


def customers_visible_to(user: User) -> QuerySet[User]:
    """SAs see every customer; AMs the members of the organisations they manage; anyone else none."""
    customers = User.objects.filter(is_staff=False).select_related("organisation")
    if roles.is_solutions_architect(user):
        return customers
    if roles.is_account_manager(user):
        return customers.filter(organisation__account_manager=user)
    return customers.none()


def people_visible_to(user: User) -> QuerySet[User]:
    """Everyone, staff included, for SAs; an AM's own customers for AMs."""
    if roles.is_solutions_architect(user):
        return User.objects.select_related("organisation")
    return customers_visible_to(user)
