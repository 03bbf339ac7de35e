from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reunify.accounts.management.commands import user_named
from reunify.accounts.models import STAFF_ROLES, User
from reunify.accounts.services import enrolment_code_issue, totp_demo_code, totp_reset
from reunify.audit.chain import audit_source


def enrolment_code_message(user: User, code: str) -> str:
    """What the administrator reads: the code, once, and how to hand it over."""
    hours = settings.REUNIFY_ENROLMENT_CODE_HOURS
    return (
        f"Enrolment code for {user.username}: {code}\n"
        f"It lets {user.username} set up an authenticator app after their password, once, "
        f"within {hours} hours. Give it to them yourself (in person or by phone), not in the same "
        "message as their password: it is not shown again."
    )


class Command(BaseCommand):
    help = (
        "Second factors: `totp reset USERNAME` removes the user's authenticator app, ends their "
        "sessions and prints a new enrolment code for setting up another at their next login; "
        "`totp enrolment-code USERNAME` prints a fresh enrolment code for a member of staff who "
        "has not set up an app yet (the old code stops working); `totp code USERNAME` prints "
        "the code a demo account can log in with now (demo accounts only)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["code", "enrolment-code", "reset"])
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        try:
            if options["operation"] == "code":
                self.stdout.write(totp_demo_code(user=user))
            elif options["operation"] == "enrolment-code":
                with audit_source("cli"):
                    code = enrolment_code_issue(actor=None, user=user)
                self.stdout.write(enrolment_code_message(user, code))
            else:
                self._reset(user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def _reset(self, user: User) -> None:
        staff = user.role in STAFF_ROLES and user.is_active
        with audit_source("cli"), transaction.atomic():
            removed = totp_reset(actor=None, user=user)
            code = enrolment_code_issue(actor=None, user=user) if removed and staff else None
        if not removed:
            self.stdout.write(
                f"{user.username} has no second factor; nothing to reset. (For a new enrolment "
                f"code: `reunify totp enrolment-code {user.username}`.)"
            )
            return
        self.stdout.write(
            f"Reset: {user.username}'s authenticator app and recovery codes no longer work, and "
            "every session they had open has ended."
        )
        if code is None:
            self.stdout.write(
                f"{user.username} is deactivated: no enrolment code was issued."
                if user.role in STAFF_ROLES
                else f"{user.username} may turn a second factor on again in the portal."
            )
            return
        self.stdout.write(
            f"{user.username} sets up an authenticator app at their next login, with this code."
        )
        self.stdout.write(enrolment_code_message(user, code))
