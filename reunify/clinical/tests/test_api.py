"""The clinical-record API: every operation works, needs a token, hides other families, lets a
visit monitor at their own visits only, keeps the supervisor to reading, turns bad input away
without changing anything, leaves its mark in the audit log, never changes a signed note, and
never lets a psychotherapy note out of its own two routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reunify.accounts.models import Role, User
from reunify.audit.models import Event
from reunify.cases.models import Case
from reunify.clinical import services
from reunify.clinical.models import (
    Addendum,
    AmendmentRequest,
    Appointment,
    ChildAssent,
    ContactRecord,
    ContactRung,
    Ladder,
    LadderStep,
    ParentingArrangement,
    ProgressNote,
    PsychotherapyNote,
)
from reunify.conftest import (
    Family,
    advance_to,
    bearer,
    fresh,
    last_event,
    looked_at,
    make_user,
)
from reunify.process import pausing, transitions

API = "/api/v1"
SECRET = "The blue bicycle in her dream stands for the move to Fresno, I suspect."


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate()


def later(**delta: float) -> Any:
    """Travel forward in time, so that sessions scheduled for then have started."""
    return time_machine.travel(now() + dt.timedelta(**delta), tick=False)


def call(client: Client, method: str, path: str, body: Any, user: User | None) -> Any:
    headers = bearer(user) if user else {}
    if method == "get":
        return client.get(API + path, body or {}, headers=headers)
    send = client.put if method == "put" else client.post
    return send(API + path, body, content_type="application/json", headers=headers)


def get(client: Client, path: str, user: User | None = None, **query: Any) -> Any:
    return call(client, "get", path, query, user)


def post(client: Client, path: str, body: Any, user: User | None = None) -> Any:
    return call(client, "post", path, body, user)


def put(client: Client, path: str, body: Any, user: User | None = None) -> Any:
    return call(client, "put", path, body, user)


# The world every matrix test stands in -----------------------------------------------------


def schedule_visit(
    therapist: User, family: Family, *, hours: float = 24, monitor: User | None = None, **extra: Any
) -> Appointment:
    return services.appointment_schedule(
        actor=therapist,
        case=family.case,
        kind=extra.pop("kind", "contact_supervised"),
        starts_at=now() + dt.timedelta(hours=hours),
        participants=[family.child, family.estranged],
        duration_minutes=60,
        monitor=monitor,
        **extra,
    )


def schedule_session(therapist: User, family: Family, *, hours: float = 24) -> Appointment:
    return services.appointment_schedule(
        actor=therapist,
        case=family.case,
        kind="individual",
        starts_at=now() + dt.timedelta(hours=hours),
        participants=[family.estranged],
    )


DAP = {"data": "Father spoke about the last visit.", "assessment": "Engaged.", "plan": "Continue."}


@dataclass
class World:
    """A family in therapeutic contact with a visit, a session, notes and a private note."""

    family: Family
    visit: Appointment  # a contact visit assigned to the monitor (if any)
    session: Appointment  # an individual session with the estranged parent
    held: Appointment  # an individual session held three hours ago: its notes
    draft: ProgressNote
    signed: ProgressNote
    amendment: AmendmentRequest
    pnote: PsychotherapyNote  # shared with the supervisor

    @property
    def case(self) -> Case:
        return self.family.case

    def path(self, template: str) -> str:
        return template.format(
            case=self.case.pk,
            visit=self.visit.pk,
            session=self.session.pk,
            held=self.held.pk,
            draft=self.draft.pk,
            signed=self.signed.pk,
            amendment=self.amendment.pk,
            pnote=self.pnote.pk,
        )


def make_world(therapist: User, family: Family, monitor: User | None) -> World:
    advance_to(therapist, family, "therapeutic_contact")
    # The first rung as a rung of visits: these tests count visits (letters: test_letters.py).
    ContactRung.objects.filter(ladder__case=family.case, position=1).update(letters=False)
    visit = schedule_visit(therapist, family, monitor=monitor)
    session = schedule_session(therapist, family, hours=27)
    held = schedule_session(therapist, family, hours=-3)
    services.appointment_complete(actor=therapist, appointment=held)
    draft = pausing.note_write(actor=therapist, appointment=held, format="dap", body=DAP)
    signed = pausing.note_write(actor=therapist, appointment=held, format="dap", body=DAP)
    signed = services.note_sign(actor=therapist, note=signed)
    amendment = services.amendment_request_record(
        actor=therapist,
        note=signed,
        party=family.estranged,
        received_on=today(),
        request_text="I did not say I was angry; I said I was sad.",
    )
    pnote = services.psychotherapy_note_write(
        actor=therapist, case=family.case, text=SECRET, share_with_supervisor=True
    )
    family.case.refresh_from_db()
    return World(family, visit, session, held, draft, signed, amendment, pnote)


@pytest.fixture
def world(therapist: User, family: Family, monitor: User) -> World:
    return make_world(therapist, family, monitor)


@pytest.fixture
def other_world(outsider: User, other_family: Family) -> World:
    return make_world(outsider, other_family, make_user("othermonitor", Role.MONITOR))


# Every route, with a valid body --------------------------------------------------------------

Body = Callable[[World], dict[str, Any]]

READS: dict[str, str] = {
    "/cases/{case}/appointments": "appointment_list",
    "/appointments/{session}": "appointment_get",
    "/cases/{case}/ladder": "ladder",
    "/appointments/{held}/notes": "note_list",
    "/notes/{signed}/addenda": "addendum_list",
    "/cases/{case}/psychotherapy-notes": "psychotherapy_note_list",
    "/cases/{case}/attendance": "attendance",
}

WRITES: dict[tuple[str, str], Body] = {
    ("post", "/cases/{case}/appointments"): lambda w: {
        "kind": "individual",
        "starts_at": (now() + dt.timedelta(days=3)).isoformat(),
        "participant_ids": [w.family.child.pk],
    },
    ("post", "/appointments/{session}/reschedule"): lambda w: {
        "starts_at": (now() + dt.timedelta(days=5)).isoformat()
    },
    ("post", "/appointments/{session}/cancel"): lambda w: {"cancelled_by": "therapist"},
    ("post", "/appointments/{session}/complete"): lambda w: {"note": ""},
    ("post", "/appointments/{session}/no-show"): lambda w: {"party_id": w.family.estranged.pk},
    ("post", "/appointments/{visit}/contact-record"): lambda w: {
        "duration_minutes": 55,
        "comfort_before": 7,
        "comfort_after": 8,
        "brought_by": w.family.other.pk,
        "observations": "They played cards; the child laughed twice.",
    },
    ("put", "/cases/{case}/ladder"): lambda w: {"min_sessions": 4},
    ("post", "/cases/{case}/ladder/step"): lambda w: {
        "direction": "down",
        "on_word_of": "child",
        "reason": "She asked to slow down.",
    },
    ("post", "/cases/{case}/ladder/assents"): lambda w: {
        "child_id": w.family.child.pk,
        "rung": 2,
        "given": True,
        "recorded_on": today().isoformat(),
    },
    ("post", "/appointments/{session}/notes"): lambda w: {"format": "dap", "body": DAP},
    ("put", "/notes/{draft}"): lambda w: {"format": "dap", "body": DAP | {"plan": "Meet again."}},
    ("post", "/notes/{draft}/sign"): lambda w: {},
    ("post", "/notes/{signed}/addenda"): lambda w: {"text": "Father called the next day."},
    ("post", "/notes/{signed}/amendment-requests"): lambda w: {
        "party_id": w.family.other.pk,
        "received_on": today().isoformat(),
        "request_text": "Please correct the date of the move.",
    },
    ("post", "/amendment-requests/{amendment}/decision"): lambda w: {
        "decision": "accept",
        "reason": "The father's own words matter.",
        "amendment_text": "Father said he was sad, not angry.",
    },
    ("post", "/cases/{case}/psychotherapy-notes"): lambda w: {"text": "A second private thought."},
    ("post", "/psychotherapy-notes/{pnote}/share"): lambda w: {"shared": False},
    ("post", "/cases/{case}/arrangement"): lambda w: {
        "description": "Alternate weekends with the father.",
        "effective_on": today().isoformat(),
    },
}

VISIT_ACTIONS = ["reschedule", "cancel", "complete", "no-show", "contact-record"]
# Everything but the visit itself is the case record: a monitor gets 404 even for their visit.
CASE_WRITES = [key for key in WRITES if key[1].rsplit("/", 1)[-1] not in VISIT_ACTIONS]

ROUTES: list[tuple[str, str]] = [("get", p) for p in READS] + [("get", "/visits"), *WRITES]


def body_for(method: str, template: str, world: World) -> dict[str, Any]:
    return WRITES[(method, template)](world) if method != "get" else {}


# What the clinical record holds; a refused write must leave all of it as it was.
RECORDS = (
    Appointment,
    ContactRecord,
    Ladder,
    ContactRung,
    LadderStep,
    ChildAssent,
    ProgressNote,
    Addendum,
    PsychotherapyNote,
    AmendmentRequest,
    ParentingArrangement,
)
READ_ONLY_ACTIONS = (
    "case.view",
    "token.create",
    "token.revoke",
    "ladder.step_refused",
    "access.denied",
)


def snapshot() -> tuple[Any, ...]:
    counts = tuple(model.objects.count() for model in RECORDS)
    appointments = tuple(
        Appointment.objects.order_by("pk").values_list(
            "pk", "status", "starts_at", "duration_minutes", "cancelled_by", "no_show_party"
        )
    )
    notes = tuple(
        ProgressNote.objects.order_by("pk").values_list("pk", "body", "signed_at", "updated_at")
    )
    ladders = tuple(
        Ladder.objects.order_by("pk").values_list(
            "pk", "current_rung", "min_sessions", "min_comfort"
        )
    )
    rungs = tuple(ContactRung.objects.order_by("pk").values_list("pk", "name", "supervised"))
    shared = tuple(
        PsychotherapyNote.objects.order_by("pk").values_list("pk", "shared_with_supervisor")
    )
    amendments = tuple(AmendmentRequest.objects.order_by("pk").values_list("pk", "status"))
    cases = tuple(Case.objects.order_by("pk").values_list("pk", "phase", "paused_at"))
    writes = Event.objects.exclude(action__in=READ_ONLY_ACTIONS).count()
    return counts, appointments, notes, ladders, rungs, shared, amendments, cases, writes


def viewed(user: User, case: Case, what: str) -> bool:
    return looked_at(user, case, f"api:{what}")


def events(action: str, case: Case) -> int:
    return Event.objects.filter(action=action, case_id=case.pk).count()


# Authentication, other families, roles -----------------------------------------------------


@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_every_operation_needs_a_token(
    client: Client, world: World, method: str, template: str
) -> None:
    before = snapshot()
    response = call(client, method, world.path(template), body_for(method, template, world), None)
    assert response.status_code == 401
    assert "token" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Rivers" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("method", "template"), [r for r in ROUTES if r[1] != "/visits"])
def test_another_familys_record_answers_404(
    client: Client,
    therapist: User,
    world: World,
    other_world: World,
    method: str,
    template: str,
) -> None:
    before = snapshot()
    path = other_world.path(template)
    response = call(client, method, path, body_for(method, template, other_world), therapist)
    assert response.status_code == 404, path
    assert response.json() == {"detail": "Not found."}
    assert "Okafor" not in response.content.decode()
    assert SECRET not in response.content.decode()
    assert snapshot() == before
    assert not Event.objects.filter(action="case.view", case_id=other_world.case.pk).exists()


@pytest.mark.parametrize("template", list(READS))
def test_every_read_works_and_is_audited(
    client: Client, therapist: User, world: World, template: str
) -> None:
    response = get(client, world.path(template), therapist)
    assert response.status_code == 200
    assert viewed(therapist, world.case, READS[template])


@pytest.mark.parametrize("template", list(READS))
def test_the_supervisor_reads_every_part(
    client: Client, supervisor: User, world: World, template: str
) -> None:
    response = get(client, world.path(template), supervisor)
    assert response.status_code == 200
    assert viewed(supervisor, world.case, READS[template])


@pytest.mark.parametrize(("method", "template"), list(WRITES))
def test_the_supervisor_may_not_write(
    client: Client, supervisor: User, world: World, method: str, template: str
) -> None:
    before = snapshot()
    response = call(
        client, method, world.path(template), body_for(method, template, world), supervisor
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("template", [t for t in READS if t != "/appointments/{session}"])
def test_a_monitor_reads_nothing_of_the_case(
    client: Client, monitor: User, world: World, template: str
) -> None:
    response = get(client, world.path(template.replace("{session}", "{visit}")), monitor)
    assert response.status_code == 404
    assert "Rivers" not in response.content.decode()
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize(("method", "template"), CASE_WRITES)
def test_a_monitor_writes_nothing_in_the_case(
    client: Client, monitor: User, world: World, method: str, template: str
) -> None:
    before = snapshot()
    path = world.path(template.replace("{session}", "{visit}"))
    response = call(client, method, path, body_for(method, template, world), monitor)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("action", VISIT_ACTIONS)
def test_a_monitor_cannot_touch_a_visit_not_theirs(
    client: Client, therapist: User, monitor: User, world: World, action: str
) -> None:
    unassigned = schedule_visit(therapist, world.family, hours=30)
    before = snapshot()
    assert get(client, f"/appointments/{unassigned.pk}", monitor).status_code == 404
    template = f"/appointments/{{visit}}/{action}"
    body = (
        body_for("post", template.replace("{visit}", "{session}"), world)
        if action not in ("contact-record",)
        else WRITES[("post", "/appointments/{visit}/contact-record")](world)
    )
    with later(days=2):
        response = post(client, f"/appointments/{unassigned.pk}/{action}", body, monitor)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("action", ["reschedule", "cancel", "complete", "no-show"])
def test_a_monitor_only_records_their_own_visit(
    client: Client, monitor: User, world: World, action: str
) -> None:
    before = snapshot()
    body = WRITES[("post", f"/appointments/{{session}}/{action}")](world)
    response = post(client, f"/appointments/{world.visit.pk}/{action}", body, monitor)
    assert response.status_code == 403
    assert snapshot() == before


def test_a_closed_case_refuses_every_write(client: Client, therapist: User, world: World) -> None:
    transitions.case_close(actor=therapist, case=world.case, outcome="withdrawn", reason="Moved.")
    # Sharing a private note with one's supervisor is not a change to the record.
    for method, template in [w for w in WRITES if "share" not in w[1] and "sign" not in w[1]]:
        before = snapshot()
        response = call(
            client, method, world.path(template), body_for(method, template, world), therapist
        )
        assert response.status_code == 400, template
        assert "closed" in response.json()["detail"], template
        assert snapshot() == before


def test_something_that_does_not_exist_answers_like_another_familys(
    client: Client, therapist: User, world: World
) -> None:
    for path in ("/appointments/999999", "/notes/999999/addenda", "/cases/999999/ladder"):
        response = get(client, path, therapist)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


# Sessions ----------------------------------------------------------------------------------


def test_schedule_a_session(client: Client, therapist: User, world: World) -> None:
    starts = (now() + dt.timedelta(days=3)).replace(microsecond=0)
    body = {
        "kind": "individual",
        "starts_at": starts.isoformat(),
        "participant_ids": [world.family.child.pk],
        "modality": "telehealth",
        "duration_minutes": 45,
    }
    response = post(client, f"/cases/{world.case.pk}/appointments", body, therapist)
    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["status"], data["modality"]) == (
        "individual",
        "scheduled",
        "telehealth",
    )
    assert dt.datetime.fromisoformat(data["starts_at"]) == starts
    assert [p["id"] for p in data["participants"]] == [world.family.child.pk]
    assert data["participants"][0]["label"] == "the child (Mia Rivers)"
    assert (data["rung"], data["cancellation"], data["contact_record"]) == (None, None, None)
    assert last_event().action == "appointment.schedule"
    assert last_event().object_id == str(data["id"])


def test_schedule_a_contact_visit_on_the_current_rung(
    client: Client, therapist: User, monitor: User, world: World
) -> None:
    body = {
        "kind": "contact_supervised",
        "starts_at": (now() + dt.timedelta(days=2)).isoformat(),
        "participant_ids": [world.family.child.pk, world.family.estranged.pk],
        "monitor": "monitor",
        "modality": "office",
    }
    response = post(client, f"/cases/{world.case.pk}/appointments", body, therapist)
    assert response.status_code == 201
    data = response.json()
    assert data["rung"]["position"] == 1
    assert data["monitor"] == "monitor"


def visit_body(world: World, **change: Any) -> dict[str, Any]:
    body = {
        "kind": "contact_supervised",
        "starts_at": (now() + dt.timedelta(days=2)).isoformat(),
        "participant_ids": [world.family.child.pk, world.family.estranged.pk],
    }
    return body | change


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"rung": 2}, 400, "above the current rung"),
        ({"rung": 9}, 400, "has no rung 9"),
        ({"kind": "contact_unsupervised"}, 400, "schedule it as therapeutic contact (supervised)"),
        ({"participant_ids": []}, 400, "Name at least one participant"),
        ({"participant_ids": [999999]}, 400, "There is no party 999999 in this case"),
        ({"monitor": "therapist"}, 400, "therapist is not an active visit monitor"),
        ({"monitor": "nobody"}, 400, "no active staff member 'nobody'"),
        ({"starts_at": "2030-01-01T10:00:00"}, 400, "needs a time zone"),
        ({"duration_minutes": 2}, 400, "between 5 and 600 minutes"),
        ({"kind": "seance"}, 422, "kind"),
        ({"starts_at": "next tuesday"}, 422, "starts_at"),
        ({"participant_ids": "everyone"}, 422, "participant_ids"),
    ],
)
def test_scheduling_turns_bad_input_away(
    client: Client,
    therapist: User,
    world: World,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = snapshot()
    response = post(
        client, f"/cases/{world.case.pk}/appointments", visit_body(world, **change), therapist
    )
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_no_contact_visit_is_scheduled_on_a_paused_case(
    client: Client, therapist: User, world: World
) -> None:
    transitions.case_pause(actor=therapist, case=world.case, reason="Court hearing pending.")
    before = snapshot()
    response = post(client, f"/cases/{world.case.pk}/appointments", visit_body(world), therapist)
    assert response.status_code == 400
    assert "The case is paused (Court hearing pending.)" in response.json()["detail"]
    assert snapshot() == before


def test_a_party_of_another_family_cannot_attend(
    client: Client, therapist: User, world: World, other_world: World
) -> None:
    before = snapshot()
    body = visit_body(world, participant_ids=[other_world.family.child.pk])
    response = post(client, f"/cases/{world.case.pk}/appointments", body, therapist)
    assert response.status_code == 400
    assert "Okafor" not in response.content.decode()
    assert snapshot() == before


def test_the_list_shows_every_session_with_its_outcome(
    client: Client, therapist: User, world: World
) -> None:
    soon = schedule_session(therapist, world.family, hours=10)
    services.appointment_cancel(
        actor=therapist, appointment=soon, cancelled_by="party", party=world.family.estranged
    )
    response = get(client, f"/cases/{world.case.pk}/appointments", therapist)
    rows = {row["id"]: row for row in response.json()}
    assert set(rows) == {world.visit.pk, world.session.pk, world.held.pk, soon.pk}
    cancelled = rows[soon.pk]
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation"]["by"] == "party"
    assert cancelled["cancellation"]["party"]["id"] == world.family.estranged.pk
    assert cancelled["cancellation"]["notice_hours"] in (9, 10)
    assert cancelled["cancellation"]["late"] is True
    visit = rows[world.visit.pk]
    assert visit["rung"]["name"] == "Letters and messages"
    assert visit["monitor"] == "monitor"
    assert {p["role"] for p in visit["participants"]} == {"child", "estranged_parent"}
    assert SECRET not in response.content.decode()


def test_the_list_reads_in_a_fixed_number_of_queries(
    client: Client, therapist: User, world: World
) -> None:
    def reads() -> int:
        headers = bearer(therapist)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/cases/{world.case.pk}/appointments", headers=headers)
            assert response.status_code == 200
        return sum(
            1
            for q in queries.captured_queries
            if "audit_" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        )

    one = reads()
    for hours in (30, 40, 50):
        schedule_visit(therapist, world.family, hours=hours)
        schedule_session(therapist, world.family, hours=hours + 2)
    with later(days=3):
        for visit in Appointment.objects.filter(kind="contact_supervised", case=world.case)[:2]:
            pausing.contact_record(
                actor=therapist,
                appointment=visit,
                facts=services.ContactFacts(60, 7, 7, brought_by=world.family.other),
            )
    assert reads() == one


def test_read_one_session(client: Client, therapist: User, world: World) -> None:
    response = get(client, f"/appointments/{world.session.pk}", therapist)
    assert response.status_code == 200
    assert response.json()["kind_label"] == "Individual session"
    assert viewed(therapist, world.case, "appointment_get")


def test_reschedule_a_session(client: Client, therapist: User, world: World) -> None:
    starts = (now() + dt.timedelta(days=5)).replace(microsecond=0)
    body = {"starts_at": starts.isoformat(), "duration_minutes": 80}
    response = post(client, f"/appointments/{world.session.pk}/reschedule", body, therapist)
    assert response.status_code == 200
    assert dt.datetime.fromisoformat(response.json()["starts_at"]) == starts
    assert response.json()["duration_minutes"] == 80
    assert last_event().action == "appointment.reschedule"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"starts_at": "2030-01-01T10:00:00"}, 400, "needs a time zone"),
        ({"starts_at": "2030-01-01T10:00:00Z", "duration_minutes": 0}, 400, "between 5 and 600"),
        ({}, 422, "starts_at: Field required"),
    ],
)
def test_reschedule_turns_bad_input_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, f"/appointments/{world.session.pk}/reschedule", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_cancel_a_session(client: Client, therapist: User, world: World) -> None:
    next_week = schedule_session(therapist, world.family, hours=24 * 7)
    body = {"cancelled_by": "party", "party_id": world.family.estranged.pk, "note": "Work shift."}
    response = post(client, f"/appointments/{next_week.pk}/cancel", body, therapist)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "cancelled"
    assert data["cancellation"]["by_label"] == "A party"
    assert data["cancellation"]["late"] is False
    assert data["cancellation"]["notice_hours"] in (167, 168)
    assert data["status_note"] == "Work shift."
    assert last_event().action == "appointment.cancel"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"cancelled_by": "party"}, 400, "Name the party who cancelled"),
        ({"cancelled_by": "party", "party_id": 999999}, 400, "There is no party 999999"),
        ({"cancelled_by": "the weather"}, 422, "cancelled_by"),
    ],
)
def test_cancel_turns_bad_input_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, f"/appointments/{world.session.pk}/cancel", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_cancelled_session_stays_cancelled(client: Client, therapist: User, world: World) -> None:
    services.appointment_cancel(actor=therapist, appointment=world.session, cancelled_by="court")
    before = snapshot()
    response = post(
        client, f"/appointments/{world.session.pk}/cancel", {"cancelled_by": "therapist"}, therapist
    )
    assert response.status_code == 400
    assert "already cancelled" in response.json()["detail"]
    assert snapshot() == before


def test_complete_a_session_once_it_has_started(
    client: Client, therapist: User, world: World
) -> None:
    before = snapshot()
    response = post(client, f"/appointments/{world.session.pk}/complete", {}, therapist)
    assert response.status_code == 400
    assert response.json()["detail"] == "This session has not started yet."
    assert snapshot() == before
    with later(days=1, hours=4):
        response = post(
            client, f"/appointments/{world.session.pk}/complete", {"note": "Good."}, therapist
        )
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert last_event().action == "appointment.complete"


def test_a_contact_visit_is_completed_by_its_record(
    client: Client, therapist: User, world: World
) -> None:
    before = snapshot()
    with later(days=2):
        response = post(client, f"/appointments/{world.visit.pk}/complete", {}, therapist)
    assert response.status_code == 400
    assert "completed by recording it" in response.json()["detail"]
    assert snapshot() == before


def test_record_a_no_show(client: Client, therapist: User, world: World) -> None:
    body = {"party_id": world.family.estranged.pk, "note": "No call."}
    with later(days=1, hours=4):
        response = post(client, f"/appointments/{world.session.pk}/no-show", body, therapist)
    assert response.status_code == 200
    assert response.json()["status"] == "no_show"
    assert response.json()["no_show_party"]["id"] == world.family.estranged.pk
    assert last_event().action == "appointment.no_show"


@pytest.mark.parametrize(
    ("who", "status", "words"),
    [
        ("child", 400, "was not expected at this session"),
        ("nobody", 400, "no party"),
        ("", 422, "party_id"),
    ],
)
def test_a_no_show_names_an_expected_participant(
    client: Client, therapist: User, world: World, who: str, status: int, words: str
) -> None:
    party = {"child": world.family.child.pk, "nobody": 999999, "": None}[who]
    before = snapshot()
    with later(days=1, hours=4):
        response = post(
            client, f"/appointments/{world.session.pk}/no-show", {"party_id": party}, therapist
        )
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


# Contact visits and the visit monitor ------------------------------------------------------


def record_body(world: World, **change: Any) -> dict[str, Any]:
    return WRITES[("post", "/appointments/{visit}/contact-record")](world) | change


def test_the_monitor_records_their_visit(client: Client, monitor: User, world: World) -> None:
    body = record_body(world, observers="Grandmother in the waiting room")
    with later(days=1, hours=1):
        response = post(client, f"/appointments/{world.visit.pk}/contact-record", body, monitor)
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "completed"
    record = data["contact_record"]
    assert (record["comfort_before"], record["comfort_after"]) == (7, 8)
    assert record["brought_by"]["id"] == world.family.other.pk
    assert record["recorded_by"] == "monitor"
    assert last_event().action == "contact.record"
    assert last_event().actor == monitor


def test_the_monitor_reads_their_visit_but_not_its_clinical_notes(
    client: Client, therapist: User, monitor: User, world: World
) -> None:
    transitions.case_pause(actor=therapist, case=world.case, reason="Mother disclosed a threat.")
    response = get(client, f"/appointments/{world.visit.pk}", monitor)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "held"
    assert data["status_note"] == ""
    assert "threat" not in response.content.decode()
    assert viewed(monitor, world.case, "appointment_get")
    assert get(client, f"/appointments/{world.visit.pk}/notes", monitor).status_code == 404
    assert (
        "threat" in get(client, f"/appointments/{world.visit.pk}", therapist).json()["status_note"]
    )


def test_a_visit_ended_early(client: Client, therapist: User, world: World) -> None:
    body = record_body(world, ended_early_reason="acute_distress", duration_minutes=15)
    with later(days=1, hours=1):
        response = post(client, f"/appointments/{world.visit.pk}/contact-record", body, therapist)
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["ended_early_reason"]) == (
        "ended_early",
        "acute_distress",
    )
    assert not fresh(world.case).is_paused


def test_a_safety_concern_at_a_visit_pauses_the_case(
    client: Client, monitor: User, world: World
) -> None:
    body = record_body(world, safety_concern=True, safety_concern_note="Father grabbed her arm.")
    with later(days=1, hours=1):
        response = post(client, f"/appointments/{world.visit.pk}/contact-record", body, monitor)
    assert response.status_code == 201
    assert fresh(world.case).is_paused
    assert events("case.pause", world.case) == 1


def test_words_of_a_custody_opinion_are_sent_back(
    client: Client, monitor: User, world: World
) -> None:
    body = record_body(world, observations="Mother said father is unfit.")
    before = snapshot()
    with later(days=1, hours=1):
        response = post(client, f"/appointments/{world.visit.pk}/contact-record", body, monitor)
    assert response.status_code == 400
    data = response.json()
    assert "custody opinion" in data["detail"]
    assert data["opinion_words"] == ["unfit"]
    assert "confirm_facts" in data["hint"]
    assert snapshot() == before
    with later(days=1, hours=2):
        confirmed = body | {"confirm_facts": True}
        response = post(
            client, f"/appointments/{world.visit.pk}/contact-record", confirmed, monitor
        )
    assert response.status_code == 201
    assert last_event().detail["opinion_words_confirmed"] == ["unfit"]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"comfort_before": 11}, 400, "rated 0 to 10"),
        ({"duration_minutes": 0}, 400, "how long the visit lasted"),
        ({"safety_concern": True}, 400, "Describe the safety concern"),
        ({"brought_by": 999999}, 400, "There is no party 999999"),
        ({"ended_early_reason": "boredom"}, 422, "ended_early_reason"),
        ({"comfort_after": "fine"}, 422, "comfort_after"),
    ],
)
def test_a_contact_record_with_bad_facts_is_turned_away(
    client: Client,
    monitor: User,
    world: World,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = snapshot()
    with later(days=1, hours=1):
        response = post(
            client,
            f"/appointments/{world.visit.pk}/contact-record",
            record_body(world, **change),
            monitor,
        )
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_visit_is_recorded_once_and_only_after_it_started(
    client: Client, monitor: User, world: World
) -> None:
    path = f"/appointments/{world.visit.pk}/contact-record"
    before = snapshot()
    response = post(client, path, record_body(world), monitor)
    assert response.status_code == 400
    assert response.json()["detail"] == "This session has not started yet."
    assert snapshot() == before
    with later(days=1, hours=1):
        assert post(client, path, record_body(world), monitor).status_code == 201
        before = snapshot()
        response = post(client, path, record_body(world), monitor)
    assert response.status_code == 400
    assert "already" in response.json()["detail"]
    assert snapshot() == before


def test_the_monitors_list_holds_only_their_visits(
    client: Client, therapist: User, monitor: User, world: World, other_world: World
) -> None:
    unassigned = schedule_visit(therapist, world.family, hours=30)
    response = get(client, "/visits", monitor)
    assert response.status_code == 200
    assert [v["id"] for v in response.json()] == [world.visit.pk]
    assert response.json()[0]["status_note"] == ""
    assert viewed(monitor, world.case, "visit_list")
    with later(days=1, hours=1):
        post(client, f"/appointments/{world.visit.pk}/contact-record", record_body(world), monitor)
    assert get(client, "/visits", monitor).json() == []
    assert [v["id"] for v in get(client, "/visits", monitor, include_past="true").json()] == [
        world.visit.pk
    ]
    # The therapist's list: every contact visit still to hold of their own cases.
    ids = [v["id"] for v in get(client, "/visits", therapist).json()]
    assert ids == [unassigned.pk]
    assert "Okafor" not in get(client, "/visits", therapist).content.decode()


def test_someone_with_no_visits_gets_an_empty_list(
    client: Client, admin_user: User, world: World
) -> None:
    assert get(client, "/visits", admin_user).json() == []
    assert get(client, "/visits", make_user("idle", Role.MONITOR)).json() == []


# The ladder --------------------------------------------------------------------------------


def test_the_ladder_shows_rungs_gate_and_history(
    client: Client, therapist: User, world: World
) -> None:
    response = get(client, f"/cases/{world.case.pk}/ladder", therapist)
    assert response.status_code == 200
    ladder = response.json()
    assert ladder["started"] is True
    assert ladder["current_rung"]["position"] == 1
    assert [r["position"] for r in ladder["rungs"]] == [1, 2, 3, 4, 5, 6]
    assert [r["current"] for r in ladder["rungs"]][:2] == [True, False]
    assert (ladder["min_sessions"], ladder["min_comfort"]) == (3, 6)
    assert [s["direction"] for s in ladder["steps"]] == ["start"]
    gate = ladder["gate"]
    assert gate["open"] is False
    assert gate["next_rung"] == "Short supervised visit in the office"
    codes = [r["code"] for r in gate["reasons"]]
    assert "too_few_visits" in codes
    assert f"no_assent_{world.family.child.pk}" in codes


def test_a_case_before_contact_has_no_ladder_yet(
    client: Client, therapist: User, family: Family
) -> None:
    ladder = get(client, f"/cases/{family.case.pk}/ladder", therapist).json()
    assert (ladder["started"], ladder["rungs"], ladder["gate"]) == (False, [], None)


def test_a_step_up_refused_answers_409_with_the_reasons(
    client: Client, therapist: User, world: World
) -> None:
    before = snapshot()
    response = post(client, f"/cases/{world.case.pk}/ladder/step", {"direction": "up"}, therapist)
    assert response.status_code == 409
    data = response.json()
    assert data["detail"].startswith(
        "The way up to 'Short supervised visit in the office' is closed"
    )
    texts = [r["text"] for r in data["reasons"]]
    assert any("0 of 3 consecutive completed contact visits" in t for t in texts)
    assert snapshot() == before
    assert last_event().action == "ladder.step_refused"


def climb_ready(therapist: User, family: Family) -> None:
    """Three visits held and recorded on the first rung, and the child's yes to the second."""
    visits = [schedule_visit(therapist, family, hours=24 * day + 1) for day in (1, 2, 3)]
    with later(days=4):
        for visit in visits:
            pausing.contact_record(
                actor=therapist,
                appointment=visit,
                facts=services.ContactFacts(60, 7, 8, brought_by=family.other),
            )


