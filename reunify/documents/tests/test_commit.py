"""Never a file without its record: a stored file takes its name only when its transaction
commits, is gone when the transaction (or its savepoint) rolls back or the commit fails, and
`reunify documents check` cleans up after a worker killed in between."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test import Client

from reunify.accounts.models import User
from reunify.conftest import Family, bearer, committing, make_family, make_user
from reunify.documents import storage
from reunify.documents.models import Document
from reunify.documents.pdf import text_pdf
from reunify.documents.reconcile import holders
from reunify.documents.services import document_open, document_upload

PDF = text_pdf("Minute order FL-2026-0001", ["Contact is supervised until further order."])
HOUR = 3600


class Refused(Exception):
    """Whatever made the transaction roll back."""


@pytest.fixture(autouse=True)
def folder(settings: Any, tmp_path: Path) -> Path:
    settings.REUNIFY_DOCUMENTS_DIR = tmp_path / "documents"
    return Path(settings.REUNIFY_DOCUMENTS_DIR)


def stored(folder: Path) -> list[str]:
    """Every file in the documents folder, temporary ones included (not the quarantine)."""
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.exists() else []


def quarantined(folder: Path) -> list[str]:
    into = folder / "quarantine"
    return sorted(p.name for p in into.iterdir()) if into.exists() else []


def upload(therapist: User, family: Family, title: str = "Minute order") -> Document:
    return document_upload(
        actor=therapist,
        case=family.case,
        kind="court_order",
        title=title,
        upload=SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf"),
    )


def check(*args: str) -> str:
    out = StringIO()
    call_command("documents", "check", *args, stdout=out)
    return out.getvalue()


def refused_check(*args: str) -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("documents", "check", *args, stdout=out)
    return out.getvalue(), str(refused.value)


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def orphan(folder: Path, name: str, *, seconds_old: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(PDF)
    age(path, seconds_old)
    return path


# In the transaction -------------------------------------------------------------------------


def test_until_commit_the_file_has_its_temporary_name_and_its_transaction_reads_it(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)

    assert stored(folder) == [f".{document.stored_name}.part"]
    with document_open(actor=therapist, document=document) as handle:
        assert handle.read() == PDF


def test_on_commit_the_file_takes_its_stored_name(
    therapist: User, family: Family, folder: Path
) -> None:
    with committing():
        document = upload(therapist, family)

    assert stored(folder) == [document.stored_name]
    assert (folder / document.stored_name).read_bytes() == PDF


def test_a_rolled_back_savepoint_takes_its_file_and_leaves_the_rest(
    therapist: User, family: Family, folder: Path
) -> None:
    with committing():
        kept = upload(therapist, family, "Kept")
        with pytest.raises(Refused), transaction.atomic():
            upload(therapist, family, "Rolled back")
            with transaction.atomic():
                upload(therapist, family, "Rolled back with it")
            assert len(stored(folder)) == 3
            raise Refused
        assert stored(folder) == [f".{kept.stored_name}.part"]

    assert stored(folder) == [kept.stored_name]
    assert list(Document.objects.values_list("title", flat=True)) == ["Kept"]


def test_a_file_that_grows_past_the_limit_leaves_nothing(db: Any, folder: Path) -> None:
    with pytest.raises(storage.TooLarge), transaction.atomic():
        storage.file_write(iter([b"%PDF-", bytes(100)]), suffix=".pdf", max_bytes=50)

    assert stored(folder) == []


# Real commits and rollbacks -----------------------------------------------------------------


# A test that commits empties the database afterwards, past the append-only audit triggers:
# PostgreSQL can be told to skip them for that flush, SQLite cannot.
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="flushing past the audit triggers needs PostgreSQL"
)


@pytest.fixture
def people(audit_flushable: Any) -> tuple[User, Family]:
    therapist = make_user("filer", supervisor=make_user("filersup", role="supervisor"))
    return therapist, make_family(therapist)


@pytest.mark.flushes
@on_postgresql
def test_a_committed_upload_leaves_exactly_its_stored_file(
    people: tuple[User, Family], folder: Path
) -> None:
    document = upload(*people)

    assert stored(folder) == [document.stored_name]
    assert hashlib.sha256((folder / document.stored_name).read_bytes()).hexdigest() == (
        document.sha256
    )


@pytest.mark.flushes
@on_postgresql
def test_an_upload_in_a_transaction_that_rolls_back_leaves_no_file(
    people: tuple[User, Family], folder: Path
) -> None:
    with pytest.raises(Refused), transaction.atomic():
        upload(*people)
        raise Refused

    assert stored(folder) == []
    assert not Document.objects.exists()


@pytest.mark.flushes
@on_postgresql
def test_an_upload_through_the_api_in_a_transaction_that_rolls_back_leaves_no_file(
    people: tuple[User, Family], folder: Path
) -> None:
    therapist, family = people
    headers = bearer(therapist)
    with pytest.raises(Refused), transaction.atomic():
        response = Client().post(
            f"/api/v1/cases/{family.case.pk}/documents",
            {"kind": "other", "title": "Letter", "file": SimpleUploadedFile("a.pdf", PDF)},
            headers=headers,
        )
        assert response.status_code == 201
        raise Refused

    assert stored(folder) == []
    assert not Document.objects.exists()


@pytest.mark.flushes
@on_postgresql
def test_a_commit_the_database_refuses_leaves_no_file(
    people: tuple[User, Family], folder: Path
) -> None:
    # Foreign keys are checked at commit (deferred): the row is fine until the COMMIT fails.
    with pytest.raises(Exception, match=r"(?i)foreign key"), transaction.atomic():
        document = upload(*people)
        Document.objects.filter(pk=document.pk).update(uploaded_by_id=10**9)

    assert stored(folder) == []
    assert not Document.objects.exists()


@pytest.mark.flushes
@on_postgresql
def test_a_transaction_retried_after_a_deadlock_keeps_only_the_last_attempts_file(
    people: tuple[User, Family], folder: Path
) -> None:
    attempts: list[str] = []
    while True:
        try:
            with transaction.atomic():
                document = upload(*people)
                attempts.append(document.stored_name)
                if len(attempts) < 3:
                    raise OperationalError("deadlock detected")
            break
        except OperationalError:
            continue

    assert len(set(attempts)) == 3
    assert stored(folder) == [attempts[-1]]
    assert Document.objects.get().stored_name == attempts[-1]


@pytest.mark.flushes
@on_postgresql
def test_a_commit_whose_earlier_on_commit_callback_fails_still_renames_the_file(
    people: tuple[User, Family], folder: Path
) -> None:
    def fails() -> None:
        raise Refused

    # Django skips the callbacks after one that raises; the transaction has committed.
    with pytest.raises(Refused), transaction.atomic():
        transaction.on_commit(fails)
        document = upload(*people)

    assert stored(folder) == [document.stored_name]
    assert Document.objects.get() == document


@pytest.mark.flushes
@on_postgresql
def test_a_file_is_never_written_outside_a_transaction(audit_flushable: Any, folder: Path) -> None:
    with pytest.raises(TransactionManagementError, match="inside the transaction"):
        storage.file_write([PDF], suffix=".pdf", max_bytes=len(PDF))

    assert stored(folder) == []


# `reunify documents check` ------------------------------------------------------------------


def test_every_model_that_names_a_stored_file_is_checked() -> None:
    labels = {model._meta.label_lower for model in holders()}

    assert labels == {"documents.document", "reports.issuedreport", "reports.terminationnotice"}


def test_the_check_passes_a_folder_that_matches_its_rows(
    therapist: User, family: Family, folder: Path
) -> None:
    with committing():
        upload(therapist, family)

    out = check()

    assert "1 files, 1 rows" in out
    assert "1 fine, 0 renamed, 0 quarantined, 0 too new, 0 not ours, 0 missing" in out


def test_the_check_quarantines_old_files_no_row_names_and_leaves_new_ones(
    db: Any, folder: Path
) -> None:
    old_stored = orphan(folder, "a" * 32 + ".pdf", seconds_old=2 * HOUR)
    old_temporary = orphan(folder, f".{'b' * 32}.png.part", seconds_old=2 * HOUR)
    new = orphan(folder, f".{'c' * 32}.pdf.part", seconds_old=60)
    orphan(folder, "notes.txt", seconds_old=2 * HOUR)

    out = check()

    assert quarantined(folder) == sorted([old_stored.name, old_temporary.name])
    assert stored(folder) == sorted([new.name, "notes.txt"])
    assert (folder / "quarantine" / old_stored.name).read_bytes() == PDF
    assert f"quarantined (no row): {old_stored.name} (120 min old) -> quarantine/" in out
    assert f"left alone: {new.name} (1 min old)" in out
    assert "not a stored file's name, left alone: notes.txt" in out
    # A shorter grace period takes the newer one too; a second orphan of the same name does not
    # overwrite the first in quarantine.
    orphan(folder, old_stored.name, seconds_old=2 * HOUR)
    check("--grace-minutes", "0")
    assert quarantined(folder) == sorted(
        [old_stored.name, f"{old_stored.name}.1", old_temporary.name, new.name]
    )


def test_the_check_finishes_a_rename_a_crash_interrupted(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)  # committed as far as this test can see; not renamed
    age(folder / f".{document.stored_name}.part", 2 * HOUR)

    out = check()

    assert f"rename finished: documents.document {document.pk} ({document.stored_name})" in out
    assert stored(folder) == [document.stored_name]
    assert quarantined(folder) == []
    with document_open(actor=therapist, document=document) as handle:
        assert handle.read() == PDF


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)
    name = orphan(folder, "d" * 32 + ".jpg", seconds_old=2 * HOUR).name

    out = check("--dry-run")

    assert "rename would be finished: documents.document" in out
    assert f"would be quarantined (no row): {name}" in out
    assert stored(folder) == sorted([f".{document.stored_name}.part", name])


def test_the_check_reports_a_missing_file_and_a_changed_one_for_a_person(
    therapist: User, family: Family, folder: Path
) -> None:
    with committing():
        missing = upload(therapist, family, "Gone")
        changed = upload(therapist, family, "Changed")
    (folder / missing.stored_name).unlink()
    (folder / changed.stored_name).write_bytes(PDF.replace(b"supervised", b"unsupervis"))

    out, refusal = refused_check()

    assert f"MISSING: documents.document {missing.pk} ({missing.stored_name})" in out
    assert f"DOES NOT MATCH ITS SHA-256: documents.document {changed.pk}" in out
    assert refusal.startswith("2 stored files need a person")
    # Nothing is moved or renamed on a person's behalf.
    assert stored(folder) == [changed.stored_name]


def test_a_temporary_file_that_does_not_match_its_row_is_not_renamed(
    therapist: User, family: Family, folder: Path
) -> None:
    document = upload(therapist, family)
    (folder / f".{document.stored_name}.part").write_bytes(b"%PDF-half")

    out, _refusal = refused_check()

    assert "under its temporary name" in out
    assert stored(folder) == [f".{document.stored_name}.part"]


# A worker killed in the middle --------------------------------------------------------------

KILLED_UPLOAD = """
import time
import django
django.setup()
from django.db import transaction
from reunify.documents import storage
with transaction.atomic():
    written = storage.file_write([b"%PDF-1.4 never committed"], suffix=".pdf", max_bytes=100)
    print(written.stored_name, flush=True)
    time.sleep(120)
