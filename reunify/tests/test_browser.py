"""A therapist's first minutes, in real headless Chromium against a real server process.

The server runs in its own process on its own SQLite file (loaded with the demo practice and
one family whose assessment lacks only the safety screen), exactly as `make run` would serve
it. Every page visited is checked with axe-core for serious or critical accessibility faults.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REUNIFY = Path(sys.executable).parent / "reunify"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser

SEED = """
import datetime as dt
from django.utils import timezone
from reunify.accounts.models import User
from reunify.cases import services
from reunify.conftest import make_family
t = User.objects.get(username="therapist1")
f = make_family(t, title="Hawthorne family", last="Hawthorne")
today = timezone.localdate()
for days, party in ((6, f.estranged), (5, f.other), (4, f.child)):
    day = today - dt.timedelta(days=days)
    services.intake_record(actor=t, case=f.case, party=party, held_on=day)
for party in (f.estranged, f.other):
    for kind in ("informed_consent", "limits_of_confidentiality", "service_agreement"):
        services.consent_record(actor=t, case=f.case, party=party, kind=kind, signed_on=today)
services.document_review_record(actor=t, case=f.case, reviewed_on=today, none_provided=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = {
        **os.environ,
        "REUNIFY_VAR_DIR": str(var_dir),
        "REUNIFY_SECURE_COOKIES": "0",
        "REUNIFY_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "reunify.settings",
    }
    env.pop("DATABASE_URL", None)
    for command in (["migrate", "-v0"], ["demo"], ["shell", "-c", SEED]):
        subprocess.run([str(REUNIFY), *command], env=env, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen(
        [str(REUNIFY), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def assert_accessible(page: object) -> None:
    """Run axe-core in the page and fail on any serious or critical violation."""
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    violations = page.evaluate(  # type: ignore[attr-defined]
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.help} at ` +
                      v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )
    assert violations == [], f"{page.url}: " + "; ".join(violations)  # type: ignore[attr-defined]
