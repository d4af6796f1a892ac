"""Issue 4's "must show", in a real browser: a customer opens an AM's link, asks for a sign-in
link, follows it from the outbox, confirms, completes the profile and sees the registration on
My workshops; and a spent link, opened again, offers a new one."""

import re

import pytest
import sesame.utils
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import MAGIC_LINK_SCOPE, magic_link_url
from tests.factories import AccountManagerFactory, SignedUpCustomerFactory, SolutionsArchitectFactory, open_workshop
from workshops.invitations import invitation_for, invitation_link
from workshops.models import Registration, RegistrationStatus

# live_server's thread reads what the test writes, so every write is committed (and flushed after).
pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER_EMAIL = "lucia.fernandez@example.com"


def sign_in_link_from_outbox(sa_page, address: str, screenshot) -> str:
    """What a demo user does: open the staff outbox, open the sign-in email, take its link."""
    sa_page.goto("/staff/outbox/")
    expect(sa_page.get_by_role("heading", name="Outbox", level=1)).to_be_visible()
    row = sa_page.get_by_role("row").filter(has_text=address).filter(has_text="Sign-in link")
    expect(row).to_have_count(1)
    screenshot(sa_page, "3-outbox")
    row.get_by_role("link", name="Your sign-in link for CPP Portal").click()
    expect(sa_page.get_by_role("heading", name="Your sign-in link for CPP Portal")).to_be_visible()
    # The email as the recipient sees it, in its sandboxed frame: the button's address is the link.
    button = sa_page.frame_locator("iframe.email").get_by_role("link", name="Sign in to CPP Portal")
    link = button.get_attribute("href")
    screenshot(sa_page, "4-sign-in-email")
    assert link.startswith(f"{settings.SITE_URL}/login/link/?token="), link
    # The plain text body carries the same link.
    expect(sa_page.locator("pre.email-text")).to_contain_text(link)
    return link


def test_customer_registers_from_an_account_managers_link(page, signed_in_page, screenshot):
    sa = SolutionsArchitectFactory()
    am = AccountManagerFactory(first_name="Marta", last_name="Gil")
    workshop = open_workshop(owners=[sa], account_managers=[am], capacity=12)
    invitation = invitation_for(workshop=workshop, account_manager=am)

    # The AM's link: the workshop, who invites, the seats left, and the way in.
    response = page.goto(invitation_link(invitation))
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(workshop.title)
    expect(page.get_by_text("Marta has invited you")).to_be_visible()
    expect(page.get_by_text("12 seats left")).to_be_visible()
    screenshot(page, "1-invitation")
    page.get_by_role("link", name="Sign in to register").click()

    # A new address: asking for a link makes no account yet; using it will.
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_label("Email address").fill(CUSTOMER_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    screenshot(page, "2-check-your-inbox")
    assert not User.objects.filter(email=CUSTOMER_EMAIL).exists()

    link = sign_in_link_from_outbox(signed_in_page(sa), CUSTOMER_EMAIL, screenshot)

    # Opening the link changes nothing: one button, and still signed out.
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in to CPP Portal")).to_be_visible()
    expect(page.get_by_text(f"You are signing in as {CUSTOMER_EMAIL}.")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(1)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert not User.objects.filter(email=CUSTOMER_EMAIL).exists()
    screenshot(page, "5-confirm-sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()

    # First sign-in: who you are, and consent to the privacy notice.
    expect(page.get_by_role("heading", name="Tell us who you are")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/me/profile/\?next="))
    page.get_by_label("First name").fill("Lucía")
    page.get_by_label("Last name").fill("Fernández")
    page.get_by_label("Company").fill("Acme Iberia")
    page.get_by_label("Job title").fill("Cloud engineer")
    page.get_by_label("Country").select_option("ES")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("I have read the privacy notice").check()
    screenshot(page, "6-profile")
    page.get_by_role("button", name="Save and continue").click()

    # Back on the invitation, signed in: one click registers.
    expect(page).to_have_url(invitation_link(invitation))
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_text(f"You will register as {CUSTOMER_EMAIL}.")).to_be_visible()
    screenshot(page, "7-invitation-signed-in")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="My workshops", level=1)).to_be_visible()
    expect(page.get_by_text(f"You have a seat at “{workshop.title}”.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=workshop.title)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Confirmed: you have a seat")
    expect(row.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    screenshot(page, "8-my-workshops")

    customer = User.objects.select_related("organisation").get(email=CUSTOMER_EMAIL)
    registration = Registration.objects.select_related("organisation").get(workshop=workshop, attendee=customer)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.account_manager == am
    assert registration.invitation == invitation
    assert registration.organisation == customer.organisation
    assert registration.organisation.name == "Acme Iberia"
    assert (customer.first_name, customer.last_name, customer.job_title) == ("Lucía", "Fernández", "Cloud engineer")
    assert customer.country == "ES"
    assert customer.privacy_consent_version == settings.CPP_PRIVACY_NOTICE_VERSION
    assert customer.privacy_consent_at is not None


def test_a_used_sign_in_link_offers_a_new_one(page, new_page, screenshot):
    customer = SignedUpCustomerFactory()
    token = sesame.utils.get_token(customer, scope=MAGIC_LINK_SCOPE)
    link = magic_link_url(token=token, next_path="/me/workshops/")

    page.goto(link)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="My workshops", level=1)).to_be_visible()

    # The same link again, say from another device: spent.
    other = new_page()
    response = other.goto(link)
    assert response.status == 410
    expect(other.get_by_role("heading", name="This sign-in link is no longer valid")).to_be_visible()
    expect(other.get_by_text("This one has been used, has expired or is incomplete.")).to_be_visible()
    expect(other.get_by_role("button", name="Sign in", exact=True)).to_have_count(0)
    screenshot(other, "1-link-no-longer-valid")

    # It offers a new one on the spot, and keeps where the person was going.
    other.get_by_label("Email address").fill(customer.email)
    other.get_by_role("button", name="Send me a new link").click()
    expect(other.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(other).to_have_url(re.compile(r"/login/sent/\?next=%2Fme%2Fworkshops%2F$"))
    screenshot(other, "2-new-link-sent")