"""


def killed(script: str, args: list[str], database_url: str, folder: Path) -> str:
    """Run the script in a worker process of its own until it prints the stored name it wrote,
    then SIGKILL it; that name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REUNIFY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="reunify.settings",
        DATABASE_URL=database_url,
        REUNIFY_VAR_DIR=str(folder.parent),
        REUNIFY_DOCUMENTS_DIR=str(folder),
    )
    worker = subprocess.Popen(  # our own interpreter, fixed script
        [sys.executable, "-c", script, *args], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        stored_name = worker.stdout.readline().strip()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    assert stored_name, "the worker died before it wrote its file"
    return stored_name


def test_a_worker_killed_before_commit_leaves_a_file_the_check_quarantines(
    db: Any, folder: Path, tmp_path: Path
) -> None:
    stored_name = killed(KILLED_UPLOAD, [], f"sqlite:///{tmp_path / 'worker.sqlite3'}", folder)

    left = f".{stored_name}.part"
    assert stored(folder) == [left]
    assert "too new" in check() and stored(folder) == [left]
    age(folder / left, 2 * HOUR)

    out = check()

    assert f"quarantined (no row): {left}" in out
    assert stored(folder) == []
    assert quarantined(folder) == [left]


WORKER = """
import sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from reunify.accounts.models import User
from reunify.cases.models import Case
from reunify.documents.services import document_upload

moment, user_pk, case_pk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def stop():
    print(document.stored_name, flush=True)
    time.sleep(120)


with transaction.atomic():
    if moment == "after commit":
        transaction.on_commit(stop)  # runs before the upload's own rename
    document = document_upload(
        actor=User.objects.get(pk=user_pk),
        case=Case.objects.get(pk=case_pk),
        kind="other",
        title="Killed",
        upload=SimpleUploadedFile("killed.pdf", b"%PDF-1.4 killed mid-upload"),
    )
    if moment == "before commit":
        stop()
"""


def killed_upload(moment: str, therapist: User, family: Family, folder: Path) -> str:
    """Upload through the real service in a worker of its own on this test's database, SIGKILLed
    at the moment named; the stored name it was writing."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return killed(WORKER, [moment, str(therapist.pk), str(family.case.pk)], url, folder)


@pytest.mark.flushes
@on_postgresql
def test_an_upload_killed_before_commit_leaves_no_row_and_a_file_the_check_quarantines(
    people: tuple[User, Family], folder: Path
) -> None:
    stored_name = killed_upload("before commit", *people, folder)

    assert not Document.objects.exists()
    assert stored(folder) == [f".{stored_name}.part"]
    assert "1 quarantined" in check("--grace-minutes", "0")
    assert stored(folder) == []
    assert quarantined(folder) == [f".{stored_name}.part"]


@pytest.mark.flushes
@on_postgresql
def test_an_upload_killed_between_commit_and_rename_is_finished_by_the_check(
    people: tuple[User, Family], folder: Path
) -> None:
    stored_name = killed_upload("after commit", *people, folder)

    document = Document.objects.get()
    assert document.stored_name == stored_name
    assert stored(folder) == [f".{stored_name}.part"]
    assert f"rename finished: documents.document {document.pk}" in check()
    assert stored(folder) == [stored_name]
    with document_open(actor=people[0], document=document) as handle:
        assert handle.read() == b"%PDF-1.4 killed mid-upload"