def assent(therapist: User, family: Family, position: int = 2) -> None:
    services.assent_record(
        actor=therapist,
        case=family.case,
        child=family.child,
        rung=ContactRung.objects.get(ladder__case=family.case, position=position),
        given=True,
        recorded_on=today(),
    )


def test_step_up_once_the_gate_is_open(client: Client, therapist: User, world: World) -> None:
    climb_ready(therapist, world.family)
    with later(days=4, hours=1):
        assent(therapist, world.family)
        body = {"direction": "up", "reason": "Three good visits.", "to_rung": 2}
        response = post(client, f"/cases/{world.case.pk}/ladder/step", body, therapist)
    assert response.status_code == 201, response.json()
    step = response.json()["step"]
    assert (step["direction"], step["from_rung"]["position"], step["to_rung"]["position"]) == (
        "up",
        1,
        2,
    )
    assert step["reason"] == "Three good visits."
    assert response.json()["notify"] == []
    assert last_event().action == "ladder.step_up"


def test_step_up_is_one_rung_at_a_time(client: Client, therapist: User, world: World) -> None:
    before = snapshot()
    body = {"direction": "up", "to_rung": 3}
    response = post(client, f"/cases/{world.case.pk}/ladder/step", body, therapist)
    assert response.status_code == 400
    assert "one rung at a time: the next rung is 2" in response.json()["detail"]
    assert snapshot() == before


