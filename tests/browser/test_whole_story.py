"""A workshop's whole life in a real browser, through the pages people use.

An SA creates and publishes a workshop; an AM copies their invitation link; a customer follows it,
signs up by magic link and registers; the SA closes registration and starts the workshop, and
provisioning runs against moto in-process (it patches botocore for the whole process, so the live
server's thread uses it too; Celery runs tasks eagerly in tests). The customer picks up their
credentials from the account-ready email; the SA ticks the check-in list and closes the workshop,
and watches its cleanup move; the customer answers the survey; the SA reads the statistics.

The cleanup run fans out one sweep per (account, region), about 25 per account in moto, and each
regional sweep starts moto's backends of every service in its region: ten seconds and more apiece.
So the sweep tasks are only noted here, and the test sweeps the account's global target itself,
through the real service, while the SA's page polls.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from cleaner import runs
from cleaner import tasks as cleaner_tasks
from cleaner.models import GLOBAL, CleanupRun, CleanupTarget
from notifications.models import EmailKind
from tests.browser.test_customer_registers import sign_in_link_from_outbox
from tests.factories import AccountManagerFactory, SolutionsArchitectFactory, TopicFactory
from workshops.models import Credential, CredentialStatus, Registration, Stage, SurveyAnswer, Workshop

# live_server's thread reads what the test writes, so every write is committed (and flushed after).
pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Serverless Immersion Day Lisboa"
CUSTOMER_EMAIL = "joao.silva@example.com"
POLICIES = "arn:aws:iam::aws:policy/PowerUserAccess\narn:aws:iam::aws:policy/IAMUserChangePassword"
# A polled fragment changes within a few of its 2-second polls.
POLLED_MS = 15_000
# A stage move whose side effects call (fake) AWS inside the request: tasks run eagerly here.
SLOW_MOVE_MS = 30_000


@pytest.fixture
def aws(org):
    """moto in-process with one pool account."""
    org.add_accounts(1)
    return org


@pytest.fixture
def queued_sweeps(monkeypatch) -> list[int]:
    """The ids of the sweeps a cleanup run queues, noted instead of run: the test runs those it wants."""
    queued: list[int] = []
    monkeypatch.setattr(cleaner_tasks, "sweep_target", SimpleNamespace(delay=queued.append))
    return queued


@dataclass
class Story:
    """Who takes part, each in a browser of their own, and the live server's address."""

    sa_page: Page
    am_page: Page
    customer_page: Page
    new_page: Callable[[], Page]  # another device
    screenshot: Callable
    site_url: str


def email_link_from_outbox(story: Story, *, kind: str, subject: str, button: str, step: str) -> str:
    """The address of an email's button, from the staff outbox, as the customer would click it in their mailbox."""
    page = story.sa_page
    page.goto("/staff/outbox/")
    row = page.get_by_role("row").filter(has_text=CUSTOMER_EMAIL).filter(has_text=kind)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    link = page.frame_locator("iframe.email").get_by_role("link", name=button).get_attribute("href")
    story.screenshot(page, step)
    assert link.startswith(settings.SITE_URL), link
    return link


def stage_move(story: Story, button: str, step: str, *, timeout_ms: float | None = None) -> None:
    """A stage-move button on the SA's workshop page, then yes on its confirmation page."""
    page = story.sa_page
    page.get_by_role("list", name="Stage moves").get_by_role("link", name=button).click()
    expect(page.get_by_role("heading", name=f"{button}: are you sure?")).to_be_visible()
    story.screenshot(page, step)
    page.get_by_role("button", name=f"{button}: yes, I’m sure").click(timeout=timeout_ms)


# --- The steps -----------------------------------------------------------------------------------


