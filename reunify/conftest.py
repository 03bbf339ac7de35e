"""Personas and factories shared by every test module.

One family (the Rivers family, case of `therapist`) and a second family (the Okafor family,
case of `outsider`), each with its own parties. Factories are plain functions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from reunify.accounts.middleware import session_mark_verified
from reunify.accounts.models import Role, User
from reunify.accounts.qualifications import qualification_record
from reunify.accounts.services import (
    CodeRefused,
    token_create,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_provisioning,
    user_create,
)
from reunify.audit.actions import AuditAction
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import Case, ConsentKind, Party, PartyRole
from reunify.clinical import services as clinical
from reunify.clinical.models import ContactRung, Ladder
from reunify.disclosure.models import Category
from reunify.disclosure.services import release_grant
from reunify.measures.services import willingness_record
from reunify.process import pausing, transitions
from reunify.process.gates import integration_threshold, with_gate_facts
from reunify.process.pausing import screening_record
from reunify.psychoeducation.models import Module
from reunify.psychoeducation.services import module_assign, module_complete
from reunify.safety.models import Contraindication, FindingStatus
from reunify.static_files import collect_static

PASSWORD = "correct horse battery staple 42"


def committing() -> Any:
    """Run the on-commit callbacks of what the block does as its commit would: a test's own
    transaction never commits, and a stored file takes its stored name only on commit."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def last_event() -> Event:
    """The newest audit event."""
    return Event.objects.latest("id")


def looked_at(user: User, case: Case, what: str) -> bool:
    """The audit log has the user's look at the case itself, or at a list that showed it."""
    return (
        Event.objects.filter(actor=user, detail__what=what)
        .filter(
            Q(action=AuditAction.CASE_VIEW, case_id=case.pk)
            | Q(action=AuditAction.CASE_LIST_VIEW, listed_cases__case_id=case.pk)
        )
        .exists()
    )


def fresh(case: Case) -> Case:
    """The case as the database has it now."""
    return Case.objects.get(pk=case.pk)


def make_user(username: str, role: str = Role.THERAPIST, **extra: Any) -> User:
    return user_create(
        actor=None, username=username, password=PASSWORD, role=role, check_password=False, **extra
    )


def licensed(user: User) -> User:
    """Give a clinician a licence current past every test's clock: a court report is signed
    with the issuing therapist's licence."""
    qualification_record(
        actor=None,
        user=user,
        licence_type="lmft",
        licence_number=f"LMFT {10000 + user.pk}",
        licence_state="CA",
        licence_expires_on=dt.date(2099, 12, 31),
        training_areas=[],
    )
    return user


def make_case(therapist: User, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "title": "Rivers family",
        "referral_source": "court_order",
        "referral_date": timezone.localdate() - dt.timedelta(days=20),
        "referral_reason": "Child refuses contact after the divorce.",
        "court_ordered": True,
        "scenarios": ["child_resistance", "loyalty_conflict"],
    }
    fields.update(overrides)
    return services.case_open(actor=therapist, **fields)


def add_party(therapist: User, case: Case, role: str, first: str, last: str, **extra: Any) -> Party:
    return services.party_add(
        actor=therapist, case=case, role=role, first_name=first, last_name=last, **extra
    )


def clear_findings(**present: str) -> dict[str, tuple[str, str]]:
    """A full screen with everything absent, except the codes given (code=status)."""
    findings = {code: (FindingStatus.ABSENT.value, "") for code in Contraindication.values}
    for code, status in present.items():
        findings[code] = (status, "observed in session" if status == "present" else "")
    return findings


def screen(therapist: User, case: Case, days_ago: int = 0, **present: str) -> None:
    screening_record(
        actor=therapist,
        case=case,
        screened_on=timezone.localdate() - dt.timedelta(days=days_ago),
        findings=clear_findings(**present),
    )


@dataclass
class Family:
    """A case with its child and both parents."""

    case: Case
    child: Party
    estranged: Party
    other: Party


