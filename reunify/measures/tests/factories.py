"""Measures factories: a clinician's licence, a small instrument file to import, a case on its
ladder with a rung to step down to."""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

from django.utils import timezone

from reunify.accounts.models import User
from reunify.accounts.qualifications import qualification_record
from reunify.measures.models import Instrument

DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def qualify(user: User, *, expires_in: int = 365, licence_type: str = "lmft") -> None:
    """Record a licence that expires `expires_in` days from today (negative: already expired)."""
    qualification_record(
        actor=None,
        user=user,
        licence_type=licence_type,
        licence_number=f"LMFT-{user.pk:05d}",
        licence_state="CA",
        licence_expires_on=today() + expires_in * DAY,
        training_areas=["child_development", "high_conflict"],
    )


# A small instrument in the file format: two subscales, one reverse-scored item, a total.
SMALL: dict[str, Any] = {
    "format": "reunify-instrument/1",
    "slug": "acme-bond",
    "version": "2",
    "title": "Acme bond scale",
    "licence": "Licensed to the practice by Acme Measures.",
    "informants": ["child", "estranged_parent", "other_parent", "therapist"],
    "relationship": "the child and the estranged parent",
    "response_scales": {
        "agree5": {
            "options": [
                {"value": 1, "label": "Strongly disagree"},
                {"value": 2, "label": "Disagree"},
                {"value": 3, "label": "Neither"},
                {"value": 4, "label": "Agree"},
                {"value": 5, "label": "Strongly agree"},
            ]
        }
    },
    "items": [
        {"id": "a1", "text": "We enjoy time together.", "scale": "agree5"},
        {"id": "a2", "text": "We can talk about hard things.", "scale": "agree5"},
        {"id": "a3", "text": "Time together feels tense.", "scale": "agree5", "reverse": True},
        {"id": "a4", "text": "We laugh together.", "scale": "agree5"},
        {"id": "a5", "text": "I look forward to visits.", "scale": "agree5"},
        {
            "id": "b1",
            "text": "The child can say no.",
            "scale": "agree5",
            "text_for": {"child": "I can say no."},
        },
        {"id": "b2", "text": "The child's wishes are heard.", "scale": "agree5"},
    ],
    "subscales": [
        {"id": "warmth", "label": "Warmth", "items": ["a1", "a2", "a3", "a4", "a5"]},
        {"id": "voice", "label": "Voice", "items": ["b1", "b2"], "method": "sum"},
        {"id": "total", "label": "Total", "items": "all", "method": "sum", "max_missing": 0.3},
    ],
}


def small(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def shipped(slug: str) -> Instrument:
    return Instrument.objects.get(slug=slug, shipped=True)


def parse_svg(markup: str) -> ET.Element:
    """Parse a chart: raises on anything that is not well-formed XML. The markup is the
    project's own, built by ElementTree, so the standard parser is safe here."""
    return ET.fromstring(markup)  # noqa: S314