def sa_creates_and_publishes(story: Story) -> Workshop:
    page = story.sa_page
    day = (timezone.now() + timedelta(days=7)).date()
    page.goto("/staff/workshops/new/")
    expect(page.get_by_role("heading", name="New workshop", level=1)).to_be_visible()
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_topic").select_option(label="Serverless")
    page.locator("#id_time_zone").fill("Europe/Lisbon")
    page.locator("#id_starts_at").fill(f"{day.isoformat()}T09:00")
    page.locator("#id_ends_at").fill(f"{day.isoformat()}T17:00")
    page.locator("#id_registration_deadline").fill(f"{(day - timedelta(days=2)).isoformat()}T18:00")
    page.locator("#id_venue").fill("Avenida da Liberdade 1, Lisboa")
    page.locator("#id_capacity").fill("1")
    page.get_by_role("checkbox", name="Marta Gil").check()
    page.locator("#id_aws_regions").fill("eu-west-1")
    page.locator("#id_attendee_policy_arns").fill(POLICIES)
    story.screenshot(page, "01-new-workshop")
    page.get_by_role("button", name="Create the draft").click()

    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text(f"“{TITLE}” is saved as a draft.")).to_be_visible()
    expect(page.locator("#stage")).to_have_text("Draft")
    stage_move(story, "Publish", "02-publish-confirm")
    expect(page.get_by_text(f"“{TITLE}” is now “Registration open”.")).to_be_visible()
    expect(page.locator("#stage")).to_have_text("Registration open")
    story.screenshot(page, "03-published")
    return Workshop.objects.get(title=TITLE)


def am_copies_the_invitation_link(story: Story) -> str:
    page = story.am_page
    page.context.grant_permissions(["clipboard-write"], origin=story.site_url)
    # The portal's Permissions-Policy forbids reading the clipboard (clipboard-read=()), so the test
    # notes what the page wrote to it, once the browser accepted the write.
    page.add_init_script(
        """{
        const write = navigator.clipboard.writeText.bind(navigator.clipboard);
        navigator.clipboard.writeText = (text) => write(text).then(() => { window.copiedToClipboard = text; });
        }"""
    )
    page.goto("/am/workshops/")
    expect(page.get_by_role("heading", name="Workshops you invite to", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=TITLE)
    row.get_by_role("button", name="Copy").click()
    expect(row.get_by_role("button", name="Copied")).to_be_visible()
    link = page.evaluate("window.copiedToClipboard")
    expect(row.get_by_role("textbox", name="Your invitation link")).to_have_value(link)
    assert re.fullmatch(rf"{re.escape(story.site_url)}/i/[A-Za-z0-9_-]+/", link), link
    story.screenshot(page, "04-am-copied-the-link")
    return link


def customer_signs_up_and_registers(story: Story, link: str) -> None:
    page = story.customer_page
    page.goto(link)
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text("Marta has invited you")).to_be_visible()
    page.get_by_role("link", name="Sign in to register").click()
    page.get_by_label("Email address").fill(CUSTOMER_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    page.goto(sign_in_link_from_outbox(story.sa_page, CUSTOMER_EMAIL, story.screenshot))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Tell us who you are")).to_be_visible()
    page.get_by_label("First name").fill("João")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Company").fill("Atlântico Seguros")
    page.get_by_label("Job title").fill("Platform engineer")
    page.get_by_label("Country").select_option("PT")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text(f"You will register as {CUSTOMER_EMAIL}.")).to_be_visible()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="My workshops", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_contain_text("Confirmed: you have a seat")
    story.screenshot(page, "05-customer-registered")


def sa_starts_the_workshop(story: Story, workshop: Workshop, registration: Registration) -> None:
    page = story.sa_page
    page.goto(f"/staff/workshops/{workshop.pk}/")
    stage_move(story, "Close registration", "06-close-registration-confirm")
    expect(page.locator("#stage")).to_have_text("Registration closed")
    stage_move(story, "Start now", "07-start-confirm", timeout_ms=SLOW_MOVE_MS)
    expect(page.locator("#stage")).to_have_text("Running")
    attendee = page.locator(f"#registration-{registration.pk}")
    expect(attendee).to_contain_text(CUSTOMER_EMAIL)
    expect(attendee.locator(".status-ready")).to_have_text("Ready")
    expect(page.locator("#provisioning")).to_contain_text("1 ready")
    story.screenshot(page, "08-running-credential-ready")


