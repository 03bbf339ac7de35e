"""A legal party downloads, from the portal, a court report issued to them, while a release or
court order covering court reports is in force: the exact bytes, logged as a disclosure naming
the release, audited. Everyone and everything else answers 404 (staff: refused), from the next
request on once a release is revoked or expires."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party
from reunify.clinical.tests.factories import DAY, stopped_clock
from reunify.conftest import Family, bearer, login
from reunify.disclosure.models import REDISCLOSURE_NOTICE, Category, Channel, Disclosure, Release
from reunify.disclosure.services import release_revoke
from reunify.portal.tests.factories import grant, portal_user
from reunify.reports.models import IssuedReport
from reunify.reports.tests.factories import (
    Reporting,
    body,
    issue,
    stored_bytes,
    with_professionals,
)

API = "/api/v1/portal/reports"


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    """The Rivers family with a court (covered by its order), an attorney (a release for
    attendance only, so far) and a guardian ad litem (no release)."""
    return with_professionals(therapist, family)


@pytest.fixture
def priya(therapist: User, reporting: Reporting) -> User:
    """The attorney's portal account."""
    return portal_user(therapist, reporting.attorney)


@pytest.fixture
def covered(therapist: User, reporting: Reporting) -> Release:
    """A release Daniel signed letting his attorney receive court reports."""
    return grant(therapist, reporting.family, reporting.attorney, [Category.COURT_REPORTS])


def download(party: Party, report: IssuedReport) -> str:
    return reverse("portal_report_download", args=[party.pk, report.pk])


def page(client: Client, party: Party) -> str:
    return client.get(reverse("portal_party", args=[party.pk])).content.decode()


def downloads() -> Any:
    return Disclosure.objects.filter(channel=Channel.DOWNLOAD)


# The page -------------------------------------------------------------------------------------


def test_an_attorney_downloads_the_exact_bytes_and_the_disclosure_names_the_release(
    client: Client, therapist: User, reporting: Reporting, covered: Release, priya: User
) -> None:
    report = issue(therapist, reporting)
    login(client, priya)

    listed = page(client, reporting.attorney)
    response = client.get(download(reporting.attorney, report))

    assert f'href="{download(reporting.attorney, report)}"' in listed
    assert f"Court progress report 1 ({report.period_start} to {report.period_end})" in listed
    assert "Covered by: release signed by Daniel Rivers" in listed
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{report.filename}"' in response["Content-Disposition"]
    assert "Redisclosure-Notice" not in response
    data = body(response)
    assert hashlib.sha256(data).hexdigest() == report.sha256
    assert data == stored_bytes(report)
    assert "Court progress report 1" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    disclosure = downloads().get()
    assert disclosure.release == covered
    assert (disclosure.recipient, disclosure.category) == (reporting.attorney, "court_reports")
    assert disclosure.object_type == "reports.issuedreport"
    assert disclosure.object_id == str(report.pk)
    assert disclosure.actor == priya
    assert not disclosure.carries_substance_use
    event = Event.objects.filter(action="report.download").get()
    assert (event.actor, event.case_id, event.object_id) == (
        priya,
        reporting.family.case.pk,
        str(report.pk),
    )
    assert event.detail["party"] == reporting.attorney.pk


def test_the_court_downloads_under_its_court_order(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)
    clerk = portal_user(therapist, reporting.court, "clerk@example.invalid")
    login(client, clerk)

    response = client.get(download(reporting.court, report))

    assert response.status_code == 200
    assert body(response) == stored_bytes(report)
    assert downloads().get().release.court_order == reporting.order


def test_it_needs_a_login(client: Client, therapist: User, reporting: Reporting) -> None:
    report = issue(therapist, reporting)

    response = client.get(download(reporting.attorney, report))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_revocation_takes_effect_at_the_next_request(
    client: Client, therapist: User, reporting: Reporting, covered: Release, priya: User
) -> None:
    report = issue(therapist, reporting)
    login(client, priya)
    assert client.get(download(reporting.attorney, report)).status_code == 200

    release_revoke(actor=therapist, release=covered, reason="Daniel withdrew his consent.")

    assert client.get(download(reporting.attorney, report)).status_code == 404
    assert download(reporting.attorney, report) not in page(client, reporting.attorney)
    assert downloads().count() == 1


