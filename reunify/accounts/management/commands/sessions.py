from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from reunify.accounts.management.commands import user_named
from reunify.accounts.services import user_sessions_end
from reunify.audit.chain import audit_source


class Command(BaseCommand):
    help = (
        "`sessions end USERNAME` logs the user out everywhere: every session they have open ends "
        "at its next request (audited). Their API tokens keep working; see `reunify token`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["end"])
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        with audit_source("cli"):
            user_sessions_end(actor=None, user=user)
        self.stdout.write(
            f"Ended every session of {user.username}: they are logged out at their next request. "
            f"API tokens are not affected (`reunify token list {user.username}`)."
        )
