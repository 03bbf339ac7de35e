"""The protected parent's address and the therapist's psychotherapy notes reach nobody else:
every GET page and API route of the family's case, fetched as each identity not entitled to
them, and every body (PDFs read as text) searched for both."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from reunify.cases.models import PartyRole, Person
from reunify.clinical.services import psychotherapy_note_write
from reunify.conftest import add_party
from reunify.disclosure.services import release_grant
from reunify.tests.test_route_matrix import (
    Route,
    Visitor,
    World,
    _portal_user,
    all_routes,
    body_of,
    world,
)

__all__ = ["world"]

ADDRESS = "Apartment 7Q, 1 Hidden Lantern Way"
SENTENCE = "The lantern flickers in my supervision dream"


def text_of(response: Any) -> str:
    body = body_of(response)
    if body.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(body))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return body.decode("utf-8", errors="replace")


def test_the_address_and_the_notes_reach_nobody_else(client: Client, world: World) -> None:
    therapist = world.users["therapist"]
    assert therapist is not None and world.rivers is not None
    family = world.rivers
    Person.objects.filter(pk=family.other.person_id).update(address=ADDRESS, protected_address=True)
    psychotherapy_note_write(actor=therapist, case=family.case, text=SENTENCE)
    counsel = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Rowan", "Brief", represents=family.estranged
    )
    release_grant(
        actor=therapist,
        case=family.case,
        recipient=counsel,
        granted_by=family.estranged,
        categories=["attendance", "progress", "documents", "court_reports"],
        purpose="Representing the father in the custody case",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    world.users["attorney"] = _portal_user(therapist, counsel)
    visitor = Visitor(world)

    notes = Route("psychotherapy_notes", "GET", "/cases/{case_id}/psychotherapy-notes/", "")
    own_page = visitor.get("therapist", notes, notes.fill(world.own) or "")
    assert SENTENCE in text_of(own_page), "the author must see the note: the search is live"

    routes, _ = all_routes(client)
    leaks: list[str] = []
    fetched = 0
    for route in routes:
        path = route.fill(world.own)
        if route.method != "GET" or route.rule.startswith("skip: ") or path is None:
            continue
        for who in ("supervisor", "parent", "attorney", "outsider", "monitor"):
            fetched += 1
            text = text_of(visitor.get(who, route, path))
            if ADDRESS in text or "Hidden Lantern" in text:
                leaks.append(f"{route.key} as {who}: the protected address")
            if SENTENCE in text or "lantern flickers" in text:
                leaks.append(f"{route.key} as {who}: the psychotherapy note")
    assert fetched > 300
    assert not leaks, "\n".join(leaks)
