"""The "Court reports" section of the case page: issue a report, see each version with its
SHA-256, download it. Works; needs login; another family 404; a supervisor 403; bad input a
clear error and nothing kept; audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.sections import section_url
from reunify.clinical.tests.factories import DAY, stopped_clock
from reunify.conftest import Family, case_text, login
from reunify.reports.models import IssuedReport
from reunify.reports.services import report_recipients
from reunify.reports.tests.factories import Reporting, body, issue, stored_bytes, with_professionals


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    return with_professionals(therapist, family)


def case_page(client: Client, family: Family) -> str:
    response = client.get(section_url(family.case.pk, "legal"))
    assert response.status_code == 200
    return response.content.decode()


def post(client: Client, family: Family, **overrides: Any) -> Any:
    today = dt.date(2030, 6, 3)
    data: dict[str, Any] = {
        "report-start": today.isoformat(),
        "report-end": today.isoformat(),
        "report-summary": "Everyone came to every session.",
    }
    data["report-recipients"] = [party.pk for party, _ in report_recipients(family.case)]
    data.update({f"report-{k}": v for k, v in overrides.items()})
    # Through the preview, then signed and issued as previewed.
    client.post(reverse("report_preview", args=[family.case.pk]), data)
    return client.post(reverse("report_new", args=[family.case.pk]), {**data, "step": "issue"})


def test_the_case_page_offers_the_issue_form_to_the_treating_therapist(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    page = case_page(login(client, therapist), reporting.family)

    assert 'id="reports-heading"' in page
    assert "Issue a court progress report" in page
    assert 'name="report-start"' in page
    assert "No court report issued yet." in page


def test_a_therapist_issues_a_report_and_sees_its_hash(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    login(client, therapist)
    response = post(client, reporting.family)

    report = IssuedReport.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith("#reports-heading")
    page = case_page(client, reporting.family)
    assert f"SHA-256: {report.sha256}" in page  # the message
    assert f"<code>{report.sha256}</code>" in page  # the list of issued versions
    assert "Report 1: 2030-06-03 to 2030-06-03" in page
    assert "Clerk Elmshire" in page
    event = Event.objects.get(action="report.issue")
    assert (event.actor, event.case_id) == (therapist, reporting.family.case.pk)


def test_issuing_needs_login(client: Client, reporting: Reporting) -> None:
    response = post(client, reporting.family)

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not IssuedReport.objects.exists()


def test_another_familys_therapist_gets_404(
    client: Client, outsider: User, reporting: Reporting
) -> None:
    login(client, outsider)

    assert post(client, reporting.family).status_code == 404
    assert client.get(reverse("report_new", args=[reporting.family.case.pk])).status_code == 404
    assert not IssuedReport.objects.exists()


def test_a_supervisor_sees_the_reports_but_may_not_issue(
    client: Client, therapist: User, supervisor: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)
    login(client, supervisor)

    page = case_page(client, reporting.family)
    assert report.sha256 in page
    assert 'name="report-start"' not in page
    assert post(client, reporting.family).status_code == 403
    assert IssuedReport.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": "2030-06-03", "end": "2030-06-01"}, "after it ends on 2030-06-01"),
        ({"end": "2030-07-01"}, "after today (2030-06-03)"),
        ({"start": "not a date"}, "Enter a valid date."),
        ({"summary": ""}, "This field is required."),
        ({"summary": "She should live with her mother."}, "custody opinion"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_issued(
    client: Client,
    therapist: User,
    reporting: Reporting,
    overrides: dict[str, str],
    message: str,
) -> None:
    login(client, therapist)
    before = Event.objects.exclude(action="case.view").count()

    response = post(client, reporting.family, **overrides)

    assert response.status_code == 400
    page = response.content.decode()
    assert "The report was not issued" in page
    assert message in page
    assert not IssuedReport.objects.exists()
    assert Event.objects.exclude(action="case.view").count() == before


def test_the_form_page_starts_after_the_last_report(
    client: Client, therapist: User, reporting: Reporting, clock: Any
) -> None:
    issue(therapist, reporting)
    clock.move_to(timezone.now() + 10 * DAY)
    login(client, therapist)

    page = client.get(reverse("report_new", args=[reporting.family.case.pk])).content.decode()

    assert 'value="2030-06-04"' in page
    assert 'value="2030-06-13"' in page


def test_a_download_is_the_exact_file_and_is_audited(
    client: Client, therapist: User, supervisor: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)
    login(client, supervisor)

    response = client.get(reverse("report_download", args=[report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert body(response) == stored_bytes(report)
    event = Event.objects.filter(action="report.download").get()
    assert event.actor == supervisor
    looks = case_text(client, reporting.family.case.pk)
    assert "download: court progress report 1" in looks


def test_a_download_needs_login_and_hides_other_families(
    client: Client, therapist: User, outsider: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)
    address = reverse("report_download", args=[report.pk])

    assert "/login/" in client.get(address)["Location"]
    login(client, outsider)
    assert client.get(address).status_code == 404
    assert not Event.objects.filter(action="report.download").exists()
