"""Signing a progress note in a real browser: what is on the screen is what gets signed.

Uses the server (demo practice plus the Linden family in therapeutic contact) and the headless
Chromium of test_browser.py.
"""

from __future__ import annotations

import pytest

from reunify.tests.test_browser import assert_accessible, browser, log_in, server, shell

__all__ = ["browser", "server"]

pytestmark = pytest.mark.browser

DRAFT = """
import datetime as dt
from django.utils import timezone
from reunify.accounts.models import User
from reunify.cases.models import Case
from reunify.clinical import services
from reunify.process import pausing
t = User.objects.get(username="therapist1")
case = Case.objects.get(title="Linden family")
session = services.appointment_schedule(
    actor=t, case=case, kind="individual", participants=[case.parties.get(role="child")],
    starts_at=timezone.now() - dt.timedelta(hours=30),
)
services.appointment_complete(actor=t, appointment=session)
pausing.note_write(
    actor=t, appointment=session, format="dap",
    body={"data": "Mia talked about her father's letter.", "assessment": "Curious.", "plan": ""},
)
print(session.pk)
"""


def test_a_therapist_signs_a_draft_with_words_never_saved(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    session = shell(DRAFT).strip().splitlines()[-1]
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    page.goto(f"{server}/appointments/{session}/")
    expect(page.locator("article.note")).to_contain_text("Draft")
    assert_accessible(page)

    page.fill("#id_note-plan", "Mia writes back before the first visit.")
    page.get_by_role("button", name="Sign and lock the note").click()

    note = page.locator("article.note")
    expect(note).to_contain_text("Signed and locked")
    expect(note).to_contain_text("Mia writes back before the first visit.")
    expect(page.get_by_role("button", name="Save the draft")).to_have_count(0)
    assert_accessible(page)
    context.close()
