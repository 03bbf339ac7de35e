"""Progress notes: drafts, signing under a hash, the database lock, addenda in a chain, the
verify command, and a party's request to amend."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.http import Http404
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import PartyRole, ResumeConditions
from reunify.clinical import services
from reunify.clinical.models import (
    Addendum,
    AddendumKind,
    AmendmentRequest,
    AmendmentStatus,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    NoteFormat,
    ProgressNote,
)
from reunify.clinical.services import addendum_hash, note_hash, notes_verify
from reunify.clinical.tests.factories import (
    DAP,
    DAY,
    SOAP,
    held_session,
    in_contact,
    lift_locks,
    make_appointment,
    make_note,
    make_visit,
    paused,
    stopped_clock,
)
from reunify.conftest import Family, add_party, fresh, last_event, make_user, screen
from reunify.process import pausing, transitions


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def session(therapist: User, family: Family, clock: Any) -> Appointment:
    """An individual session with the estranged parent, held yesterday."""
    return held_session(therapist, family, clock)


@pytest.fixture
def signed(therapist: User, session: Appointment) -> ProgressNote:
    return make_note(therapist, session, sign=True)


@pytest.fixture
def co_therapist(therapist: User, family: Family) -> User:
    colleague = make_user("cotherapist", supervisor=therapist.supervisor)
    family.case.co_therapists.add(colleague)
    return colleague


def row(note: ProgressNote) -> ProgressNote:
    return ProgressNote.objects.get(pk=note.pk)


def add(therapist: User, note: ProgressNote, text: str) -> Addendum:
    return services.addendum_add(actor=therapist, note=note, text=text)


# --- drafts ------------------------------------------------------------------------------------


def test_a_dap_note_keeps_its_three_sections(therapist, session):
    note = make_note(
        therapist,
        session,
        body={"data": "  Mia spoke about school. ", "assessment": "Engaged.", "plan": ""},
    )

    note = row(note)
    assert note.format == NoteFormat.DAP
    assert note.body == {"data": "Mia spoke about school.", "assessment": "Engaged.", "plan": ""}
    assert note.sections() == [
        ("Data", "Mia spoke about school."),
        ("Assessment", "Engaged."),
        ("Plan", ""),
    ]
    assert (note.author, note.case, note.is_signed) == (therapist, session.case, False)
    event = last_event()
    assert (event.action, event.object_id) == ("note.create", str(note.pk))
    assert event.detail == {"appointment": session.pk, "safety_concern": False}


def test_a_soap_note_keeps_its_four_sections(therapist, session):
    note = row(make_note(therapist, session, format=NoteFormat.SOAP))
    assert [label for label, _ in note.sections()] == [
        "Subjective",
        "Objective",
        "Assessment",
        "Plan",
    ]
    assert note.body == SOAP


@pytest.mark.parametrize(
    ("format", "body", "message"),
    [
        (NoteFormat.DAP, {"subjective": "x"}, "A DAP note has no section subjective"),
        (NoteFormat.SOAP, {"data": "x", "plan": "y"}, "A SOAP note has no section data"),
        ("narrative", {"data": "x"}, "Unknown note format"),
    ],
)
def test_sections_that_do_not_belong_to_the_format_are_refused(
    therapist, session, format, body, message
):
    with pytest.raises(ValidationError, match=message):
        make_note(therapist, session, format=format, body=body)
    assert not ProgressNote.objects.exists()


def test_a_cancelled_session_has_no_note(therapist, family):
    appointment = make_appointment(therapist, family)
    services.appointment_cancel(
        actor=therapist, appointment=appointment, cancelled_by=CancelledBy.THERAPIST
    )
    with pytest.raises(ValidationError, match="cancelled session has no progress note"):
        make_note(therapist, appointment)


def test_its_author_changes_a_draft(therapist, session, clock):
    note = make_note(therapist, session)
    clock.shift(dt.timedelta(minutes=5))

    pausing.note_write(
        actor=therapist,
        appointment=session,
        format=NoteFormat.SOAP,
        body=SOAP,
        note=note,
    )

    note = row(note)
    assert (note.format, note.body) == (NoteFormat.SOAP, SOAP)
    assert note.updated_at == timezone.now() != note.created_at
    assert last_event().action == "note.update"


def test_nobody_else_changes_a_draft(therapist, session, co_therapist, outsider, monitor):
    note = make_note(therapist, session)

    with pytest.raises(PermissionDenied, match="Only the author"):
        pausing.note_write(
            actor=co_therapist, appointment=session, format="dap", body={"data": "x"}, note=note
        )
    for stranger in (outsider, monitor):
        with pytest.raises(Http404):
            pausing.note_write(
                actor=stranger, appointment=session, format="dap", body={"data": "x"}, note=note
            )
    assert row(note).body == DAP


def test_a_draft_belongs_to_its_own_session(therapist, family, session, clock):
    note = make_note(therapist, session)
    other_session = held_session(therapist, family, clock)
    with pytest.raises(ValidationError, match="belongs to another session"):
        pausing.note_write(
            actor=therapist, appointment=other_session, format="dap", body=DAP, note=note
        )


# --- signing -----------------------------------------------------------------------------------


def test_signing_locks_the_note_under_a_hash(therapist, session):
    note = make_note(therapist, session)

    services.note_sign(actor=therapist, note=note)

    note = row(note)
    assert note.is_signed and note.signed_at == timezone.now()
    assert len(note.content_hash) == 64
    assert note.content_hash == note_hash(note)
    event = last_event()
    assert (event.action, event.detail) == ("note.sign", {"hash": note.content_hash})


def test_the_hash_covers_the_content(therapist, signed):
    changed = row(signed)
    changed.body = {**changed.body, "plan": "Something else."}
    assert note_hash(changed) != signed.content_hash


def test_only_the_author_signs_and_only_once(therapist, session, co_therapist):
    note = make_note(therapist, session)
    with pytest.raises(PermissionDenied, match="Only the author signs"):
        services.note_sign(actor=co_therapist, note=note)
    assert not row(note).is_signed

    services.note_sign(actor=therapist, note=note)
    with pytest.raises(ValidationError, match="already signed"):
        services.note_sign(actor=therapist, note=note)


def test_an_empty_note_is_not_signed(therapist, session):
    note = make_note(therapist, session, body={"data": " ", "assessment": "", "plan": ""})
    with pytest.raises(ValidationError, match="empty note cannot be signed"):
        services.note_sign(actor=therapist, note=note)


def test_signing_with_the_content_on_screen_saves_and_signs_it(therapist, session):
    note = make_note(therapist, session)
    on_screen = services.NoteContent(format="dap", body={**DAP, "plan": "Edited, not saved."})

    services.note_sign(actor=therapist, note=note, content=on_screen)

    note = row(note)
    assert note.is_signed and note.body["plan"] == "Edited, not saved."
    assert note.content_hash == note_hash(note)
    assert [e.action for e in Event.objects.order_by("-id")[:2]] == ["note.sign", "note.update"]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (None, "has not started yet"),
        (AppointmentStatus.SCHEDULED, "still scheduled; record it as held"),
        (AppointmentStatus.HELD, "a note is signed only for a session that took place"),
        (AppointmentStatus.CANCELLED, "was cancelled"),
    ],
)
def test_a_note_is_signed_only_for_a_session_that_took_place(
    therapist, family, clock, status, message
):
    appointment = make_appointment(therapist, family)
    note = make_note(therapist, appointment)
    if status is not None:
        clock.move_to(appointment.starts_at + dt.timedelta(hours=1))
        Appointment.objects.filter(pk=appointment.pk).update(status=status)
    on_screen = services.NoteContent(format="dap", body={**DAP, "data": "Never happened."})
    events_before = Event.objects.count()

    with pytest.raises(ValidationError, match=message):
        services.note_sign(actor=therapist, note=note, content=on_screen)

    assert not row(note).is_signed and row(note).body == DAP
    assert Event.objects.count() == events_before


def test_a_missed_session_takes_a_signed_note(therapist, family, clock):
    appointment = make_appointment(therapist, family)
    clock.move_to(appointment.starts_at + dt.timedelta(hours=1))
    services.appointment_no_show(actor=therapist, appointment=appointment, party=family.estranged)
    assert row(make_note(therapist, appointment, sign=True)).is_signed


@pytest.mark.parametrize(
    ("format", "body", "empty"),
    [
        (NoteFormat.DAP, {**DAP, "assessment": " "}, "Assessment"),
        (NoteFormat.SOAP, {**SOAP, "objective": "", "plan": ""}, "Objective, Plan"),
    ],
)
def test_every_section_is_filled_in_before_signing(therapist, session, format, body, empty):
    note = make_note(therapist, session, format=format, body=body)
    with pytest.raises(ValidationError, match=f"still empty: {empty}"):
        services.note_sign(actor=therapist, note=note)
    assert not row(note).is_signed


def test_a_signed_note_is_not_changed_through_the_service(therapist, session, signed):
    with pytest.raises(ValidationError, match="signed and locked; add an addendum"):
        pausing.note_write(
            actor=therapist,
            appointment=session,
            format="dap",
            body={"data": "Rewritten."},
            note=signed,
        )
    assert row(signed).body == DAP


def test_the_database_refuses_to_update_a_signed_note(therapist, signed):
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        ProgressNote.objects.filter(pk=signed.pk).update(body={"data": "Rewritten."})

    note = row(signed)
    note.body = {"data": "Rewritten again."}
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        note.save()

    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        ProgressNote.objects.filter(pk=signed.pk).update(signed_at=None, content_hash="")

    assert row(signed).body == DAP
    assert row(signed).is_signed


def test_the_database_refuses_to_delete_a_signed_note(therapist, signed):
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        row(signed).delete()
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        ProgressNote.objects.filter(pk=signed.pk).delete()
    assert ProgressNote.objects.filter(pk=signed.pk).exists()


def test_the_database_lets_a_draft_change(therapist, session):
    note = make_note(therapist, session)
    ProgressNote.objects.filter(pk=note.pk).update(body={"data": "Changed."})
    assert row(note).body == {"data": "Changed."}


# --- addenda -----------------------------------------------------------------------------------


def test_addenda_form_a_chain_from_the_note(therapist, signed, clock):
    first = add(therapist, signed, "  The session ended ten minutes early. ")
    clock.shift(dt.timedelta(minutes=1))
    second = add(therapist, signed, "Mia's teacher called afterwards.")
    third = add(therapist, signed, "Corrected the date of the next session.")

    first, second, third = (Addendum.objects.get(pk=a.pk) for a in (first, second, third))
    assert first.text == "The session ended ten minutes early."
    assert first.prev_hash == signed.content_hash
    assert second.prev_hash == first.content_hash
    assert third.prev_hash == second.content_hash
    assert all(a.content_hash == addendum_hash(a) for a in (first, second, third))
    assert all(a.kind == AddendumKind.ADDENDUM and a.author == therapist for a in (first, third))
    event = last_event()
    assert (event.action, event.detail) == (
        "note.addendum",
        {"note": signed.pk, "hash": third.content_hash},
    )


def test_a_draft_takes_no_addendum_and_an_addendum_needs_words(therapist, session, signed):
    draft = make_note(therapist, session)
    with pytest.raises(ValidationError, match="still a draft"):
        add(therapist, draft, "Too early.")
    with pytest.raises(ValidationError, match="addendum is required"):
        add(therapist, signed, "   ")
    assert not Addendum.objects.exists()


def test_the_database_refuses_to_change_or_delete_an_addendum(therapist, signed):
    addendum = add(therapist, signed, "The session ended ten minutes early.")

    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(text="Nothing happened.")
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(content_hash="pending")
    with pytest.raises(DatabaseError, match=r"cannot be (deleted|changed)"), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).delete()

    assert Addendum.objects.get(pk=addendum.pk).text == "The session ended ten minutes early."


# --- verifying ---------------------------------------------------------------------------------


def test_verify_passes_when_every_signed_record_is_intact(therapist, signed, session):
    add(therapist, signed, "One.")
    add(therapist, signed, "Two.")
    make_note(therapist, session)  # a draft is not checked

    assert notes_verify() == (3, [])
    out = StringIO()
    call_command("notes", "verify", stdout=out)
    assert "all 3 signed notes and addenda match their hashes" in out.getvalue()


def test_verify_finds_a_note_changed_behind_the_locks(therapist, signed, family):
    add(therapist, signed, "One.")
    lift_locks()
    ProgressNote.objects.filter(pk=signed.pk).update(body={**DAP, "plan": "Custody to Laura."})

    checked, bad = notes_verify()

    assert checked == 2
    assert [(b.what, b.pk, b.case_id) for b in bad] == [
        ("progress note", signed.pk, family.case.pk)
    ]
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 2 signed records fail verification"):
        call_command("notes", "verify", stderr=err)
    assert f"progress note {signed.pk} (case {family.case.pk}) no longer matches" in (
        err.getvalue()
    )


def test_verify_finds_an_addendum_changed_behind_the_locks(therapist, signed, family):
    first = add(therapist, signed, "One.")
    second = add(therapist, signed, "Two.")
    lift_locks()
    Addendum.objects.filter(pk=first.pk).update(text="Nothing happened.")

    _, bad = notes_verify()

    assert [(b.what, b.pk) for b in bad] == [("addendum", first.pk)]
    with pytest.raises(CommandError, match="1 of 3"):
        call_command("notes", "verify", stderr=StringIO())
    assert Addendum.objects.filter(pk=second.pk).exists()


def test_verify_finds_an_addendum_cut_out_of_the_chain(therapist, signed):
    add(therapist, signed, "One.")
    second = add(therapist, signed, "Two.")
    third = add(therapist, signed, "Three.")
    lift_locks()
    Addendum.objects.filter(pk=second.pk).delete()

    _, bad = notes_verify()

    assert [(b.what, b.pk) for b in bad] == [("addendum", third.pk)]


def test_verify_finds_a_note_signed_again_behind_the_locks(therapist, signed):
    lift_locks()
    ProgressNote.objects.filter(pk=signed.pk).update(signed_at=timezone.now() + DAY)
    _, bad = notes_verify()
    assert [b.pk for b in bad] == [signed.pk]


# --- amendment requests ------------------------------------------------------------------------


def request(therapist: User, note: ProgressNote, family: Family, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "party": family.estranged,
        "received_on": timezone.localdate(),
        "request_text": "I did not raise my voice; please correct the note.",
    }
    fields.update(overrides)
    return services.amendment_request_record(actor=therapist, note=note, **fields)


def test_a_party_asks_to_amend_a_signed_note(therapist, signed, family):
    asked = request(therapist, signed, family)

    asked = AmendmentRequest.objects.get(pk=asked.pk)
    assert (asked.status, asked.party, asked.note) == (
        AmendmentStatus.PENDING,
        family.estranged,
        signed,
    )
    assert asked.recorded_by == therapist
    assert last_event().action == "amendment.request"


def test_an_accepted_request_becomes_an_amendment_addendum(therapist, signed, family):
    asked = request(therapist, signed, family)

    decided = services.amendment_decide(
        actor=therapist,
        request=asked,
        accept=True,
        reason="The recording confirms it.",
        amendment_text="Daniel spoke calmly throughout.",
    )

    assert (decided.status, decided.decided_by) == (AmendmentStatus.ACCEPTED, therapist)
    assert decided.decided_at == timezone.now()
    assert decided.decision_reason == "The recording confirms it."
    amendment = Addendum.objects.get(note=signed)
    assert amendment.kind == AddendumKind.AMENDMENT
    assert (
        amendment.text == "Daniel spoke calmly throughout.\n\n(Reason: The recording confirms it.)"
    )
    assert amendment.prev_hash == signed.content_hash
    assert row(signed).body == DAP
    assert last_event().action == "amendment.accept"


def test_a_denied_request_appends_the_denial_and_the_partys_disagreement(therapist, signed, family):
    first = add(therapist, signed, "Earlier addendum.")
    asked = request(therapist, signed, family)

    decided = services.amendment_decide(
        actor=therapist,
        request=asked,
        accept=False,
        reason="The note records what was observed.",
        disagreement_statement="  I maintain that I was calm.  ",
    )

    assert decided.status == AmendmentStatus.DENIED
    denial, disagreement = Addendum.objects.filter(note=signed).exclude(pk=first.pk)
    assert (denial.kind, denial.text) == (
        AddendumKind.DENIAL,
        "The note records what was observed.",
    )
    assert (disagreement.kind, disagreement.text) == (
        AddendumKind.DISAGREEMENT,
        "I maintain that I was calm.",
    )
    assert denial.prev_hash == first.content_hash
    assert disagreement.prev_hash == denial.content_hash
    assert notes_verify()[1] == []
    assert last_event().action == "amendment.deny"


def test_a_denial_without_a_statement_appends_only_the_denial(therapist, signed, family):
    asked = request(therapist, signed, family)
    services.amendment_decide(actor=therapist, request=asked, accept=False, reason="Accurate.")
    assert list(Addendum.objects.values_list("kind", flat=True)) == [AddendumKind.DENIAL]


def test_a_request_is_decided_once(therapist, signed, family):
    asked = request(therapist, signed, family)
    services.amendment_decide(actor=therapist, request=asked, accept=False, reason="Accurate.")

    for accept in (True, False):
        with pytest.raises(ValidationError, match="already been decided"):
            services.amendment_decide(
                actor=therapist,
                request=asked,
                accept=accept,
                reason="Changed my mind.",
                amendment_text="New text.",
            )
    assert Addendum.objects.count() == 1
    assert AmendmentRequest.objects.get(pk=asked.pk).status == AmendmentStatus.DENIED


def test_a_decision_gives_its_reason_and_an_acceptance_its_text(therapist, signed, family):
    asked = request(therapist, signed, family)
    with pytest.raises(ValidationError, match="reason for the decision is required"):
        services.amendment_decide(actor=therapist, request=asked, accept=False, reason=" ")
    with pytest.raises(ValidationError, match="amended text is required"):
        services.amendment_decide(actor=therapist, request=asked, accept=True, reason="Fair.")
    assert AmendmentRequest.objects.get(pk=asked.pk).status == AmendmentStatus.PENDING
    assert not Addendum.objects.exists()


def test_a_professional_party_cannot_ask_to_amend(therapist, signed, family):
    attorney = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Jo", "Lee", represents=family.estranged
    )
    with pytest.raises(ValidationError, match="Only a family member"):
        request(therapist, signed, family, party=attorney)
    assert not AmendmentRequest.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("draft", "Only a signed note"),
        ("future", "in the future"),
        ("other_family", "does not belong to this case"),
        ("no_text", "What the party asks to change is required"),
    ],
)
def test_bad_amendment_requests_are_refused(
    therapist, session, signed, family, other_family, change, message
):
    note, overrides = signed, {}
    if change == "draft":
        note = make_note(therapist, session)
    elif change == "future":
        overrides = {"received_on": timezone.localdate() + DAY}
    elif change == "other_family":
        overrides = {"party": other_family.estranged}
    else:
        overrides = {"request_text": "  "}
    with pytest.raises(ValidationError, match=message):
        request(therapist, note, family, **overrides)
    assert not AmendmentRequest.objects.exists()


# --- a safety concern in a note ----------------------------------------------------------------


def test_a_safety_concern_in_a_draft_pauses_the_case_and_holds_contact_visits(
    therapist, family, clock
):
    in_contact(therapist, family)
    visits = [make_visit(therapist, family) for _ in range(2)]
    session = held_session(
        therapist, family, clock, AppointmentKind.INDIVIDUAL, participants=[family.child]
    )
    visits = [Appointment.objects.get(pk=v.pk) for v in visits]
    upcoming = make_visit(therapist, family)

    note = make_note(
        therapist,
        session,
        safety_concern=True,
        safety_concern_note="Mia described being hit last weekend.",
    )

    assert not note.is_signed
    case = fresh(family.case)
    assert case.is_paused
    assert case.pause_reason.startswith("safety concern raised in the note of ")
    assert case.pause_reason.endswith("Mia described being hit last weekend.")
    upcoming.refresh_from_db()
    assert upcoming.status == AppointmentStatus.HELD
    assert upcoming.status_note.startswith("case paused: safety concern")
    assert [e.action for e in Event.objects.filter(case_id=case.pk).order_by("-id")[:3]] == [
        "appointment.hold",
        "case.pause",
        "note.create",
    ]
    # Visits whose time has passed are left as they were.
    assert {Appointment.objects.get(pk=v.pk).status for v in visits} == {
        AppointmentStatus.SCHEDULED
    }


def test_adding_a_safety_concern_to_a_draft_pauses_the_case(therapist, family, session):
    note = make_note(therapist, session)
    assert not paused(family.case)

    pausing.note_write(
        actor=therapist,
        appointment=session,
        format="dap",
        body=DAP,
        note=note,
        safety_concern=True,
        safety_concern_note="Daniel arrived intoxicated.",
    )

    assert paused(family.case)
    assert "Daniel arrived intoxicated." in fresh(family.case).pause_reason


def test_signing_a_draft_that_raised_its_concern_already_does_not_pause_again(
    therapist, family, clock
):
    screen(therapist, family.case)
    session = held_session(therapist, family, clock)
    note = make_note(
        therapist, session, safety_concern=True, safety_concern_note="Daniel arrived intoxicated."
    )
    clock.shift(DAY)
    screen(therapist, family.case)
    transitions.case_resume(
        actor=therapist, case=family.case, conditions=[ResumeConditions.FAMILY_STABILISATION]
    )
    on_screen = services.NoteContent(
        format="dap",
        body=DAP,
        safety_concern=True,
        safety_concern_note="Daniel arrived intoxicated.",
    )

    pausing.note_sign(actor=therapist, note=note, content=on_screen)

    assert row(note).is_signed
    assert not paused(family.case)


def test_signing_with_a_new_safety_concern_pauses_the_case(therapist, family, session):
    note = make_note(therapist, session)
    on_screen = services.NoteContent(
        format="dap", body=DAP, safety_concern=True, safety_concern_note="Mia is scared at home."
    )

    pausing.note_sign(actor=therapist, note=note, content=on_screen)

    assert row(note).is_signed
    assert paused(family.case)
    assert fresh(family.case).pause_reason.endswith("Mia is scared at home.")


def test_a_safety_concern_needs_a_description(therapist, family, session):
    with pytest.raises(ValidationError, match="Describe the safety concern"):
        make_note(therapist, session, safety_concern=True, safety_concern_note=" ")
    assert not paused(family.case)
    assert not ProgressNote.objects.exists()


def test_resuming_after_a_concern_in_a_note_needs_a_fresh_screen(therapist, family, clock):
    screen(therapist, family.case)
    session = held_session(therapist, family, clock)
    make_note(therapist, session, safety_concern=True, safety_concern_note="Threat reported.")

    with pytest.raises(ValidationError, match="fresh safety screen"):
        transitions.case_resume(
            actor=therapist,
            case=family.case,
            conditions=[ResumeConditions.FURTHER_INDIVIDUAL_THERAPY],
        )
    assert paused(family.case)

    clock.shift(DAY)
    screen(therapist, family.case)
    transitions.case_resume(
        actor=therapist, case=family.case, conditions=[ResumeConditions.FURTHER_INDIVIDUAL_THERAPY]
    )
    assert not paused(family.case)
