"""Saving a record with who put it on file and when, and its audit event, in one call.

A service that puts a `Recorded` model on file in one step calls `recorded_create` inside its
transaction: the row gets its `recorded_by` and `recorded_at`, and the audit log an event naming
it. Those that write more before the event (a screen's findings, a visit's status, a check-in's
task) set the two fields and write the event themselves, in the same transaction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.chain import audit_record
from reunify.audit.models import Recorded

R = TypeVar("R", bound=Recorded)


def recorded_create(
    model: type[R],
    *,
    actor: User,
    action: str,
    case_id: int | None = None,
    detail: dict[str, Any] | None = None,
    **fields: Any,
) -> R:
    """Create the row of `model` from `fields`, recorded by `actor` now, and audit `action`
    against its case (`case_id`, or the row's own case when it has one)."""
    row = model._default_manager.create(recorded_by=actor, recorded_at=timezone.now(), **fields)
    audit_record(
        actor=actor,
        action=action,
        case_id=case_id if case_id is not None else getattr(row, "case_id", None),
        obj=row,
        detail=detail,
    )
    return row
