"""The portal's JavaScript still runs under the Content-Security-Policy, in a real browser.

The policy allows only the portal's own script files; new_page (conftest.py) fails a test on any
violation Chromium reports. Here: the Django admin's scripts, a copy-link field, and the cleanup
run page that polls until its run is over. (The copy buttons and the charts are in test_whole_story.)
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cleaner.models import CleanupRun
from tests.factories import AccountManagerFactory, SolutionsArchitectFactory, open_workshop

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_admin_runs_its_own_scripts_under_the_policy(signed_in_page):
    sa = SolutionsArchitectFactory()
    open_workshop(owners=[sa])
    page = signed_in_page(sa)

    page.goto("/admin/workshops/workshop/")
    expect(page.get_by_role("heading", name="Select workshop to change")).to_be_visible()
    # actions.js: the header checkbox ticks every row and the counter follows.
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")

    page.goto("/admin/workshops/workshop/add/")
    # DateTimeShortcuts.js adds "Today" and "Now" beside the date and time fields.
    expect(page.get_by_role("link", name="Today").first).to_be_visible()
    page.get_by_role("link", name="Now").first.click()
    expect(page.locator("input.vTimeField").first).not_to_have_value("")


def test_a_copy_link_field_selects_its_whole_link_when_focused(signed_in_page):
    am = AccountManagerFactory()
    open_workshop(account_managers=[am])
    page = signed_in_page(am)

    page.goto("/am/workshops/")
    field = page.get_by_role("textbox", name="Your invitation link")
    field.focus()
    selected = field.evaluate("(el) => el.value.substring(el.selectionStart, el.selectionEnd)")
    assert selected == field.input_value() and "/i/" in selected


def test_the_cleanup_run_page_polls_until_the_run_is_over_then_shows_it(signed_in_page):
    sa = SolutionsArchitectFactory()
    run = CleanupRun.objects.create(trigger=CleanupRun.Trigger.COMMAND, requested_by=sa, status="running")
    page = signed_in_page(sa)

    page.goto(reverse("cleaner:run", args=[run.pk]))
    expect(page.locator("#run-status")).to_have_text("Running")
    CleanupRun.objects.filter(pk=run.pk).update(status=CleanupRun.Status.DONE)
    # The script's next poll sees the run over and reloads the page, which no longer polls.
    expect(page.locator("#run-status")).to_have_text("Done", timeout=8_000)
    expect(page.locator("#run-poller")).to_have_count(0)
