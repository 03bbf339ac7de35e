"""The case page's sections: each one a page of its own, reached from the case's tab bar.

Every view that changes something on a case sends the therapist back to the section the thing
belongs to, through `section_url`, so the names and addresses live here and nowhere else.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (slug, tab label); the first is the overview at /cases/<id>/, the others at /cases/<id>/<slug>/.
SECTIONS = (
    ("overview", _("Overview")),
    ("parties", _("Parties")),
    ("legal", _("Legal")),
    ("sessions", _("Sessions")),
    ("ladder", _("Contact ladder")),
    ("measures", _("Measures")),
    ("documents", _("Documents")),
    ("disclosure", _("Disclosure")),
    ("timeline", _("Timeline")),
)
SLUGS = tuple(slug for slug, _label in SECTIONS)


def url_name(section: str) -> str:
    return "case_detail" if section == "overview" else f"case_{section}"


def section_url(case_id: int, section: str = "overview", anchor: str = "") -> str:
    if section not in SLUGS:
        raise ValueError(f"No case section {section!r}.")
    address = reverse(url_name(section), args=[case_id])
    return f"{address}#{anchor}" if anchor else address


def to_section(case_id: int, section: str = "overview", anchor: str = "") -> HttpResponse:
    return redirect(section_url(case_id, section, anchor))
