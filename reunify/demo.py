"""The demo practice: fictional staff and families in every state the product knows.

Everything is written through the same services a therapist uses, so the demo also proves the
gates: a family only reaches a phase by meeting its gate (or by a co-signed override).
Running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from reunify.accounts.models import Role, SecondFactor, User
from reunify.accounts.qualifications import qualification_of, qualification_record
from reunify.accounts.services import totp_enrol_demo, user_create
from reunify.audit.chain import audit_source
from reunify.cases import services
from reunify.cases.models import Case, ConsentKind, Party, PartyRole, TermKind
from reunify.clinical import services as clinical
from reunify.clinical.models import Appointment, ContactRung
from reunify.disclosure.models import Category
from reunify.disclosure.services import document_share, release_grant
from reunify.documents.models import Document, DocumentKind
from reunify.documents.pdf import text_pdf
from reunify.documents.services import document_tag_substance_use, document_upload
from reunify.measures.models import ChildCheckin, Instrument
from reunify.measures.services import (
    alignment_record,
    goal_add,
    goal_rate,
    response_record,
    willingness_record,
)
from reunify.messaging.models import Message
from reunify.messaging.services import message_reply, message_send_to_therapist
from reunify.portal.models import Invitation
from reunify.portal.services import invitation_accept, invitation_create
from reunify.process import pausing, transitions
from reunify.process.pausing import checkin_record, screening_record
from reunify.psychoeducation.models import Language, Module, Topic
from reunify.psychoeducation.services import module_assign, module_complete
from reunify.reports.services import report_issue
from reunify.safety.models import Contraindication, FindingStatus

# Printed by `reunify demo` and in the README: the demo practice is public and fictional.
DEMO_PASSWORD = "reunify-demo-practice"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    name: str


STAFF = [
    # username, role, first, last, supervisor username
    ("supervisor1", Role.SUPERVISOR, "Odalys", "Penwarden", None),
    ("therapist1", Role.THERAPIST, "Ruth", "Applegarth", "supervisor1"),
    ("therapist2", Role.THERAPIST, "Cyrus", "Wendleby", "supervisor1"),
    ("monitor1", Role.MONITOR, "Iggy", "Marchbank", None),
    ("admin1", Role.ADMIN, "Petra", "Holloway", None),
]


def _day(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def _staff() -> dict[str, User]:
    users: dict[str, User] = {}
    for username, role, first, last, supervisor in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.reunify.invalid",
                supervisor=users.get(supervisor) if supervisor else None,
                check_password=False,
            )
        # Demo accounts get a second factor whose code `reunify totp code` prints; only
        # the demo's own accounts (by their demo address), never a real one of the same name.
        is_demo_account = user.email == f"{username}@demo.reunify.invalid"
        if is_demo_account and not SecondFactor.objects.filter(user=user).exists():
            totp_enrol_demo(user=user)
        users[username] = user
    return users


# Licences: (username, type, number, state, days until it expires, training areas).
LICENCES = [
    (
        "supervisor1",
        "psychologist",
        "PSY 30117",
        "CA",
        600,
        ["child_development", "high_conflict", "trauma_informed", "family_law"],
    ),
    (
        "therapist1",
        "lmft",
        "LMFT 88120",
        "CA",
        45,
        ["child_development", "high_conflict", "trauma_informed"],
    ),
    ("therapist2", "lcsw", "LCSW 71456", "CA", 420, ["trauma_informed", "family_law"]),
]


def _qualifications(staff: dict[str, User]) -> None:
    """Each clinician's licence and training; therapist1's licence runs out within 60 days,
    so the caseload shows the warning."""
    for username, kind, number, state, days, areas in LICENCES:
        user = staff[username]
        if qualification_of(user) is None:
            qualification_record(
                actor=staff["admin1"],
                user=user,
                licence_type=kind,
                licence_number=number,
                licence_state=state,
                licence_expires_on=_day(-days),
                training_areas=areas,
            )


@dataclass
class _Family:
    case: Case
    child: Party
    estranged: Party
    other: Party


def _family(
    therapist: User,
    *,
    title: str,
    surname: str,
    child: str,
    estranged: str,
    other: str,
    scenarios: list[str],
    reason: str,
    referral_days_ago: int,
    court_ordered: bool = True,
) -> _Family:
    case = services.case_open(
        actor=therapist,
        title=title,
        referral_source="court_order" if court_ordered else "self",
        referral_date=_day(referral_days_ago),
        referral_reason=reason,
        court_ordered=court_ordered,
        scenarios=scenarios,
        # Opened two days after the referral: the demo's history has real past dates.
        opened_on=_day(max(referral_days_ago - 2, 0)),
    )

    def add(role: str, first: str, **extra: Any) -> Party:
        return services.party_add(
            actor=therapist, case=case, role=role, first_name=first, last_name=surname, **extra
        )

    return _Family(
        case=case,
        child=add(PartyRole.CHILD, child, date_of_birth=_day(365 * 13 + 40)),
        estranged=add(
            PartyRole.ESTRANGED_PARENT,
            estranged,
            email=f"{estranged.lower()}.{surname.lower()}@example.invalid",
            phone="555-0100",
            workplace="Elmshire Regional Bus Depot",
        ),
        other=add(
            PartyRole.OTHER_PARENT,
            other,
            email=f"{other.lower()}.{surname.lower()}@example.invalid",
            phone="555-0199",
            address="Flat 3, 12 Fennel Row, Ashcombe",
            workplace="Ashcombe Community Library",
            protected_address=True,
            substitute_address="Elmshire Address Confidentiality Programme\nPO Box 4170\nElmshire",
        ),
    )


def _clear_screen(therapist: User, case: Case, days_ago: int, **found: tuple[str, str]) -> None:
    findings = {code: (FindingStatus.ABSENT.value, "") for code in Contraindication.values}
    findings.update(found)
    screening_record(
        actor=therapist,
        case=case,
        screened_on=_day(days_ago),
        findings=findings,
        note="Screened with each parent and the child separately.",
    )


def _assess(therapist: User, fam: _Family, *, start: int) -> None:
    case = fam.case
    services.intake_record(actor=therapist, case=case, party=fam.other, held_on=_day(start))
    services.intake_record(actor=therapist, case=case, party=fam.estranged, held_on=_day(start - 2))
    services.intake_record(actor=therapist, case=case, party=fam.child, held_on=_day(start - 4))
    for party in (fam.estranged, fam.other):
        for kind in ConsentKind.values:
            services.consent_record(
                actor=therapist, case=case, party=party, kind=kind, signed_on=_day(start)
            )
    services.document_review_record(
        actor=therapist,
        case=case,
        reviewed_on=_day(start - 5),
        none_provided=False,
        description="Custody evaluation (2025) and the minute order appointing the therapist.",
    )
    _school_releases(therapist, fam, days_ago=start)
    _clear_screen(therapist, case, days_ago=start - 5)
    # Willingness as first assessed: the estranged parent keen, the other parent and the child
    # unsure (ambivalence is where most families start; it does not hold the gate).
    for party, level in (
        (fam.estranged, "engaged"),
        (fam.other, "ambivalent"),
        (fam.child, "ambivalent"),
    ):
        willingness_record(
            actor=therapist, case=case, party=party, level=level, rated_on=_day(start - 4)
        )


def _school_releases(therapist: User, fam: _Family, *, days_ago: int) -> None:
    """The child's school counsellor, and a release each parent signs for them at intake
    (attendance only): the assessment gate asks for a release signed by each adult party."""
    counsellor = services.party_add(
        actor=therapist,
        case=fam.case,
        role=PartyRole.SCHOOL,
        first_name="Wren",
        last_name="Ashdown",
        organisation="Ashcombe School",
    )
    for parent in (fam.estranged, fam.other):
        release_grant(
            actor=therapist,
            case=fam.case,
            recipient=counsellor,
            granted_by=parent,
            categories=[Category.ATTENDANCE],
            purpose="Arranging sessions around the school day",
            granted_on=_day(days_ago),
            expires_on=_day(-365),
        )


def _ready(therapist: User, fam: _Family, days_ago: int) -> None:
    for party in (fam.child, fam.estranged, fam.other):
        services.readiness_record(
            actor=therapist,
            case=fam.case,
            party=party,
            level="ready",
            rated_on=_day(days_ago),
            note="Said so in their own words in individual session.",
        )
    for party in (fam.child, fam.other):
        willingness_record(
            actor=therapist, case=fam.case, party=party, level="open", rated_on=_day(days_ago)
        )


def _prepare(
    therapist: User, fam: _Family, *, days_ago: int, unfinished: Party | None = None
) -> None:
    """Psychoeducation: a library module for each family member, completed in session.

    The one given to `unfinished` is left open, as the gate into individual work would see it.
    """
    plan = [
        (fam.estranged, Topic.IMPACT_OF_ESTRANGEMENT),
        (fam.other, Topic.CO_PARENTING),
        (fam.child, Topic.EMOTIONAL_REGULATION),
    ]
    for party, topic in plan:
        module = (
            Module.objects.active()
            .filter(topic=topic, language=Language.ENGLISH)
            .order_by("id")
            .first()
        )
        if module is None:
            raise RuntimeError(f"The module library has no English module on {topic.label!r}.")
        assignment = module_assign(actor=therapist, case=fam.case, party=party, module=module)
        if party is not unfinished:
            module_complete(actor=therapist, assignment=assignment, completed_on=_day(days_ago))


def _document(
    therapist: User, case: Case, *, kind: str, title: str, filename: str, lines: list[str]
) -> None:
    """Upload a one-page sample PDF, marked as fictional on its face."""
    pdf = text_pdf(title, [*lines, "", "FICTIONAL DEMO DOCUMENT - Reunify demo practice."])
    upload = SimpleUploadedFile(filename, pdf, content_type="application/pdf")
    document_upload(actor=therapist, case=case, kind=kind, title=title, upload=upload)


def _at(days_ago: float, hour: int = 16) -> dt.datetime:
    """A local time `days_ago` days from now (negative: in the future), on the hour."""
    day = timezone.localtime() - dt.timedelta(days=days_ago)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _visit(
    therapist: User,
    fam: _Family,
    *,
    days_ago: float,
    monitor: User,
    comfort: tuple[int, int],
    observations: str,
    note: str | None = None,
    hour: int = 16,
) -> Appointment:
    """A supervised contact visit on the current rung, recorded by its monitor, with the
    therapist's signed progress note when `note` is given."""
    visit = clinical.appointment_schedule(
        actor=therapist,
        case=fam.case,
        kind="contact_supervised",
        starts_at=_at(days_ago, hour=hour),
        duration_minutes=60,
        participants=[fam.child, fam.estranged],
        monitor=monitor,
    )
    pausing.contact_record(
        actor=monitor,
        appointment=visit,
        facts=clinical.ContactFacts(
            duration_minutes=55,
            comfort_before=comfort[0],
            comfort_after=comfort[1],
            brought_by=fam.other,
            observations=observations,
        ),
    )
    if note:
        written = pausing.note_write(
            actor=therapist,
            appointment=visit,
            format="dap",
            body={
                "data": observations,
                "assessment": note,
                "plan": "Continue on this rung; review comfort ratings next visit.",
            },
        )
        pausing.note_sign(actor=therapist, note=written)
    return visit