def make_family(
    therapist: User, title: str = "Rivers family", last: str = "Rivers", **case_fields: Any
) -> Family:
    case = make_case(therapist, title=title, **case_fields)
    child = add_party(therapist, case, PartyRole.CHILD, "Mia", last)
    estranged = add_party(therapist, case, PartyRole.ESTRANGED_PARENT, "Daniel", last)
    other = add_party(
        therapist,
        case,
        PartyRole.OTHER_PARENT,
        "Laura",
        last,
        address="17 Quiet Lane, Hidden Town",
        protected_address=True,
    )
    return Family(case, child, estranged, other)


def complete_assessment(therapist: User, family: Family) -> None:
    """Record everything the assessment gate asks for, and each family member's willingness
    (assessed at intake; the gate into contact reads it)."""
    today = timezone.localdate()
    case = family.case
    services.intake_record(
        actor=therapist, case=case, party=family.estranged, held_on=today - dt.timedelta(days=6)
    )
    services.intake_record(
        actor=therapist, case=case, party=family.other, held_on=today - dt.timedelta(days=5)
    )
    services.intake_record(
        actor=therapist, case=case, party=family.child, held_on=today - dt.timedelta(days=4)
    )
    for party in (family.estranged, family.other):
        for kind in ConsentKind.values:
            services.consent_record(
                actor=therapist, case=case, party=party, kind=kind, signed_on=today
            )
    services.document_review_record(
        actor=therapist, case=case, reviewed_on=today, none_provided=True
    )
    sign_releases(therapist, family)
    screen(therapist, case)
    rate_all_willing(therapist, family)


def sign_releases(therapist: User, family: Family) -> Party:
    """A release each parent signs for the child's school contact: the assessment gate asks
    for a release signed by each adult party."""
    return release_by(therapist, family.case, family.estranged, family.other)


def release_by(therapist: User, case: Case, *signers: Party) -> Party:
    """A release each signer signed a week ago for the child's school contact (attendance
    only, for a year), the school contact added the first time."""
    school = case.parties.filter(role=PartyRole.SCHOOL).first() or add_party(
        therapist, case, PartyRole.SCHOOL, "Morgan", "Ashdown", organisation="Hillview School"
    )
    for signer in signers:
        release_grant(
            actor=therapist,
            case=case,
            recipient=school,
            granted_by=signer,
            categories=[Category.ATTENDANCE],
            purpose="Coordinating sessions with the school day",
            granted_on=timezone.localdate() - dt.timedelta(days=7),
            expires_on=timezone.localdate() + dt.timedelta(days=365),
        )
    return school


def rate_all_willing(therapist: User, family: Family, level: str = "open") -> None:
    """Willingness of the child and each parent, which the gate into contact reads."""
    for party in (family.child, family.estranged, family.other):
        willingness_record(
            actor=therapist,
            case=family.case,
            party=party,
            level=level,
            rated_on=timezone.localdate(),
        )


def rate_all_ready(therapist: User, family: Family) -> None:
    """Readiness (and willingness) of the child and each parent, for the gate into contact."""
    today = timezone.localdate()
    for party in (family.child, family.estranged, family.other):
        services.readiness_record(
            actor=therapist, case=family.case, party=party, level="ready", rated_on=today
        )
    rate_all_willing(therapist, family)


def complete_modules(therapist: User, family: Family) -> None:
    """Assign each parent a module from the shipped library and record its completion."""
    module = Module.objects.active().order_by("id").first()
    assert module is not None, "the psychoeducation library ships its modules by migration"
    for party in (family.estranged, family.other):
        assignment = module_assign(actor=therapist, case=family.case, party=party, module=module)
        module_complete(actor=therapist, assignment=assignment, completed_on=timezone.localdate())


