"""Writing, sealing and verifying the hash chain.

Writers only insert: the event and a `Pending` row, in the caller's transaction, with no lock
on any shared row, so independent writes never queue behind each other. Right after the
writing transaction commits, `audit_seal` links every pending event into the one chain, in a
short transaction of its own: it locks the single `ChainHead` row (so two sealers never fork
the chain), numbers the events 1, 2, 3, … in the order they were written and gives each link a
hash over its number, the hash of the link before it and the event's content. An edited,
deleted, inserted or reordered event or link therefore breaks a link, the head notices links cut
off the end, and an event that is neither linked nor pending was slipped in around the sealer.

The content is hashed in a canonical text the database builds (the same on SQLite and
PostgreSQL), so `verify` streams plain rows and never builds a model object per event.
"""

import contextlib
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from reunify.audit.actions import AuditAction
from reunify.audit.models import ChainHead, Event, ListedCase

GENESIS = "0" * 64

# Joins the hashed fields, and `verify` reads lines of links joined by RS. No event field may
# hold either (the writer replaces them; `verify` counts the separators), so the joined text
# names its fields unambiguously; JSON text escapes both.
SEP = "\x1f"
RS = "\x1e"
_SEPS = 9  # ten fields: nine of the event, then its detail
_BATCH = 5000
_LINES_PER_ROW = 2000

_source: ContextVar[str] = ContextVar("audit_source", default="system")


@contextlib.contextmanager
def audit_source(label: str) -> Iterator[None]:
    """Name where the events written inside this block come from (an address, 'cli', …)."""
    token = _source.set(_clean(label[:200]))
    try:
        yield
    finally:
        _source.reset(token)


def _clean(text: str) -> str:
    if SEP in text or RS in text:
        return text.replace(SEP, " ").replace(RS, " ")
    return text


def _event_sql() -> str:
    """An event `e` as one canonical text: id, time (microseconds since 1970 UTC), actor id,
    actor, action, case, object type and id, source, and its detail as PostgreSQL's JSON."""
    if connection.vendor == "postgresql":
        sep = "chr(31)"
        at = "CAST(CAST(extract(epoch FROM e.at) * 1000000 AS bigint) AS TEXT)"
        detail = "e.detail::text"
    else:
        # SQLite keeps Django's text, "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; its detail is
        # rewritten in PostgreSQL's form by `_pg_detail` (see `_canonical`).
        sep = "char(31)"
        # Whole seconds from julianday() (exact once rounded), microseconds from the text;
        # no strftime('%s'): Django's SQLite cursor would take its % for a parameter.
        at = (
            "CAST(CAST(round((julianday(substr(e.at, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"
            " * 1000000 + CAST(substr(e.at || '.000000', 21, 6) AS INTEGER) AS TEXT)"
        )
        detail = "e.detail"
    fields = [
        "CAST(e.id AS TEXT)",
        at,
        "COALESCE(CAST(e.actor_id AS TEXT), '')",
        "e.actor_label",
        "e.action",
        "COALESCE(CAST(e.case_id AS TEXT), '')",
        "e.object_type",
        "e.object_id",
        "e.source",
        detail,
    ]
    return f" || {sep} || ".join(fields)


def _content_sql() -> str:
    """The columns `e.id, content` of an event `e` (content: `_event_sql`)."""
    return f"e.id, {_event_sql()}"


def _pg_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _pg_json(value: Any) -> str:
    """A JSON value as PostgreSQL's jsonb prints it: keys shortest first, then bytewise; ", "
    and ": " between; non-ASCII as is; numbers as numeric prints them."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return "{" + ", ".join(f"{_pg_string(k)}: {_pg_json(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_pg_json(item) for item in value) + "]"
    if isinstance(value, str):
        return _pg_string(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return format(abs(value) if value.is_zero() else value, "f")
    return str(value)


def _pg_detail(content: str) -> str:
    """An event's canonical text read from SQLite, its detail rewritten as PostgreSQL's."""
    fields, detail = content.rsplit(SEP, 1)
    if detail == "{}":
        return content
    return f"{fields}{SEP}{_pg_json(json.loads(detail, parse_float=Decimal))}"


def _canonical() -> Callable[[str], str]:
    # One text on both databases: PostgreSQL's own JSON spelling costs nothing to read there.
    return str if connection.vendor == "postgresql" else _pg_detail


def link_hash(seq: int, prev_hash: str, content: str) -> str:
    """The hash of link `seq`: over its number, the previous link's hash and the event."""
    text = f"{seq}{SEP}{prev_hash}{SEP}{_canonical()(content)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    # Round-trip through JSON now so what the caller gets back is what the database keeps.
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
    """Write one event inside the caller's transaction; it is sealed into the chain once that
    transaction commits."""
    return audit_record_many(actor=actor, action=action, entries=[Entry(case_id, obj, detail)])[0]