def _letters(therapist: User, fam: _Family, letters: list[tuple[int, str, str]]) -> None:
    """Letters exchanged on the ladder's letters rung (days ago, which way, a summary), each
    read by the therapist and passed on the next day."""
    for days_ago, direction, summary in letters:
        clinical.letter_record(
            actor=therapist,
            case=fam.case,
            written_on=_day(days_ago),
            direction=direction,
            content=summary,
            reviewed_on=_day(days_ago - 1),
            decision="passed_on",
        )


def _climb(therapist: User, fam: _Family, *, to_position: int, why: str, days_ago: int = 0) -> None:
    """Record the child's assent to the next rung and step up through its gate, `days_ago`."""
    rung = ContactRung.objects.get(ladder__case=fam.case, position=to_position)
    clinical.assent_record(
        actor=therapist,
        case=fam.case,
        child=fam.child,
        rung=rung,
        given=True,
        recorded_on=_day(days_ago),
        note="Said yes in individual session, in their own words.",
    )
    clinical.ladder_step_up(
        actor=therapist, case=fam.case, rationale=why, effective_on=_day(days_ago)
    )


def _larkspur(staff: dict[str, User]) -> None:
    """In assessment: intakes under way, the gate lists what is still missing."""
    t = staff["therapist1"]
    fam = _family(
        t,
        title="Larkspur family",
        surname="Larkspur",
        child="Wren",
        estranged="Silas",
        other="Juniper",
        scenarios=["prolonged_separation", "child_resistance"],
        reason="Father returned after three years abroad; Wren (13) declines to see him.",
        referral_days_ago=12,
    )
    services.intake_record(actor=t, case=fam.case, party=fam.other, held_on=_day(6))
    for party, days_ahead in ((fam.estranged, 2), (fam.child, 5)):
        clinical.appointment_schedule(
            actor=t,
            case=fam.case,
            kind="intake",
            starts_at=_at(-days_ahead, hour=10),
            duration_minutes=90,
            participants=[party],
        )
    services.consent_record(
        actor=t, case=fam.case, party=fam.other, kind="informed_consent", signed_on=_day(6)
    )
    pausing.court_order_record(
        actor=t,
        case=fam.case,
        court="Superior Court of Elmshire County, Family Division",
        court_case_number="FL-2026-004417",
        judge="Hon. Marguerite Oddsby",
        issued_on=_day(20),
        terms=[
            services.TermInput(kind=TermKind.THERAPEUTIC_ONLY),
            services.TermInput(
                kind=TermKind.REPORTING_DUTY, due_on=_day(-45), text="Progress letter to the court"
            ),
        ],
    )


