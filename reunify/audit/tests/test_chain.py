"""The audit log: written with every change, hash-chained, refused edits by the database itself,
and any tampering found by `reunify audit verify`."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from reunify.audit.actions import AuditAction
from reunify.audit.chain import (
    GENESIS,
    SEP,
    Entry,
    _content_sql,
    audit_record,
    audit_record_many,
    audit_seal,
    audit_source,
    audit_verify,
    link_hash,
)
from reunify.audit.models import ChainHead, Event, Link, Pending
from reunify.cases import services
from reunify.cases.models import Case, Party, Phase, ResumeConditions, Transition
from reunify.cases.services import TermInput
from reunify.conftest import (
    PASSWORD,
    Family,
    advance_to,
    make_case,
    make_user,
    screen,
)
from reunify.process import pausing, transitions
from reunify.process.gates import GateClosed
from reunify.safety.models import Screening

REUNIFY = Path(sys.prefix, "bin", "reunify")


def chain() -> list[Link]:
    """The links, in order, with their events (sealing what is pending first)."""
    audit_seal()
    return list(Link.objects.select_related("event").order_by("seq"))


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def drop_triggers() -> None:
    """Take the database's guard away, as someone with raw database access could.

    DDL is transactional on SQLite and PostgreSQL, so the test's rollback restores the triggers.
    """
    if connection.vendor == "postgresql":
        sql("DROP TRIGGER audit_event_no_change ON audit_event")
        sql("DROP TRIGGER audit_link_no_change ON audit_link")
    else:
        for table in ("event", "link"):
            sql(f"DROP TRIGGER audit_{table}_no_update")
            sql(f"DROP TRIGGER audit_{table}_no_delete")


def event_of(seq: int) -> int:
    return Link.objects.get(seq=seq).event_id


@pytest.fixture
def history(therapist, supervisor, family) -> list[Link]:
    """A few dozen events from a case's ordinary life, sealed into the chain."""
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    services.case_view(actor=supervisor, case=family.case)
    links = chain()
    assert len(links) > 20
    return links


# --- every change is logged, in the same transaction ---------------------------------------


