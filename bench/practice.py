"""The bench's practice: a large caseload written with bulk inserts, and one case followed for
a year through the real services.

At scale 1: 100 therapists of about 100 cases each (10,000 cases, each with its family, a court
order, two safety screens with every finding, consents and intakes past assessment, a contact
ladder in contact), 500,000 appointments with their 500,000 progress notes (signed ones hashed
by the real `note_hash`), and 2,000,000 audit events appended through `audit_record_many`.
Everything else (users, the year case) goes through the services. `--scale` shrinks every
count in proportion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENERATOR_VERSION = "2"
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench horse battery staple 42"
THERAPIST = "bench-therapist"
SMALL = "bench-small"
SUPERVISOR = "bench-supervisor"
SMALL_SUPERVISOR = "bench-small-supervisor"
FULL = {
    "therapists": 100,
    "cases": 10_000,
    "appointments": 500_000,
    "notes": 500_000,
    "audit events": 2_000_000,
}
AUDIT_BATCH = 5_000
CASE_CHUNK = 250


def targets(scale: float) -> dict[str, int]:
    """How many of each thing a practice of this scale has."""
    counts = {name: max(1, round(count * scale)) for name, count in FULL.items()}
    counts["cases"] = max(counts["cases"], max(SMALL_PICK) + 1 + counts["therapists"])
    counts["appointments"] = max(counts["appointments"], counts["cases"])
    counts["notes"] = counts["appointments"]
    return counts


def cache_key(scale: float) -> str:
    """Scale, generator version and every migration file's content: a new migration (or a
    changed generator) means a new practice."""
    digest = hashlib.sha256(f"{GENERATOR_VERSION}:{scale:g}".encode())
    for path in sorted((ROOT / "reunify").glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class Progress:
    """Plain progress lines on stderr, at most one every two seconds per table."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rows: dict[str, int] = {}
        self._said: dict[str, float] = {}

    def add(self, table: str, rows: int, seconds: float, total: int | None = None) -> None:
        self.seconds[table] = self.seconds.get(table, 0.0) + seconds
        self.rows[table] = self.rows.get(table, 0) + rows
        now = time.monotonic()
        done = total is not None and self.rows[table] >= total
        if done or now - self._said.get(table, 0.0) > 2:
            self._said[table] = now
            share = f"/{total} ({100 * self.rows[table] / total:.0f}%)" if total else ""
            print(
                f"  {table}: {self.rows[table]}{share} in {self.seconds[table]:.1f} s",
                file=sys.stderr,
                flush=True,
            )

    def timed(self, table: str, objs: list[Any], total: int | None = None) -> list[Any]:
        """bulk_create the rows of one model, counting their time against `table`."""
        if not objs:
            return objs
        start = time.perf_counter()
        made = type(objs[0]).objects.bulk_create(objs, batch_size=2_000)
        self.add(table, len(objs), time.perf_counter() - start, total)
        return made


@dataclass
class Practice:
    """What the bench needs to know about the practice it generated."""

    scale: float
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    year_case: int = 0
    one_case: list[int] = field(default_factory=list)
    many_cases: list[list[int]] = field(default_factory=list)
    small_case: int = 0
    other_case: int = 0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _users(progress: Progress, therapists: int) -> list[Any]:
    from reunify.accounts.models import Role
    from reunify.accounts.services import totp_enrol_demo, user_create
    from reunify.conftest import licensed

    start = time.perf_counter()
    # Two supervisors, so that the same pages can be counted at two practice sizes: one over
    # the small therapist's ten cases, one over everyone else's.
    supervisor, small_supervisor = (
        user_create(actor=None, username=name, password=PASSWORD, role=Role.SUPERVISOR)
        for name in (SUPERVISOR, SMALL_SUPERVISOR)
    )
    names = [THERAPIST] + [f"bench-t{n:03d}" for n in range(1, therapists)] + [SMALL]
    users = [
        user_create(
            actor=None,
            username=name,
            password=PASSWORD,
            role=Role.THERAPIST,
            supervisor=small_supervisor if name == SMALL else supervisor,
            first_name="Bench",
            last_name=name,
        )
        for name in names
    ]
    for user in [supervisor, small_supervisor, *users]:
        licensed(user)
    # Only the bench's own logins need a code; the demo factor lets the bench compute it.
    totp_enrol_demo(user=users[0])
    progress.add("users", len(users) + 2, time.perf_counter() - start)
    return users