def _thistlewood(staff: dict[str, User]) -> None:
    """Paused in therapeutic contact: a screen found coercion by a parent, so the next
    supervised visit is held and the parties to tell are listed."""
    t = staff["therapist1"]
    fam = _family(
        t,
        title="Thistlewood family",
        surname="Thistlewood",
        child="Rowan",
        estranged="Maren",
        other="Edmund",
        scenarios=["loyalty_conflict", "coparenting_breakdown", "court_cps"],
        reason="Loyalty conflict after a contested move; CPS referral after an exchange incident.",
        referral_days_ago=70,
    )
    _document(
        t,
        fam.case,
        kind=DocumentKind.PRIOR_EVALUATION,
        title="Child custody evaluation (2025), summary",
        filename="Thistlewood custody evaluation 2025.pdf",
        lines=[
            "Evaluator: Dr. Ingrid Vasquez-Lowe, Ph.D. (fictional)",
            "Child: Rowan Thistlewood, 12",
            "Rowan is caught in a loyalty conflict after the contested move.",
            "Recommends reunification therapy before any change to parenting time.",
        ],
    )
    _assess(t, fam, start=60)
    transitions.case_advance(
        actor=t, case=fam.case, rationale="Assessment complete.", effective_on=_day(55)
    )
    _prepare(t, fam, days_ago=50)
    transitions.case_advance(
        actor=t,
        case=fam.case,
        rationale="Modules completed by both parents.",
        effective_on=_day(50),
    )
    _clear_screen(t, fam.case, days_ago=20)
    _ready(t, fam, days_ago=18)
    transitions.case_advance(
        actor=t, case=fam.case, rationale="Ready for letters.", effective_on=_day(18)
    )
    _visit(
        t,
        fam,
        days_ago=10,
        hour=11,  # the Marigolds' visit that day is at 16:00 with the same monitor
        monitor=staff["monitor1"],
        comfort=(6, 7),
        observations="Rowan read Maren's letter aloud and wrote two lines back.",
    )
    clinical.appointment_schedule(
        actor=t,
        case=fam.case,
        kind="contact_supervised",
        starts_at=_at(-4),
        duration_minutes=45,
        participants=[fam.child, fam.estranged],
        monitor=staff["monitor1"],
    )
    _clear_screen(
        t,
        fam.case,
        days_ago=0,
        coercion=(
            FindingStatus.PRESENT.value,
            "Rowan reports being told what to say in session; confirmed by school counsellor.",
        ),
    )


