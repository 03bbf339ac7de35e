"""The audit log: written with every change, hash-chained, refused edits by the database itself,
and any tampering found by `reunify audit verify`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from reunify.audit.chain import GENESIS, audit_record, audit_source, audit_verify, event_hash
from reunify.audit.models import ChainHead, Event
from reunify.cases import services
from reunify.cases.models import Case, Party, Phase, Transition
from reunify.cases.services import ResumeConditions, TermInput
from reunify.conftest import (
    PASSWORD,
    Family,
    advance_to,
    make_case,
    screen,
)
from reunify.safety.models import Screening

REUNIFY = Path(sys.prefix, "bin", "reunify")


def chain() -> list[Event]:
    return list(Event.objects.order_by("seq"))


def drop_triggers() -> None:
    """Take the database's guard away, as someone with raw database access could.

    DDL is transactional on SQLite and PostgreSQL, so the test's rollback restores the triggers.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_event")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


@pytest.fixture
def history(therapist, supervisor, family) -> list[Event]:
    """A few dozen events from a case's ordinary life."""
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    services.case_view(actor=supervisor, case=family.case)
    events = chain()
    assert len(events) > 20
    return events


# --- every change is logged, in the same transaction ---------------------------------------


def test_every_change_to_a_case_is_logged_by_whoever_made_it(therapist, supervisor, family):
    case = family.case
    services.court_order_record(
        actor=therapist,
        case=case,
        court="Superior Court",
        court_case_number="FL-7",
        issued_on=case.referral_date,
        terms=[TermInput("therapeutic_only")],
    )
    services.party_protect(actor=therapist, party=family.child, protected=True)
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    services.readiness_record(
        actor=therapist, case=case, party=family.child, level="ready", rated_on=case.referral_date
    )
    services.readiness_record(
        actor=therapist,
        case=case,
        party=family.estranged,
        level="partly_ready",
        rated_on=case.referral_date,
    )
    services.readiness_record(
        actor=therapist, case=case, party=family.other, level="ready", rated_on=case.referral_date
    )
    with pytest.raises(services.GateClosed):
        services.case_advance(actor=therapist, case=case)
    request = services.override_request(actor=therapist, case=case, rationale="Pace only.")
    services.override_decide(actor=supervisor, request=request, approve=True)
    services.case_pause(actor=therapist, case=case, reason="hospital stay")
    screen(therapist, case)
    services.case_resume(
        actor=therapist, case=case, conditions=[ResumeConditions.FAMILY_STABILISATION]
    )
    services.case_view(actor=supervisor, case=case, what="timeline")
    services.case_close(actor=therapist, case=case, outcome="partial", reason="Regular calls.")

    events = list(Event.objects.filter(case_id=case.pk).order_by("seq"))
    assert list(dict.fromkeys(e.action for e in events)) == [
        "case.open",
        "party.add",
        "court_order.record",
        "party.protect",
        "intake.record",
        "consent.record",
        "document_review.record",
        "release.grant",
        "screening.record",
        "willingness.record",
        "case.transition",
        "module.assign",
        "module.complete",
        "readiness.record",
        "case.transition_refused",
        "override.request",
        "ladder.start",
        "override.cosign",
        "case.pause",
        "case.resume",
        "case.view",
        "case.close",
        "notice.issue",
    ]
    by_supervisor = {e.action for e in events if e.actor == supervisor}
    assert by_supervisor == {"override.cosign", "case.view"}
    assert all(e.actor == therapist for e in events if e.action not in by_supervisor)
    assert all(e.actor_label == e.actor.username for e in events)
    assert audit_verify().intact


def test_an_event_is_rolled_back_with_the_change_it_records(therapist):
    head = ChainHead.objects.get()

    with pytest.raises(RuntimeError), transaction.atomic():
        make_case(therapist, title="Ghost family")
        assert Event.objects.filter(action="case.open").exists()
        raise RuntimeError("the request failed after the write")

    assert not Case.objects.filter(title="Ghost family").exists()
    assert not Event.objects.filter(action="case.open").exists()
    assert ChainHead.objects.get().hash == head.hash
    assert audit_verify().intact