def test_step_down_holds_the_visits_above_and_names_whom_to_tell(
    client: Client, therapist: User, world: World
) -> None:
    climb_ready(therapist, world.family)
    with later(days=4, hours=1):
        assent(therapist, world.family)
        services.ladder_step_up(actor=therapist, case=world.case)
        above = schedule_visit(therapist, world.family, hours=24)
        body = {"direction": "down", "on_word_of": "child", "reason": "She asked to slow down."}
        response = post(client, f"/cases/{world.case.pk}/ladder/step", body, therapist)
    assert response.status_code == 201
    data = response.json()
    assert (data["step"]["direction"], data["step"]["to_rung"]["position"]) == ("down", 1)
    assert data["step"]["on_word_of"] == "child"
    assert {p["id"] for p in data["notify"]} == {world.family.child.pk, world.family.estranged.pk}
    above.refresh_from_db()
    assert above.status == "held"
    assert last_event().action == "appointment.hold"
    assert events("ladder.step_down", world.case) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"direction": "down", "on_word_of": "child", "reason": "Too much."}, 400, "first rung"),
        (
            {"direction": "down", "on_word_of": "child", "reason": " "},
            400,
            "reason for stepping down",
        ),
        ({"direction": "down", "reason": "Too much."}, 400, "child's or the therapist's word"),
        ({"direction": "up", "on_word_of": "child"}, 400, "record the child's word as assent"),
        (
            {"direction": "down", "on_word_of": "child", "reason": "x", "to_rung": 7},
            400,
            "no rung 7",
        ),
        ({"direction": "sideways"}, 422, "direction"),
        ({"direction": "down", "on_word_of": "the neighbour"}, 422, "on_word_of"),
    ],
)
def test_a_step_turns_bad_input_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, f"/cases/{world.case.pk}/ladder/step", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_configure_the_ladder(client: Client, therapist: User, world: World) -> None:
    body = {
        "min_sessions": 4,
        "min_comfort": 7,
        "rungs_above": [
            {"name": "Video call", "supervised": True, "in_therapy": True},
            {"name": "Lunch together", "supervised": False, "in_therapy": False},
        ],
    }
    response = put(client, f"/cases/{world.case.pk}/ladder", body, therapist)
    assert response.status_code == 200
    ladder = response.json()
    assert (ladder["min_sessions"], ladder["min_comfort"]) == (4, 7)
    assert [r["name"] for r in ladder["rungs"]] == [
        "Letters and messages",
        "Video call",
        "Lunch together",
    ]
    assert last_event().action == "ladder.configure"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 400, "Nothing to change"),
        ({"min_sessions": 0}, 400, "between 1 and 20"),
        ({"min_comfort": 11}, 400, "between 0 and 10"),
        ({"rungs_above": [{"name": " "}]}, 400, "Each rung's name is required"),
        ({"rungs_above": [{"supervised": True}]}, 422, "rungs_above.0.name"),
        ({"min_sessions": "many"}, 422, "min_sessions"),
    ],
)
def test_configure_turns_bad_input_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = put(client, f"/cases/{world.case.pk}/ladder", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_record_the_childs_assent(client: Client, therapist: User, world: World) -> None:
    body = {
        "child_id": world.family.child.pk,
        "rung": 2,
        "given": False,
        "recorded_on": today().isoformat(),
        "note": "Not yet, maybe after the summer.",
    }
    response = post(client, f"/cases/{world.case.pk}/ladder/assents", body, therapist)
    assert response.status_code == 201
    assert (response.json()["given"], response.json()["rung"]["position"]) == (False, 2)
    assert last_event().action == "ladder.assent"
    gate = get(client, f"/cases/{world.case.pk}/ladder", therapist).json()["gate"]
    assert f"assent_withheld_{world.family.child.pk}" in [r["code"] for r in gate["reasons"]]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"child_id": "estranged"}, 400, "Assent is the child's to give"),
        ({"child_id": 999999}, 400, "There is no child 999999"),
        ({"rung": 12}, 400, "no rung 12"),
        ({"recorded_on": "tomorrow"}, 400, "in the future"),
        ({"given": "perhaps"}, 422, "given"),
    ],
)
def test_an_assent_with_bad_input_is_turned_away(
    client: Client, therapist: User, world: World, change: dict[str, Any], status: int, words: str
) -> None:
    body = WRITES[("post", "/cases/{case}/ladder/assents")](world) | change
    if change.get("child_id") == "estranged":
        body["child_id"] = world.family.estranged.pk
    if change.get("recorded_on") == "tomorrow":
        body["recorded_on"] = (today() + dt.timedelta(days=1)).isoformat()
    before = snapshot()
    response = post(client, f"/cases/{world.case.pk}/ladder/assents", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


# Progress notes, addenda, amendments -------------------------------------------------------


def test_write_a_draft_note(client: Client, therapist: User, world: World) -> None:
    body = {"format": "soap", "body": {"subjective": "Feels hopeful.", "plan": "Next week."}}
    response = post(client, f"/appointments/{world.session.pk}/notes", body, therapist)
    assert response.status_code == 201
    note = response.json()
    assert (note["format"], note["signed"], note["signed_at"]) == ("soap", False, None)
    assert [s["key"] for s in note["sections"]] == ["subjective", "objective", "assessment", "plan"]
    assert note["sections"][0]["text"] == "Feels hopeful."
    assert last_event().action == "note.create"


def test_the_notes_of_a_session(client: Client, therapist: User, world: World) -> None:
    services.addendum_add(actor=therapist, note=world.signed, text="Called the school.")
    response = get(client, f"/appointments/{world.held.pk}/notes", therapist)
    notes = {n["id"]: n for n in response.json()}
    assert set(notes) == {world.draft.pk, world.signed.pk}
    signed = notes[world.signed.pk]
    assert signed["signed"] is True
    assert signed["content_hash"] == world.signed.content_hash
    assert [a["text"] for a in signed["addenda"]] == ["Called the school."]
    assert [r["status"] for r in signed["amendment_requests"]] == ["pending"]
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"format": "dap", "body": {"opinion": "x"}}, 400, "has no section opinion"),
        (
            {"format": "dap", "body": DAP, "safety_concern": True},
            400,
            "Describe the safety concern",
        ),
        ({"format": "haiku", "body": DAP}, 422, "format"),
        ({"format": "dap"}, 422, "body: Field required"),
    ],
)
def test_a_note_with_bad_input_is_turned_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, f"/appointments/{world.session.pk}/notes", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before
    response = put(client, f"/notes/{world.draft.pk}", body, therapist)
    assert response.status_code == status
    assert snapshot() == before


