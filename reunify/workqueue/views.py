"""The caseload page: the work queue ("what needs me now"), then the caseload table, which a
search narrows; and the supervisor's co-signing of overrides from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from reunify import access
from reunify.access import Action
from reunify.accounts.models import Role
from reunify.cases import forms, selectors, services
from reunify.cases.models import Case, OverrideRequest, Phase
from reunify.cases.views import AuthedRequest
from reunify.clinical.sections import caseload_sessions
from reunify.process import transitions
from reunify.process.gates import Gate, GateClosed
from reunify.workqueue.forms import CaseSearchForm
from reunify.workqueue.selectors import work_queue

Form = django_forms.Form


@dataclass(frozen=True)
class CaseloadLine:
    """One row of the caseload table, with the gate put into words."""

    row: selectors.CaseloadRow
    next_label: str
    sessions: Any = None  # clinical.sections.CaseloadSessions: held vs due, overdue check-ins

    @property
    def case(self) -> Case:
        return self.row.case

    @property
    def gate(self) -> Gate:
        return self.row.gate


def _caseload_page(
    request: AuthedRequest, *, decided: tuple[int, Form] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    if not access.may_create_case(user):
        return render(request, "cases/no_caseload.html", status=status)
    search_form = CaseSearchForm(request.GET)
    valid = search_form.is_valid()
    search = search_form.cleaned_data["q"] if valid else ""
    if search_form.errors:
        status = 400
    page = selectors.caseload_page(
        user,
        search=search,
        after=search_form.cleaned_data["after"] if valid else None,
        before=search_form.cleaned_data["before"] if valid else None,
    )
    rows = page.rows
    sessions = caseload_sessions([row.case for row in rows])
    lines = [
        CaseloadLine(
            row=row,
            next_label=Phase(row.gate.next_phase).label if row.gate.next_phase else "",
            sessions=sessions[row.case.pk],
        )
        for row in rows
    ]
    # The work queue lists every urgent item whatever the page: no safety item waits on paging.
    queue = work_queue(user)
    shown = {line.case.pk: line.case for line in lines} | {c.pk: c for c in queue.cases}
    services.case_views(actor=user, cases=list(shown.values()), what="caseload")
    awaiting = []
    for override in selectors.overrides_awaiting(user):
        if decided and decided[0] == override.pk:
            form = decided[1]
        else:
            form = forms.OverrideDecideForm(auto_id=f"id_decide_{override.pk}_%s")
        awaiting.append((override, form))
    if decided and decided[0] not in {override.pk for override, _ in awaiting}:
        # The request is no longer pending, so its form is not on the page: say why here.
        for error in decided[1].non_field_errors():
            messages.error(request, str(error))
    context = {
        "lines": lines,
        "page": page,
        "page_query": _page_query(search),
        "awaiting": awaiting,
        "queue": queue,
        "search_form": search_form,
        "search": search,
    }
    return render(request, "cases/caseload.html", context, status=status)


def _page_query(search: str) -> str:
    """What a paging link keeps of the request: the search."""
    return urlencode({"q": search}) + "&" if search else ""


@login_required
@require_GET
def caseload(request: AuthedRequest) -> HttpResponse:
    if request.user.role == Role.PORTAL:
        # Where every login lands: family members and legal parties have their portal instead.
        return redirect("portal_home")
    return _caseload_page(request)


@login_required
@require_POST
def override_decide(request: AuthedRequest, override_id: int) -> HttpResponse:
    """A supervisor co-signs (the case moves on) or declines, from the caseload."""
    visible = OverrideRequest.objects.filter(case__in=access.cases_for(request.user))
    override = get_object_or_404(
        visible.select_related("case__therapist", "requested_by"), pk=override_id
    )
    access.require(request.user, Action.COSIGN, override.case)
    form = forms.OverrideDecideForm(request.POST, auto_id=f"id_decide_{override.pk}_%s")
    status = 400
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            transitions.override_decide(
                actor=request.user,
                request=override,
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except GateClosed as refused:
            form.add_error(None, ValidationError([str(refused), *refused.gate.texts()]))
            status = 409
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if approve:
                messages.success(
                    request,
                    f"Co-signed: {override.case.title} moved to {override.get_to_phase_display()}.",
                )
            else:
                messages.success(request, f"Declined the override for {override.case.title}.")
            return redirect("caseload")
    return _caseload_page(request, decided=(override.pk, form), status=status)
