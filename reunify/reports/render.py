"""HTML to PDF with WeasyPrint: page numbers, running header and footer, nothing fetched.

The HTML comes from our own templates with every value escaped; it may still never make
WeasyPrint fetch anything (a file or a URL), so the fetcher refuses all but inline data.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import weasyprint
from django.template.loader import render_to_string
from weasyprint.text.fonts import FontConfiguration

# Loading the system's fonts is a good part of a render: keep them per thread, not per PDF.
_fonts = threading.local()


@dataclass(frozen=True)
class Rendered:
    """A PDF as bytes, with how many pages it has."""

    pdf: bytes
    pages: int


class FetchRefused(Exception):
    pass


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):
        return weasyprint.default_url_fetcher(url, *args, **kwargs)
    raise FetchRefused(f"A report never loads {url!r}.")


def pdf_render(template: str, context: dict[str, Any]) -> Rendered:
    """Render a template to a PDF; the page count comes from the laid-out document."""
    html = render_to_string(template, context)
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetching).render(
        font_config=_fonts.config
    )
    return Rendered(pdf=document.write_pdf(), pages=len(document.pages))