def test_expiry_takes_effect_at_the_next_request(
    client: Client, therapist: User, reporting: Reporting, priya: User, clock: Any
) -> None:
    grant(therapist, reporting.family, reporting.attorney, [Category.COURT_REPORTS], days=2)
    report = issue(therapist, reporting)

    clock.shift(2 * DAY)
    assert client.get(download(reporting.attorney, report), follow=False).status_code == 302
    assert login(client, priya).get(download(reporting.attorney, report)).status_code == 200

    clock.shift(DAY)
    login(client, priya)
    assert client.get(download(reporting.attorney, report)).status_code == 404
    assert "Court reports" not in page(client, reporting.attorney)
    assert downloads().count() == 1


def test_a_report_not_issued_to_them_is_404(
    client: Client, therapist: User, reporting: Reporting, priya: User
) -> None:
    # Issued while the attorney's release covered attendance only: never disclosed to them.
    before = issue(therapist, reporting)
    grant(therapist, reporting.family, reporting.attorney, [Category.COURT_REPORTS])
    login(client, priya)

    listed = page(client, reporting.attorney)

    assert client.get(download(reporting.attorney, before)).status_code == 404
    assert "No report issued" in listed
    assert download(reporting.attorney, before) not in listed
    assert not downloads().exists()


def test_a_party_without_any_release_gets_404(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)
    gus = portal_user(therapist, reporting.gal, "gus@example.invalid")
    login(client, gus)

    assert client.get(download(reporting.gal, report)).status_code == 404
    assert client.get(download(reporting.court, report)).status_code == 404


def test_another_familys_report_is_404(
    client: Client,
    therapist: User,
    outsider: User,
    reporting: Reporting,
    covered: Release,
    priya: User,
    other_family: Family,
) -> None:
    theirs = with_professionals(outsider, other_family)
    grant(outsider, other_family, theirs.attorney, [Category.COURT_REPORTS])
    report = issue(outsider, theirs)
    login(client, priya)

    assert client.get(download(reporting.attorney, report)).status_code == 404
    assert client.get(download(theirs.attorney, report)).status_code == 404
    assert client.get(download(reporting.attorney, IssuedReport(pk=99999))).status_code == 404
    assert not downloads().exists()


def test_a_parent_never_downloads_a_report_from_the_portal(
    client: Client, therapist: User, reporting: Reporting, covered: Release
) -> None:
    report = issue(therapist, reporting)
    daniel = portal_user(therapist, reporting.family.estranged, "daniel@example.invalid")
    login(client, daniel)

    assert client.get(download(reporting.family.estranged, report)).status_code == 404
    assert client.get(download(reporting.attorney, report)).status_code == 404
    assert not downloads().exists()


def test_staff_are_refused(
    client: Client, therapist: User, reporting: Reporting, covered: Release
) -> None:
    report = issue(therapist, reporting)
    login(client, therapist)

    assert client.get(download(reporting.attorney, report)).status_code == 403
    assert not downloads().exists()


def test_a_substance_use_report_needs_a_release_naming_it_and_carries_the_notice(
    client: Client, therapist: User, reporting: Reporting, covered: Release, priya: User
) -> None:
    naming = grant(
        therapist,
        reporting.family,
        reporting.attorney,
        [Category.COURT_REPORTS, Category.SUBSTANCE_USE],
    )
    report = issue(therapist, reporting, substance_use=True)
    login(client, priya)

    listed = page(client, reporting.attorney)
    response = client.get(download(reporting.attorney, report))

    assert download(reporting.attorney, report) in listed
    assert "42 CFR part 2" in listed
    assert response.status_code == 200
    assert response["Redisclosure-Notice"] == REDISCLOSURE_NOTICE
    assert body(response) == stored_bytes(report)
    disclosure = downloads().get()
    assert (disclosure.release, disclosure.carries_substance_use) == (naming, True)

    # Court reports stay covered, substance use no longer is.
    release_revoke(actor=therapist, release=naming, reason="Daniel narrowed his consent.")

    assert client.get(download(reporting.attorney, report)).status_code == 404
    listed = page(client, reporting.attorney)
    assert download(reporting.attorney, report) not in listed
    assert "42 CFR part 2" not in listed
    assert downloads().count() == 1