def _marigold(staff: dict[str, User]) -> None:
    """In therapeutic contact, supervised only until a court date."""
    t = staff["therapist1"]
    fam = _family(
        t,
        title="Marigold family",
        surname="Marigold",
        child="Tamsin",
        estranged="Ansel",
        other="Clemency",
        scenarios=["parent_health", "prolonged_separation"],
        reason="Mother in recovery after two years of treatment; contact to be rebuilt gradually.",
        referral_days_ago=120,
    )
    pausing.court_order_record(
        actor=t,
        case=fam.case,
        court="Superior Court of Elmshire County, Family Division",
        court_case_number="FL-2025-019822",
        judge="Hon. Bertram Quayle",
        issued_on=_day(110),
        terms=[services.TermInput(kind=TermKind.SUPERVISED_UNTIL, until=_day(-50))],
    )
    _document(
        t,
        fam.case,
        kind=DocumentKind.COURT_ORDER,
        title="Minute order FL-2025-019822",
        filename="Marigold minute order FL-2025-019822.pdf",
        lines=[
            "Superior Court of Elmshire County, Family Division",
            "Hon. Bertram Quayle",
            "Contact between Ansel Marigold and Tamsin is supervised only until further order.",
            "Reunification therapy is ordered; the therapist reports progress to the court.",
        ],
    )
    _assess(t, fam, start=100)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(95))
    _prepare(t, fam, days_ago=90)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(90))
    _clear_screen(t, fam.case, days_ago=24)
    _ready(t, fam, days_ago=22)
    transitions.case_advance(
        actor=t,
        case=fam.case,
        rationale="All three ready; first letters.",
        effective_on=_day(22),
    )
    monitor = staff["monitor1"]
    _letters(
        t,
        fam,
        [
            (20, "parent_to_child", "Ansel wrote about the garden they planted; read with Tamsin."),
            (18, "child_to_parent", "Tamsin wrote back about her school play."),
            (16, "child_to_parent", "Tamsin asked whether Ansel could come to the office."),
        ],
    )
    _climb(
        t,
        fam,
        to_position=2,
        why="Three calm letter exchanges; Tamsin asked to meet.",
        days_ago=14,
    )
    visits = [
        ("Tamsin stayed near the door for ten minutes, then joined the card game.", (6, 7)),
        ("Tamsin showed Ansel photos on her phone; laughed twice.", (7, 8)),
        ("Tamsin hugged Ansel goodbye; she arrived and left with Clemency.", (8, 8)),
    ]
    first = None
    for i, (facts, comfort) in enumerate(visits):
        visit = _visit(
            t,
            fam,
            days_ago=12 - 2 * i,
            monitor=monitor,
            comfort=comfort,
            observations=facts,
            note="Warming steadily; comfort held or rose.",
        )
        first = first or visit
    assert first is not None
    signed = first.progress_notes.get()
    clinical.addendum_add(
        actor=t,
        note=signed,
        text="Correction: the visit began 15 minutes late because of traffic, not reluctance.",
    )
    request = clinical.amendment_request_record(
        actor=t,
        note=signed,
        party=fam.other,
        received_on=_day(3),
        request_text="Clemency asks that the note say Tamsin was anxious before the visit.",
    )
    clinical.amendment_decide(
        actor=t,
        request=request,
        accept=False,
        reason="The monitor recorded a comfort rating of 6 before the visit; the note reports it.",
        disagreement_statement="Clemency: Tamsin cried in the car on the way there.",
    )
    _climb(
        t,
        fam,
        to_position=3,
        why="Comfort 7-8 at three visits; Tamsin asked for longer.",
        days_ago=4,
    )
    _visit(
        t,
        fam,
        days_ago=2,
        monitor=monitor,
        comfort=(7, 7),
        observations="Ninety minutes; they cooked pancakes in the office kitchen.",
        note="First longer visit went well.",
    )
    clinical.appointment_schedule(
        actor=t,
        case=fam.case,
        kind="contact_supervised",
        starts_at=_at(-5),
        duration_minutes=90,
        participants=[fam.child, fam.estranged],
        monitor=monitor,
    )
    clinical.psychotherapy_note_write(
        actor=t,
        case=fam.case,
        text="My own process note: I notice I hurry the pace when Ansel is hopeful. Slow down.",
    )
    _marigold_measures(t, fam)
    # Ansel's attorney holds a release before the report is issued, so it is disclosed to him.
    _marigold_attorney(t, fam.case)
    _court_report(t, fam)


