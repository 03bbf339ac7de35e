"""Keep every event written before the chain moved into links: re-walk the old chain (each
event hashed with the one before it, in `seq` order) with the old formula, refuse to go on if
it is broken, then seal the events into the new chain in that same order."""

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from django.db import migrations

OLD_GENESIS = "0" * 64


class OldChainBroken(RuntimeError):
    """The chain as the old code kept it does not verify: nothing may be re-sealed over it."""


def old_event_hash(event: Any) -> str:
    """The hash the old code gave an event (frozen here: the old code is gone)."""
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
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
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def old_chain_check(events: Iterable[Any], head: tuple[int, str] | None) -> int:
    """Walk old-format events in `seq` order against the old head; return how many, or raise
    `OldChainBroken` naming the first that does not fit."""
    seq, prev_hash = 0, OLD_GENESIS
    for event in events:
        seq += 1
        if event.seq != seq:
            problem = f"event #{seq} is missing"
        elif event.prev_hash != prev_hash:
            problem = f"event #{seq} does not follow event #{seq - 1}"
        elif old_event_hash(event) != event.hash:
            problem = f"event #{seq} was altered after it was written"
        else:
            prev_hash = event.hash
            continue
        raise OldChainBroken(_refusal(problem))
    if (head or (0, OLD_GENESIS)) != (seq, prev_hash):
        raise OldChainBroken(_refusal(f"the chain ends at event #{seq} but the head does not"))
    return seq


def _refusal(problem: str) -> str:
    return (
        f"The audit chain is broken ({problem}), so this upgrade will not re-seal it into the "
        "new chain. Restore the database from a backup whose `reunify audit verify` passes "
        "(on the previous release), or investigate the tampering, before migrating."
    )


def seal_existing(apps, schema_editor):
    # The live code's formula: these links must verify with the code that runs from now on.
    from reunify.audit.chain import _content_sql, chain_append, chain_links

    Event = apps.get_model("audit", "Event")
    ChainHead = apps.get_model("audit", "ChainHead")
    head = ChainHead.objects.filter(id=1).values_list("seq", "hash").first()
    old_chain_check(Event.objects.order_by("seq").iterator(chunk_size=2000), head)

    connection = schema_editor.connection
    seq, prev_hash = 0, OLD_GENESIS
    # A server-side cursor on PostgreSQL: the events stream in, however many there are.
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {_content_sql()} FROM audit_event e ORDER BY e.seq")
        while rows := cursor.fetchmany(5000):
            links = chain_links(rows, seq, prev_hash)
            chain_append(links)
            seq, prev_hash = links[-1][0], links[-1][3]
    if seq:
        ChainHead.objects.filter(id=1).update(seq=seq, hash=prev_hash)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_links")]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