WRITES: dict[str, Callable[[Any, Family], Any]] = {
    "case_open": lambda t, f: make_case(t, title="Second family"),
    "party_add": lambda t, f: services.party_add(
        actor=t, case=f.case, role="guardian", first_name="Ana", last_name="Rivers"
    ),
    "screening_record": lambda t, f: screen(t, f.case, ongoing_abuse="present"),
    "case_pause": lambda t, f: services.case_pause(actor=t, case=f.case, reason="hearing"),
    "court_order_record": lambda t, f: services.court_order_record(
        actor=t,
        case=f.case,
        court="Court",
        court_case_number="1",
        issued_on=f.case.referral_date,
        terms=[TermInput("no_contact")],
    ),
    "case_close": lambda t, f: services.case_close(
        actor=t, case=f.case, outcome="withdrawn", reason="Moved."
    ),
}


def state() -> tuple[Any, ...]:
    return (
        Case.objects.count(),
        Party.objects.count(),
        Screening.objects.count(),
        Transition.objects.count(),
        list(Case.objects.order_by("pk").values_list("phase", "paused_at")),
        Event.objects.count(),
    )


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_change_whose_event_cannot_be_written_is_not_saved(therapist, family, write):
    # Point the chain head back one link: the next event collides with the last one's number,
    # exactly as a concurrent writer would without the head's row lock.
    ChainHead.objects.update(seq=F("seq") - 1)
    before = state()

    with pytest.raises(IntegrityError):
        write(therapist, family)

    assert state() == before


def test_the_refusal_of_a_move_is_logged_after_the_move_rolls_back(therapist, family):
    with pytest.raises(services.GateClosed):
        services.case_advance(actor=therapist, case=family.case)

    assert Event.objects.order_by("-seq").first().action == "case.transition_refused"
    assert not Transition.objects.filter(kind="advance").exists()
    assert audit_verify().intact


# --- the chain -----------------------------------------------------------------------------


def test_each_event_is_linked_to_the_one_before(history):
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert history[0].prev_hash == GENESIS
    for before, event in pairwise(history):
        assert event.prev_hash == before.hash
    for event in history:
        assert event_hash(event) == event.hash
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (history[-1].seq, history[-1].hash)
    assert len({e.hash for e in history}) == len(history)


def test_an_empty_chain_is_intact(db):
    report = audit_verify()

    assert report.intact
    assert (report.checked, report.head_hash) == (0, GENESIS)


def test_a_fresh_chain_is_intact(history):
    report = audit_verify()

    assert report.intact
    assert report.checked == len(history)
    assert report.head_hash == history[-1].hash


def test_the_command_reports_an_intact_chain(history, capsys):
    call_command("audit", "verify")

    assert capsys.readouterr().out.strip() == (
        f"audit chain intact: {len(history)} events, head {history[-1].hash}"
    )


def test_events_say_where_they_came_from(therapist):
    with audit_source("cli"):
        from_cli = audit_record(actor=None, action="test.cli")
    elsewhere = audit_record(actor=therapist, action="test.system")

    assert (from_cli.source, from_cli.actor_label, from_cli.actor) == ("cli", "anonymous", None)
    assert (elsewhere.source, elsewhere.actor_label) == ("system", "therapist")


def test_details_are_stored_as_they_were_hashed(therapist, family):
    event = audit_record(
        actor=therapist,
        action="test.detail",
        case_id=family.case.pk,
        obj=family.child,
        detail={"on": family.case.referral_date, "n": 3, "nested": {"b": [1, 2]}},
    )

    stored = Event.objects.get(pk=event.pk)
    assert stored.detail == {"on": str(family.case.referral_date), "n": 3, "nested": {"b": [1, 2]}}
    assert (stored.object_type, stored.object_id) == ("cases.party", str(family.child.pk))
    assert event_hash(stored) == stored.hash


