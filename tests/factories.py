"""factory_boy factories for the domain, shared by every test folder."""

import time
from datetime import timedelta

import factory
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.models import CustomerOrganisation, User
from accounts.second_factor import has_second_factor, second_factor_required, totp_authenticator_set
from workshops.models import Registration, RegistrationStatus, SandboxAccount, Stage, Topic, Workshop
from workshops.sandbox import sizes

# Every factory-made staff member's authenticator app has this secret: `totp_code()` is what it shows now.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = STAFF_TOTP_SECRET, *, at: float | None = None) -> str:
    """The code an authenticator app with `secret` shows at `at` (now by default)."""
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret, counter))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    # Like real customers: no usable password (staff factories set one).
    password = "!"
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            _join(self, create, extracted)

    @factory.post_generation
    def second_factor(self, create, extracted, **kwargs):
        # Like real SAs and superusers, who reach nothing without one; `second_factor=False` for
        # one who has not set it up yet, `True` to give it to anyone (an AM who took the offer).
        if create:
            self._factory_second_factor = extracted
            _give_second_factor(self)


class StaffFactory(UserFactory):
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted)


def _join(user, create, group_name):
    if create:
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
            user.__dict__.pop("_cpp_group_names", None)  # roles caches the groups it saw before
        user.save()
        _give_second_factor(user)


def _give_second_factor(user):
    # factory_boy runs a subclass's `role` after the base's `second_factor`: whichever of the two
    # comes last decides, once the role is known.
    if not hasattr(user, "_factory_second_factor"):
        return
    wanted = user._factory_second_factor
    if (wanted or (wanted is None and second_factor_required(user))) and not has_second_factor(user):
        totp_authenticator_set(user=user, secret=STAFF_TOTP_SECRET)


class SolutionsArchitectFactory(StaffFactory):
    email = factory.Sequence(lambda n: f"sa{n}@cpp.example.com")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted or roles.SOLUTIONS_ARCHITECTS)


class AccountManagerFactory(StaffFactory):
    email = factory.Sequence(lambda n: f"am{n}@cpp.example.com")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted or roles.ACCOUNT_MANAGERS)


class CustomerOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerOrganisation

    name = factory.Sequence(lambda n: f"Customer Company {n}")
    country = "ES"


class CustomerFactory(UserFactory):
    organisation = factory.SubFactory(CustomerOrganisationFactory)


class SignedUpCustomerFactory(CustomerFactory):
    """A customer who has signed in before: profile complete, current privacy notice accepted."""

    privacy_consent_version = factory.LazyFunction(lambda: settings.CPP_PRIVACY_NOTICE_VERSION)
    privacy_consent_at = factory.LazyFunction(timezone.now)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("name",)

    name = "Serverless"


class WorkshopFactory(factory.django.DjangoModelFactory):
    """A draft workshop two weeks ahead; pass `stage=` only through the services in real code."""

    class Meta:
        model = Workshop
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Serverless Immersion Day {n}")
    topic = factory.SubFactory(TopicFactory)
    agenda = "09:30 Welcome\n10:00 Lambda deep dive\n13:00 Lunch\n14:00 Labs"
    venue = "Paseo de la Castellana 1, Madrid"
    time_zone = "Europe/Madrid"
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=7))
    registration_deadline = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=2))
    capacity = 20
    aws_regions = factory.LazyFunction(lambda: ["eu-west-1"])
    attendee_policy_arns = factory.LazyFunction(lambda: ["arn:aws:iam::aws:policy/PowerUserAccess"])

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if create and extracted:
            self.owners.set(extracted)

    @factory.post_generation
    def account_managers(self, create, extracted, **kwargs):
        if create and extracted:
            self.account_managers.set(extracted)


class SandboxAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SandboxAccount

    aws_account_id = factory.Sequence(lambda n: f"{100000000000 + n}")
    name = factory.Sequence(lambda n: f"cpp-sandbox-{n:03d}")
    email = factory.Sequence(lambda n: f"aws+sandbox{n}@cpp.example.com")


def workshop_in(stage: str, **kwargs) -> Workshop:
    """A workshop put straight into `stage`: tests set the scene; real code moves only through services."""
    workshop = WorkshopFactory(**kwargs)
    Workshop.objects.filter(pk=workshop.pk).update(stage=stage)
    workshop.refresh_from_db()
    return workshop


def open_workshop(**kwargs) -> Workshop:
    return workshop_in(Stage.REGISTRATION_OPEN, **kwargs)


def registration_in(workshop: Workshop, *, attendee=None, status=RegistrationStatus.CONFIRMED, attended=None):
    """A registration put straight in place (real code registers through workshops.registrations)."""
    attendee = attendee or SignedUpCustomerFactory()
    now = timezone.now()
    return Registration.objects.create(
        workshop=workshop,
        attendee=attendee,
        organisation=attendee.organisation,
        status=status,
        queued_at=now,
        confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
        attended=attended,
    )


# A workshop form's size fields as a browser submits them: the defaults it shows, one per line.
SIZES_AS_SHOWN = {
    "ec2_instance_types": "\n".join(sizes.DEFAULT_EC2_INSTANCE_TYPES),
    "rds_instance_classes": "\n".join(sizes.DEFAULT_RDS_INSTANCE_CLASSES),
    "sagemaker_instance_types": "\n".join(sizes.DEFAULT_SAGEMAKER_INSTANCE_TYPES),
}