def pass_letters(therapist: User, family: Family, count: int) -> None:
    """`count` letters written today on the ladder's letters rung, each passed on after review
    (the way up from a letters rung counts them instead of visits)."""
    for _ in range(count):
        clinical.letter_record(
            actor=therapist,
            case=family.case,
            written_on=timezone.localdate(),
            direction="parent_to_child",
            content="A letter about the dog and school.",
            reviewed_on=timezone.localdate(),
            decision="passed_on",
        )


def climb_to_integration(therapist: User, family: Family) -> None:
    """Climb the contact ladder to the case's integration threshold, through each step-up gate:
    calm recorded visits on every rung (held in the hours just past, so the clock need not
    move) and the child's yes to each next rung."""
    ladder = Ladder.objects.get(case=family.case)
    threshold = integration_threshold(
        with_gate_facts(Case.objects.filter(pk=family.case.pk)).get(),
        ladder,
        today=timezone.localdate(),
    )
    assert threshold is not None
    rungs = list(ContactRung.objects.filter(ladder=ladder).order_by("position"))
    start = timezone.now() - dt.timedelta(hours=len(rungs) * ladder.min_sessions + 1)
    for rung in rungs[: threshold.position]:
        if rung.letters:
            pass_letters(therapist, family, ladder.min_sessions)
        for _ in range(0 if rung.letters else ladder.min_sessions):
            visit = clinical.appointment_schedule(
                actor=therapist,
                case=family.case,
                kind="contact_supervised" if rung.supervised else "contact_unsupervised",
                starts_at=start,
                duration_minutes=50,
                participants=[family.child, family.estranged],
                rung=rung,
            )
            start += dt.timedelta(hours=1)
            pausing.contact_record(
                actor=therapist,
                appointment=visit,
                facts=clinical.ContactFacts(duration_minutes=50, comfort_before=8, comfort_after=8),
            )
        if rung.position < threshold.position:
            clinical.assent_record(
                actor=therapist,
                case=family.case,
                child=family.child,
                rung=rungs[rung.position],
                given=True,
                recorded_on=timezone.localdate(),
            )
            clinical.ladder_step_up(actor=therapist, case=family.case)


def advance_to(therapist: User, family: Family, phase: str) -> None:
    """Walk the case forward, recording what each gate needs, until it is in `phase`."""
    complete_assessment(therapist, family)
    order = [
        "assessment",
        "psychoeducation",
        "individual_work",
        "therapeutic_contact",
        "integration",
    ]
    while family.case.phase != phase:
        if family.case.phase == "psychoeducation":
            complete_modules(therapist, family)
        if family.case.phase == "individual_work":
            rate_all_ready(therapist, family)
        if family.case.phase == "therapeutic_contact":
            climb_to_integration(therapist, family)
        transitions.case_advance(actor=therapist, case=family.case)
        assert order.index(family.case.phase) <= order.index(phase)


@pytest.fixture(autouse=True, scope="session")
def _collected_static() -> None:
    """Pages render outside debug, so they need the static files' manifest; collected once,
    and again only when a static file changed (`reunify.static_files`)."""
    collect_static()


@pytest.fixture(autouse=True, scope="session")
def _no_idle_logoff() -> Any:
    """Page tests jump the clock by hours and days between requests; the idle logoff's own
    tests turn it back on."""
    with override_settings(REUNIFY_IDLE_MINUTES=0):
        yield


@pytest.fixture(autouse=True)
def _own_documents_folder(settings: Any, tmp_path: Any) -> None:
    """Files a test writes (uploads; the reports and notices issued, e.g. on closing a case)
    go to a folder of its own, never the checkout's var/documents."""
    settings.REUNIFY_DOCUMENTS_DIR = tmp_path / "documents"


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2() -> Any:
    """Argon2 still hashes every test password, at a work factor tests can afford."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    costs = ("time_cost", "memory_cost", "parallelism")
    saved = {name: getattr(Argon2PasswordHasher, name) for name in costs}
    Argon2PasswordHasher.time_cost, Argon2PasswordHasher.memory_cost = 1, 64
    Argon2PasswordHasher.parallelism = 1
    yield
    for name, value in saved.items():
        setattr(Argon2PasswordHasher, name, value)


@pytest.fixture
def audit_flushable(transactional_db: Any) -> Any:
    """A transactional test empties every table afterwards; let it past the append-only
    triggers for that one flush (Django closes the connection right after it)."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.fixture
