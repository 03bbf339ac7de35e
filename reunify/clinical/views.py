"""Clinical pages: sessions, the contact-visit record, progress notes and their addenda, the
contact ladder, psychotherapy notes, and a visit monitor's own list.

Thin like the case pages: find the object through `access`, parse a form, call one service,
then render or redirect. A service's `ValidationError` shows the page again with the bound form
and its message (400) and saves nothing; a closed ladder gate comes back to the case page (409)
listing the gate's own reasons. Psychotherapy notes are read only through
`selectors.psychotherapy_notes_for`, and only on their own page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases import views as case_views
from reunify.cases.forms import parties_of
from reunify.cases.models import FAMILY_ROLES, Case, Party, PartyRole
from reunify.cases.sections import to_section
from reunify.cases.services import case_view
from reunify.cases.views import AuthedRequest
from reunify.clinical import forms, selectors, services
from reunify.clinical.models import (
    AmendmentRequest,
    AmendmentStatus,
    Appointment,
    AppointmentStatus,
    ContactRung,
    Ladder,
    NoteFormat,
    ProgressNote,
    PsychotherapyNote,
)
from reunify.process import pausing
from reunify.process.gates import GateClosed

Form = django_forms.Form


def _to_appointment(appointment: Appointment, anchor: str = "") -> HttpResponse:
    address = reverse("appointment_detail", args=[appointment.pk])
    return redirect(f"{address}#{anchor}" if anchor else address)


def _to_case(case: Case, section: str = "sessions", anchor: str = "") -> HttpResponse:
    return to_section(case.pk, section, anchor)


def _names(parties: list[Party]) -> str:
    return "; ".join(party_label(p) for p in parties)


def party_label(party: Party) -> str:
    return f"{party.person.full_name} ({party.get_role_display().lower()})"


def _warn_paused(request: AuthedRequest, case: Case, was_paused: bool) -> None:
    current = Case.objects.only("paused_at", "pause_reason").get(pk=case.pk)
    if current.is_paused and not was_paused:
        messages.warning(
            request,
            f"The case is now paused: {current.pause_reason}. Upcoming contact visits are held; "
            "the case page lists the parties to tell.",
        )


# Scheduling -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def appointment_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    if request.method == "GET" and case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return _to_case(case)
    initial = {"kind": request.GET.get("kind", "")}
    form = forms.ScheduleForm(request.POST or None, case=case, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_schedule(
                actor=request.user, case=case, **form.schedule_kwargs()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Scheduled: {appointment}.")
            return _to_appointment(appointment)
    case_view(actor=request.user, case=case, what="form: schedule a session")
    context = {"case": case, "form": form, "heading": "Schedule a session", "submit": "Schedule"}
    return render(
        request, "clinical/schedule_form.html", context, status=400 if form.is_bound else 200
    )


# The appointment page ---------------------------------------------------------------------------


def _may(user: User, action: Action, appointment: Appointment) -> bool:
    try:
        access.require_appointment(user, action, appointment)
    except (PermissionDenied, Http404):
        return False
    return True


@dataclass
class NoteView:
    """A progress note on the appointment page, with the forms its reader may use."""

    note: ProgressNote
    edit_form: Form | None = None
    addendum_form: Form | None = None
    amendment_form: Form | None = None
    requests: list[tuple[AmendmentRequest, Form | None]] = field(default_factory=list)


def _note_views(
    user: User,
    appointment: Appointment,
    notes: list[ProgressNote],
    *,
    may_edit: bool,
    bound: dict[str, Form],
) -> list[NoteView]:
    case = appointment.case
    requests: dict[int, list[AmendmentRequest]] = defaultdict(list)
    for request in AmendmentRequest.objects.filter(note__appointment=appointment).select_related(
        "party__person", "decided_by"
    ):
        requests[request.note_id].append(request)
    views = []
    for note in notes:
        view = NoteView(note)
        if may_edit and not note.is_signed and note.author_id == user.pk:
            view.edit_form = bound.get("note") or forms.NoteForm(
                prefix="note",
                format=note.format,
                initial={
                    **note.body,
                    "safety_concern": note.safety_concern,
                    "safety_concern_note": note.safety_concern_note,
                },
            )
        if may_edit and note.is_signed:
            view.addendum_form = bound.get(f"addendum-{note.pk}") or forms.AddendumForm(
                prefix=f"addendum-{note.pk}"
            )
            view.amendment_form = bound.get(f"amendment-{note.pk}") or forms.AmendmentRequestForm(
                prefix=f"amendment-{note.pk}", case=case
            )
        for request in requests.get(note.pk, []):
            decide = None
            if may_edit and request.status == AmendmentStatus.PENDING:
                decide = bound.get(f"decide-{request.pk}") or forms.AmendmentDecideForm(
                    prefix=f"decide-{request.pk}"
                )
            view.requests.append((request, decide))
        views.append(view)
    return views


def _appointment_page(
    request: AuthedRequest,
    appointment_id: int,
    *,
    status: int = 200,
    bound: dict[str, Form] | None = None,
    problems: list[str] | None = None,
    opinion_warning: bool = False,
) -> HttpResponse:
    """The appointment page; after a refused POST it shows the refusal and the bound form."""
    user = request.user
    bound = bound or {}
    found = selectors.appointment_get(user, appointment_id)
    case = found.case
    appointment = selectors.appointments_of(case).select_related("case__therapist").get(pk=found.pk)
    case_view(actor=user, case=case, what=f"session of {timezone.localdate(found.starts_at)}")
    sees_record = access.can(user, Action.VIEW, case)
    may_edit = sees_record and not case.is_closed and access.can(user, Action.EDIT, case)
    started = appointment.starts_at <= timezone.now()
    scheduled = appointment.status == AppointmentStatus.SCHEDULED
    open_status = appointment.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.HELD)
    record = getattr(appointment, "contact_record", None)
    participants = list(appointment.participants.all())
    context: dict[str, Any] = {
        "appointment": appointment,
        "case": case,
        "sees_record": sees_record,
        "may_edit": may_edit,
        "started": started,
        "record": record,
        "participants": participants,
        "bound": bound,
        "problems": problems or [],
        "opinion_warning": opinion_warning,
        "now": timezone.now(),
    }
    if may_edit and open_status:
        context["reschedule_form"] = bound.get("reschedule") or forms.RescheduleForm(
            prefix="reschedule",
            initial={
                "day": timezone.localdate(appointment.starts_at),
                "time": timezone.localtime(appointment.starts_at).time(),
            },
        )
        context["cancel_form"] = bound.get("cancel") or forms.CancelForm(
            prefix="cancel", parties=parties_of(case, FAMILY_ROLES)
        )
    if may_edit and scheduled and started:
        if not appointment.is_contact:
            context["complete_form"] = bound.get("complete") or forms.CompleteForm(
                prefix="complete"
            )
        context["no_show_form"] = bound.get("no_show") or forms.NoShowForm(
            prefix="no_show", parties=participants
        )
    if (
        appointment.is_contact
        and scheduled
        and record is None
        and not case.is_closed
        and _may(user, Action.RECORD, appointment)
    ):
        context["record_waits"] = not started
        if started:
            context["contact_form"] = bound.get("contact") or forms.ContactRecordForm(
                prefix="contact",
                parties=parties_of(case, FAMILY_ROLES),
                initial={"duration_minutes": appointment.duration_minutes},
            )
    if sees_record:
        notes = list(appointment.progress_notes.all())
        context["notes"] = _note_views(user, appointment, notes, may_edit=may_edit, bound=bound)
        if (
            may_edit
            and appointment.status != AppointmentStatus.CANCELLED
            and not any(note.author_id == user.pk for note in notes)
        ):
            wanted = request.GET.get("format", NoteFormat.DAP)
            context["new_note_form"] = bound.get("note") or forms.NoteForm(
                prefix="note", format=wanted if wanted in NoteFormat.values else NoteFormat.DAP
            )
    return render(request, "clinical/appointment_detail.html", context, status=status)


@login_required
@require_GET
def appointment_detail(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    return _appointment_page(request, appointment_id)


def _appointment_action(
    request: AuthedRequest,
    appointment: Appointment,
    *,
    name: str,
    form: Form,
    act: Callable[[], object],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """Handle one of the appointment page's forms: act, or show the page again with the errors."""
    if form.is_valid():
        was_paused = appointment.case.is_paused
        try:
            act()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            _warn_paused(request, appointment.case, was_paused)
            return _to_appointment(appointment, anchor)
    return _appointment_page(request, appointment.pk, status=400, bound={name: form})


