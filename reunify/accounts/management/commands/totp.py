from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reunify.accounts.models import User
from reunify.accounts.services import totp_demo_code, totp_reset
from reunify.audit.chain import audit_source


class Command(BaseCommand):
    help = (
        "Second factors: `totp reset USERNAME` makes the user set up their authenticator app "
        "again at their next login; `totp code USERNAME` prints the code a demo account can log "
        "in with now (demo accounts only)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["code", "reset"])
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if options["operation"] == "code":
            try:
                self.stdout.write(totp_demo_code(user=user))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            return
        with audit_source("cli"):
            removed = totp_reset(actor=None, user=user)
        if not removed:
            self.stdout.write(f"{user.username} has no second factor; nothing to reset.")
            return
        self.stdout.write(
            f"Reset: {user.username} sets up an authenticator app at their next login "
            "(their recovery codes no longer work)."
        )
