"""In a real browser, a Solutions Architect signs in with a password and the code of their
authenticator app; one with no second factor yet is held at its set-up until they add one."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import SolutionsArchitectFactory, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # StaffFactory's


def test_an_sa_signs_in_with_a_password_and_an_authenticator_code(page, screenshot):
    sa = SolutionsArchitectFactory(first_name="Inês", last_name="Costa")
    page.goto("/admin/")
    page.get_by_label("Email").fill(sa.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    # The password alone opens nothing: the code of the authenticator app comes next.
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    screenshot(page, "1-asked-for-the-code")
    page.goto("/admin/")  # the admin does not open: the sign-in waits for its code
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()

    page.locator('input[name="code"]').fill(totp_code())
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Workshops, people and sandbox accounts")).to_be_visible()
    screenshot(page, "2-in-the-admin")


def test_an_sa_without_a_second_factor_sets_up_an_authenticator_app_before_anything_else(page, screenshot):
    sa = SolutionsArchitectFactory(second_factor=False)
    page.goto("/admin/")
    page.get_by_label("Email").fill(sa.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    expect(page.get_by_text("need a second factor")).to_be_visible()
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    screenshot(page, "1-held-at-set-up")

    page.goto("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before any change of factor.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.locator('input[name="code"]').fill(totp_code(secret))
    screenshot(page, "2-authenticator-app")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Workshops, people and sandbox accounts")).to_be_visible()
