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
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from reunify.cases.models import (
    CONSENTING_ROLES,
    PARENT_ROLES,
    PHASE_ORDER,
    Case,
    Consent,
    ConsentKind,
    CourtOrder,
    DocumentReview,
    Intake,
    Party,
    PartyRole,
    Phase,
    ReadinessLevel,
    ReadinessRating,
    TermKind,
)
from reunify.clinical.models import (
    CONTACT_KINDS,
    Appointment,
    AppointmentStatus,
    ContactRung,
    Ladder,
    Letter,
    LetterDecision,
)
from reunify.disclosure.models import Release
from reunify.measures.models import (
    Alignment,
    AlignmentRating,
    ChildCheckin,
    WillingnessLevel,
    WillingnessRating,
)
from reunify.psychoeducation.models import ModuleAssignment
from reunify.safety.models import Contraindication, FindingStatus, Screening


class Kind(models.TextChoices):
    """What kind of reason keeps a gate closed; only a readiness judgement can be overridden."""

    SAFETY = "safety", gettext_lazy("Safety")
    COURT = "court", gettext_lazy("Court")
    RECORD = "record", gettext_lazy("Record")
    READINESS = "readiness", gettext_lazy("Readiness")


@dataclass(frozen=True)
class Reason:
    """One thing standing between the case and its next phase."""

    code: str
    text: str
    kind: str

    @property
    def overridable(self) -> bool:
        return self.kind == Kind.READINESS

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

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


class GateClosed(Exception):
    """A move was refused; `gate.reasons` says exactly what is missing."""

    def __init__(self, gate: Gate, message: str = "") -> None:
        self.gate = gate
        super().__init__(
            message
            or _("The way to %(phase)s is closed: %(reasons)s.")
            % {"phase": gate.next_phase, "reasons": "; ".join(gate.texts())}
        )


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


def _newest_per(model: Any, *same: str, order: tuple[str, ...]) -> Subquery:
    """The id of the newest row of `model` sharing the outer row's `same` columns: correlated,
    so a prefetch keeps only the newest of each (plain SQL on SQLite and PostgreSQL alike)."""
    rows = model.objects.filter(**{name: OuterRef(name) for name in same})
    return Subquery(rows.order_by(*order).values("id")[:1])


_SCREEN_ORDER = ("-screened_on", "-recorded_at", "-id")
_RATING_ORDER = ("-rated_on", "-id")


def _gate_screenings() -> QuerySet[Screening]:
    """The screenings a gate reads: the newest (its findings decide), and those recorded after
    the child's latest unsafe check-in (one of them answers it); never the whole history."""
    after_checkin = _unsafe_checkins().filter(case=OuterRef("case_id")).values("recorded_at")[:1]
    return Screening.objects.filter(
        Q(pk=_newest_per(Screening, "case_id", order=_SCREEN_ORDER))
        | Q(recorded_at__gt=Subquery(after_checkin))
    ).prefetch_related("findings")