def audit_record_many(*, actor: Any, action: str, entries: list[Entry]) -> list[Event]:
    """Write one event per entry inside the caller's transaction (two bulk inserts, no lock on
    anything shared); they are sealed into the chain once that transaction commits."""
    if not entries:
        return []
    if action not in AuditAction.values:
        raise ValueError(f"{action!r} is not an audit action: add it to audit.actions.AuditAction.")
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    now = timezone.now()
    label = _clean(actor.get_username()) if is_user else "anonymous"
    action = _clean(action)
    source = _source.get()
    events = [
        Event(
            at=now,
            actor=actor if is_user else None,
            actor_label=label,
            action=action,
            case_id=entry.case_id,
            object_type=entry.obj._meta.label_lower if entry.obj is not None else "",
            object_id=_clean(str(entry.obj.pk)) if entry.obj is not None else "",
            source=source,
            detail=_jsonable(entry.detail) if entry.detail else {},
        )
        for entry in entries
    ]
    with transaction.atomic():
        Event.objects.bulk_create(events, batch_size=_BATCH)
        _pending_add([event.pk for event in events])
        _seal_on_commit()
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


def _seal_on_commit() -> None:
    """Seal once after the outermost transaction commits, however many events it wrote."""
    waiting = transaction.get_connection().run_on_commit
    if not any(callback is audit_seal for _, callback, _ in waiting):
        # robust: a seal that fails (the database went away) must not fail the committed
        # write; its events stay pending for the next seal, or `verify`, to link.
        transaction.on_commit(audit_seal, robust=True)