def test_every_change_to_a_case_is_logged_by_whoever_made_it(therapist, supervisor, family):
    case = family.case
    pausing.court_order_record(
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
    with pytest.raises(GateClosed):
        transitions.case_advance(actor=therapist, case=case)
    request = transitions.override_request(actor=therapist, case=case, rationale="Pace only.")
    transitions.override_decide(actor=supervisor, request=request, approve=True)
    transitions.case_pause(actor=therapist, case=case, reason="hospital stay")
    screen(therapist, case)
    transitions.case_resume(
        actor=therapist, case=case, conditions=[ResumeConditions.FAMILY_STABILISATION]
    )
    services.case_view(actor=supervisor, case=case, what="timeline")
    transitions.case_close(actor=therapist, case=case, outcome="partial", reason="Regular calls.")

    events = list(Event.objects.filter(case_id=case.pk).order_by("id"))
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


@pytest.mark.django_db
def test_the_migrations_create_the_chain_head_so_no_first_writers_race_for_it() -> None:
    from django.apps import apps

    head_row = importlib.import_module("reunify.audit.migrations.0007_chain_head_row")
    assert ChainHead.objects.filter(id=1).exists()

    ChainHead.objects.all().delete()
    head_row.create_head(apps, None)
    assert list(ChainHead.objects.values_list("id", "seq", "hash")) == [(1, 0, GENESIS)]

    ChainHead.objects.update(seq=5, hash="a" * 64)
    head_row.create_head(apps, None)
    assert list(ChainHead.objects.values_list("id", "seq", "hash")) == [(1, 5, "a" * 64)]


def test_an_event_is_rolled_back_with_the_change_it_records(therapist):
    audit_seal()
    head = ChainHead.objects.get()

    with pytest.raises(RuntimeError), transaction.atomic():
        make_case(therapist, title="Ghost family")
        assert Event.objects.filter(action="case.open", pending__isnull=False).exists()
        raise RuntimeError("the request failed after the write")

    assert not Case.objects.filter(title="Ghost family").exists()
    assert not Event.objects.filter(action="case.open").exists()
    assert audit_seal() == 0
    assert ChainHead.objects.get().hash == head.hash
    assert audit_verify().intact


WRITES: dict[str, Callable[[Any, Family], Any]] = {
    "case_open": lambda t, f: make_case(t, title="Second family"),
    "party_add": lambda t, f: services.party_add(
        actor=t, case=f.case, role="guardian", first_name="Ana", last_name="Rivers"
    ),
    "screening_record": lambda t, f: screen(t, f.case, ongoing_abuse="present"),
    "case_pause": lambda t, f: transitions.case_pause(actor=t, case=f.case, reason="hearing"),
    "court_order_record": lambda t, f: pausing.court_order_record(
        actor=t,
        case=f.case,
        court="Court",
        court_case_number="1",
        issued_on=f.case.referral_date,
        terms=[TermInput("no_contact")],
    ),
    "case_close": lambda t, f: transitions.case_close(
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


def refuse_pending_rows() -> None:
    """Make the second of a writer's two inserts fail, as a full disk or a lost connection
    would (DDL: rolled back with the test)."""
    if connection.vendor == "postgresql":
        sql(
            """CREATE FUNCTION refuse_pending() RETURNS trigger AS $$
               BEGIN RAISE EXCEPTION 'no room for pending rows'; END; $$ LANGUAGE plpgsql"""
        )
        sql(
            """CREATE TRIGGER refuse_pending BEFORE INSERT ON audit_pending
               FOR EACH STATEMENT EXECUTE FUNCTION refuse_pending()"""
        )
    else:
        sql(
            """CREATE TRIGGER refuse_pending BEFORE INSERT ON audit_pending
               BEGIN SELECT RAISE(ABORT, 'no room for pending rows'); END"""
        )


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_change_whose_event_cannot_be_written_is_not_saved(therapist, family, write):
    refuse_pending_rows()
    before = state()

    with pytest.raises(DatabaseError, match="no room for pending rows"):
        write(therapist, family)

    assert state() == before


def test_the_refusal_of_a_move_is_logged_after_the_move_rolls_back(therapist, family):
    with pytest.raises(GateClosed):
        transitions.case_advance(actor=therapist, case=family.case)

    assert Event.objects.order_by("-id").first().action == "case.transition_refused"
    assert not Transition.objects.filter(kind="advance").exists()
    assert audit_verify().intact


# --- the chain -----------------------------------------------------------------------------


def content_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        query = f"SELECT {_content_sql()} FROM audit_event e WHERE e.id = %s"  # noqa: S608
        cursor.execute(query, [event_id])
        return cursor.fetchone()[1]


def test_each_link_follows_the_one_before_in_the_order_events_were_written(history):
    assert [link.seq for link in history] == list(range(1, len(history) + 1))
    assert [link.event_id for link in history] == sorted(link.event_id for link in history)
    assert history[0].prev_hash == GENESIS
    for before, link in pairwise(history):
        assert link.prev_hash == before.hash
    for link in history:
        assert link_hash(link.seq, link.prev_hash, content_of(link.event_id)) == link.hash
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (history[-1].seq, history[-1].hash)
    assert len({link.hash for link in history}) == len(history)
    assert not Pending.objects.exists()


def test_an_event_waits_unsealed_until_its_transaction_commits(therapist, history):
    with transaction.atomic():
        event = audit_record(actor=therapist, action=AuditAction.CASE_VIEW)
        assert Pending.objects.filter(event=event).exists()
        assert not Link.objects.filter(event=event).exists()
        assert transaction.get_connection().run_on_commit  # the seal, once it commits

    assert audit_seal() == 1
    assert Link.objects.get(event=event).seq == len(history) + 1
    assert not Pending.objects.exists()


def test_an_action_that_is_not_listed_is_refused_and_writes_nothing(therapist):
    events = Event.objects.count()

    with pytest.raises(ValueError, match="is not an audit action"):
        audit_record(actor=therapist, action="case.vanish")

    assert Event.objects.count() == events
    assert all(
        action in AuditAction.values for action in Event.objects.values_list("action", flat=True)
    )


def test_a_transaction_of_many_events_asks_for_one_seal(therapist):
    with transaction.atomic():
        audit_record(actor=therapist, action=AuditAction.CASE_VIEW)
        audit_record_many(
            actor=therapist, action=AuditAction.CASE_LIST_VIEW, entries=[Entry(), Entry(case_id=3)]
        )
        seals = transaction.get_connection().run_on_commit
        assert [callback for _, callback, _ in seals] == [audit_seal]


def test_sealing_twice_seals_nothing_the_second_time(history):
    assert audit_seal() == 0
    assert chain() == history
    assert audit_verify().checked == len(history)


def test_the_hash_is_the_same_on_sqlite_and_postgresql(db):
    # Fixed content, fixed hashes: the database spells time and JSON its own way, and the
    # canonical form must not care (this test runs on both).
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    fields = {
        "actor_label": "anonymous",
        "action": "test.fixed",
        "object_type": "cases.party",
        "object_id": "12",
        "source": "cli",
    }
    detail = {
        "z": [1, 2.5, None, 1e-07, 1.5e20, -0.0, 10**20],
        "a": 'é\x1f"\\\n\x7f/',
        "bb": {"b": True, "a": False},
        "é": "",
        "": [],
    }
    one = Event.objects.create(id=9_000_000_001, at=at, case_id=7, detail=detail, **fields)
    two = Event.objects.create(id=9_000_000_002, at=at.replace(microsecond=0), **fields)

    content = content_of(one.pk)
    hashed = ["9000000001", "1767323045000006", "", "anonymous", "test.fixed", "7"]
    assert content.split(SEP)[:9] == [*hashed, "cases.party", "12", "cli"]
    assert content_of(two.pk).split(SEP)[:3] == ["9000000002", "1767323045000000", ""]
    first = link_hash(1, GENESIS, content)
    second = link_hash(2, first, content_of(two.pk))
    assert (first, second) == (
        "8040264a3889a64aed0d5a966e98885999e7fea3a9c77e8e3361cc2083508db7",
        "dfccfbad73b80271cf98c0462b4f0f6c77183eea7434e604a901ac3b7fecda23",
    )


def test_an_empty_chain_is_intact(db):
    report = audit_verify()

    assert report.intact
    assert (report.checked, report.head_hash) == (0, GENESIS)


def test_a_fresh_chain_is_intact(history):
    report = audit_verify()

    assert report.intact
    assert report.checked == len(history)
    assert report.head_hash == history[-1].hash


def test_verify_seals_what_is_pending_first(therapist, history):
    audit_record(actor=therapist, action=AuditAction.CASE_VIEW)

    report = audit_verify()

    assert report.intact
    assert report.checked == len(history) + 1
    assert not Pending.objects.exists()


def test_the_command_reports_an_intact_chain_and_its_speed(history, capsys):
    call_command("audit", "verify")

    out = capsys.readouterr().out.strip()
    assert re.fullmatch(
        rf"audit chain intact: {len(history)} events, head {history[-1].hash} "
        r"\([\d,]+ events/s\)",
        out,
    ), out


def test_events_say_where_they_came_from(therapist):
    with audit_source("cli"):
        from_cli = audit_record(actor=None, action=AuditAction.CASE_VIEW)
    elsewhere = audit_record(actor=therapist, action=AuditAction.CASE_VIEW)

    assert (from_cli.source, from_cli.actor_label, from_cli.actor) == ("cli", "anonymous", None)
    assert (elsewhere.source, elsewhere.actor_label) == ("system", "therapist")


def test_details_are_stored_as_they_were_hashed(therapist, family):
    event = audit_record(
        actor=therapist,
        action=AuditAction.CASE_VIEW,
        case_id=family.case.pk,
        obj=family.child,
        detail={"on": family.case.referral_date, "n": 3, "nested": {"b": [1, 2]}},
    )
    audit_seal()

    stored = Event.objects.get(pk=event.pk)
    assert stored.detail == event.detail
    assert stored.detail == {"on": str(family.case.referral_date), "n": 3, "nested": {"b": [1, 2]}}
    assert (stored.object_type, stored.object_id) == ("cases.party", str(family.child.pk))
    link = Link.objects.get(event=event)
    assert link_hash(link.seq, link.prev_hash, content_of(event.pk)) == link.hash


def test_a_separator_in_what_is_recorded_is_replaced(therapist):
    with audit_source(f"10.0.0.1 agent{SEP}x"):
        event = audit_record(actor=therapist, action=AuditAction.CASE_VIEW)

    assert Event.objects.get(pk=event.pk).source == "10.0.0.1 agent x"


# --- the database refuses changes ----------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor_label = 'mallory'"
        " WHERE id = (SELECT event_id FROM audit_link WHERE seq = 2)",
        "UPDATE audit_event SET detail = '{}'",
        "DELETE FROM audit_event WHERE id = (SELECT event_id FROM audit_link WHERE seq = 2)",
        "DELETE FROM audit_event",
        "UPDATE audit_link SET hash = prev_hash WHERE seq = 2",
        "UPDATE audit_link SET seq = seq + 1000",
        "DELETE FROM audit_link WHERE seq = 2",
        "DELETE FROM audit_link",
    ],
    ids=[
        "update-event",
        "update-events",
        "delete-event",
        "delete-events",
        "update-link",
        "renumber-links",
        "delete-link",
        "delete-links",
    ],
)
def test_the_database_refuses_to_change_or_delete_events_and_links(history, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(statement)

    def rows(links: list[Link]) -> list[tuple[Any, ...]]:
        return [(k.seq, k.hash, k.event.actor_label, k.event.detail) for k in links]

    assert rows(chain()) == rows(history)
    assert audit_verify().intact


def test_the_orm_cannot_change_or_delete_events_either(history):
    first = history[0].event_id
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(id=first).update(action="nothing.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(id=first).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        history[0].event.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        history[0].delete()

    assert audit_verify().intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is a PostgreSQL statement")
@pytest.mark.parametrize("table", ["audit_event", "audit_link"])
def test_postgresql_refuses_to_truncate_the_log(history, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        # Fire the deferred foreign-key checks of this test's own inserts first; otherwise
        # PostgreSQL refuses the TRUNCATE for them before our trigger is asked.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql(f"TRUNCATE {table}")

    assert Link.objects.count() == Event.objects.count() == len(history)


# --- tampering is detected -----------------------------------------------------------------


def broken_at(seq: int, words: str, *, checked: int | None = None) -> None:
    report = audit_verify()
    assert not report.intact
    assert report.bad_seq == seq
    assert words in report.problem, report.problem
    assert report.checked == (seq - 1 if checked is None else checked)
    with pytest.raises(CommandError, match=rf"audit chain BROKEN at link #{seq}\b"):
        call_command("audit", "verify")


def test_an_edited_event_is_found(history):
    drop_triggers()
    Event.objects.filter(id=event_of(5)).update(detail={"what": "nothing to see"})

    broken_at(5, f"the event of link #5 (event {event_of(5)}) was altered after it was written")


def test_an_edited_actor_is_found(history):
    drop_triggers()
    sql("UPDATE audit_event SET actor_label = 'someone else' WHERE id = %s", [event_of(7)])

    broken_at(7, "the event of link #7")


@pytest.mark.parametrize(
    "column", ["at", "actor_id", "action", "case_id", "object_type", "object_id", "source"]
)
def test_every_field_is_covered(history, column):
    drop_triggers()
    value = {
        "at": "2001-01-01 00:00:00" if connection.vendor == "sqlite" else "2001-01-01T00:00Z",
        "actor_id": None,
        "case_id": 999_999,
    }.get(column, "forged")
    sql(f"UPDATE audit_event SET {column} = %s WHERE id = %s", [value, event_of(6)])  # noqa: S608

    broken_at(6, "was altered after it was written")


def test_text_moved_across_the_separator_is_found(history):
    # Without the separator count, "a" + SEP + "b.c" reads the same as "a" + SEP + "b" + ...
    drop_triggers()
    event = Event.objects.get(id=event_of(4))
    sql(
        "UPDATE audit_event SET actor_label = %s, action = %s WHERE id = %s",
        [f"{event.actor_label}{SEP}{event.action[:2]}", event.action[2:], event.pk],
    )
    assert content_of(event.pk).count(SEP) == 10  # one more than an event has

    broken_at(4, "the event of link #4")


def test_an_edited_event_with_its_link_recomputed_breaks_the_next_link(history):
    drop_triggers()
    link = history[4]
    Event.objects.filter(id=link.event_id).update(actor_label="someone else")
    forged = link_hash(link.seq, link.prev_hash, content_of(link.event_id))
    Link.objects.filter(seq=link.seq).update(hash=forged)

    broken_at(6, "link #6 does not follow link #5")


def test_a_deleted_event_in_the_middle_is_found(history):
    drop_triggers()
    Event.objects.filter(id=event_of(4)).delete()

    broken_at(4, f"the event of link #4 (event {history[3].event_id}) was deleted")


def test_a_deleted_link_in_the_middle_is_found(history):
    drop_triggers()
    Link.objects.filter(seq=4).delete()

    broken_at(4, "link #4 is missing")


def test_a_deleted_link_with_the_rest_renumbered_is_found(history):
    drop_triggers()
    Link.objects.filter(seq=4).delete()
    for seq in range(5, len(history) + 1):
        Link.objects.filter(seq=seq).update(seq=seq - 1)

    broken_at(4, "link #4 does not follow link #3")


def test_two_links_swapped_are_found(history):
    drop_triggers()
    Link.objects.filter(seq=3).update(seq=1_000_000)
    Link.objects.filter(seq=4).update(seq=3)
    Link.objects.filter(seq=1_000_000).update(seq=4)

    broken_at(3, "link #3 does not follow link #2 (a link was removed, replaced or reordered)")


def test_two_events_swapped_between_links_are_found(history):
    drop_triggers()
    Link.objects.filter(seq=3).update(event_id=-1)
    Link.objects.filter(seq=4).update(event_id=history[2].event_id)
    Link.objects.filter(seq=3).update(event_id=history[3].event_id)

    broken_at(3, "the event of link #3")


def test_a_cut_tail_is_found(history):
    drop_triggers()
    last = len(history)
    Link.objects.filter(seq__gt=last - 3).delete()

    broken_at(last - 2, f"the chain ends at link #{last - 3} but {last} links were sealed")


def test_a_cut_tail_with_the_head_moved_back_leaves_its_events_outside_the_chain(history):
    drop_triggers()
    last = len(history)
    Link.objects.filter(seq__gt=last - 3).delete()
    ChainHead.objects.update(seq=last - 3, hash=history[last - 4].hash)

    broken_at(
        last - 2,
        f"event {history[last - 3].event_id} in neither the chain nor waiting to be sealed",
    )


def test_a_cut_tail_with_its_events_is_what_the_head_kept_elsewhere_is_for(history):
    # The chain that is left is whole; only the head hash printed before (and kept outside
    # the database, as the README asks) shows that the end is gone.
    drop_triggers()
    last = len(history)
    cut = [link.event_id for link in history[last - 3 :]]
    Link.objects.filter(seq__gt=last - 3).delete()
    Event.objects.filter(id__in=cut).delete()
    ChainHead.objects.update(seq=last - 3, hash=history[last - 4].hash)

    report = audit_verify()
    assert report.intact
    assert report.head_hash != history[-1].hash


def test_a_head_moved_back_is_found(history):
    ChainHead.objects.update(seq=len(history) - 1, hash=history[-2].hash)

    broken_at(len(history), "the head names link", checked=len(history))


def test_a_forged_event_outside_the_chain_is_found(history):
    forged = Event.objects.create(
        at=history[5].event.at, actor_label="therapist", action="case.view", source="system"
    )

    broken_at(
        len(history) + 1,
        f"event {forged.pk} in neither the chain nor waiting to be sealed",
        checked=len(history),
    )


def test_a_forged_link_after_the_head_is_found(history):
    forged = Event.objects.create(
        at=history[5].event.at, actor_label="therapist", action="case.view", source="system"
    )
    seq = len(history) + 1
    digest = link_hash(seq, history[-1].hash, content_of(forged.pk))
    Link.objects.create(seq=seq, event=forged, prev_hash=history[-1].hash, hash=digest)

    broken_at(len(history) + 1, "the head names link", checked=len(history) + 1)


def test_an_event_deleted_before_it_was_sealed_is_found(therapist, history):
    drop_triggers()
    event = audit_record(actor=therapist, action=AuditAction.CASE_VIEW)
    Event.objects.filter(pk=event.pk).delete()

    broken_at(
        len(history) + 1,
        f"event {event.pk}, waiting to be sealed, was deleted before it was sealed",
        checked=len(history),
    )


def test_the_triggers_are_back_after_the_tampering_tests(history):
    # Runs after the tests above: their DROP TRIGGER was rolled back with their transaction.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(id=history[0].event_id).update(action="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Link.objects.filter(seq=1).update(hash="x")


# --- the events written before the chain moved into links ------------------------------------

MIGRATION = importlib.import_module("reunify.audit.migrations.0005_seal_existing_events")


def old_events(count: int) -> list[SimpleNamespace]:
    """Events as the old code wrote them: numbered, each hashed with the one before."""
    events, prev_hash = [], GENESIS
    for seq in range(1, count + 1):
        event = SimpleNamespace(
            id=100 - seq,  # written order need not be id order: the old `seq` is kept
            seq=seq,
            at=dt.datetime(2026, 11, 30, 9, seq, tzinfo=dt.UTC),
            actor_id=None,
            actor_label="alice",
            action="case.view",
            case_id=seq,
            object_type="",
            object_id="",
            source="cli",
            detail={"what": "case", "n": seq},
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = MIGRATION.old_event_hash(event)
        events.append(event)
    return events


def test_an_intact_old_chain_passes_the_old_check():
    events = old_events(5)

    assert MIGRATION.old_chain_check(events, (5, events[-1].hash)) == 5
    assert MIGRATION.old_chain_check([], None) == 0


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        (lambda events: setattr(events[2], "actor_label", "mallory"), "event #3 was altered"),
        (lambda events: events.pop(1), "event #2 is missing"),
        (lambda events: events.pop(), "the chain ends at event #4 but the head does not"),
    ],
    ids=["edited", "deleted", "cut"],
)
def test_a_broken_old_chain_is_refused_with_a_clear_message(tamper, words):
    events = old_events(5)
    head = (5, events[-1].hash)
    tamper(events)

    with pytest.raises(MIGRATION.OldChainBroken, match=words) as refused:
        MIGRATION.old_chain_check(events, head)
    assert "this upgrade will not re-seal it" in str(refused.value)


# --- PostgreSQL, for real: many writers and sealers at once --------------------------------


@pytest.fixture
def audit_flushable_chain(transactional_db: Any) -> Any:
    """A transactional test empties every table afterwards; let it past the append-only
    triggers for that one flush (Django closes the connection right after it)."""
    yield
    sql("SET session_replication_role = replica")


@pytest.mark.flushes
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_writers_on_one_case_and_on_many_build_one_unforked_chain(audit_flushable_chain):
    case = make_case(make_user("racer"))
    writers, writes = 4, 200
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(writes):
                with transaction.atomic():
                    if n < 2:  # as scheduling does: the case row first, then the event
                        Case.objects.select_for_update().get(pk=case.pk)
                        audit_record(actor=None, action=AuditAction.CASE_VIEW, case_id=case.pk)
                    else:
                        audit_record(
                            actor=None,
                            action=AuditAction.CASE_VIEW,
                            case_id=1000 + n,
                            detail={"i": i},
                        )
        except BaseException as failed:
            errors.append(failed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = Event.objects.count()
    assert Event.objects.filter(action=AuditAction.CASE_VIEW).count() == writers * writes
    assert not Pending.objects.exists()  # every writer's own seal ran after its commit
    assert list(Link.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    assert Link.objects.values("event").distinct().count() == total
    report = audit_verify()
    assert report.intact, report.problem
    assert report.checked == total


@pytest.mark.flushes
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_write_takes_no_lock_on_the_chain_head(audit_flushable_chain):
    audit_record(actor=None, action=AuditAction.CASE_VIEW)  # the head exists, sealed
    held, release = threading.Event(), threading.Event()

    def hold_the_head() -> None:
        try:
            with transaction.atomic():
                ChainHead.objects.select_for_update().get(id=1)
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_head)
    holder.start()
    try:
        assert held.wait(10)
        sql("SET lock_timeout = '1s'")  # a lock wait fails the test rather than hanging it
        started = time.monotonic()
        with transaction.atomic():
            event = audit_record(actor=None, action=AuditAction.CASE_VIEW, case_id=5)
            sql("SELECT 1")
            in_transaction = time.monotonic() - started
        # Committed; its own seal waited for the head after the commit and gave up.
        assert in_transaction < 1
        assert Pending.objects.filter(event=event).exists()
    finally:
        release.set()
        holder.join()
        sql("SET lock_timeout = 0")

    assert audit_seal() == 1
    assert audit_verify().intact


# --- the command line, end to end ----------------------------------------------------------


def reunify(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own console script, fixed arguments
        [str(REUNIFY), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'reunify.sqlite3'}",
        "REUNIFY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "reunify.settings",
    }


def test_reunify_audit_verify_exits_zero_when_intact_and_names_the_broken_event(tmp_path):
    env = sqlite_env(tmp_path)
    assert reunify("migrate", "--noinput", env=env).returncode == 0
    made = reunify("createuser", "alice", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert reunify("token", "create", "alice", env=env).returncode == 0

    intact = reunify("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    # createuser's account and enrolment code, then the token.
    assert intact.stdout.startswith("audit chain intact: 3 events, head ")
    assert intact.stdout.strip().endswith(" events/s)")

    with sqlite3.connect(tmp_path / "reunify.sqlite3") as db:
        forge = (
            "UPDATE audit_event SET actor_label = 'mallory'"
            " WHERE id = (SELECT event_id FROM audit_link WHERE seq = 1)"
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(forge)
        db.execute("DROP TRIGGER audit_event_no_update")
        db.execute(forge)
    db.close()

    broken = reunify("audit", "verify", env=env)
    assert broken.returncode != 0
    assert "audit chain BROKEN at link #1: the event of link #1" in broken.stderr
    assert "was altered after it was written" in broken.stderr


def write_old_chain(database: Path, events: list[SimpleNamespace]) -> None:
    with sqlite3.connect(database) as db:
        for e in events:
            db.execute(
                "INSERT INTO audit_event (id, seq, at, actor_id, actor_label, action, case_id,"
                " object_type, object_id, source, detail, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    e.id,
                    e.seq,
                    str(e.at.astimezone(dt.UTC).replace(tzinfo=None)),
                    e.actor_id,
                    e.actor_label,
                    e.action,
                    e.case_id,
                    e.object_type,
                    e.object_id,
                    e.source,
                    json.dumps(e.detail),
                    e.prev_hash,
                    e.hash,
                ],
            )
        db.execute(
            "INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, ?, ?)",
            [len(events), events[-1].hash],
        )
    db.close()


def test_the_upgrade_keeps_every_old_event_in_its_old_order(tmp_path):
    env = sqlite_env(tmp_path)
    assert reunify("migrate", "audit", "0003", "--noinput", env=env).returncode == 0
    events = old_events(4)
    write_old_chain(tmp_path / "reunify.sqlite3", events)

    upgraded = reunify("migrate", "--noinput", env=env)
    assert upgraded.returncode == 0, upgraded.stderr

    intact = reunify("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("audit chain intact: 4 events, head ")
    with sqlite3.connect(tmp_path / "reunify.sqlite3") as db:
        linked = db.execute("SELECT event_id FROM audit_link ORDER BY seq").fetchall()
        actions = db.execute("SELECT count(*) FROM audit_event WHERE action = 'case.view'")
        assert [row[0] for row in linked] == [e.id for e in events]
        assert actions.fetchone()[0] == 4
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM audit_event")
    db.close()


def test_the_upgrade_refuses_a_broken_old_chain(tmp_path):
    env = sqlite_env(tmp_path)
    assert reunify("migrate", "audit", "0003", "--noinput", env=env).returncode == 0
    events = old_events(4)
    events[1].actor_label = "mallory"
    write_old_chain(tmp_path / "reunify.sqlite3", events)

    refused = reunify("migrate", "--noinput", env=env)

    assert refused.returncode != 0
    assert "The audit chain is broken (event #2 was altered after it was written)" in (
        refused.stderr
    )
