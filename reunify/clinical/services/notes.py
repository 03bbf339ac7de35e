"""Notes: progress notes that lock when signed, their addenda and hashes, psychotherapy notes,
and a party's requests to amend a note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.audit.recorded import recorded_create
from reunify.cases.models import FAMILY_ROLES, Case, Party
from reunify.cases.services import (
    case_lock,
    party_of,
    require_open,
    require_text,
)
from reunify.clinical.models import (
    NOTE_SECTIONS,
    Addendum,
    AddendumKind,
    AmendmentRequest,
    AmendmentStatus,
    Appointment,
    AppointmentStatus,
    NoteFormat,
    ProgressNote,
    PsychotherapyNote,
)


def _canonical_hash(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def note_hash(note: ProgressNote) -> str:
    """The hash a signed note carries: its content, its author and signer, and when."""
    assert note.signed_at is not None
    return _canonical_hash(
        {
            "id": note.pk,
            "case": note.case_id,
            "appointment": note.appointment_id,
            "author": note.author_id,
            "format": note.format,
            "body": note.body,
            "safety_concern": note.safety_concern,
            "safety_concern_note": note.safety_concern_note,
            "signed_at": note.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }
    )


def addendum_hash(addendum: Addendum) -> str:
    return _canonical_hash(
        {
            "id": addendum.pk,
            "note": addendum.note_id,
            "kind": addendum.kind,
            "author": addendum.author_id,
            "text": addendum.text,
            "signed_at": addendum.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "prev_hash": addendum.prev_hash,
        }
    )


def _clean_body(format: str, body: dict[str, str]) -> dict[str, str]:
    if format not in NoteFormat.values:
        raise ValidationError(f"Unknown note format {format!r}; choose DAP or SOAP.")
    keys = [key for key, _ in NOTE_SECTIONS[format]]
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise ValidationError(f"A {format.upper()} note has no section {', '.join(unknown)}.")
    return {key: (body.get(key) or "").strip() for key in keys}


@transaction.atomic
def note_write(
    *,
    actor: User,
    appointment: Appointment,
    format: str,
    body: dict[str, str],
    safety_concern: bool = False,
    safety_concern_note: str = "",
    note: ProgressNote | None = None,
) -> ProgressNote:
    """Create the session's progress note, or change a draft. A signed note is refused: it
    takes an addendum. A safety concern pauses the case at once, draft or not, when written
    through `process.pausing.note_write`."""
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    if safety_concern:
        # A concern pauses the case: its row first, before the note's (the lock order).
        case = case_lock(case)
    require_open(case)
    clean = _clean_body(format, body)
    if safety_concern and not safety_concern_note.strip():
        raise ValidationError("Describe the safety concern.")
    now = timezone.now()
    if note is None:
        if appointment.status == AppointmentStatus.CANCELLED:
            raise ValidationError("A cancelled session has no progress note.")
        note = ProgressNote.objects.create(
            case=case,
            appointment=appointment,
            author=actor,
            format=format,
            body=clean,
            safety_concern=safety_concern,
            safety_concern_note=safety_concern_note.strip(),
            created_at=now,
            updated_at=now,
        )
        action = AuditAction.NOTE_CREATE
    else:
        note = ProgressNote.objects.select_for_update(no_key=True).get(pk=note.pk)
        if note.appointment_id != appointment.pk:
            raise ValidationError("That note belongs to another session.")
        if note.is_signed:
            raise ValidationError("This note is signed and locked; add an addendum instead.")
        if note.author_id != actor.pk:
            raise PermissionDenied("Only the author changes a draft note.")
        ProgressNote.objects.filter(pk=note.pk).update(
            format=format,
            body=clean,
            safety_concern=safety_concern,
            safety_concern_note=safety_concern_note.strip(),
            updated_at=now,
        )
        note.refresh_from_db()
        action = AuditAction.NOTE_UPDATE
    audit_record(
        actor=actor,
        action=action,
        case_id=case.pk,
        obj=note,
        detail={"appointment": appointment.pk, "safety_concern": note.safety_concern},
    )
    return note


@dataclass(frozen=True)
class NoteContent:
    """What a note's author has in front of them: the sections and any safety concern."""

    format: str
    body: dict[str, str]
    safety_concern: bool = False
    safety_concern_note: str = ""


# A note is signed for a session that took place: held, ended early, or missed (the note then
# records the no-show). Never for one still to come, cancelled, or held back.
SIGNABLE_STATUSES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.ENDED_EARLY,
    AppointmentStatus.NO_SHOW,
)