def test_change_a_draft_then_sign_it(client: Client, therapist: User, world: World) -> None:
    body = {"format": "dap", "body": DAP | {"plan": "Meet the mother."}}
    response = put(client, f"/notes/{world.draft.pk}", body, therapist)
    assert response.status_code == 200
    assert response.json()["sections"][2]["text"] == "Meet the mother."
    assert last_event().action == "note.update"
    response = post(client, f"/notes/{world.draft.pk}/sign", {}, therapist)
    assert response.status_code == 200
    assert response.json()["signed"] is True
    assert len(response.json()["content_hash"]) == 64
    assert last_event().action == "note.sign"


def test_sign_what_is_on_the_screen(client: Client, therapist: User, world: World) -> None:
    content = {"format": "dap", "body": DAP | {"plan": "Typed, then signed at once."}}
    response = post(client, f"/notes/{world.draft.pk}/sign", {"content": content}, therapist)
    assert response.status_code == 200
    assert response.json()["sections"][2]["text"] == "Typed, then signed at once."
    note = ProgressNote.objects.get(pk=world.draft.pk)
    assert note.content_hash == services.note_hash(note) == response.json()["content_hash"]
    assert last_event().action == "note.sign"


@pytest.mark.parametrize(
    ("where", "content", "words"),
    [
        ("session", None, "This session has not started yet"),
        ("held", {"format": "dap", "body": DAP | {"plan": ""}}, "still empty: Plan"),
        ("held", {"format": "soap", "body": {"subjective": "x"}}, "still empty: Objective"),
    ],
)
def test_a_note_that_may_not_be_signed_is_refused(
    client: Client,
    therapist: User,
    world: World,
    where: str,
    content: dict[str, Any] | None,
    words: str,
) -> None:
    appointment = getattr(world, where)
    draft = pausing.note_write(actor=therapist, appointment=appointment, format="dap", body=DAP)
    before = snapshot()
    body = {"content": content or {"format": "dap", "body": DAP | {"data": "Ahead."}}}
    response = post(client, f"/notes/{draft.pk}/sign", body, therapist)
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_signed_note_cannot_be_changed(client: Client, therapist: User, world: World) -> None:
    row = ProgressNote.objects.filter(pk=world.signed.pk).values().get()
    before = snapshot()
    body = {"format": "dap", "body": DAP | {"assessment": "Rewritten."}}
    response = put(client, f"/notes/{world.signed.pk}", body, therapist)
    assert response.status_code == 400
    assert "signed and locked; add an addendum" in response.json()["detail"]
    assert ProgressNote.objects.filter(pk=world.signed.pk).values().get() == row
    assert snapshot() == before
    response = post(client, f"/notes/{world.signed.pk}/sign", {}, therapist)
    assert response.status_code == 400
    assert response.json()["detail"] == "This note is already signed."
    assert snapshot() == before


