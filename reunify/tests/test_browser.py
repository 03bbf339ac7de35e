"""A therapist's first minutes, in real headless Chromium against a real server process.

The server runs in its own process on its own SQLite file (loaded with the demo practice and
one family whose assessment lacks only the safety screen), exactly as `make run` would serve
it. Every page visited is checked with axe-core for serious or critical accessibility faults.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reunify.conftest import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
REUNIFY = Path(sys.executable).parent / "reunify"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser

SEED = """
import datetime as dt
from django.utils import timezone
from reunify.accounts.models import User
from reunify.cases import services
from reunify.conftest import make_family
t = User.objects.get(username="therapist1")
f = make_family(t, title="Hawthorne family", last="Hawthorne")
today = timezone.localdate()
for days, party in ((6, f.estranged), (5, f.other), (4, f.child)):
    day = today - dt.timedelta(days=days)
    services.intake_record(actor=t, case=f.case, party=party, held_on=day)
for party in (f.estranged, f.other):
    for kind in ("informed_consent", "limits_of_confidentiality", "service_agreement"):
        services.consent_record(actor=t, case=f.case, party=party, kind=kind, signed_on=today)
services.document_review_record(actor=t, case=f.case, reviewed_on=today, none_provided=True)
from reunify.conftest import sign_releases
sign_releases(t, f)
# A second family already in therapeutic contact, on the ladder's first rung since an hour ago.
import time_machine
from reunify.conftest import advance_to
with time_machine.travel(timezone.now() - dt.timedelta(hours=1)):
    g = make_family(t, title="Linden family", last="Linden")
    advance_to(t, g, "therapeutic_contact")
    # This family's ladder starts with visits, not letters (a ladder the therapist set up so).
    from reunify.clinical.models import ContactRung
    ContactRung.objects.filter(ladder__case=g.case, position=1).update(letters=False)
"""


# The running server's environment, for `shell` to seed its database while it serves.
SERVER_ENV: dict[str, str] = {}


def shell(code: str) -> str:
    """Run Python in `reunify shell` against the server's database; return what it printed."""
    done = subprocess.run(
        [str(REUNIFY), "shell", "-c", code], env=SERVER_ENV, check=True, capture_output=True
    )
    return done.stdout.decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = {
        **os.environ,
        "REUNIFY_VAR_DIR": str(var_dir),
        "REUNIFY_SECURE_COOKIES": "0",
        "REUNIFY_DEBUG": "0",
        "REUNIFY_SECRET_KEY": "browser-tests-only-" + "k" * 40,
        "DJANGO_SETTINGS_MODULE": "reunify.settings",
    }
    env.pop("DATABASE_URL", None)
    SERVER_ENV.clear()
    SERVER_ENV.update(env)
    for command in (["migrate", "-v0"], ["demo"], ["shell", "-c", SEED]):
        subprocess.run([str(REUNIFY), *command], env=env, check=True, capture_output=True)
    port = free_port()
    # Outside debug `reunify serve` collects the static files first (some twenty seconds).
    with serving([str(REUNIFY), "serve", "--port", str(port)], env, port, seconds=180) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def assert_accessible(page: object) -> None:
    """Run axe-core in the page and fail on any serious or critical violation."""
    # Evaluated through the DevTools protocol, which the page's strict Content-Security-Policy
    # does not govern: a `<script>` tag with axe-core's text would be refused as inline script.
    page.evaluate(AXE.read_text() + "\n;true")  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        """async () => {
            const r = await axe.run(document);
            return {
                passed: r.passes.length,
                violations: r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => `${v.id} (${v.impact}): ${v.help} at ` +
                              v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')),
            };
        }"""
    )
    assert result["passed"] > 10, "axe-core did not run its rules"
    assert result["violations"] == [], f"{page.url}: " + "; ".join(result["violations"])  # type: ignore[attr-defined]


