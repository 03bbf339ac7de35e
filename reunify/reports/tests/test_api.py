"""The reports API: POST/GET /cases/{id}/reports, GET /reports/{id}/pdf, GET /dashboard, each
in the OpenAPI document. Works; needs a token; another family 404; a supervisor 403 on issue;
bad input a clear error and nothing kept; audited."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.clinical.tests.factories import stopped_clock
from reunify.conftest import Family, bearer
from reunify.disclosure.models import Disclosure
from reunify.reports.models import IssuedReport
from reunify.reports.tests.factories import Reporting, body, issue, stored_bytes, with_professionals

API = "/api/v1"
BODY = {"start": "2030-06-03", "end": "2030-06-03", "summary": "Everyone attended."}


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    return with_professionals(therapist, family)


def reports_of(reporting: Reporting) -> str:
    return f"{API}/cases/{reporting.family.case.pk}/reports"


def test_a_therapist_issues_a_report(client: Client, therapist: User, reporting: Reporting) -> None:
    response = client.post(
        reports_of(reporting), BODY, content_type="application/json", headers=bearer(therapist)
    )

    assert response.status_code == 201
    body = response.json()
    report = IssuedReport.objects.get()
    assert body["id"] == report.pk
    assert body["number"] == 1
    assert body["sha256"] == report.sha256
    assert body["pages"] == report.pages
    assert body["disclosed_to"] == [reporting.court.label]
    assert body["pdf"] == f"{API}/reports/{report.pk}/pdf"
    assert Disclosure.objects.get().recipient == reporting.court
    assert Event.objects.filter(action="report.issue", actor=therapist).exists()


def test_the_list_shows_each_version_newest_first(
    client: Client, therapist: User, supervisor: User, reporting: Reporting
) -> None:
    first = issue(therapist, reporting)
    second = issue(therapist, reporting, summary="Again.")

    response = client.get(reports_of(reporting), headers=bearer(supervisor))

    assert response.status_code == 200
    assert [(r["id"], r["sha256"]) for r in response.json()] == [
        (second.pk, second.sha256),
        (first.pk, first.sha256),
    ]
    assert Event.objects.filter(action="case.view", detail__what="api:report_list").exists()


def test_the_pdf_is_the_exact_issued_file(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)

    response = client.get(f"{API}/reports/{report.pk}/pdf", headers=bearer(therapist))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = body(response)
    assert data == stored_bytes(report)
    assert hashlib.sha256(data).hexdigest() == report.sha256
    assert Event.objects.filter(action="report.download").count() == 1


def test_every_operation_needs_a_token(client: Client, reporting: Reporting) -> None:
    for method, path in (
        ("post", reports_of(reporting)),
        ("get", reports_of(reporting)),
        ("get", f"{API}/reports/1/pdf"),
        ("get", f"{API}/dashboard"),
    ):
        response = getattr(client, method)(path, BODY, content_type="application/json")
        assert response.status_code == 401, path
    assert not IssuedReport.objects.exists()


def test_another_family_gets_404(
    client: Client, therapist: User, outsider: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)
    headers = bearer(outsider)

    posted = client.post(
        reports_of(reporting), BODY, content_type="application/json", headers=headers
    )
    assert posted.status_code == 404
    assert posted.json() == {"detail": "Not found."}
    assert client.get(reports_of(reporting), headers=headers).status_code == 404
    assert client.get(f"{API}/reports/{report.pk}/pdf", headers=headers).status_code == 404
    assert IssuedReport.objects.count() == 1


def test_a_supervisor_may_not_issue(client: Client, supervisor: User, reporting: Reporting) -> None:
    response = client.post(
        reports_of(reporting), BODY, content_type="application/json", headers=bearer(supervisor)
    )

    assert response.status_code == 403
    assert not IssuedReport.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"start": "2030-06-04", "end": "2030-06-03"}, 400, "after it ends on 2030-06-03"),
        ({"end": "2031-01-01"}, 400, "after today"),
        ({"summary": " "}, 400, "Write your summary"),
        ({"start": "yesterday"}, 422, "start"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_kept(
    client: Client,
    therapist: User,
    reporting: Reporting,
    change: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = client.post(
        reports_of(reporting),
        {**BODY, **change},
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not IssuedReport.objects.exists()
    assert not Event.objects.filter(action="report.issue").exists()


def test_the_dashboard(client: Client, therapist: User, reporting: Reporting) -> None:
    response = client.get(f"{API}/dashboard", headers=bearer(therapist))

    assert response.status_code == 200
    body = response.json()
    assert body["open_cases"] == 1
    assert body["phases"][0] == {
        "phase": "assessment",
        "label": "Assessment",
        "open_cases": 1,
        "median_days_so_far": 0.0,
        "finished_stays": 0,
        "median_days_per_stay": None,
    }
    assert body["reports_due"][0]["court_case_number"] == "FL-2030-000123"
    assert body["releases_expiring"][0]["days_left"] == 20
    assert body["screens_due"][0]["case"]["id"] == reporting.family.case.pk
    assert Event.objects.filter(action="case.list_view", detail__what="api:dashboard").exists()


def test_the_dashboard_is_for_therapists_and_supervisors(client: Client, monitor: User) -> None:
    response = client.get(f"{API}/dashboard", headers=bearer(monitor))

    assert response.status_code == 403
    assert "therapists and supervisors" in response.json()["detail"]


def test_the_openapi_document_lists_the_report_operations(client: Client) -> None:
    document = client.get(f"{API}/openapi.json").json()
    paths = document["paths"]

    assert set(paths[f"{API}/cases/{{id}}/reports"]) == {"get", "post"}
    assert set(paths[f"{API}/reports/{{id}}/pdf"]) == {"get"}
    assert set(paths[f"{API}/dashboard"]) == {"get"}
    pdf = paths[f"{API}/reports/{{id}}/pdf"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