@login_required
@require_POST
def appointment_reschedule(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get(request.user, appointment_id, Action.EDIT)
    form = forms.RescheduleForm(request.POST, prefix="reschedule")
    return _appointment_action(
        request,
        appointment,
        name="reschedule",
        form=form,
        act=lambda: services.appointment_reschedule(
            actor=request.user,
            appointment=appointment,
            starts_at=form.starts_at(),
            duration_minutes=form.cleaned_data["duration_minutes"],
        ),
        done="The session is rescheduled.",
    )


@login_required
@require_POST
def appointment_cancel(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get(request.user, appointment_id, Action.EDIT)
    form = forms.CancelForm(
        request.POST, prefix="cancel", parties=parties_of(appointment.case, FAMILY_ROLES)
    )
    return _appointment_action(
        request,
        appointment,
        name="cancel",
        form=form,
        act=lambda: services.appointment_cancel(
            actor=request.user,
            appointment=appointment,
            cancelled_by=form.cleaned_data["cancelled_by"],
            party=form.cleaned_data["party"],
            note=form.cleaned_data["note"],
        ),
        done="The session is cancelled.",
    )


@login_required
@require_POST
def appointment_complete(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get(request.user, appointment_id, Action.EDIT)
    form = forms.CompleteForm(request.POST, prefix="complete")
    return _appointment_action(
        request,
        appointment,
        name="complete",
        form=form,
        act=lambda: services.appointment_complete(
            actor=request.user, appointment=appointment, note=form.cleaned_data["note"]
        ),
        done="The session is recorded as held.",
        anchor="notes-heading",
    )


@login_required
@require_POST
def appointment_no_show(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get(request.user, appointment_id, Action.EDIT)
    form = forms.NoShowForm(
        request.POST, prefix="no_show", parties=appointment.participants.select_related("person")
    )
    return _appointment_action(
        request,
        appointment,
        name="no_show",
        form=form,
        act=lambda: services.appointment_no_show(
            actor=request.user,
            appointment=appointment,
            party=form.cleaned_data["party"],
            note=form.cleaned_data["note"],
        ),
        done="The no-show is recorded.",
    )


@login_required
@require_POST
def contact_record(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    """Record a contact visit. Words of a custody opinion are refused until the author
    confirms they are quoted facts."""
    appointment = selectors.appointment_get(request.user, appointment_id, Action.RECORD)
    case = appointment.case
    form = forms.ContactRecordForm(
        request.POST, prefix="contact", parties=parties_of(case, FAMILY_ROLES)
    )
    warned = False
    if form.is_valid():
        was_paused = case.is_paused
        try:
            pausing.contact_record(
                actor=request.user,
                appointment=appointment,
                facts=form.facts(),
                confirm_facts=form.cleaned_data["confirm_facts"],
            )
        except services.OpinionWarning as warning:
            warned = True
            where = (
                "observations"
                if services.opinion_words(form.cleaned_data["observations"])
                else "critical_incidents"
            )
            form.add_error(where, warning)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The visit is recorded.")
            _warn_paused(request, case, was_paused)
            return _to_appointment(appointment)
    return _appointment_page(
        request, appointment.pk, status=400, bound={"contact": form}, opinion_warning=warned
    )


# Notes, addenda and amendment requests ---------------------------------------------------------


def _note_get(user: User, note_id: int) -> ProgressNote:
    """A progress note of a case the user may change; 404 when out of sight, 403 otherwise."""
    note = (
        ProgressNote.objects.filter(case__in=access.cases_for(user))
        .select_related("case__therapist", "appointment__case")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    access.require(user, Action.EDIT, note.case)
    return note


def _note_fields(form: forms.NoteForm) -> dict[str, Any]:
    return {
        "format": form.note_format,
        "body": form.body(),
        "safety_concern": form.cleaned_data["safety_concern"],
        "safety_concern_note": form.cleaned_data["safety_concern_note"],
    }


@login_required
@require_POST
def note_new(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get(request.user, appointment_id, Action.EDIT)
    form = forms.NoteForm(request.POST, prefix="note")
    return _appointment_action(
        request,
        appointment,
        name="note",
        form=form,
        act=lambda: pausing.note_write(
            actor=request.user, appointment=appointment, **_note_fields(form)
        ),
        done="The progress note is saved as a draft. Sign it when it is complete.",
        anchor="notes-heading",
    )


@login_required
@require_POST
def note_edit(request: AuthedRequest, note_id: int) -> HttpResponse:
    note = _note_get(request.user, note_id)
    appointment = note.appointment
    form = forms.NoteForm(request.POST, prefix="note", format=note.format)
    return _appointment_action(
        request,
        appointment,
        name="note",
        form=form,
        act=lambda: pausing.note_write(
            actor=request.user, appointment=appointment, note=note, **_note_fields(form)
        ),
        done="The draft is saved.",
        anchor=f"note-{note.pk}",
    )


@login_required
@require_POST
def note_sign(request: AuthedRequest, note_id: int) -> HttpResponse:
    """Sign what is on the screen: the draft's fields come with the button, and the service
    saves and signs them in one transaction (a refusal shows them again, unsaved)."""
    note = _note_get(request.user, note_id)
    if request.POST.get("note-format") is None:
        # No fields sent (not the page's own form): sign the draft as it was last saved.
        try:
            signed = pausing.note_sign(actor=request.user, note=note)
        except ValidationError as error:
            return _appointment_page(
                request, note.appointment_id, status=400, problems=error.messages
            )
    else:
        form = forms.NoteForm(request.POST, prefix="note", format=note.format)
        if not form.is_valid():
            return _appointment_page(request, note.appointment_id, status=400, bound={"note": form})
        was_paused = note.case.is_paused
        try:
            signed = pausing.note_sign(
                actor=request.user, note=note, content=services.NoteContent(**_note_fields(form))
            )
        except ValidationError as error:
            form.add_error(None, error)
            return _appointment_page(request, note.appointment_id, status=400, bound={"note": form})
        _warn_paused(request, note.case, was_paused)
    messages.success(
        request,
        _("The note is signed and locked (SHA-256 %(hash)s).") % {"hash": signed.content_hash},
    )
    return _to_appointment(note.appointment, f"note-{note.pk}")


@login_required
@require_POST
def addendum_new(request: AuthedRequest, note_id: int) -> HttpResponse:
    note = _note_get(request.user, note_id)
    form = forms.AddendumForm(request.POST, prefix=f"addendum-{note.pk}")
    return _appointment_action(
        request,
        note.appointment,
        name=f"addendum-{note.pk}",
        form=form,
        act=lambda: services.addendum_add(
            actor=request.user, note=note, text=form.cleaned_data["text"]
        ),
        done="The addendum is signed and added under the note.",
        anchor=f"note-{note.pk}",
    )


@login_required
@require_POST
def amendment_new(request: AuthedRequest, note_id: int) -> HttpResponse:
    note = _note_get(request.user, note_id)
    form = forms.AmendmentRequestForm(request.POST, prefix=f"amendment-{note.pk}", case=note.case)
    return _appointment_action(
        request,
        note.appointment,
        name=f"amendment-{note.pk}",
        form=form,
        act=lambda: services.amendment_request_record(
            actor=request.user, note=note, **form.cleaned_data
        ),
        done="The request to amend is recorded; decide it below.",
        anchor=f"note-{note.pk}",
    )


@login_required
@require_POST
def amendment_decide(request: AuthedRequest, request_id: int) -> HttpResponse:
    amendment = get_object_or_404(
        AmendmentRequest.objects.filter(case__in=access.cases_for(request.user)).select_related(
            "note__appointment__case", "case__therapist"
        ),
        pk=request_id,
    )
    access.require(request.user, Action.EDIT, amendment.case)
    form = forms.AmendmentDecideForm(request.POST, prefix=f"decide-{amendment.pk}")
    accept = request.POST.get(f"decide-{amendment.pk}-decision") == "accept"
    return _appointment_action(
        request,
        amendment.note.appointment,
        name=f"decide-{amendment.pk}",
        form=form,
        act=lambda: services.amendment_decide(
            actor=request.user,
            request=amendment,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
            amendment_text=form.cleaned_data["amendment_text"],
            disagreement_statement=form.cleaned_data["disagreement_statement"],
        ),
        done="Accepted: the amendment is appended to the note."
        if accept
        else "Denied: the denial is appended to the note.",
        anchor=f"note-{amendment.note_id}",
    )


# The contact ladder ----------------------------------------------------------------------------


@login_required
@require_POST
def ladder_step_up(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = forms.StepUpForm(request.POST, prefix="step_up")
    if not form.is_valid():
        return case_views._case_page(
            request, case_id, section="ladder", status=400, bound={"step_up": form}
        )
    try:
        step = services.ladder_step_up(
            actor=request.user,
            case=case,
            rationale=form.cleaned_data["rationale"],
            effective_on=form.cleaned_data["effective_on"],
        )
    except GateClosed as refused:
        return case_views._case_page(
            request, case_id, section="ladder", status=409, ladder_refused=refused
        )
    except ValidationError as error:
        # The form stays open with what was typed, and says what to change.
        form.add_error(None, error)
        return case_views._case_page(
            request, case_id, section="ladder", status=400, bound={"step_up": form}
        )
    messages.success(request, f"Stepped up the ladder to “{step.to_rung.name}”.")
    return _to_case(case, "ladder", "ladder-heading")


@login_required
@require_POST
def ladder_step_down(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    ladder = Ladder.objects.filter(case=case).select_related("current_rung").first()
    position = ladder.current_rung.position if ladder and ladder.current_rung else 0
    below = ContactRung.objects.filter(ladder__case=case, position__lt=position)
    form = forms.StepDownForm(request.POST, prefix="step_down", rungs_below=below)
    if form.is_valid():
        try:
            step, affected = services.ladder_step_down(
                actor=request.user,
                case=case,
                on_word_of=form.cleaned_data["on_word_of"],
                reason=form.cleaned_data["reason"],
                to=form.cleaned_data["to"],
                effective_on=form.cleaned_data["effective_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Stepped down the ladder to “{step.to_rung.name}”.")
            if affected:
                messages.warning(
                    request,
                    "Visits scheduled above that rung are held. Tell: " + _names(affected) + ".",
                )
            return _to_case(case, "ladder", "ladder-heading")
    return case_views._case_page(
        request, case_id, section="ladder", status=400, bound={"step_down": form}
    )


@login_required
@require_POST
def assent_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = forms.AssentForm(
        request.POST,
        prefix="assent",
        children=parties_of(case, (PartyRole.CHILD,)),
        rungs=ContactRung.objects.filter(ladder__case=case),
    )
    if form.is_valid():
        try:
            services.assent_record(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The child's answer is recorded.")
            return _to_case(case, "ladder", "ladder-heading")
    return case_views._case_page(
        request, case_id, section="ladder", status=400, bound={"assent": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def ladder_edit(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Edit the thresholds, and the rungs above the current one (those below are history)."""
    case = access.case_get(request.user, case_id, Action.EDIT)
    ladder = Ladder.objects.filter(case=case).select_related("current_rung").first()
    if ladder is None or case.is_closed:
        messages.error(
            request,
            "This case is closed; its record is read-only."
            if case.is_closed
            else "The case has no contact ladder yet; it starts with therapeutic contact.",
        )
        return _to_case(case, "ladder")
    rungs = list(ContactRung.objects.filter(ladder=ladder))
    position = forms.current_position(ladder)
    form = forms.LadderForm(
        request.POST or None,
        ladder=ladder,
        above=[r for r in rungs if r.position > position],
        rungs=rungs,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.ladder_configure(actor=request.user, case=case, **form.changes(ladder))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The contact ladder is updated.")
            return _to_case(case, "ladder", "ladder-heading")
    case_view(actor=request.user, case=case, what="form: edit the contact ladder")
    context = {
        "case": case,
        "form": form,
        "ladder": ladder,
        "kept": [r for r in rungs if r.position <= position],
        "heading": "Edit the contact ladder",
    }
    return render(
        request, "clinical/ladder_form.html", context, status=400 if form.is_bound else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Record a letter or message exchanged on the ladder's letters rung."""
    case = access.case_get(request.user, case_id, Action.EDIT)
    ladder = Ladder.objects.filter(case=case).select_related("current_rung").first()
    if request.method == "GET" and not (
        ladder and ladder.current_rung and ladder.current_rung.letters
    ):
        messages.error(
            request, _("Letters are recorded while the ladder stands on a letters rung.")
        )
        return _to_case(case, "ladder")
    form = forms.LetterForm(request.POST or None)
    return case_views._record_page(
        request,
        case,
        form,
        heading=_("Record a letter"),
        section="ladder",
        save=lambda data: services.letter_record(actor=request.user, case=case, **data),
        done=_("The letter is recorded."),
    )


# Integration ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def arrangement_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = forms.ArrangementForm(request.POST or None)
    return case_views._record_page(
        request,
        case,
        form,
        heading="Record the parenting-time arrangement",
        section="sessions",
        save=lambda data: services.arrangement_record(actor=request.user, case=case, **data),
        done="The parenting-time arrangement is recorded.",
    )


# Psychotherapy notes: their own page, never listed with the record -----------------------------


def _psychotherapy_page(
    request: AuthedRequest, case: Case, form: Form, *, status: int = 200
) -> HttpResponse:
    user = request.user
    case_view(actor=user, case=case, what="psychotherapy notes")
    context = {
        "case": case,
        "notes": list(selectors.psychotherapy_notes_for(user, case).select_related("appointment")),
        "form": form if not case.is_closed and access.can(user, Action.EDIT, case) else None,
    }
    return render(request, "clinical/psychotherapy_notes.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def psychotherapy_notes(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id)
    appointments = Appointment.objects.filter(case=case).order_by("-starts_at", "-id")
    form = forms.PsychotherapyNoteForm(request.POST or None, appointments=appointments)
    if request.method == "POST":
        access.require(request.user, Action.EDIT, case)
        if form.is_valid():
            try:
                services.psychotherapy_note_write(
                    actor=request.user,
                    case=case,
                    text=form.cleaned_data["text"],
                    appointment=form.cleaned_data["appointment"],
                    share_with_supervisor=form.cleaned_data["share_with_supervisor"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your psychotherapy note is saved.")
                return redirect("psychotherapy_notes", case_id=case.pk)
        return _psychotherapy_page(request, case, form, status=400)
    return _psychotherapy_page(request, case, form)


@login_required
@require_POST
def psychotherapy_note_share(request: AuthedRequest, note_id: int) -> HttpResponse:
    note = get_object_or_404(
        PsychotherapyNote.objects.filter(access.psychotherapy_note_visibility(request.user)),
        pk=note_id,
    )
    shared = request.POST.get("shared") == "yes"
    services.psychotherapy_note_share(actor=request.user, note=note, shared=shared)
    if shared:
        messages.success(request, "The note is now shared with your clinical supervisor.")
    else:
        messages.success(request, "The note is no longer shared with your clinical supervisor.")
    return redirect("psychotherapy_notes", case_id=note.case_id)


# A visit monitor's own page ---------------------------------------------------------------------


@login_required
@require_GET
def monitor_visits(request: AuthedRequest) -> HttpResponse:
    access.require_staff(request.user)
    visits = list(selectors.monitor_visits(request.user))
    now = timezone.now()
    return render(
        request,
        "clinical/monitor_visits.html",
        {
            "upcoming": [v for v in visits if v.starts_at >= now],
            "past": [v for v in reversed(visits) if v.starts_at < now],
            "now": now,
        },
    )