def test_a_stored_file_that_changed_is_not_served_and_nothing_is_logged(
    client: Client,
    therapist: User,
    reporting: Reporting,
    covered: Release,
    priya: User,
    settings: Any,
) -> None:
    report = issue(therapist, reporting)
    path = Path(settings.REUNIFY_DOCUMENTS_DIR) / report.stored_name
    data = bytearray(path.read_bytes())
    data[-20] ^= 1
    path.write_bytes(bytes(data))
    login(client, priya)

    response = client.get(download(reporting.attorney, report), follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal_party", args=[reporting.attorney.pk])
    assert "no longer matches the SHA-256" in response.content.decode()
    assert not downloads().exists()
    assert not Event.objects.filter(action="report.download").exists()


# The API --------------------------------------------------------------------------------------


def test_the_api_serves_the_same_bytes_and_logs_the_same_disclosure(
    client: Client, therapist: User, reporting: Reporting, covered: Release, priya: User
) -> None:
    report = issue(therapist, reporting)

    response = client.get(f"{API}/{report.pk}/pdf", headers=bearer(priya))

    assert response.status_code == 200
    assert hashlib.sha256(body(response)).hexdigest() == report.sha256
    assert "Redisclosure-Notice" not in response
    assert downloads().get().release == covered
    assert Event.objects.filter(action="report.download", actor=priya).exists()


def test_the_party_api_links_each_report_to_its_download(
    client: Client, therapist: User, reporting: Reporting, covered: Release, priya: User
) -> None:
    report = issue(therapist, reporting)
    headers = bearer(priya)

    party = client.get(f"/api/v1/portal/parties/{reporting.attorney.pk}", headers=headers).json()
    [listed] = party["released"]["court_reports"]
    response = client.get(listed["pdf"], headers=headers)

    assert listed["pdf"] == f"{API}/{report.pk}/pdf"
    assert hashlib.sha256(body(response)).hexdigest() == report.sha256


def test_the_api_refuses_everyone_else(
    client: Client,
    therapist: User,
    outsider: User,
    reporting: Reporting,
    covered: Release,
    priya: User,
    other_family: Family,
) -> None:
    report = issue(therapist, reporting)
    theirs = with_professionals(outsider, other_family)
    grant(outsider, other_family, theirs.attorney, [Category.COURT_REPORTS])
    other = issue(outsider, theirs)
    daniel = portal_user(therapist, reporting.family.estranged, "daniel@example.invalid")

    def status(user: User | None, item: IssuedReport) -> int:
        headers = bearer(user) if user else {}
        return client.get(f"{API}/{item.pk}/pdf", headers=headers).status_code

    assert status(None, report) == 401
    assert status(therapist, report) == 403
    assert status(daniel, report) == 404
    assert status(priya, other) == 404
    release_revoke(actor=therapist, release=covered, reason="Daniel withdrew his consent.")
    assert status(priya, report) == 404
    assert not downloads().exists()


def test_the_api_carries_the_notice_with_a_substance_use_report(
    client: Client, therapist: User, reporting: Reporting, priya: User
) -> None:
    grant(
        therapist,
        reporting.family,
        reporting.attorney,
        [Category.COURT_REPORTS, Category.SUBSTANCE_USE],
    )
    report = issue(therapist, reporting, substance_use=True)

    response = client.get(f"{API}/{report.pk}/pdf", headers=bearer(priya))

    assert response.status_code == 200
    assert response["Redisclosure-Notice"] == REDISCLOSURE_NOTICE
    assert downloads().get().carries_substance_use


def test_the_api_operation_is_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/portal/reports/{id}/pdf"]