def test_only_the_author_changes_or_signs_a_draft(
    client: Client, supervisor: User, world: World
) -> None:
    colleague = make_user("cotherapist", supervisor=supervisor)
    world.case.co_therapists.add(colleague)
    before = snapshot()
    response = put(client, f"/notes/{world.draft.pk}", {"format": "dap", "body": DAP}, colleague)
    assert response.status_code == 403
    assert post(client, f"/notes/{world.draft.pk}/sign", {}, colleague).status_code == 403
    assert snapshot() == before


def test_add_an_addendum_to_a_signed_note(client: Client, therapist: User, world: World) -> None:
    response = post(client, f"/notes/{world.signed.pk}/addenda", {"text": "Late call."}, therapist)
    assert response.status_code == 201
    addendum = response.json()
    assert (addendum["kind"], addendum["prev_hash"]) == ("addendum", world.signed.content_hash)
    assert last_event().action == "note.addendum"
    listed = get(client, f"/notes/{world.signed.pk}/addenda", therapist).json()
    assert listed == [addendum]


@pytest.mark.parametrize(
    ("which", "words"), [("signed", "is required"), ("draft", "still a draft")]
)
def test_an_addendum_with_bad_input_is_turned_away(
    client: Client, therapist: User, world: World, which: str, words: str
) -> None:
    note = world.signed if which == "signed" else world.draft
    before = snapshot()
    text = " " if which == "signed" else "More."
    response = post(client, f"/notes/{note.pk}/addenda", {"text": text}, therapist)
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_record_and_accept_an_amendment_request(
    client: Client, therapist: User, world: World
) -> None:
    body = WRITES[("post", "/notes/{signed}/amendment-requests")](world)
    response = post(client, f"/notes/{world.signed.pk}/amendment-requests", body, therapist)
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["party"]["id"]) == (
        "pending",
        world.family.other.pk,
    )
    assert last_event().action == "amendment.request"
    decision = WRITES[("post", "/amendment-requests/{amendment}/decision")](world)
    response = post(
        client, f"/amendment-requests/{response.json()['id']}/decision", decision, therapist
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by"]) == ("accepted", "therapist")
    assert last_event().action == "amendment.accept"
    addenda = get(client, f"/notes/{world.signed.pk}/addenda", therapist).json()
    assert addenda[-1]["kind"] == "amendment"


def test_deny_an_amendment_with_the_partys_disagreement(
    client: Client, therapist: User, world: World
) -> None:
    body = {
        "decision": "deny",
        "reason": "The note records what was said.",
        "disagreement_statement": "I still say I was sad.",
    }
    response = post(client, f"/amendment-requests/{world.amendment.pk}/decision", body, therapist)
    assert response.status_code == 200
    assert response.json()["status"] == "denied"
    kinds = [a["kind"] for a in get(client, f"/notes/{world.signed.pk}/addenda", therapist).json()]
    assert kinds == ["denial", "disagreement"]
    before = snapshot()
    again = post(client, f"/amendment-requests/{world.amendment.pk}/decision", body, therapist)
    assert again.status_code == 400
    assert again.json()["detail"] == "This request has already been decided."
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"decision": "accept", "reason": "Fair."}, 400, "The amended text is required"),
        ({"decision": "deny", "reason": " "}, 400, "reason for the decision is required"),
        ({"decision": "maybe", "reason": "Hm."}, 422, "decision"),
    ],
)
def test_an_amendment_decision_with_bad_input_is_turned_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, f"/amendment-requests/{world.amendment.pk}/decision", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("which", "change", "words"),
    [
        ("draft", {}, "Only a signed note can be amended"),
        ("signed", {"party_id": 999999}, "There is no party 999999"),
        ("signed", {"request_text": " "}, "is required"),
        ("signed", {"received_on": "tomorrow"}, "in the future"),
    ],
)
def test_an_amendment_request_with_bad_input_is_turned_away(
    client: Client, therapist: User, world: World, which: str, change: dict[str, Any], words: str
) -> None:
    note = world.signed if which == "signed" else world.draft
    body = WRITES[("post", "/notes/{signed}/amendment-requests")](world) | change
    if change.get("received_on") == "tomorrow":
        body["received_on"] = (today() + dt.timedelta(days=1)).isoformat()
    before = snapshot()
    response = post(client, f"/notes/{note.pk}/amendment-requests", body, therapist)
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert snapshot() == before