def with_gate_facts(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Load everything a gate reads, and only that, in a fixed number of queries however many
    cases: the newest screening and rating of each kind (not every one ever made), and the
    contact visits on the ladder's current rung since stepping onto it.

    The trimmed lists are kept under their own names (`gate_screenings`, …), read through
    `_facts`; a case loaded without them is asked in full, so both reach the same gate."""
    cases = with_unsafe_checkin(cases)
    return cases.select_related("therapist", "ladder__current_rung").prefetch_related(
        Prefetch("parties", queryset=Party.objects.select_related("person")),
        "ladder__rungs__letters_exchanged",
        "ladder__assents",
        Prefetch("releases", queryset=Release.objects.order_by("id"), to_attr="gate_releases"),
        Prefetch(
            "appointments",
            queryset=Appointment.objects.filter(
                kind__in=CONTACT_KINDS,
                rung_id=F("case__ladder__current_rung_id"),
                created_at__gte=F("case__ladder__rung_entered_at"),
            ).select_related("contact_record"),
            to_attr="contact_visits",
        ),
        Prefetch("intakes", queryset=Intake.objects.all(), to_attr="gate_intakes"),
        Prefetch("consents", queryset=Consent.objects.all(), to_attr="gate_consents"),
        Prefetch(
            "document_reviews",
            queryset=DocumentReview.objects.all(),
            to_attr="gate_document_reviews",
        ),
        Prefetch(
            "readiness_ratings",
            queryset=ReadinessRating.objects.filter(
                pk=_newest_per(ReadinessRating, "case_id", "party_id", order=_RATING_ORDER)
            ),
            to_attr="gate_readiness",
        ),
        Prefetch(
            "court_orders",
            queryset=CourtOrder.objects.select_related("supersedes").prefetch_related(
                "terms__replaced_by", "superseded_by"
            ),
        ),
        Prefetch("screenings", queryset=_gate_screenings(), to_attr="gate_screenings"),
        Prefetch("module_assignments", queryset=ModuleAssignment.objects.select_related("module")),
        Prefetch(
            "willingness_ratings",
            queryset=WillingnessRating.objects.filter(
                pk=_newest_per(WillingnessRating, "case_id", "party_id", order=_RATING_ORDER)
            ),
            to_attr="gate_willingness",
        ),
        Prefetch(
            "alignment_ratings",
            queryset=AlignmentRating.objects.select_related(
                "party__person", "party__represents__person"
            ),
            to_attr="gate_alignment",
        ),
    )


def loaded_facts(case: Case, trimmed: str, related: str) -> list[Any]:
    """What `with_gate_facts` kept under `trimmed`, or (not loaded through it) the whole
    related list, from which the rules reach the same answer.

    Kept as plain lists (`to_attr`) rather than in the related managers: Django builds a
    queryset per case for a manager's prefetch, which cost a caseload page more than its SQL."""
    if hasattr(case, trimmed):
        return list(getattr(case, trimmed))
    return list(getattr(case, related).all())


def contact_visits_of(case: Case) -> list[Appointment]:
    """The contact visits a gate reads: those `with_gate_facts` kept (the current rung's since
    stepping onto it), or, not loaded through it, every contact visit of the case."""
    if hasattr(case, "contact_visits"):
        return list(case.contact_visits)
    return list(
        Appointment.objects.filter(case=case, kind__in=CONTACT_KINDS).select_related(
            "contact_record"
        )
    )


def latest_screening(case: Case) -> Screening | None:
    screenings = loaded_facts(case, "gate_screenings", "screenings")
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
    screenings = loaded_facts(case, "gate_screenings", "screenings")
    if any(s.recorded_at > at and s.screened_on >= day for s in screenings):
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
    case: Case,
    *,
    supervised: bool,
    in_therapy: bool,
    today: dt.date,
    parenting_time: bool = False,
) -> list[Reason]:
    """Court terms in force that forbid the contact about to begin.

    `supervised`, `in_therapy` and `parenting_time` describe that contact: a supervised-only
    term forbids unsupervised contact, a therapeutic-only term forbids contact outside therapy,
    a visits-only term forbids regular parenting time (the top of the ladder), and a
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
            elif term.kind == TermKind.VISITS_ONLY and parenting_time:
                code = "visits_only"
                text = _(
                    "court order %(number)s allows unsupervised visits, not regular parenting "
                    "time%(until)s"
                ) % {"number": order.number, "until": until}
            else:
                continue
            reasons.append(Reason(f"court_{code}_{term.pk}", text, Kind.COURT))
    return reasons


# The ladder's facts, read by the ladder's step-up gate (process.ladder) and by the gate
# into integration alike: one count of visits, one reading of the child's assent.


def streak(ladder: Ladder, appointments: list[Appointment]) -> list[Appointment]:
    """The contact visits on the current rung since stepping onto it, newest last, cut at the
    last visit that ended early or raised a safety concern (that visit restarts the count).

    "Since stepping onto it" goes by when a visit was scheduled, so a visit entered after the
    fact still counts, while visits from an earlier stay on the same rung do not."""
    current = ladder.current_rung
    visits = [
        a
        for a in appointments
        if current is not None
        and a.rung_id == current.pk
        and a.created_at >= ladder.rung_entered_at
        and a.status in (AppointmentStatus.COMPLETED, AppointmentStatus.ENDED_EARLY)
    ]
    visits.sort(key=lambda a: (a.starts_at, a.pk))
    run: list[Appointment] = []
    for visit in visits:
        record = getattr(visit, "contact_record", None)
        if visit.status == AppointmentStatus.ENDED_EARLY or (record and record.safety_concern):
            run = []
        else:
            run.append(visit)
    return run


def letter_streak(ladder: Ladder, rung: ContactRung) -> list[Letter]:
    """The letters passed on, on a letters rung, since stepping onto it, newest last; a letter
    held back restarts the count."""
    since = timezone.localdate(ladder.rung_entered_at)
    # Read through the ladder's prefetched rungs, so a page showing the gate adds no query.
    letters = [
        letter
        for r in ladder.rungs.all()
        if r.pk == rung.pk
        for letter in r.letters_exchanged.all()
        if letter.written_on >= since
    ]
    letters.sort(key=lambda letter: (letter.written_on, letter.recorded_at, letter.pk))
    run: list[Letter] = []
    for letter in letters:
        run = [*run, letter] if letter.decision == LetterDecision.PASSED_ON else []
    return run


def _letter_reasons(ladder: Ladder, rung: ContactRung) -> list[Reason]:
    run = letter_streak(ladder, rung)
    if len(run) >= ladder.min_sessions:
        return []
    since = timezone.localdate(ladder.rung_entered_at)
    return [
        Reason(
            "too_few_letters",
            ngettext(
                "only %(count)s of %(needed)s letter in a row passed on since %(since)s on "
                "'%(rung)s'",
                "only %(count)s of %(needed)s letters in a row passed on since %(since)s on "
                "'%(rung)s'",
                ladder.min_sessions,
            )
            % {"count": len(run), "needed": ladder.min_sessions, "since": since, "rung": rung.name},
            Kind.READINESS,
        )
    ]


def rung_visit_reasons(ladder: Ladder, appointments: list[Appointment]) -> list[Reason]:
    """The visits on the current rung: enough of them in a row (`min_sessions`), each recorded
    with the child's comfort at least `min_comfort`, and no safety concern raised on the rung
    since stepping onto it.

    On a letters rung (`ContactRung.letters`) the count is of letters instead: `min_sessions`
    letters passed on in a row since stepping onto it (`letter_streak`), with no comfort to
    read; a visit held on that rung anyway does not count, but a safety concern raised at one
    still closes the way up."""
    current = ladder.current_rung
    reasons: list[Reason] = []
    counted: list[Appointment] = []
    if current is not None and current.letters:
        reasons += _letter_reasons(ladder, current)
    else:
        run = streak(ladder, appointments)
        counted = run[-ladder.min_sessions :]
        if len(run) < ladder.min_sessions:
            reasons.append(
                Reason(
                    "too_few_visits",
                    f"{len(run)} of {ladder.min_sessions} consecutive completed contact visits "
                    f"on '{current.name if current else ''}' so far",
                    Kind.READINESS,
                )
            )
    for visit in counted:
        record = getattr(visit, "contact_record", None)
        if record is None:
            reasons.append(
                Reason(
                    f"no_record_{visit.pk}",
                    f"the visit of {timezone.localdate(visit.starts_at)} has no contact record",
                    Kind.RECORD,
                )
            )
        elif record.lowest_comfort < ladder.min_comfort:
            reasons.append(
                Reason(
                    f"low_comfort_{visit.pk}",
                    f"the child's comfort was {record.lowest_comfort}/10 at the visit of "
                    f"{timezone.localdate(visit.starts_at)} (at least {ladder.min_comfort} needed)",
                    Kind.READINESS,
                )
            )
    concerns = [
        a
        for a in appointments
        if current is not None
        and a.rung_id == current.pk
        and a.created_at >= ladder.rung_entered_at
        and getattr(a, "contact_record", None) is not None
        and a.contact_record.safety_concern
    ]
    if concerns:
        last = max(concerns, key=lambda a: a.starts_at)
        reasons.append(
            Reason(
                "safety_concern",
                f"a safety concern was raised at the visit of {timezone.localdate(last.starts_at)}",
                Kind.SAFETY,
            )
        )
    return reasons


def assent_reasons(case: Case, ladder: Ladder, rung: ContactRung) -> list[Reason]:
    """Each child's latest word on the rung: none is a missing record, a no is a safety
    reason (the child is not moved on against their word)."""
    reasons = []
    assents = sorted(ladder.assents.all(), key=lambda a: (a.recorded_at, a.pk))
    for child in _parties(case, PartyRole.CHILD):
        latest = [a for a in assents if a.child_id == child.pk and a.rung_id == rung.pk]
        if not latest:
            reasons.append(
                Reason(
                    f"no_assent_{child.pk}",
                    f"{child.label} has not given their assent to '{rung.name}'",
                    Kind.RECORD,
                )
            )
        elif not latest[-1].given:
            reasons.append(
                Reason(
                    f"assent_withheld_{child.pk}",
                    f"{child.label} does not agree to '{rung.name}' ({latest[-1].recorded_on})",
                    Kind.SAFETY,
                )
            )
    return reasons


def ladder_of(case: Case) -> Ladder | None:
    """The case's contact ladder as `with_gate_facts` loaded it (None before contact)."""
    try:
        return case.ladder
    except ObjectDoesNotExist:
        return None


