from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reunify.audit.chain import audit_source
from reunify.measures.models import Instrument
from reunify.measures.services import instrument_check, instrument_import


class Command(BaseCommand):
    help = (
        "Questionnaire instruments. `reunify instruments import FILE` checks a JSON or YAML "
        "file in the reunify-instrument/1 format and adds it; `check FILE` only checks it; "
        "`list` shows what the practice has. The format is documented in "
        "reunify/measures/instruments/README.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["import", "check", "list"])
        parser.add_argument("file", nargs="?", help="The instrument file (import, check).")

    def handle(self, *args: Any, **options: Any) -> None:
        operation = options["operation"]
        if operation == "list":
            for instrument in Instrument.objects.order_by("slug", "version"):
                source = "shipped" if instrument.shipped else "imported"
                state = "" if instrument.active else ", not in use"
                self.stdout.write(
                    f"{instrument.slug} v{instrument.version}: {instrument.title} ({source}{state})"
                )
            return
        if not options["file"]:
            raise CommandError(
                f"Name the file to {operation}: reunify instruments {operation} FILE"
            )
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file") from error
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read as UTF-8 text ({error})") from error
        try:
            if operation == "check":
                definition = instrument_check(text, filename=path.name)
                self.stdout.write(
                    f"{path.name}: {definition.slug} v{definition.version} is valid "
                    f"({len(definition.items)} items, {len(definition.subscales)} subscales)"
                )
                return
            with audit_source("cli"):
                instrument = instrument_import(actor=None, text=text, filename=path.name)
        except ValidationError as error:
            first, *problems = error.messages
            for problem in problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(first) from error
        self.stdout.write(f"imported {instrument.slug} v{instrument.version}: {instrument.title}")
