"""The documents folder: outside the web root, private to the server's user, written atomically.

A file is written under a temporary name in the folder itself and renamed into place once all of
it is on disk, so a reader never meets half a file. Stored names are random; a name that does not
look like one of ours is never opened, whatever the database says.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

STORED_NAME = re.compile(r"\A[0-9a-f]{32}\.(pdf|png|jpg)\Z")


class TooLarge(Exception):
    """The file grew past the limit while it was being written; nothing was kept."""


@dataclass(frozen=True)
class Written:
    """A file now in place in the documents folder."""

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


def file_write(chunks: Iterable[bytes], *, suffix: str, max_bytes: int) -> Written:
    """Write the chunks to a new randomly named file; raise `TooLarge` past `max_bytes`."""
    folder = documents_dir()
    stored_name = f"{uuid.uuid4().hex}{suffix}"
    if not STORED_NAME.match(stored_name):
        raise ValueError(f"Not a stored document's suffix: {suffix!r}")
    partial = folder / f".{stored_name}.part"
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
        os.replace(partial, folder / stored_name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Written(stored_name=stored_name, size=size, sha256=digest.hexdigest())


def _path_of(stored_name: str) -> Path:
    if not STORED_NAME.match(stored_name):
        raise FileNotFoundError(f"Not a stored document's name: {stored_name!r}")
    return documents_dir() / stored_name


def file_remove(stored_name: str) -> None:
    """Remove a stored file (after the database refused its record)."""
    with contextlib.suppress(FileNotFoundError):
        _path_of(stored_name).unlink()


def file_open(stored_name: str) -> BinaryIO:
    """The stored file, open for reading; `FileNotFoundError` when it is not there."""
    return _path_of(stored_name).open("rb")
