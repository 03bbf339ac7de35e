from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reunify.clinical.services import notes_verify


class Command(BaseCommand):
    help = "Clinical notes tools. `reunify notes verify` re-hashes every signed note and addendum."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, bad = notes_verify()
        for item in bad:
            self.stderr.write(
                f"{item.what} {item.pk} (case {item.case_id}) no longer matches its signed hash"
            )
        if bad:
            raise CommandError(f"{len(bad)} of {checked} signed records fail verification")
        self.stdout.write(f"all {checked} signed notes and addenda match their hashes")