# Goal ratings of the Marigold family at 95, 60, 30 and 5 days ago.
MARIGOLD_GOALS = [
    ("emotional_safety", "", 3, 8, (3, 4, 6, 7)),
    ("trust", "", 2, 7, (2, 3, 4, 5)),
    ("communication", "", 3, 8, (3, 5, 5, 6)),
    ("bond", "", 2, 8, (2, 2, 4, 6)),
    ("autonomy", "", 4, 8, (4, 5, 6, 6)),
    ("", "Tamsin sets the pace of each step herself", 3, 9, (3, 4, 6, 8)),
]
# Readiness for contact (the project's form), per informant, 60 and 8 days ago: answers to
# curious, talk, pressure, pace, worry_home, memories.
MARIGOLD_READINESS = {
    "child": ((2, 2, 3, 2, 3, 3), (3, 3, 1, 3, 2, 4)),
    "estranged": ((4, 3, 1, 2, 2, 4), (4, 4, 0, 4, 1, 4)),
    "other": ((1, 1, 4, 3, 4, 2), (2, 2, 3, 3, 3, 3)),
}
READINESS_ITEMS = ("curious", "talk", "pressure", "pace", "worry_home", "memories")


def _marigold_measures(t: User, fam: _Family) -> None:
    """The treatment plan rated over time, willingness as it grew, the support system, and the
    readiness form answered by each parent, Tamsin and the therapist: the multi-informant
    chart shows Clemency's view well below the others' at first, closer now."""
    case = fam.case
    for standard, title, baseline, target, values in MARIGOLD_GOALS:
        goal = goal_add(
            actor=t, case=case, standard=standard, title=title, baseline=baseline, target=target
        )
        for days_ago, value in zip((95, 60, 30, 5), values, strict=True):
            goal_rate(actor=t, goal=goal, value=value, rated_on=_day(days_ago))
    willingness_record(
        actor=t,
        case=case,
        party=fam.child,
        level="engaged",
        rated_on=_day(4),
        note="Asked for the pancake visit to be longer next time.",
    )
    for stakeholder, status, days_ago, note in (
        ("court", "aligned", 100, "The order asks for gradual, therapeutic contact."),
        ("school", "aligned", 40, "The counsellor supports the plan and checks in with Tamsin."),
        ("gal", "unknown", 40, "No guardian ad litem appointed yet."),
    ):
        alignment_record(
            actor=t,
            case=case,
            stakeholder=stakeholder,
            status=status,
            rated_on=_day(days_ago),
            note=note,
        )
    readiness = Instrument.objects.get(slug="reunify-readiness", shipped=True)
    for who, answers_over_time in MARIGOLD_READINESS.items():
        party = getattr(fam, who)
        for days_ago, answers in zip((60, 8), answers_over_time, strict=True):
            response_record(
                actor=t,
                case=case,
                instrument=readiness,
                informant=party.role,
                party=party,
                answered_on=_day(days_ago),
                answers=dict(zip(READINESS_ITEMS, answers, strict=True)),
            )
    response_record(
        actor=t,
        case=case,
        instrument=readiness,
        informant="therapist",
        answered_on=_day(8),
        answers=dict(zip(READINESS_ITEMS, (3, 3, 1, 3, 2, 3), strict=True)),
    )


