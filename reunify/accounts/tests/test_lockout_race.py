"""Parallel guesses are counted exactly: twelve wrong passwords at once against a limit of five
check the password five times, refuse the rest as locked, and record five failures."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from reunify.accounts.models import Lockout, LoginAttempt
from reunify.audit.models import Event
from reunify.conftest import make_user

GUESSES = 12


@pytest.mark.flushes
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
def test_twelve_parallel_wrong_passwords_are_counted_exactly(
    audit_flushable: Any, settings: Any
) -> None:
    settings.REUNIFY_LOGIN_FAILURES_PER_ACCOUNT = 5
    make_user("guessed")
    start = threading.Barrier(GUESSES)
    statuses: list[int] = []

    def guess(number: int) -> None:
        try:
            client = Client()
            start.wait()
            response = client.post(
                "/login/", {"username": "guessed", "password": f"wrong guess {number}"}
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [200] * GUESSES
    failed = Event.objects.filter(action="auth.failed", detail__username="guessed")
    assert failed.filter(detail__reason="password").count() == 5
    assert failed.filter(detail__reason="locked out").count() == GUESSES - 5
    assert LoginAttempt.objects.filter(username="guessed", succeeded=False).count() == 5
    assert Lockout.objects.filter(key="guessed").count() == 1
    assert Event.objects.filter(action="auth.locked").count() == 1
