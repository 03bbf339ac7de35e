"""Closing a case writes a notice to each parent and one to the court or referrer: PDFs kept
with their SHA-256, audited as file entries, the court's logged as a disclosure where a release
or court order covers it; never anyone's contact details, never a custody opinion."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Case, PartyRole
from reunify.clinical.services import opinion_words
from reunify.clinical.tests.factories import stopped_clock
from reunify.conftest import Family, add_party, case_text, fresh, login, make_case
from reunify.disclosure.models import Category, Channel, Disclosure
from reunify.process import pausing, transitions
from reunify.reports.models import IssuedReport, NoticeKind, TerminationNotice
from reunify.reports.tests.factories import (
    PROTECTED_ADDRESS,
    Reporting,
    body,
    issue,
    pdftotext,
    stored_bytes,
    with_professionals,
)

REASON = "Contact is regular and both parents agreed to end the service."


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    return with_professionals(therapist, family)


def close(therapist: User, case: Case, reason: str = REASON, outcome: str = "restored") -> None:
    transitions.case_close(actor=therapist, case=case, outcome=outcome, reason=reason)


def notices(case: Case) -> list[TerminationNotice]:
    return list(TerminationNotice.objects.filter(case=case).order_by("id"))


def test_closing_writes_a_notice_to_each_parent_and_to_the_court(
    therapist: User, reporting: Reporting
) -> None:
    family = reporting.family
    close(therapist, family.case)

    written = notices(family.case)
    assert [(n.kind, n.recipient) for n in written] == [
        (NoticeKind.PARENT, family.estranged),
        (NoticeKind.PARENT, family.other),
        (NoticeKind.COURT, reporting.court),
    ]
    for notice in written:
        data = stored_bytes(notice)
        assert notice.sha256 == hashlib.sha256(data).hexdigest()
        text = pdftotext(data)
        assert "Notice of closing" in text
        assert "Relationship restored." in text
        assert REASON in text
        assert "Page 1 of 1" in text


def test_a_parents_notice_carries_no_ones_contact_details(
    therapist: User, reporting: Reporting
) -> None:
    family = reporting.family
    close(therapist, family.case)

    for notice in notices(family.case):
        text = pdftotext(stored_bytes(notice))
        assert PROTECTED_ADDRESS not in text
        assert "Hidden Town" not in text
        assert "priya@example.invalid" not in text
        assert "@" not in text
    daniels = pdftotext(stored_bytes(notices(family.case)[0]))
    assert "To Daniel Rivers (estranged parent)" in daniels
    assert "Laura" not in daniels


def test_no_notice_recommends_custody(therapist: User, reporting: Reporting) -> None:
    close(therapist, reporting.family.case)

    for notice in notices(reporting.family.case):
        text = pdftotext(stored_bytes(notice))
        assert "recommend" not in text.lower()
        assert opinion_words(text) == []


def test_the_courts_notice_is_a_disclosure_under_the_court_order(
    therapist: User, reporting: Reporting
) -> None:
    close(therapist, reporting.family.case)

    court_notice = notices(reporting.family.case)[-1]
    disclosure = Disclosure.objects.get()
    assert (disclosure.recipient, disclosure.category, disclosure.channel) == (
        reporting.court,
        Category.COURT_REPORTS,
        Channel.REPORT,
    )
    assert disclosure.object_id == str(court_notice.pk)
    assert disclosure.release is not None and disclosure.release.court_order == reporting.order
    text = pdftotext(stored_bytes(court_notice))
    assert "Court case FL-2030-000123" in text


def test_each_notice_is_a_file_entry_in_the_audit_log(
    therapist: User, reporting: Reporting
) -> None:
    close(therapist, reporting.family.case)

    events = Event.objects.filter(action="notice.issue").order_by("id")
    written = notices(reporting.family.case)
    assert [e.object_id for e in events] == [str(n.pk) for n in written]
    assert [e.detail["disclosed"] for e in events] == [False, False, True]
    assert all(e.case_id == reporting.family.case.pk for e in events)


def test_a_court_ordered_case_without_a_court_party_still_gets_its_notice(
    therapist: User, family: Family
) -> None:
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court of Elmshire County",
        court_case_number="FL-2030-000999",
        issued_on=family.case.referral_date,
        terms=[],
    )
    close(therapist, family.case)

    court_notice = notices(family.case)[-1]
    assert court_notice.kind == NoticeKind.COURT
    assert court_notice.recipient is None
    assert court_notice.addressed_to == "Superior Court of Elmshire County, case FL-2030-000999"
    assert not Disclosure.objects.exists()


def test_the_referring_cps_caseworker_gets_the_notice(therapist: User) -> None:
    case = make_case(therapist, title="Ashgrove family", referral_source="cps")
    parent = add_party(therapist, case, PartyRole.ESTRANGED_PARENT, "Noor", "Ashgrove")
    cps = add_party(therapist, case, PartyRole.CPS, "Carla", "Case", organisation="County CPS")
    add_party(therapist, case, PartyRole.ATTORNEY, "Art", "Law", represents=parent)

    close(therapist, case, outcome="withdrawn")

    assert [(n.kind, n.recipient) for n in notices(case)] == [
        (NoticeKind.PARENT, parent),
        (NoticeKind.COURT, cps),
    ]
    text = pdftotext(stored_bytes(notices(case)[-1]))
    assert "To Carla Case (cps caseworker, County CPS)" in text
    assert not Disclosure.objects.exists()  # no release covers the caseworker


def test_a_voluntary_self_referral_writes_to_the_parents_only(therapist: User) -> None:
    case = make_case(therapist, title="Birch family", referral_source="self", court_ordered=False)
    add_party(therapist, case, PartyRole.ESTRANGED_PARENT, "Ola", "Birch")

    close(therapist, case, outcome="no_progress")

    assert [n.kind for n in notices(case)] == [NoticeKind.PARENT]


def test_a_custody_opinion_in_the_reason_is_refused_and_the_case_stays_open(
    therapist: User, reporting: Reporting, settings: Any
) -> None:
    case = reporting.family.case
    with pytest.raises(ValidationError, match="custody opinion"):
        close(therapist, case, reason="Mia should live with her father; he is the better parent.")

    assert not fresh(case).is_closed
    assert not TerminationNotice.objects.exists()
    folder = Path(settings.REUNIFY_DOCUMENTS_DIR)
    assert not folder.exists() or not any(folder.iterdir())


def test_the_case_page_lists_the_notices_and_each_downloads(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    close(therapist, reporting.family.case)
    login(client, therapist)

    page = case_text(client, reporting.family.case.pk)

    assert "Notices of closing" in page
    written = notices(reporting.family.case)
    for notice in written:
        assert notice.sha256 in page
        response = client.get(reverse("notice_download", args=[notice.pk]))
        assert response.status_code == 200
        assert body(response) == stored_bytes(notice)
    assert "Not needed: the parent's own notice" in page
    assert 'name="report-start"' not in page  # the record is read-only now
    assert Event.objects.filter(action="notice.download").count() == len(written)


def test_another_family_gets_404_for_a_notice(
    client: Client, therapist: User, outsider: User, reporting: Reporting
) -> None:
    close(therapist, reporting.family.case)
    login(client, outsider)

    notice = notices(reporting.family.case)[0]
    assert client.get(reverse("notice_download", args=[notice.pk])).status_code == 404


def test_a_closed_case_issues_no_more_reports(
    client: Client, therapist: User, reporting: Reporting
) -> None:
    close(therapist, reporting.family.case)

    with pytest.raises(ValidationError, match="closed; its record is read-only"):
        issue(therapist, reporting)
    login(client, therapist)
    address = reverse("report_new", args=[reporting.family.case.pk])
    assert client.get(address).status_code == 302
    refused = client.post(
        address,
        {"report-start": "2030-06-03", "report-end": "2030-06-03", "report-summary": "Late."},
    )
    assert refused.status_code == 400
    assert "closed; its record is read-only" in refused.content.decode()
    assert not IssuedReport.objects.exists()