def customer_reveals_the_password(story: Story, credential: Credential, aws) -> None:
    link = email_link_from_outbox(
        story,
        kind=str(EmailKind.ACCOUNT_READY.label),
        subject=f"Your sandbox account for {TITLE} is ready",
        button="Open my credentials page",
        step="09-account-ready-email",
    )
    assert link.startswith(f"{story.site_url}{reverse('workshops:credentials', args=[credential.registration_id])}?")
    # On the day, from the workshop room's laptop: the link's one button signs in there.
    page = story.new_page()
    page.goto(link)
    page.get_by_role("button", name="Sign in and show my account").click()
    expect(page.get_by_role("heading", name="Your sandbox account", level=1)).to_be_visible()
    account_id = credential.sandbox_account.aws_account_id
    expect(page.get_by_role("textbox", name="Account ID")).to_have_value(account_id)
    expect(page.get_by_role("textbox", name="IAM user name")).to_have_value(credential.iam_user_name)
    page.get_by_role("button", name="Reveal password").click()
    password = page.get_by_role("textbox", name="Password")
    expect(password).to_be_visible()
    # The one AWS itself holds for the console sign-in.
    assert password.input_value() == aws.console_password(account_id, credential.iam_user_name)
    story.screenshot(page, "10-credentials-revealed")


def sa_checks_attendance_and_closes(story: Story, workshop: Workshop, registration: Registration) -> None:
    page = story.sa_page
    page.goto(f"/staff/workshops/{workshop.pk}/check-in/")
    row = page.locator(f"#registration-{registration.pk}")
    row.get_by_role("button", name="Attended").click()
    expect(row.locator(f"#mark-{registration.pk}")).to_have_text("✔ Attended")
    expect(page.locator("#attendance-counts")).to_contain_text("1 attended · 0 no-show · 0 not marked")
    story.screenshot(page, "11-check-in")

    page.goto(f"/staff/workshops/{workshop.pk}/")
    # Revoking the credential and starting the cleanup run (which asks moto for the account's
    # regions, and its EC2 takes seconds to start) happen inside this request.
    stage_move(story, "Close now", "12-close-confirm", timeout_ms=SLOW_MOVE_MS)
    expect(page.locator("#stage")).to_have_text("Closed")
    expect(page.locator(f"#registration-{registration.pk} .status-revoked")).to_have_text("Revoked")


def sa_watches_the_cleanup_move(story: Story, workshop: Workshop, queued_sweeps: list[int], aws) -> None:
    page = story.sa_page
    run = CleanupRun.objects.get(workshop=workshop)
    targets = CleanupTarget.objects.filter(run=run)
    total = targets.count()
    # Every region of the account, and its global services: all queued, none run yet.
    assert total > 10 and sorted(queued_sweeps) == sorted(targets.values_list("pk", flat=True))
    cleanup = page.locator("#cleanup")
    expect(cleanup).to_contain_text(f"Cleanup run #{run.pk}")
    expect(cleanup).to_contain_text(f"0 of {total} account-regions finished")
    story.screenshot(page, "13-cleanup-started")

    swept = targets.get(region=GLOBAL)
    assert runs.cleanup_target_sweep(target_id=swept.pk) is None
    swept.refresh_from_db()
    assert swept.status == CleanupTarget.Status.CLEAN

    # No reload: htmx polls the section, and the account's row counts what went.
    expect(cleanup).to_contain_text(f"1 of {total} account-regions finished", timeout=POLLED_MS)
    account = cleanup.get_by_role("row").filter(has_text=swept.account_id)
    expect(account.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^[1-9]"))  # deleted: what the attendee left
    assert "lab-pipeline-deployer" not in aws.users(swept.account_id)
    story.screenshot(page, "14-cleanup-moving")


def customer_answers_the_survey(story: Story, registration: Registration) -> None:
    page = story.customer_page
    page.goto("/me/workshops/")
    expect(page.get_by_role("heading", name="Past", exact=True)).to_be_visible()  # closed early: over all the same
    expect(page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name="Answer the survey")).to_be_visible()
    story.screenshot(page, "15-my-workshops-survey-waiting")

    link = email_link_from_outbox(
        story,
        kind=str(EmailKind.SURVEY.label),
        subject=f"How was {TITLE}?",
        button="Answer the survey",
        step="16-survey-email",
    )
    assert link.startswith(f"{story.site_url}{reverse('workshops:survey', args=[registration.pk])}?"), link
    page.goto(link)
    expect(page.get_by_role("heading", name=f"How was {TITLE}?", level=1)).to_be_visible()
    page.get_by_role("group", name=re.compile("How satisfied")).get_by_label("5").check()
    page.get_by_role("group", name=re.compile("recommend")).get_by_label("Yes").check()
    page.get_by_label(re.compile("Anything else")).fill("The labs were great.")
    story.screenshot(page, "17-survey")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you!", level=1)).to_be_visible()
    story.screenshot(page, "18-survey-answered")

    page.goto("/me/workshops/")
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_be_visible()
    expect(page.get_by_role("link", name="Answer the survey")).to_have_count(0)
    answer = SurveyAnswer.objects.get(registration=registration)
    assert (answer.satisfaction, answer.would_recommend, answer.comment) == (5, True, "The labs were great.")