def _court_report(therapist: User, fam: _Family) -> None:
    """The court receives progress reports under its order: one issued for the last six weeks
    (the therapist's summary signed with it; its disclosure to the court, and to Ansel's
    attorney under his release, logged)."""
    case = fam.case
    court = services.party_add(
        actor=therapist,
        case=case,
        role=PartyRole.COURT,
        first_name="Clerk,",
        last_name="Department 14",
        organisation="Superior Court of Elmshire County",
    )
    release_grant(
        actor=therapist,
        case=case,
        recipient=court,
        categories=[Category.COURT_REPORTS, Category.PROGRESS],
        purpose="Progress reports ordered by the court",
        expires_on=_day(-180),
        court_order=case.court_orders.get(),
    )
    report_issue(
        actor=therapist,
        case=case,
        start=_day(42),
        end=_day(0),
        summary="Tamsin and Ansel moved from letters to supervised visits in the office and, "
        "since last week, to longer visits. Tamsin's comfort stayed at 6 or above before and "
        "after every visit, and she asked for each step herself. The family attended every "
        "session that was due.",
    )


def _fernhollow(staff: dict[str, User]) -> None:
    """In individual work with an override awaiting the supervisor's co-signature."""
    t = staff["therapist2"]
    fam = _family(
        t,
        title="Fernhollow family",
        surname="Fernhollow",
        child="Linnea",
        estranged="Corwin",
        other="Hester",
        scenarios=["abuse_allegations", "court_cps"],
        reason="Allegations investigated and unfounded by CPS; the court ordered therapy.",
        referral_days_ago=90,
    )
    _assess(t, fam, start=80)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(75))
    _prepare(t, fam, days_ago=70)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(70))
    _clear_screen(t, fam.case, days_ago=10)
    session = clinical.appointment_schedule(
        actor=t,
        case=fam.case,
        kind="individual",
        starts_at=_at(9, hour=15),
        participants=[fam.child],
        modality="telehealth",
    )
    clinical.appointment_complete(actor=t, appointment=session)
    soap = pausing.note_write(
        actor=t,
        appointment=session,
        format="soap",
        body={
            "subjective": "Linnea says letters feel safer than visits for now.",
            "objective": "Calm, good eye contact, drew a picture of her father's dog.",
            "assessment": "Partly ready; wants control over pace.",
            "plan": "Offer letters first if the override is co-signed.",
        },
    )
    pausing.note_sign(actor=t, note=soap)
    late = clinical.appointment_schedule(
        actor=t,
        case=fam.case,
        kind="individual",
        starts_at=timezone.now() + dt.timedelta(hours=10),
        participants=[fam.estranged],
    )
    clinical.appointment_cancel(
        actor=t, appointment=late, cancelled_by="party", party=fam.estranged, note="Work shift."
    )
    services.readiness_record(
        actor=t,
        case=fam.case,
        party=fam.child,
        level="partly_ready",
        rated_on=_day(8),
        note="Linnea: 'I could try a letter first.'",
    )
    services.readiness_record(
        actor=t, case=fam.case, party=fam.estranged, level="ready", rated_on=_day(8)
    )
    services.readiness_record(
        actor=t,
        case=fam.case,
        party=fam.other,
        level="partly_ready",
        rated_on=_day(8),
        note="Supports letters; anxious about visits.",
    )
    transitions.override_request(
        actor=t,
        case=fam.case,
        rationale="Letters are the lowest rung and Linnea asked for them herself; both "
        "partial ratings concern in-person visits, which stay gated by the ladder.",
    )


def _quillfeather(staff: dict[str, User]) -> None:
    """In integration and maintenance."""
    t = staff["therapist2"]
    fam = _family(
        t,
        title="Quillfeather family",
        surname="Quillfeather",
        child="Bastian",
        estranged="Orla",
        other="Piers",
        scenarios=["coparenting_breakdown"],
        reason="Self-referred after a year of no contact between Bastian and his mother.",
        referral_days_ago=200,
        court_ordered=False,
    )
    _assess(t, fam, start=190)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(185))
    _prepare(t, fam, days_ago=180)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(180))
    _clear_screen(t, fam.case, days_ago=125)
    _ready(t, fam, days_ago=122)
    # The gates read today's record, so the latest monthly re-screen goes in first.
    _clear_screen(t, fam.case, days_ago=12)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(120))
    _quillfeather_ladder(t, fam, staff["monitor1"])
    transitions.case_advance(
        actor=t, case=fam.case, rationale="Regular weekends for six weeks.", effective_on=_day(8)
    )
    clinical.arrangement_record(
        actor=t,
        case=fam.case,
        description="Bastian with Orla alternate weekends, Friday 5 pm to Sunday 5 pm; "
        "exchanges at school.",
        effective_on=_day(7),
    )
    clinical.appointment_schedule(
        actor=t,
        case=fam.case,
        kind="checkin",
        starts_at=_at(3, hour=11),
        participants=[fam.child, fam.estranged, fam.other],
    )