# Psychotherapy notes -----------------------------------------------------------------------


def test_write_and_read_a_psychotherapy_note(client: Client, therapist: User, world: World) -> None:
    body = {"text": "Wondering about the grandmother's role.", "appointment_id": world.session.pk}
    response = post(client, f"/cases/{world.case.pk}/psychotherapy-notes", body, therapist)
    assert response.status_code == 201
    assert response.json()["appointment_id"] == world.session.pk
    assert response.json()["shared_with_supervisor"] is False
    event = last_event()
    assert event.action == "psychotherapy_note.create"
    assert "grandmother" not in str(event.detail)
    listed = get(client, f"/cases/{world.case.pk}/psychotherapy-notes", therapist).json()
    assert {n["text"] for n in listed} == {SECRET, body["text"]}


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"text": "  "}, 400, "The note is required"),
        ({"text": "x", "appointment_id": 999999}, 400, "There is no session 999999"),
        ({}, 422, "text: Field required"),
    ],
)
def test_a_psychotherapy_note_with_bad_input_is_turned_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, f"/cases/{world.case.pk}/psychotherapy-notes", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_psychotherapy_note_is_for_its_author_and_a_supervisor_it_was_shared_with(
    client: Client, therapist: User, supervisor: User, world: World
) -> None:
    path = f"/cases/{world.case.pk}/psychotherapy-notes"
    colleague = make_user("cotherapist", supervisor=supervisor)
    world.case.co_therapists.add(colleague)
    assert get(client, path, colleague).json() == []
    assert [n["text"] for n in get(client, path, supervisor).json()] == [SECRET]

    response = post(
        client, f"/psychotherapy-notes/{world.pnote.pk}/share", {"shared": False}, therapist
    )
    assert response.status_code == 200
    assert response.json()["shared_with_supervisor"] is False
    assert last_event().action == "psychotherapy_note.unshare"
    response = get(client, path, supervisor)
    assert response.json() == []
    assert SECRET not in response.content.decode()
    # Nor can the supervisor or a colleague share what they cannot read.
    for stranger in (supervisor, colleague):
        before = snapshot()
        share = post(
            client, f"/psychotherapy-notes/{world.pnote.pk}/share", {"shared": True}, stranger
        )
        assert share.status_code == 404
        assert snapshot() == before


