"""Safety screens: every item answered, a present finding described and pausing the case at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reunify.audit.models import Event
from reunify.cases.models import Case, Outcome, Transition
from reunify.conftest import clear_findings, screen
from reunify.process import transitions
from reunify.process.gates import latest_screening, screen_due_on, with_gate_facts
from reunify.process.pausing import screening_record
from reunify.safety.models import Contraindication, FindingStatus, Screening, ScreeningFinding

DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def record(
    therapist: Any, case: Case, findings: dict[str, tuple[str, str]], **extra: Any
) -> Screening:
    extra.setdefault("screened_on", today())
    return screening_record(actor=therapist, case=case, findings=findings, **extra)


def snapshot() -> tuple[int, ...]:
    return (
        Screening.objects.count(),
        ScreeningFinding.objects.count(),
        Transition.objects.count(),
        Event.objects.count(),
        Case.objects.filter(paused_at__isnull=False).count(),
    )


def test_a_clear_screen_answers_every_item_and_is_logged(therapist, family):
    screening = record(therapist, family.case, clear_findings(), note="Seen together with the GAL.")

    assert screening.recorded_by == therapist
    assert screening.note == "Seen together with the GAL."
    findings = {f.contraindication: f.status for f in screening.findings.all()}
    assert findings == {code: FindingStatus.ABSENT for code in Contraindication.values}
    event = Event.objects.order_by("-id").first()
    assert (event.action, event.case_id, event.object_id) == (
        "screening.record",
        family.case.pk,
        str(screening.pk),
    )
    assert event.detail == {"screened_on": str(today()), "present": [], "unknown": []}
    assert not Case.objects.get(pk=family.case.pk).is_paused


def test_the_log_names_what_was_found_and_what_is_unknown(therapist, family):
    screen(therapist, family.case, coercion="present", child_distress="unknown")

    event = Event.objects.filter(action="screening.record").get()
    assert event.detail["present"] == ["coercion"]
    assert event.detail["unknown"] == ["child_distress"]


def test_a_present_finding_keeps_its_description(therapist, family):
    findings = clear_findings()
    findings["substance_misuse"] = ("present", "  Father arrived intoxicated on 3 March.  ")

    screening = record(therapist, family.case, findings)

    finding = screening.findings.get(contraindication="substance_misuse")
    assert finding.note == "Father arrived intoxicated on 3 March."
    case = Case.objects.get(pk=family.case.pk)
    assert case.pause_reason == f"safety screen of {today()} found active substance misuse"


def test_a_screen_missing_an_item_is_refused_and_names_it(therapist, family):
    findings = clear_findings()
    del findings["child_self_harm"]
    del findings["coercion"]
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        record(therapist, family.case, findings)

    message = refused.value.messages[0]
    assert message.startswith("Answer every item of the screen; missing:")
    assert "Child self-harm risk" in message
    assert "Manipulation or coercion by either parent" in message
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stars": ("absent", "")}, "Unknown contraindication: stars"),
        ({"coercion": ("maybe", "")}, "Manipulation or coercion by either parent: choose present"),
        (
            {"ongoing_abuse": ("present", "  ")},
            "Ongoing abuse or safety concerns is marked present: describe what was found",
        ),
    ],
    ids=["unknown-item", "unknown-answer", "present-without-a-note"],
)
def test_a_bad_screen_is_refused_with_a_clear_message_and_changes_nothing(
    therapist, family, change, message
):
    findings = {**clear_findings(), **change}
    before = snapshot()

    with pytest.raises(ValidationError, match=message):
        record(therapist, family.case, findings)

    assert snapshot() == before


def test_a_screen_cannot_be_dated_in_the_future(therapist, family):
    before = snapshot()

    with pytest.raises(ValidationError, match="is in the future"):
        record(therapist, family.case, clear_findings(), screened_on=today() + DAY)

    assert snapshot() == before


def test_a_closed_case_takes_no_more_screens(therapist, family):
    transitions.case_close(actor=therapist, case=family.case, outcome=Outcome.WITHDRAWN, reason="x")
    before = snapshot()

    with pytest.raises(ValidationError, match="read-only"):
        record(therapist, family.case, clear_findings())

    assert snapshot() == before


def test_only_the_treating_therapists_screen(family, supervisor, outsider):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        record(supervisor, family.case, clear_findings())
    with pytest.raises(Http404):
        record(outsider, family.case, clear_findings())

    assert snapshot() == before


def test_a_present_finding_pauses_the_case_in_the_same_transaction(therapist, family):
    screening = record(
        therapist, family.case, clear_findings(child_self_harm="present", coercion="present")
    )

    case = Case.objects.get(pk=family.case.pk)
    assert case.is_paused
    assert case.pause_reason == (
        f"safety screen of {today()} found child self-harm risk; "
        "manipulation or coercion by either parent"
    )
    pause = case.transitions.get(kind="pause")
    assert pause.rationale == case.pause_reason
    assert screening.findings_with("present")[0].note == "observed in session"


def test_a_finding_on_a_case_already_paused_keeps_the_first_reason(therapist, family):
    transitions.case_pause(actor=therapist, case=family.case, reason="court hearing next week")

    screen(therapist, family.case, ongoing_abuse="present")

    case = Case.objects.get(pk=family.case.pk)
    assert case.pause_reason == "court hearing next week"
    assert case.transitions.filter(kind="pause").count() == 1


def test_the_latest_screen_is_the_one_that_counts_and_sets_the_next_due_date(therapist, family):
    screen(therapist, family.case, days_ago=20)
    screen(therapist, family.case, days_ago=3)
    screen(therapist, family.case, days_ago=10)  # entered late: an older screen

    facts = with_gate_facts(Case.objects.filter(pk=family.case.pk)).get()

    assert latest_screening(facts).screened_on == today() - 3 * DAY
    assert screen_due_on(facts) == today() + 27 * DAY
