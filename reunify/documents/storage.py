"""The documents folder: outside the web root, private to the server's user, and never a file
without the row that names it.

A file is written under a temporary name (`.<stored name>.part`) inside the transaction that
records it, and renamed to its stored name only when that transaction commits
(`transaction.on_commit`). Django has no hook for a rollback, so each write's commit callback
carries a finaliser: when Django throws the callback away without running it — the transaction or
its savepoint rolled back, the commit failed, the connection closed — the finaliser removes the
temporary file (unless Django records the commit as done and an earlier callback's failure made
it skip the rest: then the finaliser renames it). A worker killed between write and commit, or
between commit and rename, leaves a temporary file whose stored name is its own name without the
dot and `.part`; `reunify documents check` finishes the rename for a committed row and
quarantines a file no row names.

Stored names are random; a name that does not look like one of ours is never opened, whatever the
database says.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import uuid
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.transaction import TransactionManagementError

logger = logging.getLogger(__name__)

STORED_NAME = re.compile(r"\A[0-9a-f]{32}\.(pdf|png|jpg)\Z")
TEMPORARY_NAME = re.compile(r"\A\.(?P<stored>[0-9a-f]{32}\.(pdf|png|jpg))\.part\Z")


class TooLarge(Exception):
    """The file grew past the limit while it was being written; nothing was kept."""


@dataclass(frozen=True)
class Written:
    """A file written in the current transaction: under its stored name once it commits."""

    stored_name: str
    size: int
    sha256: str


def _web_roots() -> list[Path]:
    """Every folder whose files the web server hands out as they are."""
    roots: list[str | Path] = [settings.STATIC_ROOT, getattr(settings, "MEDIA_ROOT", "")]
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        roots.append(entry[1] if isinstance(entry, tuple | list) else entry)
    roots += [Path(config.path) / "static" for config in apps.get_app_configs()]
    return [Path(root).resolve() for root in roots if root]


def exposed_by(folder: Path) -> Path | None:
    """The web root the folder lies in, or None when it is safely outside all of them."""
    folder = folder.resolve()
    return next((root for root in _web_roots() if folder.is_relative_to(root)), None)


def documents_dir() -> Path:
    """The documents folder, created on first use readable by the server's user alone."""
    folder = Path(settings.REUNIFY_DOCUMENTS_DIR).resolve()
    root = exposed_by(folder)
    if root is not None:
        raise ImproperlyConfigured(
            f"REUNIFY_DOCUMENTS_DIR ({folder}) is inside {root}, which is served to the web."
        )
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode passes through the umask; say it once more, plainly.
        folder.chmod(0o700)
    return folder


def temporary_name(stored_name: str) -> str:
    """The name a stored file has until the transaction that records it commits."""
    return f".{stored_name}.part"


def stored_name_of(temporary: str) -> str | None:
    """The stored name a temporary file becomes on commit, or None for any other name."""
    found = TEMPORARY_NAME.match(temporary)
    return found["stored"] if found else None


def _sync_folder(folder: Path) -> None:
    """Make a rename in the folder survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def file_finish(stored_name: str, folder: Path | None = None) -> None:
    """Move a committed file from its temporary name to its stored name."""
    folder = folder or documents_dir()
    os.replace(folder / temporary_name(stored_name), folder / stored_name)
    _sync_folder(folder)


class _Pending:
    """A file written by this thread's open transaction, not yet committed nor rolled back."""

    def __init__(self, folder: Path, stored_name: str) -> None:
        self.folder = folder
        self.stored_name = stored_name
        self.settled = False


# Files this thread's transactions have written and not settled, by stored name: the transaction
# that wrote a file reads it back under its temporary name, as it reads back its own rows.
_local = threading.local()


def _pending() -> dict[str, _Pending]:
    if not hasattr(_local, "pending"):
        _local.pending = {}
    pending: dict[str, _Pending] = _local.pending
    return pending


class _OnCommit:
    """The commit callback of one write. Only the connection's list of callbacks holds it, so
    it is garbage the moment Django drops that list (rollback) or this entry (savepoint
    rollback); its finaliser then runs `_dropped`."""

    def __init__(self, pending: _Pending) -> None:
        self.pending = pending

    def __call__(self) -> None:
        self.pending.settled = True
        _pending().pop(self.pending.stored_name, None)
        file_finish(self.pending.stored_name, self.pending.folder)


def _dropped(pending: _Pending) -> None:
    """Django dropped a write's commit callback without running it."""
    if pending.settled:
        return
    pending.settled = True
    _pending().pop(pending.stored_name, None)
    folder, name = pending.folder, pending.stored_name
    if transaction.get_connection().run_commit_hooks_on_set_autocommit_on:
        # The commit went through and an earlier on-commit callback raised, so Django skipped
        # the rest: the row is there, so the file must be too.
        logger.warning("Stored file %s: finishing its rename after a failed commit hook", name)
        with contextlib.suppress(OSError):
            file_finish(name, folder)
        return
    (folder / temporary_name(name)).unlink(missing_ok=True)


def file_write(chunks: Iterable[bytes], *, suffix: str, max_bytes: int) -> Written:
    """Write the chunks to a new randomly named file, in place once the current transaction
    commits and gone if it rolls back; raise `TooLarge` past `max_bytes`."""
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "A stored file is written inside the transaction that saves its row."
        )
    folder = documents_dir()
    stored_name = f"{uuid.uuid4().hex}{suffix}"
    if not STORED_NAME.match(stored_name):
        raise ValueError(f"Not a stored document's suffix: {suffix!r}")
    partial = folder / temporary_name(stored_name)
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(size)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    pending = _Pending(folder, stored_name)
    _pending()[stored_name] = pending
    on_commit = _OnCommit(pending)
    # At interpreter exit nothing is known about the transaction: leave the file to the check.
    finalizer = weakref.finalize(on_commit, _dropped, pending)
    finalizer.atexit = False  # type: ignore[misc]  # typeshed lists it as a slot; it is not
    transaction.on_commit(on_commit, robust=True)
    return Written(stored_name=stored_name, size=size, sha256=digest.hexdigest())


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def chunks_of(handle: BinaryIO) -> Iterator[bytes]:
    """What is left to read in an open file, a megabyte at a time."""
    return iter(lambda: handle.read(1024 * 1024), b"")


def _path_of(stored_name: str) -> Path:
    if not STORED_NAME.match(stored_name):
        raise FileNotFoundError(f"Not a stored document's name: {stored_name!r}")
    return documents_dir() / stored_name


def file_open(stored_name: str) -> BinaryIO:
    """The stored file, open for reading (the transaction that wrote it reads it before it
    commits); `FileNotFoundError` when it is not there."""
    path = _path_of(stored_name)
    if stored_name in _pending():
        with contextlib.suppress(FileNotFoundError):
            return (path.parent / temporary_name(stored_name)).open("rb")
    return path.open("rb")
