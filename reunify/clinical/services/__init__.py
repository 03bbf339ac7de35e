"""Every write to the clinical record: validate, save, audit, in one transaction.

One module per part of the record: `scheduling` (sessions and contact visits, held visits),
`visits` (the contact-visit record), `ladder` (the contact ladder, assent, letters), `notes`
(progress notes and their addenda, psychotherapy notes, amendment requests) and `integration`
(check-ins, what entering a phase starts, the parenting arrangement). This package gathers their
functions, so callers say `clinical.services.note_sign`. A signed note is never changed: the
services refuse it, and the database triggers refuse it too (migration 0002).
"""

from reunify.clinical.services.integration import (
    CHECKIN_WEEKS,
    arrangement_record,
    checkins_schedule,
    on_phase_entered,
)
from reunify.clinical.services.ladder import (
    RungInput,
    assent_record,
    ladder_configure,
    ladder_gate_for,
    ladder_start,
    ladder_step_down,
    ladder_step_up,
    letter_record,
)
from reunify.clinical.services.notes import (
    SIGNABLE_STATUSES,
    NoteCheck,
    NoteContent,
    addendum_add,
    addendum_hash,
    amendment_decide,
    amendment_request_record,
    note_hash,
    note_sign,
    note_write,
    notes_verify,
    psychotherapy_note_share,
    psychotherapy_note_write,
)
from reunify.clinical.services.scheduling import (
    FREE_STATUSES,
    LONGEST_SESSION,
    appointment_cancel,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
    appointment_schedule,
    contact_visits_hold,
    editable,
    ladder_of,
    require_started,
)
from reunify.clinical.services.visits import (
    OPINION_PATTERNS,
    ContactFacts,
    OpinionWarning,
    contact_record,
    opinion_words,
)

__all__ = [
    "CHECKIN_WEEKS",
    "FREE_STATUSES",
    "LONGEST_SESSION",
    "OPINION_PATTERNS",
    "SIGNABLE_STATUSES",
    "ContactFacts",
    "NoteCheck",
    "NoteContent",
    "OpinionWarning",
    "RungInput",
    "addendum_add",
    "addendum_hash",
    "amendment_decide",
    "amendment_request_record",
    "appointment_cancel",
    "appointment_complete",
    "appointment_no_show",
    "appointment_reschedule",
    "appointment_schedule",
    "arrangement_record",
    "assent_record",
    "checkins_schedule",
    "contact_record",
    "contact_visits_hold",
    "editable",
    "ladder_configure",
    "ladder_gate_for",
    "ladder_of",
    "ladder_start",
    "ladder_step_down",
    "ladder_step_up",
    "letter_record",
    "note_hash",
    "note_sign",
    "note_write",
    "notes_verify",
    "on_phase_entered",
    "opinion_words",
    "psychotherapy_note_share",
    "psychotherapy_note_write",
    "require_started",
]
