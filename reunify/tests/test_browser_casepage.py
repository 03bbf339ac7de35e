"""The case page on a phone, in real headless Chromium: a therapist opens a demo case and moves
through its sections by the tab bar's links; each has its own address, fits the screen, and
passes axe-core. The caseload fits the screen too."""

from __future__ import annotations

import pytest

from reunify.cases.sections import SECTIONS
from reunify.tests.test_browser import PHONE, assert_accessible, browser, log_in, server

__all__ = ["browser", "server"]

pytestmark = pytest.mark.browser

# A phone 375 px wide, the narrowest the issue names.
NARROW = {**PHONE, "viewport": {"width": 375, "height": 740}}


def _fits_the_screen(page: object) -> bool:
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth <= window.innerWidth"
        )
    )


def test_a_therapist_moves_through_a_case_by_its_tabs_on_a_phone(
    server: str, browser: object
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**NARROW)  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("caseload", ignore_case=True)
    assert _fits_the_screen(page), "the caseload is wider than the phone"
    assert_accessible(page)

    page.locator("table").get_by_role("link", name="Marigold family").click()
    overview = page.url
    tabs = page.get_by_role("navigation", name="Sections of this case")
    expect(tabs.locator('[aria-current="page"]')).to_have_text("Overview")
    seen = {overview}
    for slug, label in SECTIONS[1:]:
        tabs.get_by_role("link", name=str(label), exact=True).click()
        expect(tabs.locator('[aria-current="page"]')).to_have_text(str(label))
        assert page.url.endswith(f"/{slug}/"), page.url
        assert page.url not in seen
        seen.add(page.url)
        assert _fits_the_screen(page), f"{slug} is wider than the phone"
        assert_accessible(page)
    tabs.get_by_role("link", name="Overview", exact=True).click()
    assert page.url == overview
    expect(page.locator("section.gate")).to_be_visible()
    assert _fits_the_screen(page), "the overview is wider than the phone"
    assert_accessible(page)

    # Closing is apart, on a page of its own that asks to confirm.
    page.get_by_role("link", name="Close the case…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the case")
    assert _fits_the_screen(page)
    assert_accessible(page)
    context.close()
