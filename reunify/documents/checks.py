"""`reunify check`: the documents folder must not be one the web server hands out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from reunify.documents.storage import exposed_by


@register(Tags.security)
def documents_folder_is_private(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    folder = Path(settings.REUNIFY_DOCUMENTS_DIR)
    root = exposed_by(folder)
    if root is None:
        return []
    return [
        Error(
            f"REUNIFY_DOCUMENTS_DIR ({folder}) is inside {root}, which is served to the web.",
            hint="Point REUNIFY_DOCUMENTS_DIR at a folder outside STATIC_ROOT and the static "
            "folders; the default is var/documents.",
            id="documents.E001",
        )
    ]
