"""A court report is previewed before it is issued, then signed and issued: the preview is the
same PDF marked PREVIEW — NOT ISSUED, never kept, hashed or disclosed (only audited); the
issued one is signed with the therapist's licence, prints the public verify address when one
is configured, and downloads under a name that says what it is. PDFs are read back with
pdftotext, as a court would read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import Role, User
from reunify.accounts.qualifications import qualification_record
from reunify.audit.models import Event
from reunify.clinical.tests.factories import stopped_clock
from reunify.conftest import Family, bearer, login, make_family, make_user
from reunify.disclosure.models import Disclosure
from reunify.reports.models import IssuedReport, report_filename
from reunify.reports.services import report_issue, report_preview
from reunify.reports.tests.factories import (
    SUMMARY,
    Reporting,
    body,
    issue,
    pdftotext,
    stored_bytes,
    today,
    with_professionals,
)
from reunify.reports.views import PREVIEWED

WATERMARK = "PREVIEW — NOT ISSUED"
API = "/api/v1"


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    return with_professionals(therapist, family)


def preview(therapist: User, reporting: Reporting, **overrides: Any) -> bytes:
    fields: dict[str, Any] = {"start": reporting.start, "end": today(), "summary": SUMMARY}
    fields.update(overrides)
    return report_preview(actor=therapist, case=reporting.family.case, **fields).pdf


# The services -----------------------------------------------------------------------------------


def test_a_preview_is_watermarked_and_neither_issued_nor_disclosed(
    therapist: User, reporting: Reporting
) -> None:
    disclosures = Disclosure.objects.count()

    text = pdftotext(preview(therapist, reporting))

    assert text.count(WATERMARK) >= 2  # the banner, and the header of every page
    assert "Court progress report" in text
    assert SUMMARY in text
    assert not IssuedReport.objects.exists()
    assert Disclosure.objects.count() == disclosures
    event = Event.objects.latest("id")
    assert (event.action, event.case_id) == ("report.preview", reporting.family.case.pk)
    assert "sha256" not in event.detail
    assert event.detail["recipients"] == [reporting.court.pk]


def test_an_issued_report_is_signed_with_the_licence(therapist: User, reporting: Reporting) -> None:
    report = issue(therapist, reporting)

    text = pdftotext(stored_bytes(report))
    assert (
        f"Licence of Tess Hale: Licensed marriage and family therapist (LMFT), number "
        f"LMFT {10000 + therapist.pk}, state CA." in text
    )
    assert WATERMARK not in text
    assert "PREVIEW" not in text


def test_issuing_is_refused_without_a_licence_on_file(db: Any) -> None:
    newcomer = make_user("newcomer", Role.THERAPIST)
    family = make_family(newcomer, title="Okafor family", last="Okafor")

    with pytest.raises(Exception, match="has no licence on file"):
        report_issue(actor=newcomer, case=family.case, start=today(), end=today(), summary=SUMMARY)
    assert not IssuedReport.objects.exists()


def test_issuing_is_refused_with_an_expired_licence(therapist: User, reporting: Reporting) -> None:
    qualification_record(
        actor=None,
        user=therapist,
        licence_type="lmft",
        licence_number="LMFT 1",
        licence_state="CA",
        licence_expires_on=today() - dt.timedelta(days=1),
        training_areas=[],
    )

    with pytest.raises(Exception, match="expired on"):
        issue(therapist, reporting)
    assert not IssuedReport.objects.exists()
    assert "Licence: none current on file" in pdftotext(preview(therapist, reporting))


def test_the_verify_line_prints_the_public_address_when_configured(
    therapist: User, reporting: Reporting, settings: Any
) -> None:
    settings.REUNIFY_PUBLIC_URL = "https://reunify.example.org/"

    text = pdftotext(stored_bytes(issue(therapist, reporting)))

    assert "fingerprint at https://reunify.example.org/verify." in text


def test_the_verify_line_prints_no_address_when_none_is_configured(
    therapist: User, reporting: Reporting, settings: Any
) -> None:
    settings.REUNIFY_PUBLIC_URL = ""

    text = pdftotext(stored_bytes(issue(therapist, reporting)))

    assert "verification page" in text
    assert "/verify" not in text
    assert "http" not in text


def test_the_chosen_recipients_alone_receive_it(therapist: User, reporting: Reporting) -> None:
    report = issue(therapist, reporting, recipients=[])

    assert not Disclosure.objects.filter(object_id=str(report.pk)).exists()
    assert "kept in the case record only" in pdftotext(stored_bytes(report))


def test_a_recipient_no_release_covers_is_refused(therapist: User, reporting: Reporting) -> None:
    with pytest.raises(Exception, match="not to Priya Shah"):
        issue(therapist, reporting, recipients=[reporting.court, reporting.attorney])
    assert not IssuedReport.objects.exists()


def test_the_file_name_says_whose_report_for_which_period(
    therapist: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)

    assert report.filename == f"court-report-rivers-family-{reporting.start}-to-{today()}.pdf"
    name = report_filename("Ñúñez / O'Brien family", dt.date(2026, 9, 1), dt.date(2026, 11, 30))
    assert name == "court-report-nunez-obrien-family-2026-09-01-to-2026-11-30.pdf"
    assert report_filename("???", dt.date(2026, 9, 1), dt.date(2026, 9, 2)).startswith(
        "court-report-case-2026"
    )


# The pages --------------------------------------------------------------------------------------


def form_data(reporting: Reporting, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "report-start": reporting.start.isoformat(),
        "report-end": today().isoformat(),
        "report-summary": SUMMARY,
        "report-recipients": [reporting.court.pk],
    }
    data.update(overrides)
    return data


def test_the_review_page_shows_the_signature_and_offers_the_preview(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    login(client, therapist)
    case = reporting.family.case
    form = client.get(reverse("report_new", args=[case.pk])).content.decode()
    assert "Preview the report" in form
    assert 'name="report-recipients"' in form

    response = client.post(reverse("report_new", args=[case.pk]), form_data(reporting))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Check and sign the court progress report" in page
    assert f"licence number LMFT {10000 + therapist.pk}, state CA" in page
    assert "Clerk Elmshire (court)" in page
    assert f'formaction="{reverse("report_preview", args=[case.pk])}"' in page
    assert 'value="issue"' in page
    assert not IssuedReport.objects.exists()


def test_a_therapist_previews_then_signs_and_issues(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    login(client, therapist)
    case = reporting.family.case

    response = client.post(reverse("report_preview", args=[case.pk]), form_data(reporting))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    name = f"court-report-rivers-family-{reporting.start}-to-{today()}-preview.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert WATERMARK in pdftotext(response.content)
    assert not IssuedReport.objects.exists()
    assert Event.objects.latest("id").action == "report.preview"

    response = client.post(
        reverse("report_new", args=[case.pk]), {**form_data(reporting), "step": "issue"}
    )

    assert response.status_code == 302
    report = IssuedReport.objects.get()
    assert report.summary == SUMMARY
    assert Disclosure.objects.filter(object_id=str(report.pk)).count() == 1
    download = client.get(reverse("report_download", args=[report.pk]))
    name = f"court-report-rivers-family-{reporting.start}-to-{today()}.pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert WATERMARK not in pdftotext(body(download))
    assert PREVIEWED not in client.session or not client.session[PREVIEWED]


def test_issuing_without_a_preview_of_the_same_report_is_refused(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    login(client, therapist)
    case = reporting.family.case
    issue_now = {**form_data(reporting), "step": "issue"}

    response = client.post(reverse("report_new", args=[case.pk]), issue_now)
    assert response.status_code == 400
    assert "Open the preview of this report" in response.content.decode()

    client.post(reverse("report_preview", args=[case.pk]), form_data(reporting))
    changed = {**issue_now, "report-summary": SUMMARY + " And more."}
    response = client.post(reverse("report_new", args=[case.pk]), changed)
    assert response.status_code == 400
    assert "Open the preview of this report" in response.content.decode()
    assert not IssuedReport.objects.exists()


def test_the_preview_refuses_bad_input(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    login(client, therapist)
    case = reporting.family.case
    events = Event.objects.filter(action="report.preview").count()

    response = client.post(
        reverse("report_preview", args=[case.pk]), form_data(reporting, **{"report-summary": ""})
    )

    assert response.status_code == 400
    assert "Write your summary" in response.content.decode() or "required" in (
        response.content.decode()
    )
    assert Event.objects.filter(action="report.preview").count() == events


def test_the_preview_needs_login_and_the_treating_therapist(
    client: Client,
    therapist: User,
    supervisor: User,
    outsider: User,
    reporting: Reporting,
) -> None:
    address = reverse("report_preview", args=[reporting.family.case.pk])
    data = form_data(reporting)

    assert client.post(address, data).status_code == 302
    login(client, outsider)
    assert client.post(address, data).status_code == 404
    login(client, supervisor)
    assert client.post(address, data).status_code == 403
    assert client.get(address).status_code == 405
    assert not Event.objects.filter(action="report.preview").exists()


# The API ----------------------------------------------------------------------------------------


def api_post(client: Client, path: str, payload: Any, user: User | None = None) -> Any:
    headers = bearer(user) if user else {}
    return client.post(API + path, payload, content_type="application/json", headers=headers)


def api_body(reporting: Reporting, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "start": reporting.start.isoformat(),
        "end": today().isoformat(),
        "summary": SUMMARY,
    }
    payload.update(overrides)
    return payload


def test_the_api_previews_a_report(client: Client, therapist: User, reporting: Reporting) -> None:
    path = f"/cases/{reporting.family.case.pk}/reports/preview"

    response = api_post(client, path, api_body(reporting), therapist)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "-preview.pdf" in response["Content-Disposition"]
    assert WATERMARK in pdftotext(response.content)
    assert not IssuedReport.objects.exists()
    assert Event.objects.latest("id").action == "report.preview"


def test_the_api_preview_refuses_what_it_should(
    client: Client, therapist: User, outsider: User, reporting: Reporting
) -> None:
    path = f"/cases/{reporting.family.case.pk}/reports/preview"

    assert api_post(client, path, api_body(reporting)).status_code == 401
    assert api_post(client, path, api_body(reporting), outsider).status_code == 404
    response = api_post(client, path, api_body(reporting, summary=" "), therapist)
    assert response.status_code == 400
    assert "Write your summary" in response.json()["detail"]
    assert not Event.objects.filter(action="report.preview").exists()


def test_the_api_issues_to_the_recipients_chosen(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    path = f"/cases/{reporting.family.case.pk}/reports"

    refused = api_post(client, path, api_body(reporting, recipients=[reporting.gal.pk]), therapist)
    assert refused.status_code == 400
    assert "not to Gus Gardner" in refused.json()["detail"]
    unknown = api_post(client, path, api_body(reporting, recipients=[999999]), therapist)
    assert unknown.status_code == 400
    assert not IssuedReport.objects.exists()

    response = api_post(client, path, api_body(reporting, recipients=[]), therapist)

    assert response.status_code == 201
    assert response.json()["disclosed_to"] == []
