"""The gates between phases: each returns the plain-language reasons it is closed.

A reason is overridable only when it is a readiness judgement; safety, court and record
reasons can be resolved, never overridden. The same list is shown on the case page, returned
by the API and written to the audit log when a move is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify.cases.models import (
    CONSENTING_ROLES,
    PARENT_ROLES,
    PHASE_ORDER,
    Case,
    ConsentKind,
    CourtOrder,
    Party,
    PartyRole,
    Phase,
    ReadinessLevel,
    ReadinessRating,
    TermKind,
)
from reunify.measures.models import (
    Alignment,
    AlignmentRating,
    ChildCheckin,
    WillingnessLevel,
    WillingnessRating,
)
from reunify.psychoeducation.models import ModuleAssignment
from reunify.safety.models import Contraindication, FindingStatus, Screening


class Kind:
    SAFETY = "safety"
    COURT = "court"
    RECORD = "record"
    READINESS = "readiness"


@dataclass(frozen=True)
class Reason:
    """One thing standing between the case and its next phase."""

    code: str
    text: str
    kind: str

    @property
    def overridable(self) -> bool:
        return self.kind == Kind.READINESS

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "overridable": self.overridable}


@dataclass(frozen=True)
class Gate:
    """The way from the current phase to the next one, and what keeps it closed."""

    phase: str
    next_phase: str | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.next_phase is not None and not self.reasons

    @property
    def overridable(self) -> bool:
        return bool(self.reasons) and all(r.overridable for r in self.reasons)

    def texts(self) -> list[str]:
        return [r.text for r in self.reasons]


def next_phase(phase: str) -> str | None:
    """The phase after this one; closing is its own step, so integration has none."""
    index = PHASE_ORDER.index(phase)
    following = PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None
    return None if following == Phase.CLOSED else following


def with_unsafe_checkin(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate each case with when its child last gave a check-in that raised a safety
    concern (`unsafe_checkin_at`, None if never): the date, never what the child said."""
    latest = _unsafe_checkins().filter(case=OuterRef("pk")).values("recorded_at")[:1]
    return cases.annotate(unsafe_checkin_at=Subquery(latest))


def _unsafe_checkins() -> QuerySet[ChildCheckin]:
    return ChildCheckin.objects.filter(safety_concern=True).order_by("-recorded_at", "-id")


