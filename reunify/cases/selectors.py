"""Reads of case data, already narrowed to what the asking user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.models import Event
from reunify.cases.gates import Gate, gate_for, screen_due_on, with_gate_facts
from reunify.cases.models import Case, OverrideRequest, OverrideStatus, Party, Phase


@dataclass(frozen=True)
class CaseloadRow:
    """One line of a therapist's caseload."""

    case: Case
    gate: Gate
    days_in_phase: int
    screen_due_on: dt.date | None

    @property
    def screen_overdue(self) -> bool:
        return self.screen_due_on is not None and self.screen_due_on < timezone.localdate()


def caseload(user: User, *, include_closed: bool = False) -> list[CaseloadRow]:
    """The cases a user may see with their gate, in a fixed number of queries."""
    cases = access.cases_for(user)
    if not include_closed:
        cases = cases.open()
    now = timezone.now()
    rows = []
    for case in with_gate_facts(cases.order_by("title", "id")):
        rows.append(
            CaseloadRow(
                case=case,
                gate=gate_for(case),
                days_in_phase=(now - case.phase_entered_at).days,
                screen_due_on=screen_due_on(case) if case.phase != Phase.CLOSED else None,
            )
        )
    return rows


# What each section of the case page reads beyond the case itself and its parties.
SECTION_PREFETCH: dict[str, tuple[str, ...]] = {
    "parties": ("co_therapists",),
    "timeline": ("transitions__actor", "transitions__cosigned_by", "override_requests"),
    "documents": ("documents__uploaded_by",),
}
# The sections that show a gate (the phase gate, the ladder's) load every fact a gate reads;
# so do the sessions and measures, whose partials read the modules and ratings from it.
GATED_SECTIONS = frozenset({"overview", "ladder", "sessions", "measures"})


def case_detail(user: User, case_id: int, section: str = "overview") -> Case:
    """One case with what one section of its page shows, in a fixed number of queries."""
    cases: QuerySet[Case] = access.cases_for(user).filter(pk=case_id)
    if section in GATED_SECTIONS:
        cases = with_gate_facts(cases)
    else:
        cases = cases.select_related("therapist").prefetch_related(
            Prefetch("parties", queryset=Party.objects.select_related("person"))
        )
    case = cases.prefetch_related("co_therapists", *SECTION_PREFETCH.get(section, ())).first()
    if case is None:
        from django.http import Http404

        raise Http404("No such case.")
    return case


@dataclass(frozen=True)
class Look:
    """Someone who looked at the case: who, when, what, from where."""

    who: str
    at: dt.datetime
    what: str
    source: str


# Audit events that are looks at the case, not changes to it.
READ_ACTIONS = ("case.view", "document.download", "report.download", "notice.download")


def case_access_log(case: Case, *, limit: int = 200) -> list[Look]:
    """Who looked at this case, newest first (from the audit log)."""
    events = (
        Event.objects.filter(case_id=case.pk, action__in=READ_ACTIONS)
        .order_by("-seq")
        .values_list("actor_label", "at", "detail", "source")[:limit]
    )
    return [
        Look(who, at, (detail or {}).get("what", "case"), source)
        for who, at, detail, source in events
    ]


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened on the case, in words."""

    at: dt.datetime
    who: str
    action: str
    summary: str


_ACTION_WORDS = {
    "case.open": "opened the case",
    "party.add": "added a party",
    "party.protect": "protected a party's contact details",
    "person.update": "corrected a party's details",
    "party.unprotect": "removed a party's contact protection",
    "court_order.record": "recorded a court order",
    "intake.record": "recorded an intake",
    "consent.record": "recorded a signed consent",
    "document_review.record": "recorded a document review",
    "readiness.record": "rated readiness",
    "screening.record": "recorded a safety screen",
    "case.transition": "moved the case",
    "case.transition_refused": "tried to move the case (refused)",
    "override.request": "asked for an override",
    "override.cosign": "co-signed an override",
    "override.decline": "declined an override",
    "case.pause": "paused the case",
    "case.resume": "resumed the case",
    "case.close": "closed the case",
    "module.assign": "assigned a psychoeducation module",
    "module.complete": "recorded a completed psychoeducation module",
    "ladder.start": "started the contact ladder",
    "ladder.step_up": "stepped up the contact ladder",
    "ladder.step_down": "stepped down the contact ladder",
    "ladder.step_refused": "tried to step up the contact ladder (refused)",
    "ladder.configure": "changed the contact ladder",
    "ladder.assent": "recorded the child's assent",
    "appointment.schedule": "scheduled a session",
    "appointment.reschedule": "rescheduled a session",
    "appointment.cancel": "recorded a cancellation",
    "appointment.complete": "recorded a session as held",
    "appointment.no_show": "recorded a no-show",
    "appointment.hold": "held upcoming contact visits",
    "contact.record": "recorded a contact visit",
    "note.create": "wrote a progress note",
    "note.update": "changed a draft progress note",
    "note.sign": "signed a progress note",
    "note.addendum": "added an addendum",
    "note.amendment": "amended a note at a party's request",
    "note.denial": "recorded a denied amendment request",
    "note.disagreement": "appended a party's statement of disagreement",
    "amendment.request": "recorded a request to amend the record",
    "amendment.accept": "accepted a request to amend",
    "amendment.deny": "denied a request to amend",
    "checkin.schedule": "scheduled integration check-ins",
    "arrangement.record": "recorded the parenting-time arrangement",
    "document.upload": "uploaded a document",
    "report.issue": "issued a court progress report",
    "notice.issue": "issued a notice of closing",
    "case.co_therapist_add": "added a co-therapist",
    "case.co_therapist_remove": "removed a co-therapist",
    "goal.add": "added a treatment goal",
    "goal.rate": "rated progress on a goal",
    "willingness.record": "rated willingness",
    "alignment.record": "rated the support system's alignment",
    "questionnaire.record": "recorded a questionnaire",
}


def case_timeline(case: Case, *, limit: int = 500) -> list[TimelineEntry]:
    """Every change to the case, newest first, from the audit log (reads are left out, and so
    are the therapist's private psychotherapy-note activity and the child's private check-ins,
    which are no part of the record)."""
    events = (
        Event.objects.filter(case_id=case.pk)
        .exclude(action__in=READ_ACTIONS)
        .exclude(action__startswith="psychotherapy_note.")
        # The child's check-ins and the tasks they raise are for the treating therapists only.
        .exclude(action__in=("child_checkin.record", "task.done"))
        .order_by("-seq")
        .values_list("at", "actor_label", "action", "detail")[:limit]
    )
    entries = []
    for at, who, action, detail in events:
        words = _ACTION_WORDS.get(action, action)
        detail = detail or {}
        if action == "case.transition":
            words = f"moved the case from {detail.get('from')} to {detail.get('to')}"
        elif action in ("case.pause", "case.transition_refused"):
            extra = detail.get("reason") or "; ".join(detail.get("reasons", []))
            words = f"{words}: {extra}" if extra else words
        entries.append(TimelineEntry(at, who, action, words))
    return entries


def overrides_awaiting(user: User) -> QuerySet[OverrideRequest]:
    """Override requests awaiting this supervisor's co-signature (none for anyone else)."""
    if user.role != Role.SUPERVISOR:
        return OverrideRequest.objects.none()
    return (
        OverrideRequest.objects.filter(
            status=OverrideStatus.PENDING, case__therapist__supervisor=user
        )
        .exclude(requested_by=user)
        .select_related("case", "requested_by")
    )
