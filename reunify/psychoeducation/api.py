"""The psychoeducation API: the library, and each case's modules with their completion.

Anyone on the staff reads the library; administrators and clinical supervisors edit it (403
for everyone else). A case's modules are found through the case, so another family's case or
assignment is a 404; every read of them is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from reunify import access
from reunify.accounts.models import User
from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, case_to_change, case_to_read, request_user
from reunify.cases.models import Case
from reunify.cases.schemas import ErrorOut, InputErrorOut
from reunify.paging import Page, paged
from reunify.psychoeducation import services
from reunify.psychoeducation.models import (
    CompletionSource,
    Language,
    Module,
    ModuleAssignment,
    Topic,
)
from reunify.psychoeducation.selectors import case_assignments

router = Router(tags=["psychoeducation"])

LIBRARY_READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
LIBRARY_WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: InputErrorOut,
}


class ModuleIn(Schema):
    topic: Topic
    title: str
    summary: str
    body: str = Field(description="Plain text; an empty line between paragraphs.")
    language: Language = Language.ENGLISH
    active: bool = Field(default=True, description="Only modules in use can be assigned.")


class ModuleOut(ModuleIn):
    id: int
    topic_label: str
    updated_at: dt.datetime
    updated_by: str | None = Field(description="Empty for a text as the project shipped it.")

    @classmethod
    def of(cls, module: Module) -> ModuleOut:
        return cls(
            id=module.pk,
            topic=Topic(module.topic),
            topic_label=module.get_topic_display(),
            title=module.title,
            summary=module.summary,
            body=module.body,
            language=Language(module.language),
            active=module.active,
            updated_at=module.updated_at,
            updated_by=module.updated_by.username if module.updated_by else None,
        )


class AssignmentIn(Schema):
    party_id: int
    module_id: int


class CompletionIn(Schema):
    completed_on: dt.date


class AssignmentOut(Schema):
    id: int
    party_id: int
    party: str
    module_id: int
    module_title: str
    topic: Topic
    assigned_by: str
    assigned_at: dt.datetime
    completed: bool
    completed_on: dt.date | None
    completion_recorded_by: str | None
    completion_source: CompletionSource | None

    @classmethod
    def of(cls, assignment: ModuleAssignment) -> AssignmentOut:
        recorder = assignment.completion_recorded_by
        source = assignment.completion_source
        return cls(
            id=assignment.pk,
            party_id=assignment.party_id,
            party=assignment.party.label,
            module_id=assignment.module_id,
            module_title=assignment.module.title,
            topic=Topic(assignment.module.topic),
            assigned_by=assignment.assigned_by.username,
            assigned_at=assignment.assigned_at,
            completed=assignment.completed_on is not None,
            completed_on=assignment.completed_on,
            completion_recorded_by=recorder.username if recorder else None,
            completion_source=CompletionSource(source) if source else None,
        )


def _reader(request: HttpRequest) -> User:
    user = request_user(request)
    if not access.may_read_library(user):
        raise PermissionDenied("The module library is for the practice's staff.")
    return user


def _editor(request: HttpRequest) -> User:
    user = request_user(request)
    if not access.may_edit_library(user):
        raise PermissionDenied(
            "Only a practice administrator or a clinical supervisor edits the module library."
        )
    return user


def _module(module_id: int) -> Module:
    module = Module.objects.select_related("updated_by").filter(pk=module_id).first()
    if module is None:
        raise Http404("No such module.")
    return module


def _assignment_out(case: Case, assignment_id: int) -> AssignmentOut:
    return AssignmentOut.of(case_assignments(case).get(pk=assignment_id))


# The library -------------------------------------------------------------------------------


@router.get("/modules", response={200: list[ModuleOut], **LIBRARY_READ_ERRORS})
@paged
def module_list(request: HttpRequest, page: Page) -> list[ModuleOut]:
    """Every module of the practice's library by topic and title, retired ones included
    (`active` says which)."""
    _reader(request)
    modules = Module.objects.select_related("updated_by")
    return [ModuleOut.of(m) for m in page.rows(modules, order=("topic", "title", "id"))]


@router.get("/modules/{id}", response={200: ModuleOut, 404: ErrorOut, **LIBRARY_READ_ERRORS})
def module_get(request: HttpRequest, id: int) -> ModuleOut:
    _reader(request)
    return ModuleOut.of(_module(id))


@router.post("/modules", response={201: ModuleOut, **LIBRARY_WRITE_ERRORS})
def module_create(request: HttpRequest, payload: ModuleIn) -> tuple[int, ModuleOut]:
    """Add a text to the library (practice administrators and clinical supervisors)."""
    user = _editor(request)
    module = services.module_create(
        actor=user,
        topic=payload.topic.value,
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
        language=payload.language.value,
        active=payload.active,
    )
    return 201, ModuleOut.of(_module(module.pk))


@router.put("/modules/{id}", response={200: ModuleOut, **LIBRARY_WRITE_ERRORS})
def module_update(request: HttpRequest, id: int, payload: ModuleIn) -> ModuleOut:
    """Replace a library text (practice administrators and clinical supervisors)."""
    user = _editor(request)
    module = services.module_update(
        actor=user,
        module=_module(id),
        topic=payload.topic.value,
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
        language=payload.language.value,
        active=payload.active,
    )
    return ModuleOut.of(_module(module.pk))


# A case's modules --------------------------------------------------------------------------


@router.get("/cases/{id}/modules", response={200: list[AssignmentOut], **READ_ERRORS})
@paged
def case_module_list(request: HttpRequest, id: int, page: Page) -> list[AssignmentOut]:
    """The modules given to each family member, oldest first, with their completion."""
    _, case = case_to_read(request, id, "modules")
    assignments = page.rows(case_assignments(case), order=("assigned_at", "id"))
    return [AssignmentOut.of(a) for a in assignments]


@router.post("/cases/{id}/modules", response={201: AssignmentOut, **WRITE_ERRORS})
def case_module_assign(
    request: HttpRequest, id: int, payload: AssignmentIn
) -> tuple[int, AssignmentOut]:
    """Give a family member of the case a module from the library."""
    user, case = case_to_change(request, id)
    party = case.parties.select_related("person").filter(pk=payload.party_id).first()
    if party is None:
        raise ValidationError(f"There is no party {payload.party_id} in this case.")
    module = Module.objects.filter(pk=payload.module_id).first()
    if module is None:
        raise ValidationError(f"There is no module {payload.module_id} in the library.")
    assignment = services.module_assign(actor=user, case=case, party=party, module=module)
    return 201, _assignment_out(case, assignment.pk)


@router.post(
    "/cases/{id}/modules/{assignment_id}/complete",
    response={200: AssignmentOut, **WRITE_ERRORS},
)
def case_module_complete(
    request: HttpRequest, id: int, assignment_id: int, payload: CompletionIn
) -> AssignmentOut:
    """Record the day the family member completed the module (in session)."""
    user, case = case_to_change(request, id)
    assignment = ModuleAssignment.objects.filter(case=case, pk=assignment_id).first()
    if assignment is None:
        raise Http404("No such module assignment.")
    assignment.case = case
    services.module_complete(actor=user, assignment=assignment, completed_on=payload.completed_on)
    return _assignment_out(case, assignment.pk)