def _locked_head() -> ChainHead:
    """The head row, locked. Migration 0007 creates it; only a database emptied since (a test's
    flush) lacks it, and then the first sealer puts the genesis head back, race-free."""
    head = ChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        ChainHead.objects.bulk_create([ChainHead(id=1, seq=0, hash=GENESIS)], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(id=1)
    return head


def chain_links(
    rows: Iterable[tuple[int, str]], seq: int, prev_hash: str
) -> list[tuple[int, int, str, str]]:
    """Link events (rows of `_content_sql`, in chain order) after link `seq` whose hash is
    `prev_hash`: rows of (seq, event id, prev_hash, hash) for `audit_link`."""
    links = []
    for event_id, content in rows:
        seq += 1
        digest = link_hash(seq, prev_hash, content)
        links.append((seq, event_id, prev_hash, digest))
        prev_hash = digest
    return links


def chain_append(links: list[tuple[int, int, str, str]]) -> None:
    """Insert links and move the head to the last; the caller holds the head's lock."""
    if not links:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Four array parameters rather than 20,000 bound values: hex and digits need no
            # quoting inside an array literal.
            columns = list(zip(*links, strict=True))
            cursor.execute(
                "INSERT INTO audit_link (seq, event_id, prev_hash, hash)"
                " SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[])",
                [f"{{{','.join(map(str, column))}}}" for column in columns],
            )
        else:
            cursor.executemany(
                "INSERT INTO audit_link (seq, event_id, prev_hash, hash) VALUES (%s, %s, %s, %s)",
                links,
            )
    ChainHead.objects.filter(id=1).update(seq=links[-1][0], hash=links[-1][3])


def _pending_ids_sql(statement: str) -> str:
    """`statement` with `{ids}` as a subquery of the event ids in one parameter."""
    if connection.vendor == "postgresql":
        return statement.format(ids="SELECT unnest(%s::bigint[])")
    return statement.format(ids="SELECT value FROM json_each(%s)")


def _ids_parameter(ids: list[int]) -> str:
    text = ",".join(map(str, ids))
    return f"{{{text}}}" if connection.vendor == "postgresql" else f"[{text}]"


def _pending_add(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _pending_ids_sql("INSERT INTO audit_pending (event_id) {ids}"), [_ids_parameter(ids)]
        )


def _pending_remove(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _pending_ids_sql("DELETE FROM audit_pending WHERE event_id IN ({ids})"),
            [_ids_parameter(ids)],
        )


def audit_seal() -> int:
    """Link every committed, pending event into the chain in the order written; return how
    many. Safe to call at any time and from many processes at once: the head's row lock makes
    each seal wait for the one before, and what it sealed is no longer pending."""
    sealed = 0
    after = 0
    query = (  # fixed fragments only
        f"SELECT {_content_sql()} FROM audit_pending p"  # noqa: S608
        " JOIN audit_event e ON e.id = p.event_id"
        " LEFT JOIN audit_link l ON l.event_id = p.event_id"
        " WHERE l.seq IS NULL AND p.event_id > %s ORDER BY p.event_id LIMIT %s"
    )
    with transaction.atomic():
        head = _locked_head()
        seq, prev_hash = head.seq, head.hash
        while True:
            with connection.cursor() as cursor:
                cursor.execute(query, [after, _BATCH])
                rows = cursor.fetchall()
            if not rows:
                break
            links = chain_links(rows, seq, prev_hash)
            chain_append(links)
            ids = [link[1] for link in links]
            _pending_remove(ids)
            seq, prev_hash, after = links[-1][0], links[-1][3], ids[-1]
            sealed += len(links)
            if len(rows) < _BATCH:
                break
    return sealed


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: how many links it checked and the first one that does not fit."""

    checked: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def audit_verify() -> ChainReport:
    """Seal what is pending, then re-walk the whole chain from the first link and report the
    first thing that does not fit: a link missing, out of order or not following the one
    before, an event altered or deleted, links cut off the end, or an event outside the chain."""
    audit_seal()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the walk, the head and the counts, while writers go on.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _verify()


def _lines_sql() -> str:
    """Each link as a line "seq SEP event id SEP hash SEP event text" (no event text if the
    event is gone), in order; PostgreSQL sends them a few thousand lines to a row, so that
    neither side pays for a million rows."""
    pg = connection.vendor == "postgresql"
    sep = "chr(31)" if pg else "char(31)"
    line = (
        f"CAST(l.seq AS TEXT) || {sep} || CAST(l.event_id AS TEXT) || {sep} || l.hash"
        f" || {sep} || COALESCE({_event_sql()}, '')"
    )
    joined = "FROM audit_link l LEFT JOIN audit_event e ON e.id = l.event_id"
    if not pg:
        return f"SELECT {line} {joined} ORDER BY l.seq"
    every = _LINES_PER_ROW
    return (  # fixed fragments only
        f"SELECT (SELECT string_agg({line}, chr(30) ORDER BY l.seq) {joined}"  # noqa: S608
        f" WHERE l.seq > g AND l.seq <= g + {every})"
        f" FROM generate_series(0, (SELECT max(seq) FROM audit_link), {every}) g ORDER BY g"
    )


def _verify() -> ChainReport:
    with connection.chunked_cursor() as cursor:
        cursor.execute(_lines_sql())
        with _prefetched(cursor) as batches:
            texts = (text for rows in batches for (text,) in rows if text)
            bad, checked, prev_hash = _walk(line for text in texts for line in text.split(RS))
    # Only now, with the walk's cursor closed, ask the database why a link did not fit.
    if bad is not None:
        return _link_problem(bad, prev_hash)
    return _tail_problem(checked, prev_hash) or ChainReport(checked, prev_hash)


def _walk(lines: Iterator[str]) -> tuple[int | None, int, str]:
    """Check each line of `_lines_sql` against the chain so far: (the first link that does
    not fit or None, how many did, the last hash that did)."""
    expected = 1
    prev_hash = GENESIS
    sha256 = hashlib.sha256
    canonical = _canonical()
    for line in lines:
        parts = line.split(SEP, 3)
        seq = int(parts[0])
        if seq != expected or len(parts) < 4 or not parts[3]:
            return expected, expected - 1, prev_hash
        digest, content = parts[2], parts[3]
        text = f"{seq}{SEP}{prev_hash}{SEP}{canonical(content)}"
        if sha256(text.encode()).hexdigest() != digest or content.count(SEP) != _SEPS:
            return expected, expected - 1, prev_hash
        prev_hash = digest
        expected += 1
    return None, expected - 1, prev_hash


@contextlib.contextmanager
def _prefetched(cursor: Any) -> Iterator[Iterator[list[tuple[str]]]]:
    """The rows of `cursor`'s query in batches; on PostgreSQL a thread fetches the next batch
    (waiting on the server, which builds it) while the caller hashes this one."""
    if connection.vendor != "postgresql":
        yield iter(lambda: cursor.fetchmany(10_000), [])
        return
    batches: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set() and (rows := cursor.fetchmany(50)):
                batches.put(rows)
        except Exception as failed:  # raised again by the reader
            batches.put(failed)
        batches.put(None)

    def read() -> Iterator[list[tuple[str]]]:
        while (batch := batches.get()) is not None:
            if isinstance(batch, Exception):
                raise batch
            yield batch

    thread = threading.Thread(target=fetch, daemon=True)
    thread.start()
    try:
        yield read()
    finally:
        stop.set()  # a broken link ends the walk early: let the thread finish first
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.1)
        thread.join()


def _link_problem(seq: int, prev_hash: str) -> ChainReport:
    """Why link `seq` does not fit after a chain whose last hash is `prev_hash`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.prev_hash, l.event_id, e.id FROM audit_link l"
            " LEFT JOIN audit_event e ON e.id = l.event_id WHERE l.seq = %s",
            [seq],
        )
        row = cursor.fetchone()
    if row is None:
        return ChainReport(seq - 1, prev_hash, seq, f"link #{seq} is missing")
    link_prev, event_id, found = row
    if link_prev != prev_hash:
        problem = (
            f"link #{seq} does not follow link #{seq - 1} "
            "(a link was removed, replaced or reordered)"
        )
    elif found is None:
        problem = f"the event of link #{seq} (event {event_id}) was deleted"
    else:
        problem = f"the event of link #{seq} (event {event_id}) was altered after it was written"
    return ChainReport(seq - 1, prev_hash, seq, problem)


