import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reunify.accounts.management.commands import user_named
from reunify.accounts.management.commands.totp import enrolment_code_message
from reunify.accounts.models import STAFF_ROLES, Role
from reunify.accounts.services import enrolment_code_issue, user_create
from reunify.audit.chain import audit_source


class Command(BaseCommand):
    help = (
        "Create a staff account (practice admin, therapist, supervisor or visit monitor) and print "
        "the one-time enrolment code its owner needs to set up an authenticator app."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.THERAPIST)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--supervisor", help="Username of the clinical supervisor.")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        supervisor = None
        if options["supervisor"]:
            supervisor = user_named(options["supervisor"])
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The passwords do not match.")
        code = None
        try:
            with audit_source("cli"), transaction.atomic():
                user = user_create(
                    actor=None,
                    username=options["username"],
                    password=password,
                    role=options["role"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    email=options["email"],
                    supervisor=supervisor,
                )
                if user.role in STAFF_ROLES:
                    code = enrolment_code_issue(actor=None, user=user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Created {user.get_role_display().lower()} {user.username}.")
        if code is not None:
            self.stdout.write(enrolment_code_message(user, code))
