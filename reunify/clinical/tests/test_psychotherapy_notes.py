"""Psychotherapy notes are kept apart: only their author reads them, their supervisor only when
shared, and their words appear in no log, timeline or listing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.http import Http404

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.models import Event
from reunify.cases.selectors import case_timeline
from reunify.clinical import services
from reunify.clinical.models import Appointment, ProgressNote, PsychotherapyNote
from reunify.clinical.selectors import appointments_of, psychotherapy_notes_for
from reunify.clinical.tests.factories import (
    held_session,
    make_note,
    stopped_clock,
)
from reunify.conftest import Family, last_event, make_user
from reunify.process import transitions

SECRET = "I wonder whether my own divorce colours how I hear Laura."


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def session(therapist: User, family: Family, clock: Any) -> Appointment:
    return held_session(therapist, family, clock)


@pytest.fixture
def pnote(therapist: User, family: Family, session: Appointment) -> PsychotherapyNote:
    return services.psychotherapy_note_write(
        actor=therapist, case=family.case, text=SECRET, appointment=session
    )


@pytest.fixture
def co_therapist(therapist: User, family: Family) -> User:
    colleague = make_user("cotherapist", supervisor=therapist.supervisor)
    family.case.co_therapists.add(colleague)
    return colleague


def readers(note: PsychotherapyNote, *users: User) -> list[User]:
    return [u for u in users if access.may_read_psychotherapy_note(u, note)]


def listed_for(user: User, case: Any) -> list[PsychotherapyNote]:
    return list(psychotherapy_notes_for(user, case))


def test_it_keeps_a_psychotherapy_note_for_its_author(therapist, family, session, pnote):
    note = PsychotherapyNote.objects.get(pk=pnote.pk)
    assert (note.text, note.author, note.appointment, note.shared_with_supervisor) == (
        SECRET,
        therapist,
        session,
        False,
    )
    event = last_event()
    assert (event.action, event.object_id) == ("psychotherapy_note.create", str(note.pk))


def test_only_the_author_reads_it_until_it_is_shared(
    therapist, supervisor, co_therapist, outsider, monitor, family, pnote
):
    everyone = (therapist, supervisor, co_therapist, outsider, monitor)
    assert readers(pnote, *everyone) == [therapist]
    assert [u for u in everyone if listed_for(u, family.case)] == [therapist]


def test_a_shared_note_is_read_by_the_authors_supervisor_only(
    therapist, supervisor, co_therapist, outsider, family, pnote
):
    other_supervisor = outsider.supervisor
    colleague_supervisor = make_user("colleaguesupervisor", Role.SUPERVISOR)

    services.psychotherapy_note_share(actor=therapist, note=pnote, shared=True)

    pnote = PsychotherapyNote.objects.get(pk=pnote.pk)
    assert pnote.shared_with_supervisor
    everyone = (therapist, supervisor, co_therapist, outsider, other_supervisor)
    assert readers(pnote, *everyone, colleague_supervisor) == [therapist, supervisor]
    assert [u for u in everyone if listed_for(u, family.case)] == [therapist, supervisor]
    assert last_event().action == "psychotherapy_note.share"


def test_unsharing_takes_it_back_from_the_supervisor(therapist, supervisor, family, pnote):
    services.psychotherapy_note_share(actor=therapist, note=pnote, shared=True)
    services.psychotherapy_note_share(actor=therapist, note=pnote, shared=False)

    pnote = PsychotherapyNote.objects.get(pk=pnote.pk)
    assert readers(pnote, therapist, supervisor) == [therapist]
    assert listed_for(supervisor, family.case) == []
    assert last_event().action == "psychotherapy_note.unshare"


def test_a_supervisor_who_wrote_one_is_its_author(supervisor, therapist, family):
    family.case.co_therapists.add(supervisor)
    own = services.psychotherapy_note_write(actor=supervisor, case=family.case, text="Mine.")
    assert readers(own, supervisor, therapist) == [supervisor]


def test_only_the_author_shares_it(therapist, supervisor, co_therapist, pnote):
    for stranger in (supervisor, co_therapist):
        with pytest.raises(PermissionDenied, match="Only the author"):
            services.psychotherapy_note_share(actor=stranger, note=pnote, shared=True)
    assert not PsychotherapyNote.objects.get(pk=pnote.pk).shared_with_supervisor


def test_an_inactive_author_reads_nothing(therapist, family, pnote):
    User.objects.filter(pk=therapist.pk).update(is_active=False)
    therapist.refresh_from_db()
    assert not access.may_read_psychotherapy_note(therapist, pnote)
    assert listed_for(therapist, family.case) == []


def test_its_list_is_per_case(therapist, family, outsider, other_family, pnote):
    other_family.case.co_therapists.add(therapist)
    elsewhere = services.psychotherapy_note_write(
        actor=therapist, case=other_family.case, text="Okafor thoughts."
    )
    assert listed_for(therapist, family.case) == [pnote]
    assert listed_for(therapist, other_family.case) == [elsewhere]


def test_bad_input_is_refused(therapist, family, other_family, outsider, clock):
    other_session = held_session(outsider, other_family, clock)
    with pytest.raises(ValidationError, match="note is required"):
        services.psychotherapy_note_write(actor=therapist, case=family.case, text="  ")
    with pytest.raises(ValidationError, match="belongs to another case"):
        services.psychotherapy_note_write(
            actor=therapist, case=family.case, text="x", appointment=other_session
        )
    with pytest.raises(Http404):
        services.psychotherapy_note_write(actor=outsider, case=family.case, text="x")
    transitions.case_close(
        actor=therapist, case=family.case, outcome="withdrawn", reason="Moved away."
    )
    with pytest.raises(ValidationError, match="closed"):
        services.psychotherapy_note_write(actor=therapist, case=family.case, text="x")
    assert not PsychotherapyNote.objects.exists()


# --- its words go nowhere else -------------------------------------------------------------------


def everything_shown(appointments: list[Appointment]) -> str:
    """Every field of every appointment a listing returns, with its notes and addenda."""
    shown = []
    for appointment in appointments:
        shown.append(model_to_dict(appointment))
        for note in appointment.progress_notes.all():
            shown.append(model_to_dict(note))
            shown += [model_to_dict(a) for a in note.addenda.all()]
    return json.dumps(shown, default=str)


def test_its_words_never_reach_the_log_the_timeline_or_the_listings(
    therapist, supervisor, family, session, pnote
):
    services.psychotherapy_note_share(actor=therapist, note=pnote, shared=True)
    signed = make_note(therapist, session, sign=True)
    services.addendum_add(actor=therapist, note=signed, text="A later fact.")

    logged = json.dumps(list(Event.objects.values("action", "detail", "object_id")))
    assert "psychotherapy_note.create" in logged
    assert SECRET not in logged
    assert "divorce" not in logged

    # The timeline is part of the record; the private notes are not, not even that they exist.
    timeline = case_timeline(family.case)
    assert any(e.action == "note.addendum" for e in timeline)
    assert not any(e.action.startswith("psychotherapy_note.") for e in timeline)
    assert not any("divorce" in e.summary for e in timeline)

    listed = list(appointments_of(family.case))
    assert listed == [session]
    shown = everything_shown(listed)
    assert "A later fact." in shown  # the listing does show the record it should
    assert "divorce" not in shown

    notes = json.dumps(list(ProgressNote.objects.filter(case=family.case).values()), default=str)
    assert "divorce" not in notes
