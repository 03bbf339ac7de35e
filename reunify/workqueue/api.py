"""GET /api/v1/work-queue: what needs the clinician now, the same items the caseload shows."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema

from reunify import access
from reunify.cases.api import request_user
from reunify.cases.schemas import ErrorOut
from reunify.cases.services import case_views
from reunify.reports.api import CaseRef
from reunify.workqueue.selectors import ItemKind, QueueItem, WorkQueue, work_queue

router = Router(tags=["work queue"])


class QueueItemOut(Schema):
    kind: ItemKind
    kind_label: str
    case: CaseRef
    text: str
    url: str
    since: dt.datetime | None
    age_days: int | None
    due_on: dt.date | None

    @classmethod
    def of(cls, item: QueueItem) -> QueueItemOut:
        return cls(
            kind=ItemKind(item.kind),
            kind_label=item.kind_label,
            case=CaseRef(id=item.case.pk, title=item.case.title),
            text=item.text,
            url=item.url,
            since=item.since,
            age_days=item.age_days,
            due_on=item.due_on,
        )


class WorkQueueOut(Schema):
    urgent: list[QueueItemOut]
    messages: list[QueueItemOut]
    checkins: list[QueueItemOut]
    drafts: list[QueueItemOut]
    rescreens: list[QueueItemOut]
    reports: list[QueueItemOut]
    overrides: list[QueueItemOut]

    @classmethod
    def of(cls, queue: WorkQueue) -> WorkQueueOut:
        return cls(
            **{
                key: [QueueItemOut.of(item) for item in items]
                for key, _title, items in queue.sections()
            }
        )


@router.get("/work-queue", response={200: WorkQueueOut, 401: ErrorOut, 403: ErrorOut})
def work_queue_get(request: HttpRequest) -> WorkQueueOut:
    """What needs you now: urgent safety items (newest first), unread messages and check-ins,
    your draft notes with their age, overdue re-screens, court reports due, and (for a
    supervisor) overrides waiting for your co-signature; each with the page to act on it."""
    user = request_user(request)
    if not access.may_create_case(user):
        raise PermissionDenied("The work queue is for therapists and supervisors.")
    queue = work_queue(user)
    case_views(actor=user, cases=queue.cases, what="api:work_queue")
    return WorkQueueOut.of(queue)
