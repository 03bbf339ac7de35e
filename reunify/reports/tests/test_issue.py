"""Issuing a report: the exact bytes kept with their SHA-256, numbered, audited, disclosed to
each covered recipient and to no one else; bad input refused with nothing kept."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.http import Http404

from reunify.accounts.models import User
from reunify.audit.chain import audit_verify
from reunify.audit.models import Event
from reunify.clinical.tests.factories import DAY, stopped_clock
from reunify.conftest import Family, last_event
from reunify.disclosure.models import Category, Channel, Disclosure
from reunify.disclosure.services import release_grant, release_revoke
from reunify.reports.models import IssuedReport
from reunify.reports.services import report_issue, report_pdf
from reunify.reports.tests.factories import (
    Reporting,
    issue,
    stored_bytes,
    today,
    with_professionals,
)


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    return with_professionals(therapist, family)


def files(settings: Any) -> list[str]:
    folder = Path(settings.REUNIFY_DOCUMENTS_DIR)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_it_keeps_the_exact_bytes_with_their_sha256(
    therapist: User, reporting: Reporting, settings: Any
) -> None:
    report = issue(therapist, reporting)

    data = stored_bytes(report)
    assert data.startswith(b"%PDF-")
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.size == len(data)
    assert files(settings) == [report.stored_name]
    with report_pdf(actor=therapist, report=report) as handle:
        assert handle.read() == data


def test_each_report_gets_the_next_number_and_keeps_its_own_file(
    therapist: User, reporting: Reporting
) -> None:
    first = issue(therapist, reporting)
    second = issue(therapist, reporting, summary="A second look at the same weeks.")

    assert (first.number, second.number) == (1, 2)
    assert first.stored_name != second.stored_name
    assert first.sha256 != second.sha256
    assert stored_bytes(first) != stored_bytes(second)


def test_the_issue_is_written_to_the_audit_log(therapist: User, reporting: Reporting) -> None:
    report = issue(therapist, reporting)

    event = Event.objects.filter(action="report.issue").get()
    assert (event.case_id, event.actor, event.object_id) == (
        reporting.family.case.pk,
        therapist,
        str(report.pk),
    )
    assert event.detail["sha256"] == report.sha256
    assert event.detail["recipients"] == [reporting.court.pk]
    assert audit_verify().intact


def test_it_is_disclosed_to_each_covered_recipient_and_no_one_else(
    therapist: User, reporting: Reporting
) -> None:
    release_grant(
        actor=therapist,
        case=reporting.family.case,
        recipient=reporting.gal,
        categories=[Category.COURT_REPORTS],
        purpose="The guardian ad litem's review",
        expires_on=today() + 30 * DAY,
        granted_by=reporting.family.other,
    )
    report = issue(therapist, reporting)

    rows = Disclosure.objects.filter(object_id=str(report.pk)).order_by("recipient_id")
    assert [(d.recipient, d.category, d.channel) for d in rows] == [
        (reporting.court, Category.COURT_REPORTS, Channel.REPORT),
        (reporting.gal, Category.COURT_REPORTS, Channel.REPORT),
    ]
    court = rows[0]
    assert court.release is not None and court.release.court_order == reporting.order
    assert report.sha256 in court.description
    assert court.actor == therapist
    # The attorney's release covers attendance only: nothing is logged for her.
    assert not Disclosure.objects.filter(recipient=reporting.attorney).exists()
    assert Event.objects.filter(action="disclosure.record").count() == 2


def test_a_revoked_release_covers_nothing(therapist: User, reporting: Reporting) -> None:
    release = reporting.court.releases.get()
    release_revoke(actor=therapist, release=release, reason="The order was set aside.")

    issue(therapist, reporting)

    assert not Disclosure.objects.exists()


def test_substance_use_goes_only_where_the_release_names_it(
    therapist: User, reporting: Reporting
) -> None:
    issue(therapist, reporting, substance_use=True)
    assert not Disclosure.objects.exists()

    release_grant(
        actor=therapist,
        case=reporting.family.case,
        recipient=reporting.court,
        categories=[Category.COURT_REPORTS, Category.SUBSTANCE_USE],
        purpose="Progress reports including treatment for substance use",
        expires_on=today() + 90 * DAY,
        court_order=reporting.order,
    )
    report = issue(therapist, reporting, substance_use=True)

    disclosure = Disclosure.objects.get()
    assert (disclosure.object_id, disclosure.carries_substance_use) == (str(report.pk), True)


def test_a_supervisor_may_read_but_not_issue(
    therapist: User, supervisor: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)

    with pytest.raises(PermissionDenied):
        issue(supervisor, reporting)
    with report_pdf(actor=supervisor, report=report) as handle:
        assert handle.read() == stored_bytes(report)
    assert IssuedReport.objects.count() == 1


def test_another_familys_therapist_gets_404(
    therapist: User, outsider: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)

    with pytest.raises(Http404):
        issue(outsider, reporting)
    with pytest.raises(Http404):
        report_pdf(actor=outsider, report=report)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"summary": "   "}, "Write your summary of the period"),
        ({"start": None}, "Give the first and the last day"),
        ({"end_offset": 1}, "after today"),
        ({"start_offset": 2, "end_offset": 0}, "after it ends"),
        ({"start_offset": -60, "end_offset": -40}, "before the case was referred on"),
        (
            {"summary": "I recommend that Daniel should have sole custody."},
            "words of a custody opinion (“should have sole custody”, “recommend”",
        ),
        ({"summary": "It is in the child's best interest to stay."}, "custody opinion"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_kept(
    therapist: User,
    reporting: Reporting,
    settings: Any,
    change: dict[str, Any],
    message: str,
) -> None:
    fields: dict[str, Any] = {"start": today(), "end": today(), "summary": "Attended."}
    if "start_offset" in change:
        fields["start"] = today() + change.pop("start_offset") * DAY
    if "end_offset" in change:
        fields["end"] = today() + change.pop("end_offset") * DAY
    fields.update(change)
    before = Event.objects.count()

    with pytest.raises(ValidationError) as refused:
        report_issue(actor=therapist, case=reporting.family.case, **fields)

    assert message in " ".join(refused.value.messages)
    assert not IssuedReport.objects.exists()
    assert files(settings) == []
    assert Event.objects.count() == before


def test_a_failing_disclosure_leaves_no_report_and_no_file(
    therapist: User, reporting: Reporting, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr("reunify.reports.services.disclosure_record", broken)
    with pytest.raises(DatabaseError):
        issue(therapist, reporting)

    assert not IssuedReport.objects.exists()
    assert files(settings) == []


def test_the_database_refuses_to_change_or_delete_an_issued_report(
    therapist: User, reporting: Reporting
) -> None:
    report = issue(therapist, reporting)

    with pytest.raises(DatabaseError), transaction.atomic():
        IssuedReport.objects.filter(pk=report.pk).update(sha256="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        IssuedReport.objects.filter(pk=report.pk).delete()
    assert IssuedReport.objects.get().sha256 == report.sha256


def test_a_download_is_audited_as_a_look(therapist: User, reporting: Reporting) -> None:
    report = issue(therapist, reporting)

    report_pdf(actor=therapist, report=report).close()

    event = last_event()
    assert (event.action, event.object_id) == ("report.download", str(report.pk))
    assert event.detail["what"] == "download: court progress report 1"


def test_a_stored_file_that_changed_is_not_served(
    therapist: User, reporting: Reporting, settings: Any
) -> None:
    from reunify.reports.services import IssuedUnavailable

    report = issue(therapist, reporting)
    path = Path(settings.REUNIFY_DOCUMENTS_DIR) / report.stored_name
    data = bytearray(path.read_bytes())
    data[-20] ^= 1
    path.write_bytes(bytes(data))

    with pytest.raises(IssuedUnavailable, match="no longer matches the SHA-256"):
        report_pdf(actor=therapist, report=report)
