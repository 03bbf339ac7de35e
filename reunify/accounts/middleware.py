"""Which sessions count as logged in: only those past the second factor, only while active, and
only until the user's sessions are ended (a second-factor reset, a deactivation, `sessions end`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.accounts.services import logout_record

# The user whose second factor this session passed, the user's session generation then, and when
# it last made a request.
VERIFIED_KEY = "reunify.login.verified"
GENERATION_KEY = "reunify.login.generation"
LAST_SEEN_KEY = "reunify.login.last_seen"


def session_mark_verified(session: SessionBase, user: User) -> None:
    """Mark the session as past the second factor for this user (the login flow's last step)."""
    session[VERIFIED_KEY] = user.pk
    session[GENERATION_KEY] = user.session_generation
    session[LAST_SEEN_KEY] = timezone.now().timestamp()


class LoginSessionMiddleware:
    """Treat a logged-in session without the second-factor mark, or idle too long, as logged out.

    The mark means a password alone (or any other call to Django's `login`) never opens a case
    page, and sessions from before second factors existed must log in again. The generation it
    carries is compared with the user row already loaded, so ending sessions costs no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: User) -> None:
        session = request.session
        if session.get(VERIFIED_KEY) != user.pk:
            logout(request)
            return
        if session.get(GENERATION_KEY, 0) != user.session_generation:
            logout_record(user=user, reason="ended")
            logout(request)
            messages.info(
                request, "You were logged out: your sessions were ended. Please log in again."
            )
            return
        now = timezone.now().timestamp()
        idle = settings.REUNIFY_IDLE_MINUTES
        last_seen = session.get(LAST_SEEN_KEY, now)
        if idle and now - last_seen > idle * 60:
            logout_record(user=user, reason="idle")
            logout(request)
            messages.info(request, f"You were logged out after {idle} minutes without activity.")
            return
        session[LAST_SEEN_KEY] = now