def _visits_only_in_force(case: Case, today: dt.date) -> bool:
    return any(
        term.kind == TermKind.VISITS_ONLY and term.in_force(today)
        for order in case.court_orders.all()
        for term in order.terms.all()
    )


def integration_threshold(case: Case, ladder: Ladder, *, today: dt.date) -> ContactRung | None:
    """The rung the ladder must have reached before the case moves into integration.

    The rung the therapist chose for this case (`Ladder.integration_position`) when there is
    one. Otherwise the ladder's top rung, regular parenting time on the default ladder; but
    while a court term "unsupervised visits only, no regular parenting time" is in force the
    court allows no more than the rung below the top (the short unsupervised visit on the
    default ladder), and that rung is the threshold. The other terms only close the gate: a
    supervised-only or therapeutic-only term in force forbids the unsupervised contact outside
    therapy that integration is, whatever the threshold (a court reason, never overridable).
    """
    rungs = sorted(ladder.rungs.all(), key=lambda r: r.position)
    if not rungs:
        return None
    chosen = [r for r in rungs if r.position == ladder.integration_position]
    if chosen:
        return chosen[0]
    if len(rungs) > 1 and _visits_only_in_force(case, today):
        return rungs[-2]
    return rungs[-1]


def _integration_reasons(case: Case, *, today: dt.date) -> list[Reason]:
    """The ladder has reached the case's threshold (see `integration_threshold`); the recent
    visits on the rung it stands on are counted as for a step up (`rung_visit_reasons`); each
    child assents to that rung; and no court term in force forbids it."""
    ladder = ladder_of(case)
    threshold = integration_threshold(case, ladder, today=today) if ladder else None
    if ladder is None or ladder.current_rung is None or threshold is None:
        return [
            Reason("no_ladder", _("the contact ladder has not been started"), Kind.RECORD),
            *court_reasons(case, supervised=False, in_therapy=False, today=today),
        ]
    current = ladder.current_rung
    reasons: list[Reason] = []
    if current.position < threshold.position:
        reasons.append(
            Reason(
                "below_integration_threshold",
                ngettext(
                    "the contact ladder stands on '%(current)s'; integration needs "
                    "'%(threshold)s' reached first, with %(count)s completed visit there",
                    "the contact ladder stands on '%(current)s'; integration needs "
                    "'%(threshold)s' reached first, with %(count)s completed visits there",
                    ladder.min_sessions,
                )
                % {
                    "current": current.name,
                    "threshold": threshold.name,
                    "count": ladder.min_sessions,
                },
                Kind.READINESS,
            )
        )
        reached = threshold
    else:
        reasons += rung_visit_reasons(ladder, contact_visits_of(case))
        reached = current
    reasons += assent_reasons(case, ladder, reached)
    top = max(r.position for r in ladder.rungs.all())
    reasons += court_reasons(
        case,
        supervised=False,
        in_therapy=False,
        parenting_time=reached.position == top,
        today=today,
    )
    return reasons


