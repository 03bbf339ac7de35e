from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from reunify.accounts.models import User
from reunify.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the fictional demo practice (idempotent: running it again adds nothing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Skip when the database holds a practice other than the demo (`make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if (
            options["if_empty"]
            and User.objects.exists()
            and not User.objects.filter(username="therapist1").exists()
        ):
            self.stdout.write("The database already holds a practice; demo not loaded.")
            return
        logins = demo_load()
        self.stdout.write("Demo practice ready. Log in with any of these (fictional) accounts:")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.role:<24} {login.name}")
        self.stdout.write(f"Password for all of them: {DEMO_PASSWORD}")
        self.stdout.write(
            "Staff accounts have a demo second factor: when asked for the code, print it with "
            "`reunify totp code USERNAME` (demo accounts only)."
        )