def _tail_problem(checked: int, last_hash: str) -> ChainReport | None:
    """The head against the last link, and every event against the chain and the pending."""
    head = ChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    broken = checked + 1
    if head_seq > checked:
        return ChainReport(
            checked,
            last_hash,
            broken,
            f"the chain ends at link #{checked} but {head_seq} links were sealed "
            "(links were removed from the end)",
        )
    if (head_seq, head_hash) != (checked, last_hash):
        return ChainReport(
            checked,
            last_hash,
            head_seq + 1 if head_seq < checked else checked,
            f"the head names link #{head_seq} but the chain ends at link #{checked} "
            "with another hash (the head was moved or links were forged after it)",
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.event_id, e.id, l.seq FROM audit_pending p"
            " LEFT JOIN audit_event e ON e.id = p.event_id"
            " LEFT JOIN audit_link l ON l.event_id = p.event_id"
            " WHERE e.id IS NULL OR l.seq IS NOT NULL ORDER BY p.event_id LIMIT 1"
        )
        stray = cursor.fetchone()
        if stray is not None:
            event_id, found, _ = stray
            what = "was deleted before it was sealed" if found is None else "is sealed already"
            return ChainReport(
                checked, last_hash, broken, f"event {event_id}, waiting to be sealed, {what}"
            )
        cursor.execute("SELECT count(*) FROM audit_event")
        events = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM audit_pending")
        pending = cursor.fetchone()[0]
        if events == checked + pending:
            return None
        cursor.execute(
            "SELECT e.id FROM audit_event e"
            " WHERE NOT EXISTS (SELECT 1 FROM audit_link l WHERE l.event_id = e.id)"
            " AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.event_id = e.id)"
            " ORDER BY e.id LIMIT 1"
        )
        outside = cursor.fetchone()
    where = f"event {outside[0]}" if outside else f"{events - checked - pending} events"
    return ChainReport(
        checked,
        last_hash,
        broken,
        f"{where} in neither the chain nor waiting to be sealed "
        "(written around the sealer, or its link was cut off the end)",
    )