def _check_signable(note: ProgressNote, appointment: Appointment) -> None:
    if appointment.starts_at > timezone.now():
        raise ValidationError(
            _("This session has not started yet; its note is signed once the session is held.")
        )
    if appointment.status == AppointmentStatus.SCHEDULED:
        raise ValidationError(
            _(
                "This session is still scheduled; record it as held (or a no-show) "
                "before signing its note."
            )
        )
    if appointment.status not in SIGNABLE_STATUSES:
        raise ValidationError(
            _("This session was %(status)s; a note is signed only for a session that took place.")
            % {"status": appointment.get_status_display().lower()}
        )
    sections = NOTE_SECTIONS[note.format]
    empty = [label for key, label in sections if not (note.body.get(key) or "").strip()]
    if len(empty) == len(sections):
        raise ValidationError(_("An empty note cannot be signed."))
    if empty:
        raise ValidationError(
            _("A %(format)s note is signed with every section filled in; still empty: %(empty)s.")
            % {"format": note.format.upper(), "empty": ", ".join(empty)}
        )


@transaction.atomic
def note_sign(
    *, actor: User, note: ProgressNote, content: NoteContent | None = None
) -> ProgressNote:
    """Sign a draft: it is locked from now on, under a hash of its content, signer and time.

    With `content` (what is on the author's screen) the draft is saved first and that is what
    is signed, in one transaction: a refusal saves nothing."""
    note = (
        ProgressNote.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case")
        .get(pk=note.pk)
    )
    access.require(actor, access.Action.EDIT, note.case)
    if note.author_id != actor.pk:
        raise PermissionDenied("Only the author signs a note.")
    if note.is_signed:
        raise ValidationError("This note is already signed.")
    appointment = Appointment.objects.get(pk=note.appointment_id)
    if content is not None:
        note = note_write(
            actor=actor,
            appointment=appointment,
            format=content.format,
            body=content.body,
            safety_concern=content.safety_concern,
            safety_concern_note=content.safety_concern_note,
            note=note,
        )
    _check_signable(note, appointment)
    note.signed_at = timezone.now()
    note.content_hash = note_hash(note)
    ProgressNote.objects.filter(pk=note.pk).update(
        signed_at=note.signed_at, content_hash=note.content_hash
    )
    audit_record(
        actor=actor,
        action=AuditAction.NOTE_SIGN,
        case_id=note.case_id,
        obj=note,
        detail={"hash": note.content_hash},
    )
    return note


def _append(*, actor: User, note: ProgressNote, kind: str, text: str) -> Addendum:
    last = Addendum.objects.filter(note=note).order_by("-signed_at", "-id").first()
    addendum = Addendum.objects.create(
        note=note,
        kind=kind,
        author=actor,
        text=text,
        signed_at=timezone.now(),
        prev_hash=last.content_hash if last else note.content_hash,
        content_hash="pending",
    )
    # The hash covers the row's id, so it is computed once the row exists; the database lets
    # an addendum be written once, here, and never again (migration 0002).
    addendum.content_hash = addendum_hash(addendum)
    Addendum.objects.filter(pk=addendum.pk, content_hash="pending").update(
        content_hash=addendum.content_hash
    )
    audit_record(
        actor=actor,
        action=AuditAction(f"note.{kind}"),
        case_id=note.case_id,
        obj=addendum,
        detail={"note": note.pk, "hash": addendum.content_hash},
    )
    return addendum


@transaction.atomic
def addendum_add(*, actor: User, note: ProgressNote, text: str) -> Addendum:
    """Add a signed addendum under a signed note: the only way a signed note changes."""
    note = (
        ProgressNote.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case")
        .get(pk=note.pk)
    )
    access.require(actor, access.Action.EDIT, note.case)
    require_open(note.case)
    if not note.is_signed:
        raise ValidationError("The note is still a draft; change it directly, then sign it.")
    return _append(
        actor=actor, note=note, kind=AddendumKind.ADDENDUM, text=require_text(text, "The addendum")
    )


@dataclass(frozen=True)
class NoteCheck:
    """A signed note or addendum whose stored hash no longer matches its content."""

    what: str
    pk: int
    case_id: int


