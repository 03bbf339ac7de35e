"""Every write to the library and to a case's module assignments: validate, save, audit.

Library edits belong to the practice (administrators and clinical supervisors) and carry no
case; assigning a module and recording its completion are edits of the case.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import Case, Party
from reunify.cases.services import case_lock, require_open
from reunify.psychoeducation.models import (
    FAMILY_ROLES,
    CompletionSource,
    Language,
    Module,
    ModuleAssignment,
    Topic,
)

LIBRARY_FIELDS = ("topic", "title", "summary", "body", "language", "active")


def _require_library_editor(actor: User) -> None:
    if not access.may_edit_library(actor):
        raise PermissionDenied(
            "Only a practice administrator or a clinical supervisor edits the module library."
        )


def _text(value: str, what: str, *, limit: int | None = None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise ValidationError(f"{what} is required.")
    if limit is not None and len(value) > limit:
        raise ValidationError(f"{what} is too long: at most {limit} characters.")
    return value


def _library_entry(
    *, topic: str, title: str, summary: str, body: str, language: str, active: bool
) -> dict[str, object]:
    if topic not in Topic.values:
        raise ValidationError(f"Unknown topic {topic!r}.")
    if language not in Language.values:
        raise ValidationError(
            f"Unknown language {language!r}: choose English (en) or Spanish (es)."
        )
    return {
        "topic": topic,
        "title": _text(title, "A title", limit=160),
        "summary": _text(summary, "A summary", limit=300),
        "body": _text(body, "The text of the module"),
        "language": language,
        "active": bool(active),
    }


@transaction.atomic
def module_create(
    *,
    actor: User,
    topic: str,
    title: str,
    summary: str,
    body: str,
    language: str = Language.ENGLISH,
    active: bool = True,
) -> Module:
    """Add a text to the practice's library."""
    _require_library_editor(actor)
    entry = _library_entry(
        topic=topic, title=title, summary=summary, body=body, language=language, active=active
    )
    module = Module.objects.create(**entry, updated_at=timezone.now(), updated_by=actor)
    audit_record(
        actor=actor,
        action=AuditAction.MODULE_CREATE,
        obj=module,
        detail={"topic": topic, "language": language, "title": module.title},
    )
    return module


@transaction.atomic
def module_update(
    *,
    actor: User,
    module: Module,
    topic: str,
    title: str,
    summary: str,
    body: str,
    language: str,
    active: bool,
) -> Module:
    """Replace a library text; modules already assigned keep pointing at it."""
    _require_library_editor(actor)
    entry = _library_entry(
        topic=topic, title=title, summary=summary, body=body, language=language, active=active
    )
    module = Module.objects.select_for_update(no_key=True).get(pk=module.pk)
    changed = [name for name in LIBRARY_FIELDS if getattr(module, name) != entry[name]]
    if not changed:
        return module
    for name in changed:
        setattr(module, name, entry[name])
    module.updated_at, module.updated_by = timezone.now(), actor
    module.save(update_fields=[*changed, "updated_at", "updated_by"])
    audit_record(
        actor=actor, action=AuditAction.MODULE_UPDATE, obj=module, detail={"changed": changed}
    )
    return module


@transaction.atomic
def module_assign(*, actor: User, case: Case, party: Party, module: Module) -> ModuleAssignment:
    """Give one family member of the case a module from the library to work through."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if party.case_id != case.pk:
        raise ValidationError("That party does not belong to this case.")
    if party.role not in FAMILY_ROLES:
        raise ValidationError(
            f"{party.person.full_name} is the {party.get_role_display().lower()} in this case; "
            "modules are assigned to family members only."
        )
    if not module.active:
        raise ValidationError(
            f"“{module.title}” is no longer in use in the library and cannot be assigned."
        )
    case = case_lock(case)
    if ModuleAssignment.objects.filter(
        party=party, module=module, completed_on__isnull=True
    ).exists():
        raise ValidationError(
            f"{party.person.full_name} already has “{module.title}” to work through; record "
            "its completion before assigning it again."
        )
    assignment = ModuleAssignment.objects.create(
        case=case, party=party, module=module, assigned_by=actor, assigned_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action=AuditAction.MODULE_ASSIGN,
        case_id=case.pk,
        obj=assignment,
        detail={"party": party.pk, "module": module.pk, "title": module.title},
    )
    return assignment


@transaction.atomic
def module_complete(
    *, actor: User, assignment: ModuleAssignment, completed_on: dt.date
) -> ModuleAssignment:
    """Record, from a session, the day a family member completed their module."""
    case = assignment.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if completed_on > timezone.localdate():
        raise ValidationError(f"The completion date {completed_on} is in the future.")
    assignment = (
        ModuleAssignment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("module", "party__person")
        .get(pk=assignment.pk)
    )
    if assignment.completed_on is not None:
        raise ValidationError(
            f"{assignment.party.person.full_name} already completed “{assignment.module.title}” "
            f"on {assignment.completed_on}."
        )
    assignment.completed_on = completed_on
    assignment.completion_recorded_by = actor
    assignment.completion_source = CompletionSource.IN_SESSION
    assignment.save(update_fields=["completed_on", "completion_recorded_by", "completion_source"])
    audit_record(
        actor=actor,
        action=AuditAction.MODULE_COMPLETE,
        case_id=case.pk,
        obj=assignment,
        detail={
            "party": assignment.party_id,
            "module": assignment.module_id,
            "completed_on": completed_on,
            "source": CompletionSource.IN_SESSION.value,
        },
    )
    return assignment
