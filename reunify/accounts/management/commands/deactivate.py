from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reunify.accounts.management.commands import user_named
from reunify.accounts.services import user_deactivate
from reunify.audit.chain import audit_source


class Command(BaseCommand):
    help = (
        "`deactivate USERNAME` closes an account: it can no longer log in, every session it has "
        "open ends at its next request and its API tokens are revoked (audited)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        try:
            with audit_source("cli"):
                revoked = user_deactivate(actor=None, user=user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Deactivated {user.username}: they cannot log in, their open sessions have ended and "
            f"{revoked} API token{'s' if revoked != 1 else ''} {'were' if revoked != 1 else 'was'} "
            "revoked."
        )
