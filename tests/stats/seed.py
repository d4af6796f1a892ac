"""A small programme whose statistics are worked out by hand, and a bulk one for query counts."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import CustomerOrganisation, User
from tests.factories import (
    AccountManagerFactory,
    CustomerFactory,
    CustomerOrganisationFactory,
    SandboxAccountFactory,
    TopicFactory,
    workshop_in,
)
from workshops.models import (
    Credential,
    Registration,
    RegistrationStatus,
    SandboxAccountState,
    Stage,
    SurveyAnswer,
    Workshop,
)

CONFIRMED, WAITLISTED, CANCELLED = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.CANCELLED,
)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def register(workshop, organisation, account_manager, status=CONFIRMED, attended=None) -> Registration:
    attendee = CustomerFactory(organisation=organisation)
    now = timezone.now()
    return Registration.objects.create(
        workshop=workshop,
        attendee=attendee,
        organisation=organisation,
        account_manager=account_manager,
        status=status,
        queued_at=now,
        confirmed_at=now if status == CONFIRMED else None,
        attended=attended,
    )


def answer(registration, satisfaction, would_recommend, comment="Useful day, thanks — Ana from Acme"):
    return SurveyAnswer.objects.create(
        registration=registration,
        workshop=registration.workshop,
        satisfaction=satisfaction,
        would_recommend=would_recommend,
        comment=comment,
    )


def credential(registration, account):
    return Credential.objects.create(
        registration=registration, sandbox_account=account, iam_user_name=f"cpp-u-{registration.pk}"
    )


def programme() -> SimpleNamespace:
    """Three delivered workshops in March and April 2026, one cancelled, one open, one draft.

    Worked out by hand:
    - totals: 3 workshops, 5 attendees (r1, r2, r6, r7, r8), 3 customers (A, B, C),
      3 answers from attendees (5, 5, 3: 4.33; 2 would recommend); r3's answer is a no-show's;
    - March: 2 workshops, 4 attendees, 3 customers, 3 answers, 4.33; April: 1, 1, 1, 0, none;
    - Data: 1 workshop, 2 attendees, 2 customers, 1 answer, 3.00; Serverless: 2, 3, 1, 2, 5.00;
    - Ana: invited 4, registered 4, attended 2, no-shows 0; Bruno: 4, 3, 1, 1 (rate 0.5);
      nobody's: 1, 0, 0, 0;
    - pool of 4 (a fifth account retired): W3 used 0, W2 1 (teams of 2), W1 2.
    """
    serverless, data = TopicFactory(name="Serverless"), TopicFactory(name="Data")
    ana = AccountManagerFactory(first_name="Ana", last_name="Alves")
    bruno = AccountManagerFactory(first_name="Bruno", last_name="Bravo")
    acme = CustomerOrganisationFactory(name="Acme", account_manager=ana)
    bolt = CustomerOrganisationFactory(name="Bolt")
    cogs = CustomerOrganisationFactory(name="Cogs")

    w1 = workshop_in(Stage.CLOSED, title="Serverless March", topic=serverless, starts_at=at(2026, 3, 10), capacity=20)
    w2 = workshop_in(
        Stage.ANONYMISED,
        title="Data March",
        topic=data,
        starts_at=at(2026, 3, 20),
        capacity=10,
        attendees_per_account=2,
    )
    w3 = workshop_in(Stage.RUNNING, title="Serverless April", topic=serverless, starts_at=at(2026, 4, 5), capacity=3)
    w4 = workshop_in(Stage.CANCELLED, title="Data April", topic=data, starts_at=at(2026, 4, 15))
    w5 = workshop_in(
        Stage.REGISTRATION_OPEN,
        title="Serverless Later",
        topic=serverless,
        starts_at=timezone.now().replace(microsecond=0) + timedelta(days=30),
    )
    w6 = workshop_in(Stage.DRAFT, title="Draft", topic=data)
    for workshop in (w1, w2, w3, w4, w5):
        workshop.account_managers.set([ana, bruno])

    r1 = register(w1, acme, ana, attended=True)
    r2 = register(w1, acme, ana, attended=None)
    r3 = register(w1, bolt, bruno, attended=False)
    r4 = register(w1, cogs, None, status=WAITLISTED)
    r5 = register(w1, bolt, bruno, status=CANCELLED)
    r6 = register(w2, bolt, bruno, attended=True)
    r7 = register(w2, cogs, ana, attended=True)
    r8 = register(w3, acme, ana, attended=None)
    r9 = register(w4, acme, ana)
    r10 = register(w5, cogs, bruno)
    answer(r1, 5, True)
    answer(r2, 5, True)
    answer(r3, 1, False)  # marked a no-show afterwards: not an attendee's answer
    answer(r6, 3, False)

    accounts = [SandboxAccountFactory() for _n in range(5)]
    type(accounts[4]).objects.filter(pk=accounts[4].pk).update(state=SandboxAccountState.RETIRED)
    credential(r1, accounts[0])
    credential(r2, accounts[1])
    credential(r6, accounts[0])
    credential(r7, accounts[0])
    return SimpleNamespace(**{k: v for k, v in locals().items() if not k.startswith("_")})


def anonymise_customers() -> None:
    """What GDPR anonymisation does to customers: names, emails and free text gone; the rest kept."""
    for user in User.objects.filter(is_staff=False):
        User.objects.filter(pk=user.pk).update(
            first_name="Anonymised", last_name="", email=f"anonymised-{user.pk}@invalid", phone="", is_active=False
        )
    SurveyAnswer.objects.update(comment="")
    Workshop.objects.filter(stage=Stage.CLOSED).update(stage=Stage.ANONYMISED)


def bulk_programme(rows: int, *, account_manager=None) -> None:
    """`rows` registrations (with answers and credentials) over rows/5 closed workshops, two topics,
    several months and organisations, for query counts."""
    topics = [TopicFactory(name="Serverless"), TopicFactory(name="Data")]
    account_manager = account_manager or AccountManagerFactory()
    start = len(Workshop.objects.all())
    organisations = CustomerOrganisation.objects.bulk_create(
        CustomerOrganisation(name=f"Bulk {start}-{n}", normalised_name=f"bulk {start}-{n}", account_manager=None)
        for n in range(max(1, rows // 3))
    )
    people = User.objects.bulk_create(
        User(
            email=f"bulk{start}-{n}@example.com",
            password="!",
            first_name="B",
            organisation=organisations[n % len(organisations)],
        )
        for n in range(rows)
    )
    workshops = [
        workshop_in(Stage.CLOSED, topic=topics[n % 2], starts_at=at(2026, 1 + n % 12, 10), title=f"Bulk {start}-{n}")
        for n in range(max(1, rows // 5))
    ]
    for workshop in workshops:
        workshop.account_managers.add(account_manager)
    now = timezone.now()
    registrations = Registration.objects.bulk_create(
        Registration(
            workshop=workshops[n % len(workshops)],
            attendee=person,
            organisation=person.organisation,
            account_manager=account_manager if n % 2 else None,
            status=CONFIRMED,
            queued_at=now,
            attended=(True, False, None)[n % 3],
        )
        for n, person in enumerate(people)
    )
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(registration=r, workshop_id=r.workshop_id, satisfaction=1 + n % 5, would_recommend=bool(n % 2))
        for n, r in enumerate(registrations)
    )
    account = SandboxAccountFactory()
    Credential.objects.bulk_create(
        Credential(registration=r, sandbox_account=account, iam_user_name=f"cpp-u-{r.pk}") for r in registrations
    )
