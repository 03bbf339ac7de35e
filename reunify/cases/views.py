"""Case pages: opening a case, the case page with its gate, and the record forms (the caseload
itself is served by reunify.workqueue, above its work queue).

Each view is thin: find the case through `access`, parse a form, call one service, then render
or redirect. A service's `ValidationError` re-renders the form with its message (400) and saves
nothing; a closed gate comes back to the case page (409) listing the gate's own reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases import forms, selectors, services
from reunify.cases.gates import gate_for, latest_screening, screen_due_on
from reunify.cases.models import (
    Case,
    CourtOrder,
    OverrideStatus,
    Party,
    Phase,
    Transition,
    TransitionKind,
)
from reunify.safety.services import screening_record

Form = django_forms.Form


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a staff member, never anonymous."""

    user: User


def _phase_label(code: str | None) -> str:
    return Phase(code).label if code else ""


def _to_case(case: Case) -> HttpResponse:
    return redirect("case_detail", case_id=case.pk)


# Opening a case and the case page -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: AuthedRequest) -> HttpResponse:
    if not access.may_create_case(request.user):
        raise PermissionDenied("Only therapists and supervisors open cases.")
    form = forms.CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Case “{case.title}” opened, in assessment.")
            return _to_case(case)
    return render(
        request,
        "cases/form_page.html",
        {"form": form, "heading": "Open a new case", "submit": "Open the case"},
        status=400 if form.is_bound else 200,
    )


def _attach_parties(records: list[Any], parties: dict[int, Party]) -> list[Any]:
    """Point each record at its party from the list already loaded: no query per row."""
    for record in records:
        if record.party_id in parties:
            record.party = parties[record.party_id]
    return records


def _case_page(
    request: AuthedRequest,
    case_id: int,
    *,
    status: int = 200,
    bound: dict[str, Form] | None = None,
    refused: services.GateClosed | None = None,
    refused_message: str = "",
    problems: list[str] | None = None,
    ladder_refused: services.GateClosed | None = None,
) -> HttpResponse:
    """The case page; after a refused POST it shows the refusal and the bound form."""
    from reunify.clinical.views import case_sections

    user = request.user
    case = selectors.case_detail(user, case_id)
    services.case_view(actor=user, case=case)
    gate = gate_for(case)
    may_edit = not case.is_closed and access.can(user, Action.EDIT, case)
    # What of the contact details shows depends only on the protected flag: ask once for each.
    shown: dict[bool, tuple[bool, bool]] = {}
    for flag in (False, True):
        person = SimpleNamespace(protected_address=flag)
        shown[flag] = (
            access.may_see_contact(user, case, person),
            access.may_see_substitute_address(user, case, person),
        )
    parties = list(case.parties.all())
    by_id = {party.pk: party for party in parties}
    for party in parties:
        if party.represents_id in by_id:
            party.represents = by_id[party.represents_id]
    party_rows = [(party, *shown[party.person.protected_address]) for party in parties]
    screenings = sorted(
        case.screenings.all(), key=lambda s: (s.screened_on, s.recorded_at, s.pk), reverse=True
    )
    condition_words = dict(services.ResumeConditions.choices)
    transitions = [
        (transition, [condition_words.get(code, code) for code in transition.conditions])
        for transition in case.transitions.all()
    ]
    due_on = screen_due_on(case)
    overrides = list(case.override_requests.select_related("requested_by", "decided_by"))
    pending = next((o for o in overrides if o.status == OverrideStatus.PENDING), None)
    bound = bound or {}
    context = {
        "case": case,
        "gate": gate,
        "next_label": _phase_label(gate.next_phase),
        "may_edit": may_edit,
        "may_cosign": pending is not None and access.can(user, Action.COSIGN, case),
        "party_rows": party_rows,
        "court_orders": case.court_orders.all(),
        "intakes": _attach_parties(list(case.intakes.all()), by_id),
        "consents": _attach_parties(list(case.consents.all()), by_id),
        "document_reviews": case.document_reviews.all(),
        "readiness": _attach_parties(
            sorted(case.readiness_ratings.all(), key=lambda r: (r.rated_on, r.pk), reverse=True),
            by_id,
        ),
        "latest_screen": latest_screening(case),
        "screenings": screenings,
        "screen_due_on": due_on,
        "screen_overdue": due_on is not None and due_on < timezone.localdate(),
        "transitions": transitions,
        "co_therapists": case.co_therapists.all(),
        "overrides": overrides,
        "pending": pending,
        "refused": refused,
        "refused_message": refused_message or (str(refused) if refused else ""),
        "problems": problems or [],
        "override_form": bound.get("override") or forms.OverrideRequestForm(prefix="override"),
        "advance_form": bound.get("advance") or forms.AdvanceForm(prefix="advance"),
        "pause_form": bound.get("pause") or forms.PauseForm(prefix="pause"),
        "resume_form": bound.get("resume") or forms.ResumeForm(prefix="resume"),
        "close_form": bound.get("close") or forms.CloseForm(prefix="close"),
        "bound": bound,
        "timeline": selectors.case_timeline(case),
        "looks": selectors.case_access_log(case, limit=LOOKS_ON_CASE_PAGE),
        **case_sections(user, case, may_edit=may_edit, bound=bound, refused=ladder_refused),
    }
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _case_page(request, case_id)


