import errno
import socket
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reunify.accounts.checks import refuse_development_key


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
        "Serve Reunify on one machine (the embedded set-up). Production runs the WSGI "
        "application `reunify.wsgi` under gunicorn instead; see the README."
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
        # runserver would only print "That port is already in use" and end the process
        # without a word on what to do; say it here, with the way out.
        problem = _port_problem(host, port)
        if problem:
            raise CommandError(problem)
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
