"""Library pages (read by all staff, edited by administrators and supervisors) and the pages
that assign a module to a family member and record its completion.

The case pages reuse the case app's record-form flow: the form page on GET, the service on
POST, the same form again with the service's message (400) when the input is refused.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from reunify import access
from reunify.access import Action
from reunify.cases.views import AuthedRequest, _record_page
from reunify.psychoeducation import selectors, services
from reunify.psychoeducation.forms import ModuleAssignForm, ModuleCompleteForm, ModuleForm
from reunify.psychoeducation.models import Module, ModuleAssignment


def _require_reader(request: AuthedRequest) -> None:
    if not access.may_read_library(request.user):
        raise PermissionDenied("The module library is for the practice's staff.")


def _require_editor(request: AuthedRequest) -> None:
    if not access.may_edit_library(request.user):
        raise PermissionDenied(
            "Only a practice administrator or a clinical supervisor edits the module library."
        )


# The library ----------------------------------------------------------------------------------


@login_required
@require_GET
def module_list(request: AuthedRequest) -> HttpResponse:
    _require_reader(request)
    context = {
        "shelves": selectors.library_shelves(),
        "may_edit": access.may_edit_library(request.user),
    }
    return render(request, "psychoeducation/module_list.html", context)


@login_required
@require_GET
def module_detail(request: AuthedRequest, module_id: int) -> HttpResponse:
    _require_reader(request)
    module = get_object_or_404(Module.objects.select_related("updated_by"), pk=module_id)
    context = {"module": module, "may_edit": access.may_edit_library(request.user)}
    return render(request, "psychoeducation/module_detail.html", context)


def _module_form_page(
    request: AuthedRequest, form: ModuleForm, *, heading: str, module: Module | None = None
) -> HttpResponse:
    context = {"form": form, "heading": heading, "module": module}
    return render(
        request,
        "psychoeducation/module_form.html",
        context,
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def module_new(request: AuthedRequest) -> HttpResponse:
    _require_editor(request)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{module.title}” added to the library.")
            return redirect("module_detail", module_id=module.pk)
    return _module_form_page(request, form, heading="Add a module to the library")


@login_required
@require_http_methods(["GET", "POST"])
def module_edit(request: AuthedRequest, module_id: int) -> HttpResponse:
    _require_editor(request)
    module = get_object_or_404(Module, pk=module_id)
    form = ModuleForm(request.POST) if request.method == "POST" else ModuleForm.of(module)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_update(actor=request.user, module=module, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{module.title}” saved.")
            return redirect("module_detail", module_id=module.pk)
    return _module_form_page(request, form, heading=f"Edit “{module.title}”", module=module)


# A case's modules -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_module_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = ModuleAssignForm(request.POST or None, case=case)
    return _record_page(
        request,
        case,
        form,
        heading="Assign a psychoeducation module",
        section="sessions",
        save=lambda data: services.module_assign(actor=request.user, case=case, **data),
        done="Module assigned.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_module_complete(request: AuthedRequest, case_id: int, assignment_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    assignment = get_object_or_404(
        ModuleAssignment.objects.select_related("module", "party__person"),
        case=case,
        pk=assignment_id,
    )
    assignment.case = case
    form = ModuleCompleteForm(request.POST or None)
    name, title = assignment.party.person.full_name, assignment.module.title
    return _record_page(
        request,
        case,
        form,
        heading=f"Record that {name} completed “{title}”",
        section="sessions",
        save=lambda data: services.module_complete(
            actor=request.user, assignment=assignment, **data
        ),
        done=f"Completion of “{title}” by {name} recorded.",
    )