def _quillfeather_ladder(t: User, fam: _Family, monitor: User) -> None:
    """Bastian and Orla climb the whole ladder over the four months before integration: three
    calm visits on each rung, about a week apart (the supervised ones with the monitor), a
    re-screen every month, and Bastian's yes to each next rung, up to regular parenting time,
    the rung the gate into integration asks for."""
    rungs = list(ContactRung.objects.filter(ladder__case=fam.case).order_by("position"))
    count = 0
    for rung in rungs:
        for _ in range(3):
            days_ago = 118 - 6 * count
            count += 1
            if days_ago in (94, 64, 34):
                _clear_screen(t, fam.case, days_ago=days_ago + 1)
            if rung.letters:
                _letters(t, fam, [(days_ago + 1, "parent_to_child", "Orla's letter about home.")])
            visit = clinical.appointment_schedule(
                actor=t,
                case=fam.case,
                kind="contact_supervised" if rung.supervised else "contact_unsupervised",
                starts_at=_at(days_ago, hour=9 if count % 2 else 16),
                duration_minutes=60,
                participants=[fam.child, fam.estranged],
                monitor=monitor if rung.supervised else None,
            )
            pausing.contact_record(
                actor=t,
                appointment=visit,
                facts=clinical.ContactFacts(
                    duration_minutes=55,
                    comfort_before=7,
                    comfort_after=8,
                    brought_by=fam.other,
                    observations="Bastian showed Orla photographs from school; they cooked lunch.",
                ),
            )
        if rung != rungs[-1]:
            _climb(
                t,
                fam,
                to_position=rung.position + 1,
                why="Three calm visits; Bastian agrees.",
                days_ago=days_ago - 2,
            )


def _bramblecott(staff: dict[str, User]) -> None:
    """Closed with a partial outcome."""
    t = staff["therapist2"]
    fam = _family(
        t,
        title="Bramblecott family",
        surname="Bramblecott",
        child="Ivo",
        estranged="Delphine",
        other="Rupert",
        scenarios=["complex_dynamics", "loyalty_conflict"],
        reason="Ivo (15) aligned with his father after the divorce; court asked for therapy.",
        referral_days_ago=300,
    )
    _assess(t, fam, start=290)
    transitions.case_advance(actor=t, case=fam.case, effective_on=_day(285))
    # Rupert never finished his module; the case closed before individual work.
    _prepare(t, fam, days_ago=280, unfinished=fam.other)
    transitions.case_close(
        actor=t,
        case=fam.case,
        outcome="partial",
        reason="Less conflict at exchanges and monthly lunches agreed; Ivo declined further "
        "sessions and the court accepted the arrangement.",
        effective_on=_day(250),
    )


FAMILIES: list[tuple[str, Callable[[dict[str, User]], None]]] = [
    ("Larkspur family", _larkspur),
    ("Thistlewood family", _thistlewood),
    ("Marigold family", _marigold),
    ("Fernhollow family", _fernhollow),
    ("Quillfeather family", _quillfeather),
    ("Bramblecott family", _bramblecott),
]


# Portal logins: (case, first names of the parties); each e-mail is first.surname@example.invalid.
PORTAL_PARTIES = [
    ("Marigold family", ("Ansel", "Clemency", "Tamsin", "Hollis")),
    ("Quillfeather family", ("Orla", "Piers")),
]