def notes_verify() -> tuple[int, list[NoteCheck]]:
    """Re-hash every signed note and addendum; return how many were checked and the bad ones."""
    bad: list[NoteCheck] = []
    checked = 0
    hashes: dict[int, str] = {}
    for note in ProgressNote.objects.filter(signed_at__isnull=False).iterator(chunk_size=1000):
        checked += 1
        hashes[note.pk] = note.content_hash
        if note_hash(note) != note.content_hash:
            bad.append(NoteCheck("progress note", note.pk, note.case_id))
    previous: dict[int, str] = {}
    for addendum in (
        Addendum.objects.select_related("note")
        .order_by("note_id", "signed_at", "id")
        .iterator(chunk_size=1000)
    ):
        checked += 1
        expected_prev = previous.get(addendum.note_id, hashes.get(addendum.note_id, ""))
        if addendum_hash(addendum) != addendum.content_hash or addendum.prev_hash != expected_prev:
            bad.append(NoteCheck("addendum", addendum.pk, addendum.note.case_id))
        previous[addendum.note_id] = addendum.content_hash
    return checked, bad


# Psychotherapy notes ---------------------------------------------------------------------------


@transaction.atomic
def psychotherapy_note_write(
    *,
    actor: User,
    case: Case,
    text: str,
    appointment: Appointment | None = None,
    share_with_supervisor: bool = False,
) -> PsychotherapyNote:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if appointment is not None and appointment.case_id != case.pk:
        raise ValidationError("That session belongs to another case.")
    note = PsychotherapyNote.objects.create(
        case=case,
        appointment=appointment,
        author=actor,
        text=require_text(text, "The note"),
        shared_with_supervisor=share_with_supervisor,
        created_at=timezone.now(),
    )
    # The audit detail never carries the text.
    audit_record(
        actor=actor, action=AuditAction.PSYCHOTHERAPY_NOTE_CREATE, case_id=case.pk, obj=note
    )
    return note


@transaction.atomic
def psychotherapy_note_share(
    *, actor: User, note: PsychotherapyNote, shared: bool
) -> PsychotherapyNote:
    if note.author_id != actor.pk:
        raise PermissionDenied("Only the author shares a psychotherapy note.")
    PsychotherapyNote.objects.filter(pk=note.pk).update(shared_with_supervisor=shared)
    note.shared_with_supervisor = shared
    audit_record(
        actor=actor,
        action=AuditAction.PSYCHOTHERAPY_NOTE_SHARE
        if shared
        else AuditAction.PSYCHOTHERAPY_NOTE_UNSHARE,
        case_id=note.case_id,
        obj=note,
    )
    return note


# Amendment requests ----------------------------------------------------------------------------


@transaction.atomic
def amendment_request_record(
    *, actor: User, note: ProgressNote, party: Party, received_on: dt.date, request_text: str
) -> AmendmentRequest:
    """Record a party's request to amend a signed note of their record."""
    case = note.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    party_of(case, party)
    if party.role not in FAMILY_ROLES:
        raise ValidationError("Only a family member asks to amend their own record.")
    if not note.is_signed:
        raise ValidationError("Only a signed note can be amended.")
    if received_on > timezone.localdate():
        raise ValidationError(f"The date {received_on} is in the future.")
    request = recorded_create(
        AmendmentRequest,
        actor=actor,
        action=AuditAction.AMENDMENT_REQUEST,
        case_id=case.pk,
        case=case,
        party=party,
        note=note,
        received_on=received_on,
        request_text=require_text(request_text, "What the party asks to change"),
    )
    return request


@transaction.atomic
def amendment_decide(
    *,
    actor: User,
    request: AmendmentRequest,
    accept: bool,
    reason: str,
    amendment_text: str = "",
    disagreement_statement: str = "",
) -> AmendmentRequest:
    """Accept (the amendment becomes an addendum) or deny (the denial, and the party's
    statement of disagreement if they give one, are appended to the note)."""
    request = (
        AmendmentRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("note", "case")
        .get(pk=request.pk)
    )
    case = request.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if request.status != AmendmentStatus.PENDING:
        raise ValidationError("This request has already been decided.")
    reason = require_text(reason, "The reason for the decision")
    note = ProgressNote.objects.select_for_update(no_key=True).get(pk=request.note_id)
    if accept:
        text = require_text(amendment_text, "The amended text")
        _append(
            actor=actor,
            note=note,
            kind=AddendumKind.AMENDMENT,
            text=f"{text}\n\n(Reason: {reason})",
        )
    else:
        _append(actor=actor, note=note, kind=AddendumKind.DENIAL, text=reason)
        if disagreement_statement.strip():
            _append(
                actor=actor,
                note=note,
                kind=AddendumKind.DISAGREEMENT,
                text=disagreement_statement.strip(),
            )
    AmendmentRequest.objects.filter(pk=request.pk).update(
        status=AmendmentStatus.ACCEPTED if accept else AmendmentStatus.DENIED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    request.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.AMENDMENT_ACCEPT if accept else AuditAction.AMENDMENT_DENY,
        case_id=case.pk,
        obj=request,
    )
    return request
