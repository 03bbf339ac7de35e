from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reunify.documents.reconcile import documents_check


class Command(BaseCommand):
    help = (
        "Documents folder tools. `reunify documents check` matches every stored file to the row "
        "that names it: finishes a rename a crash interrupted, moves files no row names into "
        "quarantine/ (after a grace period) and reports rows whose file is missing or changed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["check"])
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="Leave a file no row names alone until it is this old: its upload may still "
            "be in its transaction (default 60).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be done; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        found = documents_check(grace=timedelta(minutes=options["grace_minutes"]), dry_run=dry_run)
        would = "would be " if dry_run else ""
        self.stdout.write(
            f"documents folder {found.folder}: {found.files} files, {found.rows} rows"
        )
        sections = [
            (f"rename {would}finished", found.renamed),
            (f"{would}quarantined (no row)", found.quarantined),
            (f"no row yet, younger than {options['grace_minutes']} min, left alone", found.too_new),
            ("not a stored file's name, left alone", found.not_ours),
            ("MISSING", found.missing),
            ("DOES NOT MATCH ITS SHA-256", found.mismatched),
        ]
        for title, names in sections:
            for name in names:
                self.stdout.write(f"{title}: {name}")
        self.stdout.write(
            f"{found.fine} fine, {len(found.renamed)} renamed, {len(found.quarantined)} "
            f"quarantined, {len(found.too_new)} too new, {len(found.not_ours)} not ours, "
            f"{len(found.missing)} missing, {len(found.mismatched)} not matching"
        )
        if found.needs_a_person:
            raise CommandError(
                f"{len(found.missing) + len(found.mismatched)} stored files need a person: "
                "restore them from a backup, or record why they are gone"
            )
