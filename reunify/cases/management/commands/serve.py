"""`reunify serve`: the production server, gunicorn with the shipped settings, on one machine.

`make run` serves through it, so what a practice tries out is what it deploys: the same threaded
workers, the same WhiteNoise static files (collected first outside debug), the same WSGI app.
"""

import errno
import os
import socket
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reunify.accounts.checks import refuse_development_key
from reunify.static_files import collect_static


def _port_problem(host: str, port: int) -> str:
    """Why the server could not listen on host:port, in words; empty when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option the server itself sets, so a port left in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return _(
                    "Port %(port)s on %(host)s is already in use: another program (perhaps "
                    "another Reunify) is serving there. Stop it, or choose another port: "
                    "`make run PORT=%(other)s` or `reunify serve --port %(other)s`."
                ) % {"port": port, "host": host, "other": port + 1 if port < 65535 else 8001}
            return _(
                "Cannot serve on %(host)s:%(port)s (%(error)s). Choose another address or "
                "port: `make run HOST=127.0.0.1 PORT=8001` or `reunify serve --host "
                "127.0.0.1 --port 8001`."
            ) % {"host": host, "port": port, "error": error.strerror or error}
    return ""


class Command(BaseCommand):
    help = (
        "Serve Reunify with gunicorn and the production settings (reunify/gunicorn_conf.py) "
        "on this address; the README says how to run it behind a proxy."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            refuse_development_key()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(_("The port must be a number from 1 to 65535, not %s.") % port)
        # gunicorn would only log "Connection in use" and retry; say it here, with the way out.
        problem = _port_problem(host, port)
        if problem:
            raise CommandError(problem)
        if not settings.DEBUG:
            collect_static()
        address = f"{host}:{port}"
        self.stdout.write(_("Serving Reunify on http://%s/ (gunicorn)") % address)
        self.stdout.flush()
        gunicorn = ["-m", "gunicorn", "-c", "python:reunify.gunicorn_conf", "--bind", address]
        # Our own interpreter and fixed arguments; gunicorn takes over this process.
        os.execv(sys.executable, [sys.executable, *gunicorn, "reunify.wsgi"])  # noqa: S606
