from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reunify.accounts.models import ApiToken, User
from reunify.accounts.services import token_create, token_revoke
from reunify.audit.chain import audit_source


class Command(BaseCommand):
    help = "API tokens: `token create USERNAME`, `token list USERNAME`, `token revoke PREFIX`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("operation", choices=["create", "list", "revoke"])
        parser.add_argument("name", help="A username (create, list) or a token prefix (revoke).")
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        operation, name = options["operation"], options["name"]
        with audit_source("cli"):
            if operation == "revoke":
                tokens = list(ApiToken.objects.filter(prefix=name, revoked_at__isnull=True))
                if len(tokens) != 1:
                    raise CommandError(f"No single active token starts with {name!r}.")
                token_revoke(actor=None, token=tokens[0])
                self.stdout.write(f"Revoked {name}.")
                return
            user = User.objects.filter(username=name, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {name!r}.")
            if operation == "list":
                for token in user.api_tokens.order_by("created_at"):
                    state = "revoked" if token.revoked_at else "active"
                    self.stdout.write(f"{token.prefix}  {state}  {token.label}")
                return
            self.stdout.write(token_create(actor=None, user=user, label=options["label"]))
