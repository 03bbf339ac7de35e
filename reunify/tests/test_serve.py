"""`reunify serve` and `make run` on a port another program already holds."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from reunify.tests.test_commands import cli_env, reunify  # noqa: F401  (cli_env: a fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_serve_on_a_busy_port_says_so_and_how_to_choose_another(cli_env):  # noqa: F811
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        result = reunify("serve", "--port", str(port), env=cli_env)

    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "make run PORT=" in result.stderr
    assert "reunify serve --port" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_port_that_cannot_exist(cli_env):  # noqa: F811
    result = reunify("serve", "--port", "70000", env=cli_env)

    assert result.returncode == 1
    assert "The port must be a number from 1 to 65535" in result.stderr


def test_make_run_takes_the_port_and_host_from_the_command_line():
    result = subprocess.run(  # make itself, fixed arguments, printing (-n) not running
        ["make", "-n", "run", "PORT=8123", "HOST=0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "reunify serve --host 0.0.0.0 --port 8123" in result.stdout