def test_a_therapist_screens_a_family_and_moves_it_on(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/login/?next=/")
    assert_accessible(page)

    page.fill("#id_username", "therapist1")
    page.fill("#id_password", "reunify-demo-practice")
    page.get_by_role("button", name="Log in").click()
    # The second step: the code a demo account's authenticator app would show.
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_accessible(page)
    page.get_by_label("Code").fill(demo_code("therapist1"))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("caseload", ignore_case=True)
    expect(page.get_by_role("link", name="Hawthorne family")).to_be_visible()
    # therapist1 never sees therapist2's families.
    expect(page.get_by_role("link", name="Quillfeather family")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Hawthorne family").click()
    gate = page.locator("section.gate")
    expect(gate).to_contain_text("no safety screen recorded yet")
    expect(page.get_by_role("navigation", name="Sections of this case")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Record a safety screen").click()
    assert_accessible(page)
    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    page.fill("#id_screened_on", today)
    for radio in page.locator("input[type=radio][value=absent]").all():
        radio.check()
    page.locator("main button[type=submit]").last.click()

    expect(gate).to_contain_text("Nothing stands in the way")
    assert_accessible(page)
    page.get_by_role("button", name="Move to Psychoeducation and preparation").click()
    expect(page.locator("main")).to_contain_text("Psychoeducation and preparation")
    expect(page.locator("section.gate h2")).to_contain_text("Next phase: Individual work")
    assert_accessible(page)
    context.close()


def demo_code(username: str) -> str:
    """A demo account's second-factor code, from `reunify totp code` as the README says.

    Each code works once; when the account has just used the newest one, wait for the next.
    """
    for _ in range(2):
        done = subprocess.run(
            [str(REUNIFY), "totp", "code", username], env=SERVER_ENV, capture_output=True
        )
        if done.returncode == 0:
            return done.stdout.decode().strip()
        assert b"try again in 30 seconds" in done.stderr, done.stderr
        time.sleep(30 - time.time() % 30 + 1)
    raise AssertionError(f"no unused code for {username}")


def log_in(page: object, server: str, username: str) -> None:
    """Sign in as one of the demo practice's staff: password, then the authenticator's code."""
    page.goto(f"{server}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", "reunify-demo-practice")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    page.get_by_label("Code").fill(demo_code(username))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]


def test_a_therapist_records_a_contact_visit_signs_the_note_and_sees_the_ladder_gate(
    server: str, browser: object
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    page.get_by_role("link", name="Linden family").click()
    tabs = page.get_by_role("navigation", name="Sections of this case")
    tabs.get_by_role("link", name="Contact ladder").click()
    ladder = page.locator("section.gate", has=page.locator("#ladder-heading"))
    expect(ladder).to_contain_text("0 of 3 consecutive completed contact visits")
    assert_accessible(page)

    tabs.get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name="Schedule a session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule a session")
    assert_accessible(page)
    zone = ZoneInfo(os.environ.get("REUNIFY_TIME_ZONE", "America/Los_Angeles"))
    start = dt.datetime.now(zone) - dt.timedelta(minutes=5)
    page.select_option("#id_kind", "contact_supervised")
    page.fill("#id_day", start.date().isoformat())
    page.fill("#id_time", start.strftime("%H:%M"))
    page.fill("#id_duration_minutes", "60")
    page.get_by_label("Mia Linden — Child").check()
    page.get_by_label("Daniel Linden — Estranged parent").check()
    page.get_by_label("Visit monitor").select_option(label="Iggy Marchbank")
    page.get_by_role("button", name="Schedule").click()

    expect(page.locator(".message-success")).to_contain_text("Scheduled: Therapeutic contact")
    assert_accessible(page)
    page.fill("#id_contact-duration_minutes", "55")
    page.fill("#id_contact-comfort_before", "6")
    page.fill("#id_contact-comfort_after", "8")
    page.get_by_label("Who brought the child").select_option(label="Laura Linden — Other parent")
    page.fill("#id_contact-observations", "Daniel read his letter aloud; Mia asked about the dog.")
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator(".message-success")).to_contain_text("The visit is recorded.")
    expect(page.locator("#record")).to_contain_text("6/10 before, 8/10 after")

    page.fill("#id_note-data", "Mia and her father read letters together for 55 minutes.")
    page.fill("#id_note-assessment", "Mia relaxed as the visit went on.")
    page.fill("#id_note-plan", "Another visit on this rung next week.")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".message-success")).to_contain_text("saved as a draft")
    assert_accessible(page)
    page.get_by_role("button", name="Sign and lock the note").click()
    note = page.locator("article.note")
    expect(note).to_contain_text("Signed and locked")
    expect(note).to_contain_text("SHA-256")
    expect(page.get_by_role("button", name="Save the draft")).to_have_count(0)

    page.get_by_role("textbox", name="Addendum").fill(
        "Mia's mother collected her ten minutes late."
    )
    page.get_by_role("button", name="Sign and add the addendum").click()
    expect(note.locator("li.addendum")).to_contain_text("collected her ten minutes late")
    assert_accessible(page)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Linden family"
    ).click()
    tabs.get_by_role("link", name="Contact ladder").click()
    expect(ladder).to_contain_text("1 of 3 consecutive completed contact visits")
    assert_accessible(page)
    page.get_by_role("link", name="Edit the rungs above the current one").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the contact ladder")
    assert_accessible(page)
    page.go_back()
    tabs.get_by_role("link", name="Sessions").click()
    expect(page.locator("main")).to_contain_text("1 of 1 held")
    page.get_by_role("link", name="Your psychotherapy notes for this case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Psychotherapy notes")
    assert_accessible(page)
    context.close()

    # The visit's monitor finds it on their own page, and nothing of the case beyond it.
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "monitor1")
    page.get_by_role("link", name="Your visits").click()
    expect(page.locator("main")).to_contain_text("Mia Linden")
    assert_accessible(page)
    context.close()