def sa_reads_the_statistics(story: Story) -> None:
    page = story.sa_page
    page.goto("/staff/stats/")
    expect(page.get_by_role("heading", name="Programme statistics", level=1)).to_be_visible()
    # Singular or plural as the page words it: the numbers are the point.
    summary = r"1 workshop delivered, 1 attendee from 1 customer, satisfaction 5\.00 \(1 survey answer\)"
    expect(page.get_by_text(re.compile(summary))).to_be_visible()
    topic = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Serverless", exact=True))
    # Workshops, attendees, customers, survey answers, satisfaction, would recommend, cost and cost per
    # attendee (nothing read from Cost Explorer in this story: the fake AWS bills nothing).
    expect(topic.get_by_role("cell")).to_have_text(["1", "1", "1", "1", "5.00", "100%", "0.00", "0.00"])
    am = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Marta Gil", exact=True))
    # Invited, registered, attended, no-shows, no-show rate.
    expect(am.get_by_role("cell")).to_have_text(["1", "1", "1", "0", "0%"])
    story.screenshot(page, "19-statistics")


# --- The story -----------------------------------------------------------------------------------


def test_a_workshop_from_its_creation_to_the_statistics(
    aws, queued_sweeps, new_page, staff_signed_in_page, live_site, screenshot
):
    sa = SolutionsArchitectFactory(first_name="Inês", last_name="Costa")
    am = AccountManagerFactory(first_name="Marta", last_name="Gil")
    TopicFactory(name="Serverless")
    story = Story(
        # Staff sign in as they do: the password, then the SA's authenticator code (the AM has none).
        sa_page=staff_signed_in_page(sa),
        am_page=staff_signed_in_page(am),
        customer_page=new_page(),
        new_page=new_page,
        screenshot=screenshot,
        site_url=live_site.url,
    )

    workshop = sa_creates_and_publishes(story)
    customer_signs_up_and_registers(story, am_copies_the_invitation_link(story))
    registration = Registration.objects.select_related("account_manager").get(
        workshop=workshop, attendee__email=CUSTOMER_EMAIL
    )
    assert registration.account_manager == am

    sa_starts_the_workshop(story, workshop, registration)
    credential = Credential.objects.select_related("sandbox_account").get(registration=registration)
    customer_reveals_the_password(story, credential, aws)
    # What the attendee leaves behind in the account, for the cleanup to find.
    aws.iam(credential.sandbox_account.aws_account_id).create_user(UserName="lab-pipeline-deployer")

    sa_checks_attendance_and_closes(story, workshop, registration)
    sa_watches_the_cleanup_move(story, workshop, queued_sweeps, aws)
    customer_answers_the_survey(story, registration)
    sa_reads_the_statistics(story)

    workshop.refresh_from_db()
    credential.refresh_from_db()
    assert workshop.stage == Stage.CLOSED
    assert credential.status == CredentialStatus.REVOKED and not credential.password_encrypted
