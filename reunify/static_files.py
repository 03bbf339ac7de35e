"""Collecting the static files once, when they changed: what the tests, the bench and
`reunify serve` outside debug do before they serve a page.

Outside debug, `{% static %}` names each file by a hash of its content, read from the manifest
`collectstatic` writes under STATIC_ROOT; a page cannot render without it. Collecting takes some
twenty seconds (it compresses the API browser's scripts), so it runs only when the manifest is
missing or older than one of the project's own static files. In debug the files are served
straight from the apps under their plain names, and nothing needs collecting.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from django.conf import settings
from django.core.management import call_command


def _fresh(manifest: Path) -> bool:
    if not manifest.exists():
        return False
    written = manifest.stat().st_mtime
    sources = (path for folder in settings.STATICFILES_DIRS for path in Path(folder).rglob("*"))
    return all(path.stat().st_mtime <= written for path in sources if path.is_file())


def collect_static() -> bool:
    """Collect into STATIC_ROOT if the manifest is missing or stale; whether it collected.
    Two processes at once (two test workers, two servers) collect once: the second waits."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "staticfiles.json"
    with open(root.parent / "static.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _fresh(manifest):
            return False
        call_command("collectstatic", interactive=False, verbosity=0)
        return True