def with_gate_facts(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Load everything a gate reads in a fixed number of queries, however many cases."""
    cases = with_unsafe_checkin(cases)
    return cases.select_related("therapist").prefetch_related(
        Prefetch("parties", queryset=Party.objects.select_related("person")),
        "intakes",
        "consents",
        "document_reviews",
        "readiness_ratings",
        Prefetch("court_orders", queryset=CourtOrder.objects.prefetch_related("terms")),
        Prefetch("screenings", queryset=Screening.objects.prefetch_related("findings")),
        Prefetch("module_assignments", queryset=ModuleAssignment.objects.select_related("module")),
        "willingness_ratings",
        Prefetch(
            "alignment_ratings",
            queryset=AlignmentRating.objects.select_related(
                "party__person", "party__represents__person"
            ),
        ),
    )


def latest_screening(case: Case) -> Screening | None:
    screenings = list(case.screenings.all())
    if not screenings:
        return None
    return max(screenings, key=lambda s: (s.screened_on, s.recorded_at, s.pk))


def screen_due_on(case: Case) -> dt.date | None:
    """When the next safety screen is due: every so many days, and at once (the day of the
    check-in) after a child's unsafe check-in that no screen has followed yet."""
    screen = latest_screening(case)
    if screen is None:
        return None
    due = screen.screened_on + dt.timedelta(days=settings.REUNIFY_SCREEN_VALID_DAYS)
    at = _unsafe_checkin_at(case)
    if at is not None and checkin_reasons(case):
        return min(due, timezone.localdate(at))
    return due


def checkin_is_unsafe(*, safe: int, feels_unsafe: bool) -> bool:
    """A child's check-in is a safety concern when it rates how safe they feel at or below
    REUNIFY_CHECKIN_UNSAFE_AT (of 10), or says they do not feel safe."""
    return feels_unsafe or safe <= settings.REUNIFY_CHECKIN_UNSAFE_AT


def _unsafe_checkin_at(case: Case) -> dt.datetime | None:
    if hasattr(case, "unsafe_checkin_at"):
        return case.unsafe_checkin_at
    # A case not loaded through `with_gate_facts`: ask, rather than miss the concern.
    return _unsafe_checkins().filter(case=case).values_list("recorded_at", flat=True).first()


def checkin_reasons(case: Case) -> list[Reason]:
    """The child's unsafe check-in holds contact, the ladder and every gate until a safety
    screen dated on or after it, and recorded after it, has been made. The reason names the
    check-in's date only: the child's words stay with the treating therapists."""
    at = _unsafe_checkin_at(case)
    if at is None:
        return []
    day = timezone.localdate(at)
    if any(s.recorded_at > at and s.screened_on >= day for s in case.screenings.all()):
        return []
    text = _(
        "the child's check-in of %(date)s raised a safety concern: record a fresh safety "
        "screen dated after it"
    ) % {"date": day}
    return [Reason("checkin_unsafe", text, Kind.SAFETY)]


def safety_reasons(case: Case, *, needs_current_screen: bool, today: dt.date) -> list[Reason]:
    screen = latest_screening(case)
    if screen is None:
        return [
            Reason("no_screen", "no safety screen recorded yet", Kind.SAFETY),
            *checkin_reasons(case),
        ]
    reasons = checkin_reasons(case)
    for finding in screen.findings.all():
        label = Contraindication(finding.contraindication).label.lower()
        if finding.status == FindingStatus.PRESENT:
            reasons.append(
                Reason(
                    f"contraindication_{finding.contraindication}",
                    f"the safety screen of {screen.screened_on} found {label}",
                    Kind.SAFETY,
                )
            )
        elif finding.status == FindingStatus.UNKNOWN:
            reasons.append(
                Reason(
                    f"unknown_{finding.contraindication}",
                    f"the safety screen of {screen.screened_on} leaves {label} unknown",
                    Kind.SAFETY,
                )
            )
    age = (today - screen.screened_on).days
    if needs_current_screen and age > settings.REUNIFY_SCREEN_VALID_DAYS:
        reasons.append(
            Reason(
                "stale_screen",
                f"safety screen is {age} days old (re-screen at least every "
                f"{settings.REUNIFY_SCREEN_VALID_DAYS} days)",
                Kind.SAFETY,
            )
        )
    return reasons


def court_reasons(
    case: Case, *, supervised: bool, in_therapy: bool, today: dt.date
) -> list[Reason]:
    """Court terms in force that forbid the contact about to begin.

    `supervised` and `in_therapy` describe that contact: a supervised-only term forbids
    unsupervised contact, a therapeutic-only term forbids contact outside therapy, and a
    no-contact term forbids all of it.
    """
    reasons = []
    for order in case.court_orders.all():
        for term in order.terms.all():
            if not term.in_force(today):
                continue
            until = f" until {term.until}" if term.until else ""
            if term.kind == TermKind.NO_CONTACT:
                code, text = "no_contact", f"court order {order.number} forbids contact{until}"
            elif term.kind == TermKind.SUPERVISED_UNTIL and not supervised:
                code = "supervised"
                text = (
                    f"court order {order.number} allows supervised contact only until {term.until}"
                )
            elif term.kind == TermKind.THERAPEUTIC_ONLY and not in_therapy:
                code = "therapeutic_only"
                text = f"court order {order.number} allows therapeutic contact only{until}"
            else:
                continue
            reasons.append(Reason(f"court_{code}_{term.pk}", text, Kind.COURT))
    return reasons


def _parties(case: Case, *roles: str) -> list[Party]:
    return [p for p in case.parties.all() if p.role in roles]


def _assessment_reasons(case: Case) -> list[Reason]:
    reasons = []
    children = _parties(case, PartyRole.CHILD)
    estranged = _parties(case, PartyRole.ESTRANGED_PARENT)
    if not children:
        reasons.append(Reason("no_child", "no child has been added to the case", Kind.RECORD))
    if not estranged:
        reasons.append(
            Reason("no_estranged_parent", "no estranged parent has been added", Kind.RECORD)
        )
    intake_dates: dict[int, set[dt.date]] = {}
    for intake in case.intakes.all():
        intake_dates.setdefault(intake.party_id, set()).add(intake.held_on)
    for party in _parties(case, *PARENT_ROLES, PartyRole.CHILD):
        if not intake_dates.get(party.pk):
            reasons.append(
                Reason(
                    f"no_intake_{party.pk}",
                    f"no separate intake with {party.label} yet",
                    Kind.RECORD,
                )
            )
    parents = _parties(case, *PARENT_ROLES)
    parents_with_intake = [p for p in parents if intake_dates.get(p.pk)]
    for i, first in enumerate(parents_with_intake):
        for second in parents_with_intake[i + 1 :]:
            if first.role == second.role:
                continue
            a, b = intake_dates[first.pk], intake_dates[second.pk]
            # Separate means at least one pair of intakes on different days.
            if len(a | b) == 1:
                reasons.append(
                    Reason(
                        f"same_day_intakes_{first.pk}_{second.pk}",
                        f"the intakes with {first.label} and {second.label} were on the same "
                        f"day ({min(a)}); they must be held separately",
                        Kind.RECORD,
                    )
                )
    signed: dict[int, set[str]] = {}
    for consent in case.consents.all():
        signed.setdefault(consent.party_id, set()).add(consent.kind)
    for party in _parties(case, *CONSENTING_ROLES):
        for kind in ConsentKind:
            if kind.value not in signed.get(party.pk, set()):
                reasons.append(
                    Reason(
                        f"no_{kind.value}_{party.pk}",
                        f"{kind.label.lower()} not signed by {party.label}",
                        Kind.RECORD,
                    )
                )
    if not list(case.document_reviews.all()):
        reasons.append(
            Reason(
                "no_document_review",
                "prior evaluations, court documents and CPS input not reviewed yet "
                "(record the review, or that none were provided)",
                Kind.RECORD,
            )
        )
    return reasons


def _psychoeducation_reasons(case: Case) -> list[Reason]:
    """Each parent has had a module, and every module given to anyone has been completed."""
    assignments = list(case.module_assignments.all())
    assigned = {a.party_id for a in assignments}
    reasons = [
        Reason(
            f"no_module_{party.pk}",
            f"no psychoeducation module assigned to {party.label} yet",
            Kind.RECORD,
        )
        for party in _parties(case, *PARENT_ROLES)
        if party.pk not in assigned
    ]
    parties = {party.pk: party for party in case.parties.all()}
    for assignment in assignments:
        if assignment.completed_on is None:
            reasons.append(
                Reason(
                    f"module_not_completed_{assignment.pk}",
                    f"{parties[assignment.party_id].label} has not completed "
                    f"'{assignment.module.title}'",
                    Kind.READINESS,
                )
            )
    return reasons


def _readiness_reasons(case: Case) -> list[Reason]:
    latest: dict[int, ReadinessRating] = {}
    for rated in case.readiness_ratings.all():
        current = latest.get(rated.party_id)
        if current is None or (rated.rated_on, rated.pk) > (current.rated_on, current.pk):
            latest[rated.party_id] = rated
    reasons = []
    for party in _parties(case, *PARENT_ROLES, PartyRole.CHILD):
        rating = latest.get(party.pk)
        if rating is None:
            if party.role == PartyRole.CHILD:
                # The child must be heard; that cannot be waived, only the answer weighed.
                reasons.append(
                    Reason(
                        f"child_not_heard_{party.pk}",
                        f"{party.label} has not yet been heard on their own readiness",
                        Kind.RECORD,
                    )
                )
            else:
                reasons.append(
                    Reason(
                        f"readiness_unrated_{party.pk}",
                        f"readiness of {party.label} not rated yet",
                        Kind.READINESS,
                    )
                )
        elif rating.level != ReadinessLevel.READY:
            reasons.append(
                Reason(
                    f"readiness_{rating.level}_{party.pk}",
                    f"{party.label} is rated '{rating.get_level_display().lower()}' "
                    f"({rating.rated_on})",
                    Kind.READINESS,
                )
            )
    return reasons


def _latest_by(ratings: list[Any], key: Any) -> dict[Any, Any]:
    latest: dict[Any, Any] = {}
    for rated in ratings:
        current = latest.get(key(rated))
        if current is None or (rated.rated_on, rated.pk) > (current.rated_on, current.pk):
            latest[key(rated)] = rated
    return latest


def _willingness_reasons(case: Case) -> list[Reason]:
    """Each parent and child rated for willingness, and none of them, as last rated,
    unwilling. Ambivalence is where most families start and the ladder is built for it, so it
    is shown but does not hold the gate."""
    latest: dict[int, WillingnessRating] = _latest_by(
        list(case.willingness_ratings.all()), lambda r: r.party_id
    )
    reasons = []
    for party in _parties(case, *PARENT_ROLES, PartyRole.CHILD):
        rating = latest.get(party.pk)
        if rating is None:
            reasons.append(
                Reason(
                    f"willingness_unrated_{party.pk}",
                    f"willingness of {party.label} not rated yet",
                    Kind.READINESS,
                )
            )
        elif rating.level == WillingnessLevel.UNWILLING:
            reasons.append(
                Reason(
                    f"willingness_unwilling_{party.pk}",
                    f"the willingness of {party.label} is 'unwilling' ({rating.rated_on})",
                    Kind.READINESS,
                )
            )
    return reasons


def _alignment_reasons(case: Case) -> list[Reason]:
    """Any part of the support system last rated as not aligned with the plan."""
    from reunify.measures.selectors import stakeholder_label

    latest: dict[tuple[str, int | None], AlignmentRating] = _latest_by(
        list(case.alignment_ratings.all()), lambda r: (r.stakeholder, r.party_id)
    )
    return [
        Reason(
            f"not_aligned_{rating.stakeholder}_{rating.party_id or 0}",
            f"{stakeholder_label(rating.stakeholder, rating.party)} is not aligned with the "
            f"treatment plan ({rating.rated_on})",
            Kind.READINESS,
        )
        for rating in latest.values()
        if rating.status == Alignment.NOT_ALIGNED
    ]


def gate_for(case: Case, *, today: dt.date | None = None) -> Gate:
    """The gate from the case's current phase to the next, with every reason it is closed."""
    today = today or timezone.localdate()
    following = next_phase(case.phase)
    if following is None:
        return Gate(case.phase, None, [])
    reasons: list[Reason] = []
    if case.is_paused:
        reasons.append(
            Reason(
                "paused",
                f"the case is paused since {timezone.localdate(case.paused_at)}: "
                f"{case.pause_reason}",
                Kind.SAFETY,
            )
        )
    in_contact = following in (Phase.THERAPEUTIC_CONTACT, Phase.INTEGRATION)
    reasons += safety_reasons(case, needs_current_screen=in_contact, today=today)
    if following == Phase.PSYCHOEDUCATION:
        reasons += _assessment_reasons(case)
    if following == Phase.INDIVIDUAL_WORK:
        reasons += _psychoeducation_reasons(case)
    if following == Phase.THERAPEUTIC_CONTACT:
        reasons += _readiness_reasons(case)
        reasons += _willingness_reasons(case)
        reasons += _alignment_reasons(case)
    if following == Phase.THERAPEUTIC_CONTACT:
        reasons += court_reasons(case, supervised=True, in_therapy=True, today=today)
    if following == Phase.INTEGRATION:
        reasons += court_reasons(case, supervised=False, in_therapy=False, today=today)
    return Gate(case.phase, following, reasons)


def active_contact_bans(case: Case, *, today: dt.date | None = None) -> list[str]:
    """Court terms in force that forbid contact outright."""
    today = today or timezone.localdate()
    return [
        r.text
        for r in court_reasons(case, supervised=True, in_therapy=True, today=today)
        if r.code.startswith("court_no_contact")
    ]