# --- the database refuses changes ----------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor_label = 'mallory' WHERE seq = 2",
        "UPDATE audit_event SET detail = '{}'",
        "DELETE FROM audit_event WHERE seq = 2",
        "DELETE FROM audit_event",
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all"],
)
def test_the_database_refuses_to_change_or_delete_events(history, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    def rows(events: list[Event]) -> list[tuple[Any, ...]]:
        return [(e.seq, e.actor_label, e.action, e.detail, e.hash) for e in events]

    assert rows(chain()) == rows(history)
    assert audit_verify().intact


def test_the_orm_cannot_change_or_delete_events_either(history):
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(seq=1).update(action="nothing.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(seq=1).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        history[0].delete()

    assert audit_verify().intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is a PostgreSQL statement")
def test_postgresql_refuses_to_truncate_the_log(history):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Fire the deferred foreign-key checks of this test's own inserts first; otherwise
        # PostgreSQL refuses the TRUNCATE for them before our trigger is asked.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE audit_event")

    assert Event.objects.count() == len(history)


# --- tampering is detected -----------------------------------------------------------------


def broken_at(seq: int, words: str) -> None:
    report = audit_verify()
    assert not report.intact
    assert report.bad_seq == seq
    assert words in report.problem
    assert report.checked == seq - 1
    with pytest.raises(CommandError, match=rf"audit chain BROKEN at event #{seq}\b"):
        call_command("audit", "verify")


def test_an_edited_event_is_found(history):
    drop_triggers()
    Event.objects.filter(seq=5).update(detail={"what": "nothing to see"})

    broken_at(5, "event #5 was altered after it was written")


def test_an_edited_actor_is_found(history):
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET actor_label = 'someone else' WHERE seq = 7")

    broken_at(7, "event #7 was altered")


def test_an_edited_event_with_its_hash_recomputed_breaks_the_next_link(history):
    drop_triggers()
    forged = Event.objects.get(seq=5)
    forged.actor_label = "someone else"
    Event.objects.filter(pk=forged.pk).update(
        actor_label=forged.actor_label, hash=event_hash(forged)
    )

    broken_at(6, "event #6 does not follow event #5")


def test_a_deleted_event_in_the_middle_is_found(history):
    drop_triggers()
    Event.objects.filter(seq=4).delete()

    broken_at(4, "event #4 is missing")


def test_a_deleted_event_with_the_rest_renumbered_is_found(history):
    drop_triggers()
    Event.objects.filter(seq=4).delete()
    for seq in range(5, len(history) + 1):
        Event.objects.filter(seq=seq).update(seq=seq - 1)

    broken_at(4, "event #4 does not follow event #3")


def test_a_deleted_last_event_is_found(history):
    drop_triggers()
    last = len(history)
    Event.objects.filter(seq=last).delete()

    broken_at(last, "events were removed from the end")


def test_two_events_swapped_are_found(history):
    drop_triggers()
    Event.objects.filter(seq=3).update(seq=1_000_000)
    Event.objects.filter(seq=4).update(seq=3)
    Event.objects.filter(seq=1_000_000).update(seq=4)

    broken_at(3, "event #3 does not follow event #2 (a row was removed, replaced or reordered)")


def test_the_triggers_are_back_after_the_tampering_tests(history):
    # Runs after the tests above: their DROP TRIGGER was rolled back with their transaction.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(seq=1).update(action="x")


# --- the command line, end to end ----------------------------------------------------------


def reunify(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own console script, fixed arguments
        [str(REUNIFY), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_reunify_audit_verify_exits_zero_when_intact_and_names_the_broken_event(tmp_path):
    database = tmp_path / "reunify.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "REUNIFY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "reunify.settings",
    }
    assert reunify("migrate", "--noinput", env=env).returncode == 0
    made = reunify("createuser", "alice", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert reunify("token", "create", "alice", env=env).returncode == 0

    intact = reunify("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    # createuser's account and enrolment code, then the token.
    assert intact.stdout.startswith("audit chain intact: 3 events, head ")

    with sqlite3.connect(database) as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE audit_event SET actor_label = 'mallory' WHERE seq = 1")
        db.execute("DROP TRIGGER audit_event_no_update")
        db.execute("UPDATE audit_event SET actor_label = 'mallory' WHERE seq = 1")
    db.close()

    broken = reunify("audit", "verify", env=env)
    assert broken.returncode != 0
    assert "audit chain BROKEN at event #1: event #1 was altered" in broken.stderr