INVITE = """
from reunify.cases.models import Party
from reunify.portal.services import invitation_create
party = Party.objects.get(case__title="Larkspur family", role="estranged_parent")
invitation = invitation_create(
    actor=party.case.therapist, case=party.case, party=party,
    email="silas.larkspur@example.invalid", portal_url="http://127.0.0.1",
)
print("TOKEN=" + invitation.token)
"""
# A phone; the page's strict CSP would refuse the axe-core script the test injects.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,
}


def _fits_the_screen(page: object) -> bool:
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


def test_a_parent_accepts_an_invitation_on_a_phone_and_sees_their_sessions(
    server: str, browser: object
) -> None:
    from playwright.sync_api import expect

    token = next(
        line.removeprefix("TOKEN=")
        for line in shell(INVITE).splitlines()
        if line.startswith("TOKEN=")
    )
    context = browser.new_context(**PHONE)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/portal/invitation/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to the portal, Silas")
    assert_accessible(page)

    page.get_by_label("Choose a password").fill("short")
    page.get_by_label("The same password again").fill("short")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".error-summary")).to_contain_text("too short")
    assert_accessible(page)

    password = "a long walk on the Elmshire coast"
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("The same password again").fill(password)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portal")
    expect(page.locator(".message-success")).to_contain_text("silas.larkspur")
    assert _fits_the_screen(page)
    assert_accessible(page)

    page.get_by_role("link", name="Larkspur family").click()
    sessions = page.locator("section", has=page.locator("#sessions-heading"))
    expect(sessions).to_contain_text("Intake interview")
    expect(page.locator("#profile-heading")).to_be_visible()
    # Nobody else's details: the protected other parent's e-mail never shows.
    expect(page.locator("main")).not_to_contain_text("juniper.larkspur@example.invalid")
    assert _fits_the_screen(page)
    assert_accessible(page)

    # The link worked once.
    page.goto(f"{server}/portal/invitation/{token}/")
    expect(page.locator("main")).to_contain_text("already been used")
    context.close()


def test_a_party_turns_on_a_second_factor_on_a_phone_and_then_needs_it(
    server: str, browser: object
) -> None:
    import pyotp
    from playwright.sync_api import expect

    context = browser.new_context(**PHONE)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/login/")
    page.fill("#id_username", "orla.quillfeather")
    page.fill("#id_password", "reunify-demo-practice")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portal")
    page.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_role("heading", level=2, name="Second factor: off")).to_be_visible()
    assert_accessible(page)

    # An open session is not enough: the password first.
    page.get_by_label("Your portal password").fill("a guess at the password")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator(".error-summary")).to_contain_text("That is not your password")
    page.get_by_label("Your portal password").fill("reunify-demo-practice")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.locator("figure.qr svg")).to_be_visible()
    assert _fits_the_screen(page)
    assert_accessible(page)

    key = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert _fits_the_screen(page)
    assert_accessible(page)

    # The next login asks for a code; a recovery code works once.
    page.get_by_role("button", name="Log out").click()
    page.fill("#id_username", "orla.quillfeather")
    page.fill("#id_password", "reunify-demo-practice")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portal")
    expect(page.locator("main")).to_contain_text("9 are left")
    context.close()


