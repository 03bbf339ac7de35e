"""Writes that never half-happen: the lock order, retries of a transaction that lost a race, and
the clear 503 when the database cannot take the write.

THE LOCK ORDER. Every write takes its row locks in this order, and never goes back up it:

1. the case row, once, first (`cases.services.case_lock`, FOR NO KEY UPDATE);
2. that case's own rows: a court order then its terms, a note, the ladder, a release, a
   restriction, a share, an override or amendment request, a module assignment, an invitation
   (each locked by primary key; several of one kind in id order);
3. rows shared between cases: staff users, then people, in id order, then an office room
   (an advisory lock on its name) — `clinical.services.scheduling._booking_lock`;
4. an account's own rows (second factor, enrolment code), which no case write touches;
5. login counting: the account name, then the address (advisory locks, `login_guard`);
6. the audit log last.

Every row lock is FOR NO KEY UPDATE (`select_for_update(no_key=True)`): it serialises the writers
of one row but, unlike FOR UPDATE, does not block the FOR KEY SHARE that PostgreSQL's foreign-key
checks take at commit, so adding a party or a note to a case is never stuck behind (or deadlocked
with) a write that holds the case row.

Should PostgreSQL still report a deadlock or a serialisation failure (SQLSTATE 40P01, 40001),
the whole transaction is run again, up to `REUNIFY_WRITE_ATTEMPTS` times with a short jittered
pause; then the request answers 503 with nothing saved. A statement past its timeout or a lost
connection answers 503 at once. SQLite is not retried: its busy timeout
already waits (and retries) for the write lock, so "database is locked" answers 503 at once.
Every unsafe request (POST, PUT, PATCH, DELETE) runs in one transaction (`WriteRetryMiddleware`),
so e-mails and other `transaction.on_commit` work happen once, after the final commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from reunify.errors import unavailable

T = TypeVar("T")
logger = logging.getLogger(__name__)

# SQLSTATEs after which running the same transaction again can succeed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FAILURE = "_reunify_transient_failure"


class WriteUnavailable(Exception):
    """The database could not take the write now (lost races past the retries, or locked)."""


def _sqlstate(error: BaseException) -> str:
    cause = error.__cause__ or error
    return str(getattr(cause, "sqlstate", "") or "")


def is_retryable(error: BaseException) -> bool:
    """A PostgreSQL deadlock or serialisation failure: the same transaction may succeed again."""
    return isinstance(error, DatabaseError) and _sqlstate(error) in RETRYABLE_SQLSTATES


def is_locked(error: BaseException) -> bool:
    """SQLite could not get the write lock within its busy timeout."""
    return isinstance(error, DatabaseError) and "database is locked" in str(error)


def is_unavailable(error: BaseException) -> bool:
    """The database could not do it now (other writers, a statement past its timeout, a lost or
    refused connection), not because of what was asked: 503, not 500."""
    if not isinstance(error, DatabaseError):
        return False
    if is_retryable(error) or is_locked(error):
        return True
    state = _sqlstate(error)
    if state:
        return state == "57014" or state.startswith(("08", "57P"))
    # psycopg's failure to connect at all carries no SQLSTATE.
    cause = error.__cause__
    return (
        cause is not None
        and type(cause).__module__.startswith("psycopg")
        and (type(cause).__name__ == "OperationalError")
    )


def _pause(attempt: int) -> None:
    # 20-80 ms, then 40-160 ms, …: long enough for the winner to commit, short for a person.
    time.sleep((20 + secrets.randbelow(61)) * attempt / 1000)


def retrying(work: Callable[[], T], *, attempts: int | None = None) -> T:
    """Run `work` in one transaction; run all of it again after a deadlock or serialisation
    failure, up to `attempts` times in all; raise WriteUnavailable when it cannot be done."""
    limit = attempts or settings.REUNIFY_WRITE_ATTEMPTS
    attempt = 0
    while True:
        attempt += 1
        try:
            with transaction.atomic():
                return work()
        except DatabaseError as error:
            if not is_unavailable(error):
                raise
            if not is_retryable(error) or attempt >= limit:
                logger.warning("write given up after %s attempt(s): %s", attempt, error)
                raise WriteUnavailable(str(error)) from error
            _pause(attempt)


def advisory_lock(name: str) -> None:
    """Serialise, until the transaction ends, the writers that use `name` (PostgreSQL; on
    SQLite every write transaction already holds the one write lock)."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _rewind(request: HttpRequest) -> None:
    """Let a retried view read its uploaded files again from the start."""
    files = request.__dict__.get("_files")
    if files is not None:
        for upload in files.values():
            upload.seek(0)


def _writes(request: HttpRequest) -> bool:
    """Whether the request reaches a view that may write: not an unknown path, nor a view
    marked `transaction.non_atomic_requests` (one that writes nothing, like /verify)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    exempt: set[str] = getattr(match.func, "_non_atomic_requests", set())
    return DEFAULT_DB_ALIAS not in exempt


class WriteRetryMiddleware:
    """Run each unsafe request in one transaction, again after a lost race, 503 in the end.

    A 5xx answer rolls the transaction back (nothing half-saved); a view that raised a
    deadlock or a serialisation failure is caught in `process_exception` and the whole request
    is run again (the inner middleware too, so CSRF, the user and the
    messages are fresh each time). Other unavailability ("database is locked", a statement
    timeout, a lost connection) and safe requests are not retried: they answer 503 at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS or not _writes(request):
            response = self.get_response(request)
            request.__dict__.pop(_FAILURE, None)
            return response

        def attempt() -> HttpResponse:
            _rewind(request)
            response = self.get_response(request)
            failure = request.__dict__.pop(_FAILURE, None)
            if failure is not None:
                raise failure
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response

        try:
            return retrying(attempt)
        except WriteUnavailable:
            return unavailable(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        request.__dict__[_FAILURE] = exception
        return unavailable(request)