def supervisor(db: Any) -> User:
    return make_user("supervisor", Role.SUPERVISOR, first_name="Sam", last_name="Super")


@pytest.fixture
def therapist(supervisor: User) -> User:
    return make_user(
        "therapist", Role.THERAPIST, first_name="Tess", last_name="Hale", supervisor=supervisor
    )


@pytest.fixture
def outsider(db: Any) -> User:
    """A therapist of the same practice with their own caseload and no link to `therapist`."""
    other_supervisor = make_user("othersupervisor", Role.SUPERVISOR)
    return make_user("outsider", Role.THERAPIST, supervisor=other_supervisor)


@pytest.fixture
def monitor(db: Any) -> User:
    return make_user("monitor", Role.MONITOR)


@pytest.fixture
def admin_user(db: Any) -> User:
    return make_user("practiceadmin", Role.ADMIN)


@pytest.fixture
def family(therapist: User) -> Family:
    return make_family(therapist)


@pytest.fixture
def other_family(outsider: User) -> Family:
    return make_family(outsider, title="Okafor family", last="Okafor")


def login(client: Client, user: User) -> Client:
    """Log the client in as the user, past the second factor (tests of the login flow itself
    go through the real pages in accounts/tests/test_login.py)."""
    client.force_login(user)
    session = client.session
    session_mark_verified(session, user)
    session.save()
    return client


def enrol_authenticator(user: User) -> pyotp.TOTP:
    """Set up the user's authenticator app through the real services, as the enrolment page does.

    It is confirmed with the previous 30-second step's code, so the current code is still unused.
    """
    factor = totp_enrol_start(user=user)
    app = pyotp.TOTP(totp_provisioning(factor).secret)
    try:
        totp_enrol_confirm(
            user=user, factor=factor, code=app.at(timezone.now() - dt.timedelta(seconds=30))
        )
    except CodeRefused:  # the step turned over between making the code and checking it
        totp_enrol_confirm(
            user=user, factor=factor, code=app.at(timezone.now() - dt.timedelta(seconds=30))
        )
    return app


def bearer(user: User) -> dict[str, str]:
    """Headers for an API call as this user (a fresh token each time)."""
    return {"Authorization": f"Bearer {token_create(actor=None, user=user)}"}


def case_text(client: Client, case_id: int) -> str:
    """Every section of a case's page as one text: what the one long page used to show."""
    from reunify.cases.sections import SLUGS, section_url

    pages = []
    for slug in SLUGS:
        pages.append(client.get(section_url(case_id, slug)).content.decode())
    return "\n".join(pages)


def sessions_held_cancelled_and_to_come(therapist: User, family: Family, number: int) -> None:
    """Three individual sessions for the estranged parent and the child: one held, one the
    child cancelled, one in five days; `number` spaces families an hour apart, so a therapist
    with many such families is never booked twice at once."""
    now = timezone.now()
    for days in (-3, -2, 5):
        clinical.appointment_schedule(
            actor=therapist,
            case=family.case,
            kind="individual",
            starts_at=now + dt.timedelta(days=days, hours=number),
            participants=[family.estranged, family.child],
        )
    held, cancelled = family.case.appointments.order_by("starts_at")[:2]
    clinical.appointment_complete(actor=therapist, appointment=held)
    clinical.appointment_cancel(
        actor=therapist, appointment=cancelled, cancelled_by="party", party=family.child
    )


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, seconds: float = 60
) -> Iterator[str]:
    """Run an app server (`reunify serve`, gunicorn) until the block ends; yield its address
    once its /healthz answers 200, or fail when it has not within `seconds` or has died."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
