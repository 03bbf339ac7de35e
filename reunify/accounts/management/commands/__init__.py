"""The account commands: users, tokens, second factors, sessions."""

from django.core.management.base import CommandError

from reunify.accounts.models import User


def user_named(username: str) -> User:
    """The account with this username, or the command stops saying there is none."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user
