"""What a workshop cost is not personal data: anonymising its customers keeps every figure of it."""

import pytest
from django.utils import timezone

from privacy import services
from privacy.models import AnonymisationRun
from stats import selectors as stats
from tests.factories import SandboxAccountFactory
from tests.privacy.seed import seed_programme
from workshops.models import AccountSpend
from workshops.sandbox.selectors import workshop_spend

pytestmark = pytest.mark.django_db


def test_anonymising_the_customers_keeps_the_spend_and_its_statistics():
    programme = seed_programme()
    AccountSpend.objects.create(
        sandbox_account=SandboxAccountFactory(),
        workshop=programme.past,
        day=programme.past.starts_at.date(),
        service="AWS Lambda",
        amount="12.5",
        read_at=timezone.now(),
    )
    before = (workshop_spend(programme.past).total, stats.programme_totals().cost)

    run = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)

    assert run.counts["people"] > 0
    assert AccountSpend.objects.filter(workshop=programme.past).count() == 1
    assert (workshop_spend(programme.past).total, stats.programme_totals().cost) == before
