"""In real headless Chromium: the gate into integration names what the ladder still lacks, and
a court order's no-contact term is ended from the case page and stops closing contact.

Same server and browser as test_browser.py (its fixtures, its demo practice and seed)."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest

from reunify.tests.test_browser import assert_accessible, browser, log_in, server

__all__ = ["browser", "server"]

pytestmark = pytest.mark.browser


def test_the_way_into_integration_and_ending_a_court_order(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    page.get_by_role("link", name="Linden family").click()

    # On the ladder's first rung the way into integration is closed, and says why.
    gate = page.locator("section.gate[aria-labelledby=gate-heading]")
    expect(gate).to_contain_text(
        "integration needs 'Regular parenting time' reached first, with 3 completed visits there"
    )
    expect(gate).to_contain_text("has not given their assent to 'Regular parenting time'")
    assert_accessible(page)

    # A no-contact order pauses the case and closes contact...
    tabs = page.locator("nav.case-tabs")
    tabs.get_by_role("link", name="Legal", exact=True).click()
    page.get_by_role("link", name="Record a court order").click()
    zone = ZoneInfo(os.environ.get("REUNIFY_TIME_ZONE", "America/Los_Angeles"))
    today = dt.datetime.now(zone).date().isoformat()
    page.fill("#id_court", "Superior Court of Elmshire County")
    page.fill("#id_court_case_number", "FL-2026-5")
    page.fill("#id_issued_on", today)
    page.select_option("#id_term-1-kind", "no_contact")
    page.locator("main button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("The case is now paused")
    tabs.get_by_role("link", name="Overview", exact=True).click()
    expect(gate).to_contain_text("forbids contact")
    tabs.get_by_role("link", name="Legal", exact=True).click()

    # ...until the court ends it: the order stays on the record, its term struck through.
    order = page.locator("article.card", has_text="no contact")
    order.get_by_role("link", name="End court order 1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("End court order")
    assert_accessible(page)
    page.fill("#id_ended_on", today)
    page.fill("#id_reason", "Minute order lifting the no-contact term.")
    page.locator("main button[type=submit]").last.click()

    expect(page.locator(".message-success")).to_contain_text("ended")
    expect(page.locator("main del")).to_contain_text("no contact")
    tabs.get_by_role("link", name="Overview", exact=True).click()
    expect(gate).not_to_contain_text("forbids contact")
    assert_accessible(page)
    context.close()
