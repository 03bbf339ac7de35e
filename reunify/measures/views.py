"""Measures pages: goals and their ratings, willingness, the support system's alignment, the
child's private check-ins (the therapist's page and the child's portal page), questionnaires
(the practice's list, importing one, recording answers) and therapist qualifications.

Thin like the case pages: find the case through `access`, parse a form, call one service,
then render or redirect. A service's `ValidationError` shows the form again with its message
(400) and saves nothing. The check-in pages answer 404 to everyone but the treating
therapists (and, on the portal, the child themself).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.access import Action
from reunify.accounts.models import Role, User
from reunify.accounts.qualifications import (
    CLINICAL_ROLES,
    licence_statuses,
    qualification_of,
    qualification_record,
)
from reunify.cases.models import Case, PartyRole
from reunify.cases.sections import to_section
from reunify.cases.services import case_view
from reunify.cases.views import AuthedRequest, _record_page
from reunify.measures import forms, questionnaires, selectors, services
from reunify.measures.models import ChildCheckin, Goal, Instrument, QuestionnaireResponse, Task
from reunify.process import pausing


def _to_case(case: Case, anchor: str = "progress-heading") -> HttpResponse:
    return to_section(case.pk, "measures", anchor)


def _editable(request: AuthedRequest, case_id: int) -> Case:
    return access.case_get(request.user, case_id, Action.EDIT)


# Goals, willingness, alignment: one record form each ------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def goal_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    taken = frozenset(
        Goal.objects.filter(case=case).exclude(standard="").values_list("standard", flat=True)
    )
    initial = {"standard": request.GET.get("standard", "")}
    form = forms.GoalForm(request.POST or None, taken=taken, initial=initial)
    return _record_page(
        request,
        case,
        form,
        heading="Add a treatment goal",
        section="measures",
        save=lambda data: services.goal_add(actor=request.user, case=case, **data),
        done="Goal added to the treatment plan.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_rating_new(request: AuthedRequest, case_id: int, goal_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    goal = get_object_or_404(Goal.objects.filter(case=case), pk=goal_id)
    goal.case = case
    form = forms.GoalRatingForm(request.POST or None)
    return _record_page(
        request,
        case,
        form,
        heading=f"Rate progress: {goal.title}",
        section="measures",
        save=lambda data: services.goal_rate(actor=request.user, goal=goal, **data),
        done=f"Rating of “{goal.title}” recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def willingness_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.WillingnessForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Rate willingness",
        section="measures",
        save=lambda data: services.willingness_record(actor=request.user, case=case, **data),
        done="Willingness recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def alignment_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.AlignmentForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Rate the support system's alignment",
        section="measures",
        save=lambda data: services.alignment_record(
            actor=request.user, case=case, **form.rating_kwargs()
        ),
        done="Alignment recorded.",
    )


# The child's check-ins: the treating therapists' page -------------------------------------------

_CONCERN_RAISED = gettext_lazy(
    "This check-in raised a safety concern: the case is paused and its upcoming contact visits "
    "are held until a fresh safety screen dated after it."
)


def _checkin_case(request: AuthedRequest, case_id: int) -> Case:
    return access.checkin_case_get(request.user, case_id)


@login_required
@require_GET
def checkin_list(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _checkin_case(request, case_id)
    case_view(actor=request.user, case=case, what="child check-ins")
    checkins = list(selectors.checkins_for(request.user, case))
    services.checkins_mark_read(actor=request.user, case=case)
    tasks = selectors.open_tasks(request.user, [case]).get(case.pk, [])
    context = {
        "case": case,
        "checkins": checkins,
        "tasks": tasks,
        "may_step_down": _may_step_down(case),
        "may_edit": not case.is_closed,
    }
    return render(request, "measures/checkins.html", context)


def _may_step_down(case: Case) -> bool:
    from reunify.clinical.models import Ladder

    ladder = Ladder.objects.filter(case=case).select_related("current_rung").first()
    return bool(
        not case.is_closed
        and ladder is not None
        and ladder.current_rung is not None
        and ladder.current_rung.position > 1
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _checkin_case(request, case_id)
    if case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return redirect("checkin_list", case_id=case.pk)
    form = forms.StaffCheckinForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            checkin = pausing.checkin_record(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The child's check-in is recorded; only you see it.")
            if checkin.safety_concern:
                messages.warning(request, _CONCERN_RAISED)
            if checkin.slow_down:
                messages.warning(
                    request,
                    "The child asked to slow down: a task is on your caseload, and you can step "
                    "the ladder down from this page.",
                )
            return redirect("checkin_list", case_id=case.pk)
    case_view(actor=request.user, case=case, what="form: record a child check-in")
    context = {
        "case": case,
        "form": form,
        "heading": "Record the child's check-in",
        "submit": "Save the check-in",
    }
    return render(request, "cases/form_page.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def checkin_step_down(request: AuthedRequest, case_id: int, checkin_id: int) -> HttpResponse:
    """Step the ladder down at once because the child asked to slow down."""
    case = _checkin_case(request, case_id)
    checkin = get_object_or_404(ChildCheckin.objects.filter(case=case), pk=checkin_id)
    checkin.case = case
    try:
        step, affected = services.checkin_step_down(actor=request.user, checkin=checkin)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"The ladder was not stepped down: {message}")
        return redirect("checkin_list", case_id=case.pk)
    messages.success(
        request, f"Stepped down the ladder to “{step.to_rung.name}”, on the child's word."
    )
    if affected:
        names = "; ".join(
            f"{p.person.full_name} ({p.get_role_display().lower()})" for p in affected
        )
        messages.warning(request, f"Visits scheduled above that rung are held. Tell: {names}.")
    return redirect("checkin_list", case_id=case.pk)


@login_required
@require_POST
def task_done(request: AuthedRequest, case_id: int, task_id: int) -> HttpResponse:
    case = _checkin_case(request, case_id)
    task = get_object_or_404(Task.objects.filter(case=case), pk=task_id)
    task.case = case
    try:
        services.task_done(actor=request.user, task=task)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Task marked as done.")
    target = request.POST.get("next")
    if target == "case":
        return _to_case(case, "tasks-heading")
    return redirect("checkin_list", case_id=case.pk)


# The child's check-in on the portal -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def portal_checkin(request: HttpRequest, party_id: int) -> HttpResponse:
    """A child checks in privately: only their therapist will see the answers."""

    user = request.user
    assert isinstance(user, User)
    if user.role != Role.PORTAL:
        raise Http404("No such page.")
    party = access.portal_party_get(user, party_id)
    if party.role != PartyRole.CHILD:
        raise Http404("No such page.")
    case = party.case
    form = forms.CheckinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if case.is_closed:
            form.add_error(None, "Your family's work with the practice has ended.")
        elif form.is_valid():
            try:
                checkin = pausing.checkin_record(
                    actor=user, case=case, child=party, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as error:
                raise Http404("No such page.") from error
            else:
                messages.success(
                    request,
                    "Thank you. Your check-in went to your therapist, and only to your therapist.",
                )
                if checkin.safety_concern:
                    messages.warning(
                        request,
                        _(
                            "Thank you for telling us you don't feel safe. Your therapist will "
                            "see this and will be in touch. If you are in danger right now, "
                            "tell a trusted adult or call 911."
                        ),
                    )
                return redirect("portal_checkin", party_id=party.pk)
    context = {"party": party, "form": form, "closed": case.is_closed}
    return render(request, "measures/portal_checkin.html", context, status=status)


# Questionnaires -------------------------------------------------------------------------------


def _instruments_user(request: AuthedRequest) -> User:
    if not access.may_use_instruments(request.user):
        raise PermissionDenied("Questionnaires are for the practice's clinicians.")
    return request.user


@login_required
@require_GET
def questionnaire_list(request: AuthedRequest) -> HttpResponse:
    user = _instruments_user(request)
    instruments = list(selectors.instruments_for(user).select_related("imported_by"))
    context = {"instruments": instruments, "may_import": access.may_manage_instruments(user)}
    return render(request, "measures/questionnaire_list.html", context)


@login_required
@require_GET
def questionnaire_detail(request: AuthedRequest, instrument_id: int) -> HttpResponse:
    user = _instruments_user(request)
    instrument = get_object_or_404(selectors.instruments_for(user), pk=instrument_id)
    definition = questionnaires.definition_of(instrument.definition)
    subscales = [(s, definition.score_range(s)) for s in definition.subscales]
    informants = [questionnaires.INFORMANTS[i] for i in definition.informants]
    context = {
        "instrument": instrument,
        "definition": definition,
        "subscales": subscales,
        "informants": informants,
    }
    return render(request, "measures/questionnaire_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_import(request: AuthedRequest) -> HttpResponse:
    if not access.may_manage_instruments(request.user):
        raise PermissionDenied("Only practice administrators and supervisors import instruments.")
    bound = request.method == "POST"
    form = forms.InstrumentImportForm(
        request.POST if bound else None, request.FILES if bound else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            instrument = services.instrument_import(
                actor=request.user,
                text=form.cleaned_data["text"],
                filename=form.cleaned_data["filename"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Imported {instrument}.")
            return redirect("questionnaire_detail", instrument_id=instrument.pk)
    return render(
        request,
        "measures/questionnaire_import.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def response_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Record one informant's answers: choose the instrument, then answer its items."""
    case = _editable(request, case_id)
    if case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return _to_case(case)
    chosen = request.GET.get("instrument") or request.POST.get("instrument")
    instruments = Instrument.objects.active()
    if not chosen:
        case_view(actor=request.user, case=case, what="form: choose a questionnaire")
        return render(
            request, "measures/response_choose.html", {"case": case, "instruments": instruments}
        )
    if not str(chosen).isdigit():
        raise Http404("No such questionnaire.")
    instrument = get_object_or_404(instruments, pk=int(chosen))
    definition = questionnaires.definition_of(instrument.definition)
    form = forms.ResponseStartForm(request.POST or None, case=case, definition=definition)
    if request.method == "POST" and form.is_valid():
        informant, party = form.informant_and_party()
        try:
            response = services.response_record(
                actor=request.user,
                case=case,
                instrument=instrument,
                informant=informant,
                party=party,
                answered_on=form.cleaned_data["answered_on"],
                answers=form.answers(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{instrument.title}: answers recorded and scored.")
            return redirect("response_detail", case_id=case.pk, response_id=response.pk)
    case_view(actor=request.user, case=case, what=f"form: {instrument.title}")
    context: dict[str, Any] = {"case": case, "form": form, "instrument": instrument}
    return render(
        request, "measures/response_form.html", context, status=400 if form.is_bound else 200
    )


@login_required
@require_GET
def response_detail(request: AuthedRequest, case_id: int, response_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id)
    response = get_object_or_404(
        QuestionnaireResponse.objects.filter(case=case).select_related(
            "instrument", "party__person", "recorded_by"
        ),
        pk=response_id,
    )
    case_view(actor=request.user, case=case, what="questionnaire response")
    definition = questionnaires.definition_of(response.instrument.definition)
    answers = []
    for item in definition.items:
        value = response.answers.get(item.id)
        label = next((o.label for o in item.scale.options if o.value == value), "")
        answers.append((item, item.wording(response.informant), value, label))
    context = {
        "case": case,
        "response": response,
        "answers": answers,
        "scores": [questionnaires.Score.of(s) for s in response.scores],
        "informant": selectors.informant_label(response.informant, response.party),
    }
    return render(request, "measures/response_detail.html", context)


# Therapist qualifications ---------------------------------------------------------------------


@login_required
@require_GET
def qualification_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if access.may_manage_qualifications(user):
        clinicians = list(
            User.objects.filter(role__in=CLINICAL_ROLES, is_active=True).order_by(
                "last_name", "first_name", "username"
            )
        )
    elif user.role in CLINICAL_ROLES:
        clinicians = [user]
    else:
        raise PermissionDenied("Licences are kept for the practice's clinicians.")
    context = {
        "statuses": licence_statuses(clinicians),
        "may_manage": access.may_manage_qualifications(user),
    }
    return render(request, "measures/qualification_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def qualification_edit(request: AuthedRequest, user_id: int) -> HttpResponse:
    if not access.may_manage_qualifications(request.user):
        raise PermissionDenied("Only practice administrators and supervisors record licences.")
    clinician = get_object_or_404(User.objects.filter(role__in=CLINICAL_ROLES), pk=user_id)
    current = qualification_of(clinician)
    initial = {}
    if current is not None:
        initial = {
            "licence_type": current.licence_type,
            "licence_other": current.licence_other,
            "licence_number": current.licence_number,
            "licence_state": current.licence_state,
            "licence_expires_on": current.licence_expires_on,
            "training_areas": current.training_areas,
        }
    form = forms.QualificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            qualification_record(actor=request.user, user=clinician, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Licence and training of {clinician.display_name} saved.")
            return redirect("qualification_list")
    context = {
        "form": form,
        "heading": f"Licence and training: {clinician.display_name}",
        "submit": "Save",
    }
    return render(request, "cases/form_page.html", context, status=400 if form.is_bound else 200)
