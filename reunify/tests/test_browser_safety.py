"""A child's unsafe check-in, end to end in headless Chromium against a real server: the child
checks in on the portal, and their therapist finds it at the top of the caseload, with contact
scheduling closed for safety until a fresh screen."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest

from reunify.tests.test_browser import (  # noqa: F401  (fixtures)
    assert_accessible,
    browser,
    log_in,
    server,
)

pytestmark = pytest.mark.browser

WORRY = "Dad shouted at me after the visit and I am scared to go back."


def test_a_childs_unsafe_check_in_reaches_the_therapist_and_closes_contact(
    server: str,  # noqa: F811
    browser: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    # The child, on the portal.
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/login/")
    page.fill("#id_username", "tamsin.marigold")
    page.fill("#id_password", "reunify-demo-practice")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portal")
    page.get_by_role("link", name="Marigold family").first.click()
    page.get_by_role("link", name="Check in with your therapist").click()
    assert_accessible(page)
    page.check("input[name=ready][value='4']")
    page.check("input[name=safe][value='2']")
    page.check("input[name=last_visit][value='hard']")
    page.get_by_label("Anything else you want your therapist to know?").fill(WORRY)
    page.get_by_role("button", name="Send to my therapist").click()
    expect(page.locator("main")).to_contain_text("Your therapist will see this")
    assert_accessible(page)
    context.close()

    # The therapist: the urgent item first, one click from the check-in.
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    urgent = page.locator("ul.queue-urgent li", has_text="raised a safety concern").filter(
        has_text="Marigold family"
    )
    expect(urgent).to_be_visible()
    assert page.evaluate(
        """() => {
            const urgent = document.getElementById('queue-urgent');
            const cases = document.getElementById('cases-heading');
            return !!(urgent.compareDocumentPosition(cases) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    expect(page.locator("main")).not_to_contain_text(WORRY)
    assert_accessible(page)
    urgent.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The child's check-ins")
    expect(page.locator("main")).to_contain_text(WORRY)
    expect(page.locator("main")).to_contain_text("Safety concern")
    assert_accessible(page)

    # The case: paused, the ladder's gate closed for safety, contact scheduling refused.
    page.get_by_role("link", name="Marigold family").first.click()
    expect(page.locator("main")).to_contain_text("Paused")
    tabs = page.locator("nav.case-tabs")
    tabs.get_by_role("link", name="Contact ladder", exact=True).click()
    ladder = page.locator("section.gate", has=page.locator("#ladder-heading"))
    expect(ladder).to_contain_text("check-in of")
    tabs.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name="Schedule a session").click()
    zone = ZoneInfo(os.environ.get("REUNIFY_TIME_ZONE", "America/Los_Angeles"))
    start = dt.datetime.now(zone) + dt.timedelta(days=3)
    page.select_option("#id_kind", "contact_supervised")
    page.fill("#id_day", start.date().isoformat())
    page.fill("#id_time", "10:00")
    page.fill("#id_duration_minutes", "60")
    page.get_by_label("Tamsin Marigold — Child").check()
    page.get_by_label("Ansel Marigold — Estranged parent").check()
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("main")).to_contain_text("Contact visits cannot be scheduled")
    expect(page.locator("main")).to_contain_text("check-in of")
    assert_accessible(page)
    context.close()