def every_read(world: World) -> list[str]:
    paths = [world.path(t) for t in READS if "psychotherapy" not in t]
    paths += [
        f"/appointments/{world.visit.pk}",
        f"/appointments/{world.visit.pk}/notes",
        f"/cases/{world.case.pk}",
        f"/cases/{world.case.pk}/timeline",
        f"/cases/{world.case.pk}/access-log",
        "/visits",
        "/cases",
    ]
    return paths


def test_a_psychotherapy_note_appears_in_no_other_response(
    client: Client, therapist: User, supervisor: User, monitor: User, world: World
) -> None:
    services.psychotherapy_note_write(
        actor=therapist, case=world.case, text=SECRET, appointment=world.session
    )
    services.psychotherapy_note_write(
        actor=therapist, case=world.case, text=SECRET, appointment=world.visit
    )
    for user in (therapist, supervisor, monitor):
        for path in every_read(world):
            response = get(client, path, user, include_past="true")
            assert SECRET not in response.content.decode(), (user, path)
    assert not any(SECRET in str(e.detail) for e in Event.objects.all())


# Attendance and integration ----------------------------------------------------------------


def test_attendance_counts_held_against_due_per_party(
    client: Client, therapist: User, world: World
) -> None:
    missed = schedule_session(therapist, world.family, hours=30)
    with later(days=2):
        services.appointment_complete(actor=therapist, appointment=world.session)
        services.appointment_no_show(
            actor=therapist, appointment=missed, party=world.family.estranged
        )
        response = get(client, f"/cases/{world.case.pk}/attendance", therapist)
    assert response.status_code == 200
    rows = {r["party"]["role"]: r for r in response.json()}
    assert set(rows) == {"child", "estranged_parent", "other_parent"}
    father = rows["estranged_parent"]
    # Due so far: the held one, the session, the missed one and the contact visit (still
    # scheduled).
    assert (father["held"], father["due"], father["no_shows"]) == (2, 4, 1)
    assert father["summary"] == "2 of 4 held"
    assert viewed(therapist, world.case, "attendance")


