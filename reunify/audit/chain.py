"""Writing and verifying the hash chain.

Each event's hash covers its own content and the previous event's hash, so an edited, deleted
or reordered row breaks every link after it. The single `ChainHead` row is locked by each
writer, which serialises appends and lets `verify` notice a row cut off the end.
"""

import contextlib
import hashlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from reunify.audit.models import ChainHead, Event, ListedCase

GENESIS = "0" * 64

_source: ContextVar[str] = ContextVar("audit_source", default="system")


@contextlib.contextmanager
def audit_source(label: str) -> Iterator[None]:
    """Name where the events written inside this block come from (an address, 'cli', …)."""
    token = _source.set(label[:200])
    try:
        yield
    finally:
        _source.reset(token)


def _canonical(event: Event) -> bytes:
    at = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = {
        "seq": event.seq,
        "at": at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "case_id": event.case_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "source": event.source,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: Event) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _jsonable(value: Any) -> Any:
    # Round-trip through JSON now so the stored detail hashes the same when read back.
    return json.loads(json.dumps(value, default=str, sort_keys=True))


@dataclass(frozen=True)
class Entry:
    """One event to append: which case and object it concerns, and what else to keep."""

    case_id: int | None = None
    obj: models.Model | None = None
    detail: dict[str, Any] | None = None


def audit_record(
    *,
    actor: Any,
    action: str,
    case_id: int | None = None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> Event:
    """Append one event to the chain, inside the caller's transaction."""
    return audit_record_many(actor=actor, action=action, entries=[Entry(case_id, obj, detail)])[0]


def audit_record_many(*, actor: Any, action: str, entries: list[Entry]) -> list[Event]:
    """Append one event per entry, taking the chain's lock once (a list page's reads)."""
    if not entries:
        return []
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(id=1).first()
        if head is None:
            head = ChainHead.objects.create(id=1, seq=0, hash=GENESIS)
        is_user = actor is not None and getattr(actor, "is_authenticated", False)
        now = timezone.now()
        seq, prev_hash = head.seq, head.hash
        events = []
        for entry in entries:
            seq += 1
            event = Event(
                seq=seq,
                at=now,
                actor=actor if is_user else None,
                actor_label=actor.get_username() if is_user else "anonymous",
                action=action,
                case_id=entry.case_id,
                object_type=entry.obj._meta.label_lower if entry.obj is not None else "",
                object_id=str(entry.obj.pk) if entry.obj is not None else "",
                source=_source.get(),
                detail=_jsonable(entry.detail or {}),
                prev_hash=prev_hash,
            )
            event.hash = prev_hash = event_hash(event)
            events.append(event)
        Event.objects.bulk_create(events)
        ChainHead.objects.filter(id=1).update(seq=seq, hash=prev_hash)
        return events


def audit_record_list(
    *, actor: Any, action: str, case_ids: list[int], detail: dict[str, Any] | None = None
) -> Event:
    """Append ONE event for a list someone saw: its detail names the cases shown
    (`case_ids`, hashed with the rest), and each case is indexed so that case's "who looked"
    finds the list without scanning every list event."""
    ids = sorted(set(case_ids))
    with transaction.atomic():
        event = audit_record(actor=actor, action=action, detail={**(detail or {}), "case_ids": ids})
        ListedCase.objects.bulk_create([ListedCase(event=event, case_id=pk) for pk in ids])
    return event


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: how many events it checked and the first one that does not fit."""

    checked: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def audit_verify() -> ChainReport:
    """Re-walk the whole chain from the first event and report the first broken link."""
    expected_seq = 1
    prev_hash = GENESIS
    checked = 0
    for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(
                checked, prev_hash, expected_seq, f"event #{expected_seq} is missing"
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked,
                prev_hash,
                event.seq,
                f"event #{event.seq} does not follow event #{event.seq - 1} "
                "(a row was removed, replaced or reordered)",
            )
        if event_hash(event) != event.hash:
            return ChainReport(
                checked,
                prev_hash,
                event.seq,
                f"event #{event.seq} was altered after it was written",
            )
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev_hash:
        return ChainReport(
            checked,
            prev_hash,
            checked + 1,
            f"the chain ends at event #{checked} but {head_seq} events were written "
            "(events were removed from the end)",
        )
    return ChainReport(checked, prev_hash)