def _parties(case: Case, *roles: str) -> list[Party]:
    return [p for p in case.parties.all() if p.role in roles]


def _release_reasons(case: Case, *, today: dt.date) -> list[Reason]:
    """A release of information signed by each adult party (the parents, guardians and
    step-parents who sign the consents, and who alone may sign a release), in force today.

    A release a court order compels stands in for every signature: the court has authorised
    the disclosure, whoever would have signed. The releases record whom they are for, so a
    family with no professional around it adds the one they are for (the school, an attorney)
    as a party first."""
    in_force = [r for r in loaded_facts(case, "gate_releases", "releases") if r.in_force(today)]
    if any(r.court_order_id is not None for r in in_force):
        return []
    signed = {r.granted_by_id for r in in_force}
    return [
        Reason(
            f"no_release_{party.pk}",
            _("no release of information signed by %(party)s") % {"party": party.label},
            Kind.RECORD,
        )
        for party in _parties(case, *CONSENTING_ROLES)
        if party.pk not in signed
    ]


def _assessment_reasons(case: Case, *, today: dt.date) -> list[Reason]:
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
    for intake in loaded_facts(case, "gate_intakes", "intakes"):
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
    for consent in loaded_facts(case, "gate_consents", "consents"):
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
    reasons += _release_reasons(case, today=today)
    if not loaded_facts(case, "gate_document_reviews", "document_reviews"):
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
    latest: dict[int, ReadinessRating] = _latest_by(
        loaded_facts(case, "gate_readiness", "readiness_ratings"), lambda r: r.party_id
    )
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
    """The newest rating (by date, then by when it was recorded) for each `key`."""
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
        loaded_facts(case, "gate_willingness", "willingness_ratings"), lambda r: r.party_id
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
    from reunify.measures.models import stakeholder_label

    latest: dict[tuple[str, int | None], AlignmentRating] = _latest_by(
        loaded_facts(case, "gate_alignment", "alignment_ratings"),
        lambda r: (r.stakeholder, r.party_id),
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
        reasons += _assessment_reasons(case, today=today)
    if following == Phase.INDIVIDUAL_WORK:
        reasons += _psychoeducation_reasons(case)
    if following == Phase.THERAPEUTIC_CONTACT:
        reasons += _readiness_reasons(case)
        reasons += _willingness_reasons(case)
        reasons += _alignment_reasons(case)
        reasons += court_reasons(case, supervised=True, in_therapy=True, today=today)
    if following == Phase.INTEGRATION:
        reasons += _integration_reasons(case, today=today)
    return Gate(case.phase, following, reasons)


def active_contact_bans(case: Case, *, today: dt.date | None = None) -> list[str]:
    """Court terms in force that forbid contact outright."""
    today = today or timezone.localdate()
    return [
        r.text
        for r in court_reasons(case, supervised=True, in_therapy=True, today=today)
        if r.code.startswith("court_no_contact")
    ]