def test_an_attorney_sees_a_covered_document_and_report_and_nothing_else(
    server: str, browser: object, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**PHONE)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/login/")
    page.fill("#id_username", "hollis.tremaine")
    page.fill("#id_password", "reunify-demo-practice")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portal")
    expect(page.get_by_role("link", name="Caseload")).to_have_count(0)
    for family in ("Quillfeather", "Larkspur", "Thistlewood", "Hawthorne"):
        expect(page.locator("main")).not_to_contain_text(family)
    page.get_by_role("link", name="Marigold family").click()

    released = page.locator("section", has=page.locator("#released-heading"))
    expect(released).to_contain_text("Covered by: release signed by Ansel Marigold")
    document = released.get_by_role("link", name="Minute order FL-2025-019822")
    report = released.get_by_role("link", name=re.compile(r"^Court progress report 1 \("))
    expect(document).to_have_count(1)
    expect(report).to_have_count(1)
    # Nothing else to open: the one document, and the court reports issued to him.
    for name in released.get_by_role("link").all_inner_texts():
        assert re.fullmatch(r"Minute order FL-2025-019822|Court progress report \d+ \(.+\)", name)
    expect(page.locator("#reports-heading")).to_have_text("Court reports")
    expect(page.locator("main")).not_to_contain_text("Substance-use treatment summary")
    expect(page.locator("main")).not_to_contain_text("Redisclosure notice")
    expect(page.locator("main")).not_to_contain_text("42 CFR part 2")
    expect(page.locator("#messages-heading")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("clemency.marigold@example.invalid")
    assert _fits_the_screen(page)
    assert_accessible(page)

    with page.expect_download() as download:
        document.click()
    assert download.value.suggested_filename == "Marigold minute order FL-2025-019822.pdf"

    with page.expect_download() as download:
        report.click()
    assert re.fullmatch(
        r"court-report-marigold-family-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.pdf",
        download.value.suggested_filename,
    )
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    issued = shell(
        "from reunify.reports.models import IssuedReport\n"
        "r = IssuedReport.objects.get(case__title='Marigold family', number=1)\n"
        "print('SHA256=' + r.sha256)"
    )
    assert f"SHA256={hashlib.sha256(data).hexdigest()}" in issued.splitlines()

    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/portal/")
    context.close()


def test_a_therapist_issues_a_court_report_and_anyone_can_verify_it(
    server: str, browser: object, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    # bypass_csp: the page's strict CSP would refuse the axe-core script the test injects.
    context = browser.new_context(accept_downloads=True, bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, server, "therapist1")
    page.locator("table").get_by_role("link", name="Marigold family").click()
    tabs = page.get_by_role("navigation", name="Sections of this case")
    tabs.get_by_role("link", name="Measures").click()
    charts = page.locator("main svg[role=img]")
    expect(charts.first).to_be_visible()
    tabs.get_by_role("link", name="Legal").click()
    reports = page.locator("section", has=page.locator("#reports-heading"))
    expect(reports).to_contain_text("Report 1:")
    assert_accessible(page)

    today = dt.datetime.now(ZoneInfo("America/Los_Angeles")).date()
    page.fill("#id_report-start", (today - dt.timedelta(days=30)).isoformat())
    page.fill("#id_report-end", today.isoformat())
    page.get_by_label("Your summary").fill(
        "Tamsin and Ansel now meet for longer supervised visits; every session due was held."
    )
    page.get_by_role("button", name="Preview the report").click()

    # The review page: what will be issued, signed with the therapist's licence; the preview
    # first, marked as not issued, then signed and issued as previewed.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check and sign the court progress report"
    )
    expect(page.locator("main")).to_contain_text("licence number LMFT 88120, state CA")
    assert_accessible(page)
    with page.expect_download() as preview:
        page.get_by_role("button", name="Open the preview (PDF)").click()
    name = preview.value.suggested_filename
    assert re.fullmatch(r"court-report-marigold-family-.+-preview\.pdf", name), name
    draft = tmp_path / "preview.pdf"
    preview.value.save_as(draft)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(draft), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "PREVIEW — NOT ISSUED" in text
    page.get_by_role("button", name="Sign and issue the report").click()

    message = page.locator(".message-success")
    expect(message).to_contain_text("Court progress report 2 issued")
    sha256 = message.inner_text().rsplit("SHA-256: ", 1)[1].strip()
    assert len(sha256) == 64
    expect(reports.locator("code", has_text=sha256)).to_be_visible()
    expect(reports).to_contain_text("Report 2:")
    assert_accessible(page)

    with page.expect_download() as download:
        reports.get_by_role("link", name="Download report 2").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    due = page.locator("section", has=page.locator("#reports-due-heading"))
    expect(due).to_contain_text("Larkspur family")
    expect(page.locator("main")).not_to_contain_text("Bramblecott family")  # therapist2's
    assert_accessible(page)
    context.close()

    # Anyone holding the PDF, logged in or not, can check it.
    public = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = public.new_page()
    page.goto(f"{server}/verify")
    assert_accessible(page)
    page.set_input_files("#id_file", str(pdf))
    page.get_by_role("button", name="Check").click()
    expect(page.locator("[role=status]")).to_contain_text("Genuine: issued on")
    expect(page.locator("main")).not_to_contain_text("Marigold")
    page.fill("#id_sha256", "0" * 64)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("[role=status]")).to_contain_text("Not issued here")
    assert_accessible(page)
    public.close()
