"""The deployment fails fast and stays reachable: /healthz answers 503 within its timeout when
the database accepts connections and never answers, and gunicorn run with the shipped
configuration still answers while slow clients dribble their headers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from reunify import gunicorn_conf
from reunify.conftest import free_port, serving

GUNICORN = Path(sys.prefix, "bin", "gunicorn")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "reunify.settings",
        "REUNIFY_VAR_DIR": str(tmp_path),
        "REUNIFY_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REUNIFY_SECRET_KEY": "deployment-tests-only-" + "d" * 40,
        **extra,
    }


def run_app_script(script: str, tmp_path: Path, *args: str, **env: str) -> str:
    """Run a Python script in a fresh process of the app (its own settings, its own var/
    under tmp_path); return what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextlib.contextmanager
def a_database_that_never_answers() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes them into the backlog) and
    never says a word."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        yield silent.getsockname()[1]


HEALTH = textwrap.dedent(
    """
    import time
    import django
    django.setup()
    from django.test import Client
    began = time.monotonic()
    response = Client().get("/healthz")
    print(response.status_code, round(time.monotonic() - began, 2))
    """
)


def test_healthz_answers_503_in_seconds_when_the_database_never_answers(tmp_path: Path) -> None:
    with a_database_that_never_answers() as port:
        began = time.monotonic()
        printed = run_app_script(
            HEALTH,
            tmp_path,
            DATABASE_URL=f"postgres://reunify@127.0.0.1:{port}/reunify",
            REUNIFY_DB_CONNECT_TIMEOUT="2",
        )
    status, waited = printed.split()
    assert status == "503"
    assert float(waited) < 10
    assert time.monotonic() - began < 40


def _get(url: str, timeout: float) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return int(response.status)


@contextlib.contextmanager
def gunicorn(tmp_path: Path) -> Iterator[str]:
    """The app under gunicorn with the shipped configuration, on a free loopback port."""
    port = free_port()
    env = _environment(tmp_path, REUNIFY_BIND=f"127.0.0.1:{port}", REUNIFY_WORKERS="2")
    command = [str(GUNICORN), "-c", "python:reunify.gunicorn_conf", "reunify.wsgi"]
    with serving(command, env, port) as url:
        yield url


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="runs on SQLite; once per CI run is enough"
)
def test_slow_header_clients_do_not_make_gunicorn_unreachable(tmp_path: Path) -> None:
    with gunicorn(tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        stop = threading.Event()
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]

        def dribble() -> None:
            # One header byte every half second, never the blank line that ends them.
            header = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
            for byte in header:
                if stop.wait(0.5):
                    return
                for client in slow:
                    with contextlib.suppress(OSError):
                        client.send(bytes([byte]))

        dribbler = threading.Thread(target=dribble)
        dribbler.start()
        try:
            time.sleep(1.5)
            timings = []
            for _ in range(3):
                began = time.monotonic()
                assert _get(f"{url}/healthz", timeout=10) == 200
                timings.append(time.monotonic() - began)
        finally:
            stop.set()
            dribbler.join()
            for client in slow:
                client.close()
    assert max(timings) < 3, timings


def test_the_gunicorn_configuration_uses_threaded_workers() -> None:
    assert gunicorn_conf.worker_class == "gthread"
    assert gunicorn_conf.threads >= 4
