"""manage.py seed_demo: a portal full of believable demo data, and staff logins to explore it.

Demo staff get fixed, printed passwords and authenticator-app (TOTP) secrets for their second
factor, which is why the command refuses to run unless DEBUG is on (or --force). Everything is
keyed on emails, organisation names and workshop titles, so a second run creates nothing and
prints the same logins. Workshops reach their stages only through the stage services, as in real
use; past workshops are moved while their dates are still ahead and then dated back, because
publishing needs a registration deadline in the future. Customers register, are checked in and
answer the survey on the way (_demo_attendance), through the same services as the pages.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import astuple, dataclass, field
from datetime import date, datetime, time, timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import roles
from accounts.models import CustomerOrganisation, User, normalise_organisation_name
from accounts.second_factor import totp_authenticator_set
from workshops import services
from workshops.management.commands import _demo_attendance as demo_attendance
from workshops.models import Stage, Topic, Workshop
from workshops.sandbox import sizes


@dataclass(frozen=True)
class Staff:
    label: str
    email: str
    password: str
    first_name: str
    last_name: str
    group: str | None
    country: str = ""
    language: str = "en"


STAFF = [
    Staff("Superuser", "admin@cpp.example.com", "demo-admin-password", "Ada", "Admin", None),
    Staff("Solutions Architect", "sa1@cpp.example.com", "demo-sa-1-password",
          "Lucía", "Martín", roles.SOLUTIONS_ARCHITECTS, "ES", "es"),
    Staff("Solutions Architect", "sa2@cpp.example.com", "demo-sa-2-password",
          "João", "Ferreira", roles.SOLUTIONS_ARCHITECTS, "PT", "pt"),
    Staff("Account Manager", "am1@cpp.example.com", "demo-am-1-password",
          "Carmen", "Ruiz", roles.ACCOUNT_MANAGERS, "ES", "es"),
    Staff("Account Manager", "am2@cpp.example.com", "demo-am-2-password",
          "Inês", "Costa", roles.ACCOUNT_MANAGERS, "PT", "pt"),
    Staff("Account Manager", "am3@cpp.example.com", "demo-am-3-password",
          "Giulia", "Bianchi", roles.ACCOUNT_MANAGERS, "IT", "it"),
]  # fmt: skip

# Each demo login's authenticator app (TOTP): fixed base32 secrets, printed and public like the
# passwords, so a developer can add them to an app or compute the code (TOTP_CODE_ONE_LINER).
DEMO_TOTP_SECRETS = {
    "admin@cpp.example.com": "CPPDEMOADMINTOTPSECRETISPUBLIC22",
    "sa1@cpp.example.com": "CPPDEMOSAONETOTPSECRETISPUBLIC22",
    "sa2@cpp.example.com": "CPPDEMOSATWOTOTPSECRETISPUBLIC22",
    "am1@cpp.example.com": "CPPDEMOAMONETOTPSECRETISPUBLIC22",
    "am2@cpp.example.com": "CPPDEMOAMTWOTOTPSECRETISPUBLIC22",
    "am3@cpp.example.com": "CPPDEMOAMTHREETOTPSECRETISPUBLIC",
}
# The code an authenticator app with the secret shows now (RFC 6238: SHA-1, 6 digits, 30 s), with
# nothing but Python's standard library.
TOTP_CODE_ONE_LINER = (
    'python3 -c "import base64,hmac,struct,sys,time; '
    "d=hmac.digest(base64.b32decode(sys.argv[1]),struct.pack('>Q',int(time.time())//30),'sha1'); "
    "o=d[-1]&15; print('%06d' % ((int.from_bytes(d[o:o+4],'big')&0x7fffffff) % 10**6))\" SECRET"
)

# (name, country, the email of its account manager)
ORGANISATIONS = [
    ("Conservas del Cantábrico S.A.", "ES", "am1@cpp.example.com"),
    ("Banco Meseta", "ES", "am1@cpp.example.com"),
    ("Tejidos Alcalá S.L.", "ES", "am1@cpp.example.com"),
    ("Vinhos do Douro Lda.", "PT", "am2@cpp.example.com"),
    ("Transportes Atlântico S.A.", "PT", "am2@cpp.example.com"),
    ("Ferrovie Dolomiti S.p.A.", "IT", "am3@cpp.example.com"),
    ("Pasticceria Navigli S.r.l.", "IT", "am3@cpp.example.com"),
]

# (first name, last name, email, job title, phone, organisation)
CUSTOMERS = [
    ("Ana", "García", "ana.garcia@conservas-cantabrico.example.com", "Head of IT", "+34 942 000 101",
     "Conservas del Cantábrico S.A."),
    ("Pablo", "López", "pablo.lopez@conservas-cantabrico.example.com", "Developer", "+34 942 000 102",
     "Conservas del Cantábrico S.A."),
    ("Marta", "Sánchez", "marta.sanchez@bancomeseta.example.com", "Cloud Architect", "+34 910 000 201",
     "Banco Meseta"),
    ("Javier", "Moreno", "javier.moreno@bancomeseta.example.com", "Platform Engineer", "+34 910 000 202",
     "Banco Meseta"),
    ("Elena", "Navarro", "elena.navarro@bancomeseta.example.com", "Security Officer", "+34 910 000 203",
     "Banco Meseta"),
    ("Sergio", "Romero", "sergio.romero@tejidos-alcala.example.com", "CTO", "+34 918 000 301",
     "Tejidos Alcalá S.L."),
    ("Lucía", "Torres", "lucia.torres@tejidos-alcala.example.com", "Data Analyst", "+34 918 000 302",
     "Tejidos Alcalá S.L."),
    ("Tiago", "Oliveira", "tiago.oliveira@vinhosdodouro.example.com", "IT Manager", "+351 222 000 401",
     "Vinhos do Douro Lda."),
    ("Beatriz", "Santos", "beatriz.santos@vinhosdodouro.example.com", "Developer", "+351 222 000 402",
     "Vinhos do Douro Lda."),
    ("Rui", "Pereira", "rui.pereira@transportes-atlantico.example.com", "DevOps Engineer", "+351 213 000 501",
     "Transportes Atlântico S.A."),
    ("Mariana", "Rodrigues", "mariana.rodrigues@transportes-atlantico.example.com", "Data Engineer",
     "+351 213 000 502", "Transportes Atlântico S.A."),
    ("Duarte", "Almeida", "duarte.almeida@transportes-atlantico.example.com", "Solutions Lead", "+351 213 000 503",
     "Transportes Atlântico S.A."),
    ("Luca", "Ferrari", "luca.ferrari@ferrovie-dolomiti.example.com", "Head of Infrastructure", "+39 0471 000 601",
     "Ferrovie Dolomiti S.p.A."),
    ("Chiara", "Esposito", "chiara.esposito@ferrovie-dolomiti.example.com", "Developer", "+39 0471 000 602",
     "Ferrovie Dolomiti S.p.A."),
    ("Matteo", "Romano", "matteo.romano@ferrovie-dolomiti.example.com", "Cloud Engineer", "+39 0471 000 603",
     "Ferrovie Dolomiti S.p.A."),
    ("Francesca", "Colombo", "francesca.colombo@ferrovie-dolomiti.example.com", "Security Analyst",
     "+39 0471 000 604", "Ferrovie Dolomiti S.p.A."),
    ("Alessandro", "Ricci", "alessandro.ricci@pasticceria-navigli.example.com", "Owner", "+39 02 000 701",
     "Pasticceria Navigli S.r.l."),
    ("Sofia", "Marino", "sofia.marino@pasticceria-navigli.example.com", "E-commerce Manager", "+39 02 000 702",
     "Pasticceria Navigli S.r.l."),
    ("Carlos", "Ruiz", "carlos.ruiz@conservas-cantabrico.example.com", "Operations Manager", "+34 942 000 103",
     "Conservas del Cantábrico S.A."),
    ("Inês", "Martins", "ines.martins@vinhosdodouro.example.com", "Analytics Lead", "+351 222 000 403",
     "Vinhos do Douro Lda."),
]  # fmt: skip

LANGUAGE_OF_COUNTRY = {"ES": "es", "PT": "pt", "IT": "it"}

AGENDAS = {
    "Serverless": "09:30 Welcome and coffee\n10:00 AWS Lambda and event-driven design\n"
    "11:00 Lab: an API with API Gateway and Lambda\n13:00 Lunch\n14:00 Lab: Step Functions workflows\n"
    "16:00 Observability and cost\n16:45 Wrap-up and survey",
    "Generative AI": "09:30 Welcome\n10:00 Foundation models on Amazon Bedrock\n"
    "11:00 Lab: prompt engineering\n13:00 Lunch\n14:00 Lab: retrieval-augmented generation\n"
    "16:00 Guardrails and responsible AI\n16:45 Wrap-up",
    "Containers": "09:30 Welcome\n10:00 Containers on AWS: ECS, EKS and Fargate\n11:00 Lab: your first cluster\n"
    "13:00 Lunch\n14:00 Lab: autoscaling and rolling deployments\n16:00 Security and observability\n"
    "16:45 Wrap-up",
    "Data & Analytics": "09:30 Welcome\n10:00 Building a data lake on Amazon S3\n11:00 Lab: AWS Glue and Athena\n"
    "13:00 Lunch\n14:00 Lab: dashboards with QuickSight\n16:00 Governance with Lake Formation\n16:45 Wrap-up",
    "Security": "09:30 Welcome\n10:00 Identity and access: IAM done right\n11:00 Lab: detective controls\n"
    "13:00 Lunch\n14:00 Lab: incident response game day\n16:00 Encryption with KMS\n16:45 Wrap-up",
    "Networking": "09:30 Welcome\n10:00 VPC design\n11:00 Lab: Transit Gateway\n13:00 Lunch\n"
    "14:00 Lab: hybrid connectivity\n16:00 DNS with Route 53\n16:45 Wrap-up",
    "Architecture": "09:30 Welcome\n10:00 The Well-Architected Framework\n11:00 Lab: a review of a real workload\n"
    "13:00 Lunch\n14:00 Lab: resilience testing\n16:00 Cost optimisation\n16:45 Wrap-up",
}

# What a lab of each topic launches beyond the small default sizes (workshops.sandbox.sizes).
SIZES_BY_TOPIC = {
    # EKS worker nodes and ECS container instances want a little more memory than a t3.
    "Containers": {"ec2_instance_types": [*sizes.DEFAULT_EC2_INSTANCE_TYPES, "m6i.xlarge", "c6i.large"]},
    # An endpoint for a small open model: a GPU, so an SA's explicit choice.
    "Generative AI": {
        "sagemaker_instance_types": [*sizes.DEFAULT_SAGEMAKER_INSTANCE_TYPES, "ml.g5.xlarge"],
        "accelerated_instances_allowed": True,
    },
    # The analytics lab queries a memory-optimised PostgreSQL.
    "Data & Analytics": {"rds_instance_classes": [*sizes.DEFAULT_RDS_INSTANCE_CLASSES, "db.r6g.large"]},
}

VENUES = {
    "Madrid": "Paseo de la Castellana 259, 28046 Madrid",
    "Barcelona": "Carrer de Tànger 98, 08018 Barcelona",
    "Valencia": "Avinguda de les Corts Valencianes 39, 46015 Valencia",
    "Sevilla": "Avenida de la Palmera 19, 41013 Sevilla",
    "Lisboa": "Avenida da Liberdade 110, 1269-046 Lisboa",
    "Porto": "Avenida dos Aliados 59, 4000-066 Porto",
    "Milano": "Viale Monte Grappa 3, 20124 Milano",
    "Roma": "Via del Corso 262, 00186 Roma",
    "Torino": "Corso Inghilterra 3, 10138 Torino",
    "Bologna": "Via dell'Indipendenza 69, 40121 Bologna",
}
ZONE_OF_CITY = {
    **dict.fromkeys(["Madrid", "Barcelona", "Valencia", "Sevilla"], "Europe/Madrid"),
    **dict.fromkeys(["Lisboa", "Porto"], "Europe/Lisbon"),
    **dict.fromkeys(["Milano", "Roma", "Torino", "Bologna"], "Europe/Rome"),
}

# The services that lead a draft to each stage, in order: (service, done by hand).
PATHS = {
    Stage.DRAFT: [],
    Stage.REGISTRATION_OPEN: [(services.workshop_publish, True)],
    Stage.REGISTRATION_CLOSED: [(services.workshop_publish, True), (services.workshop_close_registration, False)],
    Stage.RUNNING: [
        (services.workshop_publish, True),
        (services.workshop_close_registration, False),
        (services.workshop_start, False),
    ],
    Stage.CLOSED: [
        (services.workshop_publish, True),
        (services.workshop_close_registration, False),
        (services.workshop_start, False),
        (services.workshop_close, False),
    ],
    Stage.CANCELLED: [(services.workshop_publish, True), (services.workshop_cancel, True)],
}
PATHS[Stage.ANONYMISED] = [*PATHS[Stage.CLOSED], (services.workshop_mark_anonymised, False)]

CANCEL_NOTE = "The venue double-booked the room; we will announce a new date."


@dataclass(frozen=True)
class DemoWorkshop:
    title: str
    topic: str
    city: str
    stage: str
    days_ahead: int  # the local start date, counted from today; a running workshop ignores it
    owners: tuple[str, ...]
    account_managers: tuple[str, ...]
    language: str
    capacity: int = 12
    attendees_per_account: int = 2
    deadline_days_before: int = 3
    online: bool = False
    regions: list[str] = field(default_factory=lambda: ["eu-west-1", "eu-central-1"])


# Sized so the published workshops' reservations, the one account the running workshop takes for its
# attendees when it starts, and the publishable Madrid draft together need exactly the fake AWS's 9
# sandbox accounts: publishing it shows a full reservation, the Lisboa draft a shortfall.
WORKSHOPS = [
    DemoWorkshop("Serverless Immersion Day — Madrid", "Serverless", "Madrid", Stage.DRAFT, 21,
                 ("sa1@cpp.example.com",), ("am1@cpp.example.com",), "es", capacity=10, attendees_per_account=5),
    DemoWorkshop("Generative AI with Amazon Bedrock — Lisboa", "Generative AI", "Lisboa", Stage.DRAFT, 35,
                 ("sa2@cpp.example.com",), ("am2@cpp.example.com",), "pt", online=True),
    DemoWorkshop("Containers on Amazon EKS — Milano", "Containers", "Milano", Stage.REGISTRATION_OPEN, 14,
                 ("sa1@cpp.example.com", "sa2@cpp.example.com"), ("am3@cpp.example.com",), "it",
                 capacity=8, attendees_per_account=4),
    DemoWorkshop("Data Lakes and Analytics — Barcelona", "Data & Analytics", "Barcelona", Stage.REGISTRATION_OPEN,
                 10, ("sa1@cpp.example.com",), ("am1@cpp.example.com", "am2@cpp.example.com"), "es",
                 capacity=8, attendees_per_account=4, online=True),
    DemoWorkshop("Security Essentials — Porto", "Security", "Porto", Stage.REGISTRATION_CLOSED, 2,
                 ("sa2@cpp.example.com",), ("am2@cpp.example.com",), "pt", capacity=6, attendees_per_account=3),
    DemoWorkshop("Well-Architected Hands-on — Roma", "Architecture", "Roma", Stage.RUNNING, 0,
                 ("sa1@cpp.example.com",), ("am3@cpp.example.com",), "it", capacity=6, attendees_per_account=6),
    DemoWorkshop("Serverless Immersion Day — Valencia", "Serverless", "Valencia", Stage.CLOSED, -5,
                 ("sa1@cpp.example.com",), ("am1@cpp.example.com",), "es"),
    DemoWorkshop("Data Lakes and Analytics — Torino", "Data & Analytics", "Torino", Stage.CLOSED, -9,
                 ("sa2@cpp.example.com",), ("am3@cpp.example.com",), "it"),
    DemoWorkshop("Containers on Amazon ECS — Sevilla", "Containers", "Sevilla", Stage.ANONYMISED, -60,
                 ("sa1@cpp.example.com",), ("am1@cpp.example.com",), "es"),
    DemoWorkshop("Networking Deep Dive — Bologna", "Networking", "Bologna", Stage.CANCELLED, 20,
                 ("sa2@cpp.example.com",), ("am3@cpp.example.com",), "it"),
]  # fmt: skip


@dataclass
class Created:
    people: int = 0
    organisations: int = 0
    topics: int = 0
    workshops: int = 0
    registrations: int = 0
    answers: int = 0

    def __bool__(self) -> bool:
        return any(astuple(self))


class Command(BaseCommand):
    help = (
        "Fill the portal with demo data: staff with printed logins, customer organisations and "
        "customers, workshops in every stage, and customers registered for them, checked in and answering "
        "the survey. Safe to run again; refuses without DEBUG."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (the demo passwords are public)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates staff logins whose passwords are printed and public, so it runs only "
                "with DEBUG=true. Use --force if this really is a demo installation."
            )
        created = Created()
        logins = self._staff(created)
        self._organisations_and_customers(created)
        self._workshops(created)

        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data created: {created.people} people, {created.organisations} organisations, "
                    f"{created.topics} topics, {created.workshops} workshops, "
                    f"{created.registrations} registrations, {created.answers} survey answers."
                )
            )
        else:
            self.stdout.write("Demo data already there: nothing created.")
        self.stdout.write("Demo logins (demo data only: these passwords are public, never reuse them):")
        width = max(len(staff.email) for staff, _ in logins)
        for staff, password in logins:
            self.stdout.write(f"  {staff.label:<20} {staff.email:<{width}}  {password}")
        self.stdout.write("")
        self.stdout.write("  Second factor: after the password, the code of the login's authenticator app (TOTP).")
        self.stdout.write("  Demo secrets, public too: add one to an authenticator app, or print its current code with")
        self.stdout.write(f"    {TOTP_CODE_ONE_LINER}")
        for staff, _password in logins:
            self.stdout.write(f"    {staff.email:<{width}}  {self._printable_secret(staff)}")

    def _staff(self, created: Created) -> list[tuple[Staff, str]]:
        logins = []
        for staff in STAFF:
            user = User.objects.filter(email__iexact=staff.email).first()
            if user is None:
                self._create_staff(staff)
                created.people += 1
                logins.append((staff, staff.password))
            elif user.check_password(staff.password):
                logins.append((staff, staff.password))
            else:
                # Someone chose their own password: printing the demo one would only mislead.
                logins.append((staff, "(changed since seeding: not shown)"))
        return logins

    def _printable_secret(self, staff: Staff) -> str:
        user = User.objects.get(email__iexact=staff.email)
        authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if authenticator is None:
            return "(none: set one up after signing in)"
        if _secret_of(authenticator) != DEMO_TOTP_SECRETS[staff.email]:
            # Someone set up their own authenticator app: its secret is theirs alone.
            return "(changed since seeding: not shown)"
        return DEMO_TOTP_SECRETS[staff.email]

    @transaction.atomic
    def _create_staff(self, staff: Staff) -> User:
        extra = {
            "first_name": staff.first_name,
            "last_name": staff.last_name,
            "country": staff.country,
            "preferred_language": staff.language,
        }
        if staff.group is None:
            user = User.objects.create_superuser(staff.email, staff.password, **extra)
        else:
            user = User.objects.create_user(staff.email, staff.password, is_staff=True, **extra)
            user.groups.add(Group.objects.get(name=staff.group))
        totp_authenticator_set(user=user, secret=DEMO_TOTP_SECRETS[staff.email])
        return user

    @transaction.atomic
    def _organisations_and_customers(self, created: Created) -> None:
        organisations = {}
        for name, country, am_email in ORGANISATIONS:
            organisation = CustomerOrganisation.objects.filter(
                normalised_name=normalise_organisation_name(name)
            ).first()
            if organisation is None:
                organisation = CustomerOrganisation.objects.create(
                    name=name,
                    country=country,
                    account_manager=User.objects.get(email=am_email),
                    origin=CustomerOrganisation.Origin.STAFF,  # the AMs' own accounts, as if added in the admin
                )
                created.organisations += 1
            organisations[name] = organisation
        for first_name, last_name, email, job_title, phone, organisation_name in CUSTOMERS:
            if User.objects.filter(email__iexact=email).exists():
                continue
            organisation = organisations[organisation_name]
            # No password: customers sign in by magic link only.
            User.objects.create_user(
                email,
                first_name=first_name,
                last_name=last_name,
                job_title=job_title,
                phone=phone,
                country=organisation.country,
                preferred_language=LANGUAGE_OF_COUNTRY.get(str(organisation.country), "en"),
                organisation=organisation,
            )
            created.people += 1

    def _workshops(self, created: Created) -> None:
        topics = {}
        for name in sorted({spec.topic for spec in WORKSHOPS}):
            topics[name], is_new = Topic.objects.get_or_create(name=name)
            created.topics += is_new
        now = timezone.now()
        for spec in WORKSHOPS:
            if Workshop.objects.filter(title=spec.title).exists():
                continue
            self._workshop(spec, topics[spec.topic], now, created)
            created.workshops += 1

    def _workshop(self, spec: DemoWorkshop, topic: Topic, now: datetime, created: Created) -> Workshop:
        # Each step is the real service and commits on its own, as the pages' would (stage moves are
        # durable transactions): a seed stopped half-way leaves this workshop where it got to.
        starts_at, ends_at = _times(spec, now)
        deadline = min(starts_at - timedelta(days=spec.deadline_days_before), starts_at)
        path = PATHS[spec.stage]
        # A workshop that must pass through publishing is created in the future and dated back after.
        needs_redating = bool(path) and deadline <= now
        offset = (now + timedelta(days=30)) - starts_at if needs_redating else timedelta(0)

        workshop = Workshop(
            title=spec.title,
            topic=topic,
            agenda=AGENDAS[spec.topic],
            language=spec.language,
            venue="" if spec.online else VENUES[spec.city],
            online_link=f"https://meet.cpp.example.com/{slugify(spec.title)}" if spec.online else "",
            time_zone=ZONE_OF_CITY[spec.city],
            starts_at=starts_at + offset,
            ends_at=ends_at + offset,
            registration_deadline=deadline + offset,
            capacity=spec.capacity,
            attendees_per_account=spec.attendees_per_account,
            aws_regions=list(spec.regions),
            attendee_policy_arns=["arn:aws:iam::aws:policy/PowerUserAccess"],
            **SIZES_BY_TOPIC.get(spec.topic, {}),
        )
        workshop.full_clean()
        owners = list(User.objects.filter(email__in=spec.owners).order_by("email"))
        services.workshop_create(
            workshop=workshop,
            owners=owners,
            account_managers=User.objects.filter(email__in=spec.account_managers),
            actor=owners[0],
        )

        registrations = []
        for service, by_hand in path:
            kwargs = {"workshop_id": workshop.pk, "actor": owners[0] if by_hand else None}
            if service is services.workshop_cancel:
                kwargs["note"] = CANCEL_NOTE
            elif not by_hand:
                kwargs["automatic"] = True  # what beat would have done at the workshop's own times
            service(**kwargs)
            # Customers act at the stage the real pages would let them: registering while registration is
            # open, checked in once the workshop runs, answering the survey once it has closed.
            if service is services.workshop_publish:
                registrations = demo_attendance.registrations_create(workshop=workshop)
                created.registrations += len(registrations)
            elif service is services.workshop_start:
                demo_attendance.attendance_mark(workshop=workshop, actor=owners[0])
            elif service is services.workshop_close:
                created.answers += demo_attendance.survey_answers_create(workshop=workshop)

        if offset:
            Workshop.objects.filter(pk=workshop.pk).update(
                starts_at=starts_at, ends_at=ends_at, registration_deadline=deadline
            )
            demo_attendance.registrations_date_back(
                workshop=workshop, registrations=registrations, starts_at=starts_at, ends_at=ends_at, deadline=deadline
            )
        return workshop


def _secret_of(authenticator: Authenticator) -> str:
    return decrypt(authenticator.data["secret"])


def _times(spec: DemoWorkshop, now: datetime) -> tuple[datetime, datetime]:
    """Start and end: 09:30 to 17:00 local on the day, or around now for a running workshop."""
    if spec.stage == Stage.RUNNING:
        starts_at = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        return starts_at, starts_at + timedelta(hours=7, minutes=30)
    zone = zoneinfo.ZoneInfo(ZONE_OF_CITY[spec.city])
    day: date = now.astimezone(zone).date() + timedelta(days=spec.days_ahead)
    starts_at = datetime.combine(day, time(9, 30), tzinfo=zone)
    return starts_at, datetime.combine(day, time(17, 0), tzinfo=zone)