# The case page shows the newest looks; the rest are on their own page, with filters.
LOOKS_ON_CASE_PAGE = 10


@login_required
@require_GET
def case_looks(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Who looked at the case: every look (and, asked for, every change), filtered and paged."""
    case = access.case_get(request.user, case_id)
    services.case_view(actor=request.user, case=case, what="looks")
    form = forms.LookFilterForm(request.GET, people=selectors.case_lookers(case))
    if not form.is_valid():
        context = {"case": case, "filter_form": form, "looks": [], "page_obj": None}
        return render(request, "cases/case_looks.html", context, status=400)
    filters = selectors.LookFilter(**form.cleaned_data)
    paginator = Paginator(selectors.case_access_events(case, filters), selectors.LOOKS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "case": case,
        "filter_form": form,
        "page_obj": page,
        "looks": selectors.looks_of(page.object_list),
        "query": query.urlencode(),
    }
    return render(request, "cases/case_looks.html", context)


# Moving, pausing, resuming and closing: forms on the case page --------------------------------


@login_required
@require_POST
def case_advance(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = forms.AdvanceForm(request.POST, prefix="advance")
    if not form.is_valid():
        return _case_page(request, case_id, status=400, bound={"advance": form})
    try:
        transition = services.case_advance(
            actor=request.user, case=case, effective_on=form.cleaned_data["effective_on"]
        )
    except services.GateClosed as refused:
        label = _phase_label(refused.gate.next_phase)
        return _case_page(
            request,
            case_id,
            status=409,
            refused=refused,
            refused_message=f"The way to {label} is closed for these reasons:",
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _case_page(request, case_id, status=400, bound={"advance": form})
    messages.success(request, f"The case moved to {transition.get_to_phase_display()}.")
    return _to_case(case)


def _case_action(
    request: AuthedRequest,
    case_id: int,
    *,
    name: str,
    form_class: type[Form],
    act: Callable[[Case, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Handle one of the case page's own forms: act, or show the page again with the errors."""
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = form_class(request.POST, prefix=name)
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
        except services.GateClosed as refused:
            return _case_page(request, case_id, status=409, refused=refused)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return _to_case(case)
    return _case_page(request, case_id, status=400, bound={name: form})


@login_required
@require_POST
def override_request(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="override",
        form_class=forms.OverrideRequestForm,
        act=lambda case, data: services.override_request(
            actor=request.user, case=case, rationale=data["rationale"]
        ),
        done="Override requested; it now awaits your clinical supervisor's co-signature.",
    )


@login_required
@require_POST
def case_pause(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="pause",
        form_class=forms.PauseForm,
        act=lambda case, data: services.case_pause(actor=request.user, case=case, **data),
        done="The case is paused.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def pause_court_reason(request: AuthedRequest, case_id: int, transition_id: int) -> HttpResponse:
    """Write what court reports say of a pause, in place of the clinical reason."""
    case = _editable(request, case_id)
    pause = get_object_or_404(
        Transition.objects.filter(case=case, kind=TransitionKind.PAUSE), pk=transition_id
    )
    pause.case = case
    initial = {"court_reason": pause.court_reason}
    form = forms.PauseCourtReasonForm(request.POST or None, initial=initial)
    return _record_page(
        request,
        case,
        form,
        heading=_("The pause of %(date)s: reason for the court")
        % {"date": timezone.localdate(pause.at)},
        save=lambda data: services.pause_court_reason_set(
            actor=request.user, transition=pause, court_reason=data["court_reason"]
        ),
        done=_("The reason for the court is saved."),
    )


@login_required
@require_POST
def case_resume(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="resume",
        form_class=forms.ResumeForm,
        act=lambda case, data: services.case_resume(actor=request.user, case=case, **data),
        done="The case is resumed.",
    )


@login_required
@require_POST
def case_close(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="close",
        form_class=forms.CloseForm,
        act=lambda case, data: services.case_close(actor=request.user, case=case, **data),
        done="The case is closed; its record is now read-only.",
    )


# Record forms: one page each ------------------------------------------------------------------


def _record_page(
    request: AuthedRequest,
    case: Case,
    form: Form,
    *,
    heading: str,
    save: Callable[[dict[str, Any]], Any],
    done: str | Callable[[Any], str],
    template: str = "cases/form_page.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; POST calls the service and goes back to the case page (`done` may
    put what the service returned into words)."""
    if request.method == "GET" and case.is_closed:
        messages.error(request, "This case is closed; its record is read-only.")
        return _to_case(case)
    if request.method == "POST" and form.is_valid():
        was_paused = case.is_paused
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done(saved) if callable(done) else done)
            if case.is_paused and not was_paused:
                # A present contraindication or a no-contact order pauses the case at once.
                messages.warning(request, f"The case is now paused: {case.pause_reason}.")
            return _to_case(case)
    # The form shows the family's names, so showing it is a read of the case.
    services.case_view(actor=request.user, case=case, what=f"form: {heading.lower()}")
    context = {"case": case, "form": form, "heading": heading, "submit": "Save", **(extra or {})}
    return render(request, template, context, status=400 if form.is_bound else 200)


def _editable(request: AuthedRequest, case_id: int) -> Case:
    return access.case_get(request.user, case_id, Action.EDIT)


@login_required
@require_http_methods(["GET", "POST"])
def party_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.PartyForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Add a party",
        save=lambda data: services.party_add(actor=request.user, case=case, **data),
        done="Party added.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def party_edit(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    """Correct a party's details: the treating therapists' page (it shows protected ones)."""
    case = _editable(request, case_id)
    party = get_object_or_404(case.parties.select_related("person"), pk=party_id)
    form = forms.PersonForm(request.POST or None, person=party.person)
    name = party.person.full_name

    def done(changed: list[str]) -> str:
        if not changed:
            return f"Nothing to save: {name}'s details were already as entered."
        words = [services.PERSON_FIELD_WORDS[field] for field in changed]
        listed = (", ".join(words[:-1]) + f" and {words[-1]}") if len(words) > 1 else words[0]
        return f"Saved {name}'s {listed}, in every case they take part in."

    # Named only among the cases this user may see: another therapist's case stays unconfirmed.
    elsewhere = (
        access.cases_for(request.user)
        .filter(parties__person=party.person_id)
        .exclude(pk=case.pk)
        .distinct()
    )
    return _record_page(
        request,
        case,
        form,
        heading="Edit a party's details",
        template="cases/party_edit.html",
        save=lambda data: services.person_update(actor=request.user, party=party, **data),
        done=done,
        extra={"party": party, "elsewhere": elsewhere},
    )


@login_required
@require_POST
def party_protect(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    party = get_object_or_404(case.parties.select_related("person"), pk=party_id)
    wanted = request.POST.get("protected")
    protect = wanted == "yes" if wanted in ("yes", "no") else not party.person.protected_address
    # Absent from the form (or removing protection): the substitute address stays as it is.
    substitute = request.POST.get("substitute_address") if protect else None
    try:
        services.party_protect(
            actor=request.user, party=party, protected=protect, substitute_address=substitute
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _to_case(case)
    name = party.person.full_name
    if substitute is not None:
        saved = "saved" if party.person.substitute_address else "removed"
        messages.success(
            request, f"{name}'s contact details are protected; substitute address {saved}."
        )
    elif protect:
        messages.success(request, f"{name}'s contact details are now protected.")
    else:
        messages.success(request, f"{name}'s contact details are no longer protected.")
    return _to_case(case)


@login_required
@require_http_methods(["GET", "POST"])
def court_order_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.CourtOrderForm(request.POST or None)
    return _record_page(
        request,
        case,
        form,
        heading="Record a court order",
        template="cases/court_order_form.html",
        save=lambda data: services.court_order_record(
            actor=request.user, case=case, terms=form.terms(), **data
        ),
        done="Court order recorded.",
    )


def _order_of(case: Case, order_id: int) -> CourtOrder:
    return get_object_or_404(case.court_orders.prefetch_related("terms"), pk=order_id)


@login_required
@require_http_methods(["GET", "POST"])
def court_order_end(request: AuthedRequest, case_id: int, order_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    order = _order_of(case, order_id)
    form = forms.CourtOrderEndForm(request.POST or None)
    return _record_page(
        request,
        case,
        form,
        heading=_("End court order %(number)s") % {"number": order.number},
        template="cases/court_order_form.html",
        save=lambda data: services.court_order_end(actor=request.user, order=order, **data),
        done=_("Court order %(number)s ended.") % {"number": order.number},
        extra={"order": order},
    )


@login_required
@require_http_methods(["GET", "POST"])
def court_order_amend(request: AuthedRequest, case_id: int, order_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    order = _order_of(case, order_id)
    form = forms.CourtOrderAmendForm(request.POST or None, order=order)
    return _record_page(
        request,
        case,
        form,
        heading=_("Amend court order %(number)s") % {"number": order.number},
        template="cases/court_order_form.html",
        save=lambda data: services.court_order_amend(
            actor=request.user,
            order=order,
            effective_on=data["effective_on"],
            reason=data["reason"],
            end_terms=data["end_terms"],
            add_terms=form.terms(),
        ),
        done=_("Court order %(number)s amended.") % {"number": order.number},
        extra={"order": order},
    )


@login_required
@require_http_methods(["GET", "POST"])
def court_order_supersede(request: AuthedRequest, case_id: int, order_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    order = _order_of(case, order_id)
    form = forms.CourtOrderSupersedeForm(request.POST or None, order=order)
    return _record_page(
        request,
        case,
        form,
        heading=_("Record an order superseding court order %(number)s") % {"number": order.number},
        template="cases/court_order_form.html",
        save=lambda data: services.court_order_supersede(
            actor=request.user, order=order, terms=form.terms(), **data
        ),
        done=lambda new: _("Court order %(number)s recorded; it supersedes order %(old)s.")
        % {"number": new.number, "old": order.number},
        extra={"order": order},
    )


@login_required
@require_http_methods(["GET", "POST"])
def intake_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.IntakeForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Record an intake interview",
        save=lambda data: services.intake_record(actor=request.user, case=case, **data),
        done="Intake recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.ConsentForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Record a signed consent",
        save=lambda data: services.consent_record(actor=request.user, case=case, **data),
        done="Signed consent recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_review_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.DocumentReviewForm(request.POST or None)
    return _record_page(
        request,
        case,
        form,
        heading="Record a document review",
        save=lambda data: services.document_review_record(actor=request.user, case=case, **data),
        done="Document review recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def readiness_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.ReadinessForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Rate readiness",
        save=lambda data: services.readiness_record(actor=request.user, case=case, **data),
        done="Readiness rating recorded.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def screening_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _editable(request, case_id)
    form = forms.ScreeningForm(request.POST or None)
    return _record_page(
        request,
        case,
        form,
        heading="Record a safety screen",
        template="cases/screening_form.html",
        save=lambda data: screening_record(
            actor=request.user,
            case=case,
            screened_on=data["screened_on"],
            note=data["note"],
            findings=form.findings(),
        ),
        done="Safety screen recorded.",
    )
