from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Reunify on one machine (the embedded set-up). Production runs the WSGI "
        "application `reunify.wsgi` under gunicorn instead; see the README."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command(
            "runserver",
            f"{options['host']}:{options['port']}",
            use_reloader=False,
            use_threading=True,
        )
