"""The secret key: the built-in development key must never protect real records.

It signs sessions and encrypts every authenticator app's secret; the development key is in
the source, so anyone could forge a session or read the secrets under it. `reunify check
--deploy` reports it (accounts.E001), and outside debug the app refuses to serve on it
(`refuse_development_key`, called by `reunify.wsgi` and `reunify serve`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _


def on_development_key() -> bool:
    return bool(settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY)


def _problem() -> str:
    return _(
        "REUNIFY_SECRET_KEY is not set, so the built-in development key (printed in the "
        "source) would sign sessions and encrypt the authenticator secrets. Set "
        'REUNIFY_SECRET_KEY to a long random value, e.g. from `python3 -c "import secrets; '
        'print(secrets.token_urlsafe(50))"`.'
    )


@register(Tags.security, deploy=True)
def secret_key_is_not_the_development_key(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if not on_development_key():
        return []
    return [Error(_problem(), id="accounts.E001")]


def refuse_development_key() -> None:
    """Refuse to serve on the development key unless in debug (REUNIFY_DEBUG=1)."""
    if on_development_key() and not settings.DEBUG:
        raise ImproperlyConfigured(_problem())