def _marigold_attorney(t: User, case: Case) -> None:
    """Ansel's attorney, with a release Ansel signed for attendance, progress, documents and
    court reports — not substance-use information, so the tagged treatment summary stays out of
    their sight."""
    parties = {p.person.first_name: p for p in case.parties.select_related("person")}
    if "Hollis" in parties:
        return
    attorney = services.party_add(
        actor=t,
        case=case,
        role=PartyRole.ATTORNEY,
        first_name="Hollis",
        last_name="Tremaine",
        email="hollis.tremaine@example.invalid",
        organisation="Tremaine & Voss LLP",
        represents=parties["Ansel"],
    )
    release_grant(
        actor=t,
        case=case,
        recipient=attorney,
        granted_by=parties["Ansel"],
        categories=[
            Category.ATTENDANCE,
            Category.PROGRESS,
            Category.DOCUMENTS,
            Category.COURT_REPORTS,
        ],
        purpose="Representing Ansel Marigold in FL-2025-019822",
        granted_on=_day(6),
        expires_on=_day(-180),
    )
    _document(
        t,
        case,
        kind=DocumentKind.OTHER,
        title="Substance-use treatment summary (2024)",
        filename="Marigold treatment summary 2024.pdf",
        lines=[
            "Ansel Marigold completed a 24-month outpatient programme (fictional).",
            "Random screens negative throughout the last 18 months.",
        ],
    )
    summary = Document.objects.get(case=case, title="Substance-use treatment summary (2024)")
    document_tag_substance_use(actor=t, document=summary, substance_use=True)
    order = Document.objects.get(case=case, title="Minute order FL-2025-019822")
    for first in ("Ansel", "Clemency"):
        document_share(actor=t, document=order, party=parties[first])


def _portal_login(t: User, party: Party) -> DemoLogin:
    """The party's portal account, made through an invitation the demo accepts at once."""
    person = party.person
    invitation = Invitation.objects.filter(
        party=party, accepted_by__isnull=False, revoked_at__isnull=True
    ).first()
    if invitation is None:
        email = person.email or (
            f"{person.first_name.lower()}.{person.last_name.lower()}@example.invalid"
        )
        invitation = invitation_create(
            actor=t, case=party.case, party=party, email=email, portal_url="http://127.0.0.1:8000"
        )
        invitation_accept(token=invitation.token, password=DEMO_PASSWORD)  # type: ignore[attr-defined]
        invitation.refresh_from_db()
    user = invitation.accepted_by
    assert user is not None
    return DemoLogin(
        user.username, f"Portal: {party.get_role_display().lower()}", user.display_name
    )


def _portal(staff: dict[str, User]) -> list[DemoLogin]:
    logins = []
    for title, firsts in PORTAL_PARTIES:
        case = Case.objects.filter(title=title).select_related("therapist").first()
        if case is None or case.is_closed:
            continue
        if title == "Marigold family":
            _marigold_attorney(case.therapist, case)
        parties = {p.person.first_name: p for p in case.parties.select_related("person")}
        for first in firsts:
            logins.append(_portal_login(case.therapist, parties[first]))
        child = next(p for p in parties.values() if p.role == PartyRole.CHILD)
        if title == "Marigold family" and not Message.objects.filter(party=child).exists():
            tamsin = Invitation.objects.get(party=child, revoked_at__isnull=True).accepted_by
            assert tamsin is not None
            message_send_to_therapist(
                actor=tamsin,
                party=child,
                body="Can the next visit be shorter? I have a maths test the day after.",
            )
            message_reply(
                actor=case.therapist,
                party=child,
                body="Yes, we can make it an hour. Thank you for telling me.",
            )
        if title == "Marigold family" and not ChildCheckin.objects.filter(child=child).exists():
            tamsin = Invitation.objects.get(party=child, revoked_at__isnull=True).accepted_by
            assert tamsin is not None
            checkin_record(
                actor=tamsin,
                case=case,
                child=child,
                ready=5,
                safe=8,
                last_visit="okay",
                slow_down=True,
                words="The long visit was a lot. I want to go back to the shorter ones for now.",
            )
    return logins


def _thistlewood_checkin(staff: dict[str, User]) -> None:
    """Rowan tells the therapist in session that he does not feel safe: an unsafe check-in,
    after the screen, so the caseload shows it as urgent until a fresh screen."""
    case = Case.objects.filter(title="Thistlewood family").first()
    if case is None or case.is_closed:
        return
    child = case.parties.get(role=PartyRole.CHILD)
    if ChildCheckin.objects.filter(child=child).exists():
        return
    checkin_record(
        actor=staff["therapist1"],
        case=case,
        child=child,
        ready=3,
        safe=2,
        last_visit="hard",
        slow_down=True,
        feels_unsafe=True,
        words="I don't want to go to the next visit. I get in trouble at home after.",
    )


def demo_load() -> list[DemoLogin]:
    """Create whatever part of the demo practice is missing; return the logins."""
    with audit_source("demo"), transaction.atomic():
        staff = _staff()
        _qualifications(staff)
        existing = set(Case.objects.values_list("title", flat=True))
        for title, build in FAMILIES:
            if title not in existing:
                build(staff)
    # The demo's invitations are accepted at once: their e-mails would only print used links.
    with (
        audit_source("demo"),
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        portal = _portal(staff)
        _thistlewood_checkin(staff)
    staff_logins = [
        DemoLogin(u.username, u.get_role_display(), u.display_name) for u in staff.values()
    ]
    return staff_logins + portal