def year_case_build(therapist: Any, weeks: int = 52) -> int:
    """One family followed for `weeks` weeks through the real services, with the clock moving:
    weekly sessions and visits with signed notes, cancellations, re-screens, goals rated,
    steps up the ladder. Returns the case id."""
    import time_machine
    from django.utils import timezone

    from reunify.cases import services as cases
    from reunify.cases.models import PartyRole
    from reunify.clinical import services as clinical
    from reunify.clinical.models import ContactRung, Ladder
    from reunify.conftest import advance_to, make_family, pass_letters, screen
    from reunify.disclosure.models import Category
    from reunify.disclosure.services import release_grant
    from reunify.measures import services as measures
    from reunify.measures.models import StandardGoal
    from reunify.process import pausing

    def signed_note(appointment: Any, data: str, assessment: str, plan: str) -> None:
        body = {"data": data, "assessment": assessment, "plan": plan}
        note = pausing.note_write(actor=therapist, appointment=appointment, format="dap", body=body)
        pausing.note_sign(actor=therapist, note=note)

    zone = timezone.get_current_timezone()
    start = (timezone.now() - dt.timedelta(weeks=weeks + 1)).astimezone(zone)
    start = start.replace(hour=9, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        family = make_family(therapist, title="Aaa year family", last="Yearlong")
        case = family.case
        order = pausing.court_order_record(
            actor=therapist,
            case=case,
            court="Superior Court of Benchmark County",
            court_case_number="FL-BENCH-0001",
            issued_on=timezone.localdate(),
            terms=[],
        )
        court = cases.party_add(
            actor=therapist, case=case, role=PartyRole.COURT, first_name="Clerk", last_name="Bench"
        )
        release_grant(
            actor=therapist,
            case=case,
            recipient=court,
            categories=[Category.COURT_REPORTS],
            purpose="Progress reports ordered by the court",
            expires_on=timezone.localdate() + dt.timedelta(weeks=weeks + 10),
            court_order=order,
        )
        advance_to(therapist, family, "therapeutic_contact")
        goals = [
            measures.goal_add(actor=therapist, case=case, standard=code, baseline=2, target=8)
            for code in StandardGoal.values
        ]
        for week in range(weeks):
            monday = start + dt.timedelta(weeks=week, days=1)
            clock.move_to(monday - dt.timedelta(hours=20))
            if week % 4 == 0:
                screen(therapist, case)
            session = clinical.appointment_schedule(
                actor=therapist,
                case=case,
                kind="individual",
                starts_at=monday,
                participants=[family.child],
            )
            rung = Ladder.objects.get(case=case).current_rung
            visit = clinical.appointment_schedule(
                actor=therapist,
                case=case,
                kind="contact_supervised"
                if rung is None or rung.supervised
                else "contact_unsupervised",
                starts_at=monday + dt.timedelta(days=3),
                duration_minutes=60,
                participants=[family.child, family.estranged],
            )
            if week % 5 == 4:
                clinical.appointment_cancel(
                    actor=therapist, appointment=session, cancelled_by="party", party=family.child
                )
            else:
                clock.move_to(monday + dt.timedelta(hours=2))
                clinical.appointment_complete(actor=therapist, appointment=session)
                signed_note(session, "Talked about school.", "Calm.", "Next.")
            clock.move_to(visit.starts_at + dt.timedelta(hours=2))
            pausing.contact_record(
                actor=therapist,
                appointment=visit,
                facts=clinical.ContactFacts(
                    duration_minutes=55,
                    comfort_before=7,
                    comfort_after=8,
                    brought_by=family.other,
                    observations="They played cards and talked about the dog.",
                ),
            )
            signed_note(visit, "Visit held.", "Warm.", "Same rung.")
            if week % 2 == 1:
                for goal in goals:
                    measures.goal_rate(
                        actor=therapist,
                        goal=goal,
                        value=min(8, 2 + week // 8),
                        rated_on=timezone.localdate(),
                    )
            if week % 6 == 5:
                ladder = Ladder.objects.select_related("current_rung").get(case=case)
                current = ladder.current_rung
                assert current is not None
                following = ContactRung.objects.filter(
                    ladder=ladder, position=current.position + 1
                ).first()
                if following is not None:
                    if current.letters:  # the way up from letters counts letters passed on
                        pass_letters(therapist, family, ladder.min_sessions)
                    clinical.assent_record(
                        actor=therapist,
                        case=case,
                        child=family.child,
                        rung=following,
                        given=True,
                        recorded_on=timezone.localdate(),
                    )
                    screen(therapist, case)
                    clinical.ladder_step_up(actor=therapist, case=case, rationale="Calm visits.")
        clock.move_to(timezone.now() + dt.timedelta(days=1))
    return case.pk


# The small therapist's cases, by number: every phase (see PHASES), so that the pages read
# the same kinds of records for them as for the rest of the practice.
SMALL_PICK = (0, 4, 8, 10, 12, 14, 16, 17, 18, 19)


def _owners(users: list[Any], cases: int) -> Iterator[Any]:
    """The therapist of each bulk case: the small therapist's ten (of every phase), the rest
    in turn (so every other therapist ends with about the same caseload)."""
    small, others = users[-1], users[:-1]
    k = 0
    for n in range(cases):
        if n in SMALL_PICK:
            yield small
        else:
            yield others[k % len(others)]
            k += 1


PHASES = (
    ["assessment"] * 8
    + ["psychoeducation"] * 4
    + ["individual_work"] * 4
    + ["therapeutic_contact"] * 3
    + ["integration"]
)
SURNAMES = ["Rivers", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Castillo", "Novak", "Haddad"]


def _chunk(progress: Progress, start_n: int, owners: list[Any], per_case: int, totals: Any) -> Any:
    """Write one chunk of bulk cases with everything hanging off them; return the cases and
    each case's child party."""
    from django.utils import timezone

    from reunify.cases.models import (
        PHASE_ORDER,
        Case,
        Consent,
        ConsentKind,
        CourtOrder,
        CourtTerm,
        DocumentReview,
        Intake,
        Party,
        PartyRole,
        Person,
        Transition,
    )
    from reunify.clinical.models import (
        Appointment,
        ContactRecord,
        ContactRung,
        Ladder,
        LadderStep,
        ProgressNote,
    )
    from reunify.clinical.services import note_hash
    from reunify.process.ladder import DEFAULT_RUNGS
    from reunify.safety.models import Contraindication, Screening, ScreeningFinding

    zone = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()

    def moment(day: dt.date, hour: int = 9) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)

    cases = []
    for k, owner in enumerate(owners):
        n = start_n + k
        opened = today - dt.timedelta(days=120 + n % 240)
        phase = PHASES[n % len(PHASES)]
        cases.append(
            Case(
                title=f"{SURNAMES[n % len(SURNAMES)]} family {n:05d}",
                referral_source="court_order",
                referral_date=opened - dt.timedelta(days=10),
                referral_reason="Child refuses contact after the divorce.",
                court_ordered=True,
                scenarios=["child_resistance", "loyalty_conflict"],
                therapist=owner,
                phase=phase,
                phase_entered_at=moment(opened + dt.timedelta(days=30 * PHASE_ORDER.index(phase))),
                opened_at=moment(opened),
            )
        )
    cases = progress.timed("cases", cases, totals["cases"])
    transitions = []
    for case in cases:
        opened = case.opened_at.date()
        transitions.append(
            Transition(
                case=case,
                kind="open",
                to_phase="assessment",
                actor=case.therapist,
                at=case.opened_at,
                effective_on=opened,
            )
        )
        for j in range(PHASE_ORDER.index(case.phase)):
            day = opened + dt.timedelta(days=30 * (j + 1))
            transitions.append(
                Transition(
                    case=case,
                    kind="advance",
                    from_phase=PHASE_ORDER[j],
                    to_phase=PHASE_ORDER[j + 1],
                    actor=case.therapist,
                    at=moment(day),
                    effective_on=day,
                )
            )
    progress.timed("transitions", transitions)

    roles = [
        (PartyRole.CHILD, "Mia"),
        (PartyRole.ESTRANGED_PARENT, "Daniel"),
        (PartyRole.OTHER_PARENT, "Laura"),
        (PartyRole.COURT, "Clerk"),
    ]
    people = [
        Person(first_name=first, last_name=case.title.split()[0], email="", phone="")
        for case in cases
        for _role, first in roles
    ]
    people = progress.timed("people", people)
    parties = [
        Party(case=case, person=people[4 * i + r], role=role, added_at=case.opened_at)
        for i, case in enumerate(cases)
        for r, (role, _first) in enumerate(roles)
    ]
    parties = progress.timed("parties", parties)

    orders = progress.timed(
        "court orders",
        [
            CourtOrder(
                case=case,
                number=1,
                court="Superior Court of Benchmark County",
                court_case_number=f"FL-{case.pk:07d}",
                issued_on=case.referral_date,
                recorded_at=case.opened_at,
            )
            for case in cases
        ],
    )
    progress.timed(
        "court terms",
        [
            CourtTerm(
                order=order,
                kind="reporting_duty",
                due_on=today + dt.timedelta(days=30 + order.case_id % 90),
                cadence="months",
                every=3,
                text="Progress report to the court",
            )
            for order in orders
        ],
    )

    past_assessment = [(i, c) for i, c in enumerate(cases) if c.phase != "assessment"]
    intakes, consents, reviews = [], [], []
    for i, case in past_assessment:
        held = case.opened_at.date() + dt.timedelta(days=7)
        for r in range(3):
            intakes.append(
                Intake(
                    case=case,
                    party=parties[4 * i + r],
                    held_on=held,
                    recorded_by=case.therapist,
                    recorded_at=moment(held, 12),
                )
            )
        for r in (1, 2):
            for kind in ConsentKind.values:
                consents.append(
                    Consent(
                        case=case,
                        party=parties[4 * i + r],
                        kind=kind,
                        signed_on=held,
                        recorded_by=case.therapist,
                        recorded_at=moment(held, 12),
                    )
                )
        reviews.append(
            DocumentReview(
                case=case,
                reviewed_on=held,
                none_provided=True,
                recorded_by=case.therapist,
                recorded_at=moment(held, 12),
            )
        )
    progress.timed("intakes", intakes)
    progress.timed("consents", consents)
    progress.timed("document reviews", reviews)

    screenings = []
    for case in cases:
        for day in (case.opened_at.date() + dt.timedelta(days=7), today - dt.timedelta(days=10)):
            screenings.append(
                Screening(
                    case=case, screened_on=day, recorded_by=case.therapist, recorded_at=moment(day)
                )
            )
    screenings = progress.timed("screenings", screenings)
    progress.timed(
        "screening findings",
        [
            ScreeningFinding(screening=screening, contraindication=code, status="absent")
            for screening in screenings
            for code in Contraindication.values
        ],
    )

    in_contact = [(i, c) for i, c in enumerate(cases) if c.phase in PHASE_ORDER[3:5]]
    ladders = progress.timed(
        "ladders",
        [
            Ladder(case=case, rung_entered_at=case.phase_entered_at + dt.timedelta(days=14))
            for _i, case in in_contact
        ],
    )
    rungs = progress.timed(
        "contact rungs",
        [
            ContactRung(
                ladder=ladder,
                position=p,
                name=name,
                supervised=supervised,
                in_therapy=in_therapy,
                letters=p == 1,
            )
            for ladder in ladders
            for p, (name, supervised, in_therapy) in enumerate(DEFAULT_RUNGS, start=1)
        ],
    )
    current: dict[int, Any] = {}
    steps = []
    for n, ladder in enumerate(ladders):
        first, second = rungs[n * len(DEFAULT_RUNGS)], rungs[n * len(DEFAULT_RUNGS) + 1]
        ladder.current_rung = second
        current[ladder.case_id] = second
        entered = ladder.case.phase_entered_at
        for frm, to, at in (
            (None, first, entered),
            (first, second, ladder.rung_entered_at),
        ):
            steps.append(
                LadderStep(
                    ladder=ladder,
                    from_rung=frm,
                    to_rung=to,
                    direction="start" if frm is None else "up",
                    on_word_of="therapist",
                    actor=ladder.case.therapist,
                    at=at,
                    effective_on=at.date(),
                )
            )
    Ladder.objects.bulk_update(ladders, ["current_rung"], batch_size=2_000)
    progress.timed("ladder steps", steps)

    appointments: list[Any] = []
    participants: list[tuple[int, int]] = []  # (appointment index, party id)
    for i, case in enumerate(cases):
        child, estranged = parties[4 * i], parties[4 * i + 1]
        rung = current.get(case.pk)
        begin = case.opened_at + dt.timedelta(days=7)
        span = (now - dt.timedelta(days=1)) - begin
        for a in range(per_case):
            last = a == per_case - 1
            starts = (
                moment(today + dt.timedelta(days=1 + case.pk % 14), 10)
                if last
                else begin + span * a / max(1, per_case - 1)
            )
            contact = rung is not None and a % 2 == 1
            appointments.append(
                Appointment(
                    case=case,
                    kind="contact_supervised" if contact else "individual",
                    starts_at=starts,
                    duration_minutes=50,
                    therapist=case.therapist,
                    rung=rung if contact else None,
                    status="scheduled" if last else "completed",
                    created_by=case.therapist,
                    created_at=starts - dt.timedelta(days=7),
                )
            )
            participants.append((len(appointments) - 1, child.pk))
            if contact:
                participants.append((len(appointments) - 1, estranged.pk))
    appointments = progress.timed("appointments", appointments, totals["appointments"])
    through = Appointment.participants.through
    progress.timed(
        "appointment participants",
        [through(appointment_id=appointments[a].pk, party_id=p) for a, p in participants],
    )
    progress.timed(
        "contact records",
        [
            ContactRecord(
                appointment=appointment,
                duration_minutes=50,
                comfort_before=7,
                comfort_after=8,
                observations="They played cards.",
                recorded_by=appointment.therapist,
                recorded_at=appointment.starts_at + dt.timedelta(hours=2),
            )
            for appointment in appointments
            if appointment.rung_id is not None
        ],
    )

    start = time.perf_counter()
    next_id = (ProgressNote.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    notes = []
    for appointment in appointments:
        signed = appointment.status == "completed"
        note = ProgressNote(
            id=next_id,
            case_id=appointment.case_id,
            appointment=appointment,
            author=appointment.therapist,
            format="dap",
            body={"data": "Talked about school.", "assessment": "Calm.", "plan": "Next week."},
            created_at=appointment.starts_at + dt.timedelta(hours=1),
            updated_at=appointment.starts_at + dt.timedelta(hours=1),
            signed_at=appointment.starts_at + dt.timedelta(hours=2) if signed else None,
        )
        if signed:
            note.content_hash = note_hash(note)
        notes.append(note)
        next_id += 1
    progress.add("notes (hashing)", len(notes), time.perf_counter() - start)
    progress.timed("notes", notes, totals["notes"])
    return cases, [parties[4 * i] for i in range(len(cases))]


def _audit(progress: Progress, actor: Any, case_ids: list[int], total: int) -> None:
    from reunify.audit import chain
    from reunify.audit.chain import Entry, audit_record_many

    actions = ["case.view", "appointment.schedule", "note.sign", "party.add", "screening.record"]
    written = 0
    batch = 0
    while written < total:
        size = min(AUDIT_BATCH, total - written)
        start = time.perf_counter()
        audit_record_many(
            actor=actor,
            action=actions[batch % len(actions)],
            entries=[
                Entry(
                    case_id=case_ids[(written + k) % len(case_ids)],
                    obj=None,
                    detail={"what": "bench", "n": written + k},
                )
                for k in range(size)
            ],
        )
        written += size
        batch += 1
        progress.add("audit events", size, time.perf_counter() - start, total)
    if hasattr(chain, "audit_seal"):
        start = time.perf_counter()
        chain.audit_seal()
        progress.add("audit seal", 0, time.perf_counter() - start)


def _reset_sequences() -> None:
    """Notes were written with their ids given (their hash covers the id): PostgreSQL's
    sequences must move past them."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), list(apps.get_models()))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def generate(scale: float, year_weeks: int = 52) -> Practice:
    """Write the whole practice into the (empty, migrated) database Django is connected to."""
    from django.db import transaction

    from reunify.cases.models import Case

    counts = targets(scale)
    practice = Practice(scale=scale, counts=counts)
    progress = Progress()
    print(f"generating the practice at scale {scale:g}: {counts}", file=sys.stderr, flush=True)
    users = _users(progress, counts["therapists"])
    start = time.perf_counter()
    practice.year_case = year_case_build(users[0], weeks=year_weeks)
    progress.add("the year case (services)", 1, time.perf_counter() - start)

    owners = list(_owners(users, counts["cases"]))
    per_case = max(1, counts["appointments"] // counts["cases"])
    totals = {"cases": len(owners), "appointments": per_case * len(owners)}
    totals["notes"] = totals["appointments"]
    all_cases: list[Any] = []
    children: list[Any] = []
    for n in range(0, len(owners), CASE_CHUNK):
        with transaction.atomic():
            made, kids = _chunk(progress, n, owners[n : n + CASE_CHUNK], per_case, totals)
        all_cases += made
        children += kids
    _reset_sequences()

    case_ids = [c.pk for c in all_cases]
    _audit(progress, users[0], case_ids, counts["audit events"])

    practice.small_case = all_cases[0].pk
    # A bulk case of the bench therapist to pile writes on, and cases of others to spread them.
    pairs = [
        pair for n, pair in enumerate(zip(all_cases, children, strict=True)) if n not in SMALL_PICK
    ]
    mine = [pair for pair in pairs if pair[0].therapist_id == users[0].pk]
    practice.one_case = [mine[0][0].pk, mine[0][1].pk]
    spread = [pair for pair in pairs if pair[0].pk != mine[0][0].pk] or mine
    step = max(1, len(spread) // 16)
    practice.many_cases = [[c.pk, k.pk, c.therapist_id] for c, k in spread[::step][:16]]
    # A case like the small therapist's first (the same phase, the same records), under the
    # large supervisor.
    alike = [c for c, _k in pairs if c.phase == all_cases[0].phase]
    practice.other_case = (alike or [spread[0][0]])[0].pk
    practice.seconds = {table: round(s, 2) for table, s in progress.seconds.items()}
    practice.counts = {
        **counts,
        "cases (written)": Case.objects.count(),
        **{f"{table} (rows)": rows for table, rows in progress.rows.items()},
    }
    print(f"generated in {sum(progress.seconds.values()):.0f} s", file=sys.stderr, flush=True)
    return practice