def test_record_the_parenting_arrangement(client: Client, therapist: User, family: Family) -> None:
    advance_to(therapist, family, "integration")
    body = {
        "description": "Alternate weekends; Wednesday dinners.",
        "effective_on": today().isoformat(),
    }
    response = post(client, f"/cases/{family.case.pk}/arrangement", body, therapist)
    assert response.status_code == 201
    assert response.json()["description"] == body["description"]
    assert last_event().action == "arrangement.record"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"description": "Weekends.", "effective_on": "__today__"}, 400, "recorded in integration"),
        ({"description": "Weekends."}, 422, "effective_on: Field required"),
    ],
)
def test_an_arrangement_before_integration_is_turned_away(
    client: Client, therapist: User, world: World, body: dict[str, Any], status: int, words: str
) -> None:
    if body.get("effective_on") == "__today__":
        body = body | {"effective_on": today().isoformat()}
    before = snapshot()
    response = post(client, f"/cases/{world.case.pk}/arrangement", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_an_empty_arrangement_is_turned_away(
    client: Client, therapist: User, family: Family
) -> None:
    advance_to(therapist, family, "integration")
    before = snapshot()
    body = {"description": " ", "effective_on": today().isoformat()}
    response = post(client, f"/cases/{family.case.pk}/arrangement", body, therapist)
    assert response.status_code == 400
    assert response.json()["detail"] == "The arrangement is required."
    assert snapshot() == before


# The document ------------------------------------------------------------------------------

PATHS = {
    "/api/v1/cases/{id}/appointments": {"get", "post"},
    "/api/v1/visits": {"get"},
    "/api/v1/appointments/{id}": {"get"},
    "/api/v1/appointments/{id}/reschedule": {"post"},
    "/api/v1/appointments/{id}/cancel": {"post"},
    "/api/v1/appointments/{id}/complete": {"post"},
    "/api/v1/appointments/{id}/no-show": {"post"},
    "/api/v1/appointments/{id}/contact-record": {"post"},
    "/api/v1/cases/{id}/ladder": {"get", "put"},
    "/api/v1/cases/{id}/ladder/step": {"post"},
    "/api/v1/cases/{id}/ladder/assents": {"post"},
    "/api/v1/appointments/{id}/notes": {"get", "post"},
    "/api/v1/notes/{id}": {"put"},
    "/api/v1/notes/{id}/sign": {"post"},
    "/api/v1/notes/{id}/addenda": {"get", "post"},
    "/api/v1/notes/{id}/amendment-requests": {"post"},
    "/api/v1/amendment-requests/{id}/decision": {"post"},
    "/api/v1/cases/{id}/psychotherapy-notes": {"get", "post"},
    "/api/v1/psychotherapy-notes/{id}/share": {"post"},
    "/api/v1/cases/{id}/attendance": {"get"},
    "/api/v1/cases/{id}/arrangement": {"post"},
}


def test_the_openapi_document_lists_every_clinical_operation(client: Client) -> None:
    document = client.get(f"{API}/openapi.json").json()
    listed = {path: set(ops) for path, ops in document["paths"].items()}
    for path, methods in PATHS.items():
        assert listed.get(path) == methods, path
    operation_ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    step = document["paths"]["/api/v1/cases/{id}/ladder/step"]["post"]["responses"]
    assert "409" in step
    record = document["paths"]["/api/v1/appointments/{id}/contact-record"]["post"]["responses"]
    schema = record["400"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("/OpinionWarningOut")
