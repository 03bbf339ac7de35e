"""In a real browser: a therapist records, today, a move that took effect days ago; the phase
history and the timeline show the day it happened, and a day in the future is refused.

The server, the browser and the login are test_browser.py's (its own server for this module).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from reunify.tests.test_browser import assert_accessible, browser, log_in, server, shell

__all__ = ["browser", "server"]  # fixtures, used by name

pytestmark = pytest.mark.browser

SEED = """
import datetime as dt
from django.utils import timezone
from reunify.accounts.models import User
from reunify.conftest import complete_assessment, make_family
t = User.objects.get(username="therapist1")
f = make_family(
    t, title="Ashgrove family", last="Ashgrove",
    opened_on=timezone.localdate() - dt.timedelta(days=15),
)
complete_assessment(t, f)
print("CASE=%d" % f.case.pk)
"""


def test_a_therapist_moves_a_case_on_the_day_it_happened(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    shell(SEED)
    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    page.get_by_role("link", name="Ashgrove family").click()
    expect(page.get_by_label("Moved on")).to_have_value(today.isoformat())
    assert_accessible(page)

    # A day in the future is refused, with the reason, and nothing moves.
    page.get_by_label("Moved on").fill((today + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Move to Psychoeducation and preparation").click()
    expect(page.locator("[role=alert]")).to_contain_text("is in the future")
    expect(page.locator("main")).to_contain_text("Assessment, since")
    assert_accessible(page)

    day = (today - dt.timedelta(days=5)).isoformat()
    page.get_by_label("Moved on").fill(day)
    page.get_by_role("button", name="Move to Psychoeducation and preparation").click()
    expect(page.locator(".message-success")).to_contain_text(
        "The case moved to Psychoeducation and preparation"
    )
    expect(page.locator("main")).to_contain_text(f"Psychoeducation and preparation, since {day}")
    page.locator("nav.case-tabs").get_by_role("link", name="Timeline", exact=True).click()
    history = page.locator("section", has=page.locator("#history-heading"))
    moved = history.locator("tr", has_text="Assessment → Psychoeducation and preparation")
    expect(moved.locator("th time")).to_have_text(day)
    expect(moved).to_contain_text(f"recorded {today.isoformat()}")
    timeline = page.locator("section", has=page.locator("#timeline-heading"))
    expect(timeline).to_contain_text(
        f"moved the case from assessment to psychoeducation and preparation (took effect on {day})"
    )
    assert_accessible(page)
    context.close()
