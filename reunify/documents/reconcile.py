"""`reunify documents check`: the documents folder against the rows that name its files.

A row names a stored file when its model has both a `stored_name` and a `sha256` field (documents,
issued court reports, notices of closing; a model added later is found the same way, without
this module importing the apps above it). A crash can leave three things behind (see `storage`):

- a committed row whose file is still under its temporary name (killed between commit and
  rename): the check finishes the rename once the file matches the row's SHA-256;
- a file, stored or temporary, that no row names (killed before commit): moved to
  `quarantine/` in the folder once it is older than the grace period, never deleted, so that an
  upload still in its transaction is left alone;
- a row whose file is missing or no longer matches its SHA-256: reported for a person to look
  at, with nothing changed.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db.models import Model

from reunify.documents import storage

QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Named:
    """One row that names a stored file."""

    label: str
    pk: object
    stored_name: str
    sha256: str

    def __str__(self) -> str:
        return f"{self.label} {self.pk} ({self.stored_name})"


@dataclass
class FolderCheck:
    """What `documents_check` found and did, name by name."""

    folder: Path
    rows: int = 0
    files: int = 0
    fine: int = 0
    renamed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    too_new: list[str] = field(default_factory=list)
    not_ours: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def needs_a_person(self) -> bool:
        return bool(self.missing or self.mismatched)


def holders() -> list[type[Model]]:
    """Every model whose rows name a stored file."""
    return [
        model
        for model in apps.get_models()
        if {"stored_name", "sha256"} <= {f.name for f in model._meta.get_fields()}
    ]


def _rows() -> Iterator[Named]:
    for model in holders():
        rows = model._default_manager.order_by().values_list("pk", "stored_name", "sha256")
        for pk, stored_name, sha256 in rows.iterator(chunk_size=2000):
            yield Named(model._meta.label_lower, pk, stored_name, sha256)


def _matches(path: Path, sha256: str) -> bool:
    with path.open("rb") as handle:
        return storage.sha256_of(storage.chunks_of(handle)) == sha256


def _quarantine(folder: Path, name: str) -> str:
    """Move a file into the quarantine folder, never over another; its name there."""
    into = folder / QUARANTINE
    into.mkdir(mode=0o700, exist_ok=True)
    target, n = into / name, 1
    while target.exists():
        target, n = into / f"{name}.{n}", n + 1
    os.replace(folder / name, target)
    return f"{QUARANTINE}/{target.name}"


def _row_check(folder: Path, row: Named, found: FolderCheck, *, dry_run: bool) -> None:
    final = folder / row.stored_name
    temporary = folder / storage.temporary_name(row.stored_name)
    if not storage.STORED_NAME.match(row.stored_name):
        found.missing.append(f"{row}: not a stored file's name")
    elif final.is_file():
        if _matches(final, row.sha256):
            found.fine += 1
        else:
            found.mismatched.append(str(row))
    elif temporary.is_file():
        if not _matches(temporary, row.sha256):
            found.mismatched.append(f"{row}, under its temporary name {temporary.name}")
            return
        if not dry_run:
            try:
                storage.file_finish(row.stored_name, folder)
            except FileNotFoundError:
                # The application's own commit callback renamed it a moment ago.
                if not final.is_file():
                    raise
                found.fine += 1
                return
        found.renamed.append(str(row))
    else:
        found.missing.append(str(row))


def documents_check(*, grace: dt.timedelta, dry_run: bool = False) -> FolderCheck:
    """Check every row's file, finish interrupted renames and quarantine files no row names
    that are older than `grace`; with `dry_run`, only say what would be done."""
    folder = storage.documents_dir()
    found = FolderCheck(folder=folder)
    # The folder is listed before the rows are read: a file written after this is not looked
    # at, and one whose row commits after the rows are read is younger than the grace period.
    listed = sorted(p.name for p in folder.iterdir() if p.is_file())
    found.files = len(listed)
    named: set[str] = set()
    for row in _rows():
        found.rows += 1
        named.add(row.stored_name)
        _row_check(folder, row, found, dry_run=dry_run)
    now = time.time()
    for name in listed:
        stored_name = name if storage.STORED_NAME.match(name) else storage.stored_name_of(name)
        if stored_name is None:
            found.not_ours.append(name)
            continue
        if stored_name in named and name == stored_name:
            continue
        if stored_name in named and not (folder / stored_name).is_file():
            continue  # a row's file under its temporary name, not renamed (see above)
        try:
            age = now - (folder / name).stat().st_mtime
        except FileNotFoundError:
            continue  # renamed or rolled back since the folder was listed
        minutes = int(age // 60)
        if age < grace.total_seconds():
            found.too_new.append(f"{name} ({minutes} min old)")
        elif dry_run:
            found.quarantined.append(f"{name} ({minutes} min old)")
        else:
            found.quarantined.append(f"{name} ({minutes} min old) -> {_quarantine(folder, name)}")
    return found
