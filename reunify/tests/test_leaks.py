"""The protected parent's address and workplace, and the therapist's psychotherapy notes, reach
nobody else: every GET page and API route of the family's case, fetched as each identity not
entitled to them, and every body (PDFs read as text) searched for all three."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from reunify.cases.models import Case, Party, Person
from reunify.clinical.services import psychotherapy_note_write
from reunify.conftest import licensed
from reunify.disclosure.services import release_grant
from reunify.reports.services import report_issue
from reunify.tests.test_route_matrix import (
    IDENTITIES,
    Route,
    Visitor,
    World,
    all_routes,
    body_of,
    world,
)

__all__ = ["world"]

ADDRESS = "Apartment 7Q, 1 Hidden Lantern Way"
WORKPLACE = "Quillon Foundry Works"
SENTENCE = "The lantern flickers in my supervision dream"
# The protected parent's details are for her treating therapist and herself; the note is the
# therapist's alone.
DETAILS_SEARCHED = [who for who in IDENTITIES if who not in ("therapist", "other_parent")]
NOTE_SEARCHED = [who for who in IDENTITIES if who != "therapist"]


def text_of(response: Any) -> str:
    body = body_of(response)
    if body.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(body))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return body.decode("utf-8", errors="replace")


def test_the_details_and_the_notes_reach_nobody_else(client: Client, world: World) -> None:
    therapist = world.users["therapist"]
    assert therapist is not None
    case = Case.objects.get(pk=world.own["case"])
    protected = Party.objects.get(pk=world.party_of["other_parent"])
    Person.objects.filter(pk=protected.person_id).update(
        address=ADDRESS, workplace=WORKPLACE, protected_address=True
    )
    psychotherapy_note_write(actor=therapist, case=case, text=SENTENCE)
    release_grant(
        actor=therapist,
        case=case,
        recipient=Party.objects.get(pk=world.party_of["attorney"]),
        granted_by=Party.objects.get(pk=world.party_of["estranged"]),
        categories=["attendance", "progress", "documents", "court_reports"],
        purpose="Representing the father in the custody case",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    # A court report issued now, to the court and the attorney, is searched as well.
    licensed(therapist)
    report = report_issue(
        actor=therapist,
        case=case,
        start=case.referral_date,
        end=timezone.localdate(),
        summary="The family attends; the child is safe.",
    )
    world.own["report"] = report.pk
    visitor = Visitor(world)
    routes, _ = all_routes(client)
    by_key = {route.key: route for route in routes}

    def seen_by(who: str, key: str) -> str:
        route = by_key[key]
        return text_of(visitor.get(who, route, route.fill(world.ids(who)) or ""))

    # The search is live: those entitled find what everyone else must not.
    notes = Route("psychotherapy_notes", "GET", "/cases/{case_id}/psychotherapy-notes/", "")
    assert SENTENCE in text_of(visitor.get("therapist", notes, notes.fill(world.own) or ""))
    for who, key in (
        ("therapist", "case_parties"),
        ("therapist", "GET /api/v1/cases/{id}/parties"),
        ("other_parent", "portal_party"),
        ("other_parent", "GET /api/v1/portal/parties/{id}"),
    ):
        seen = seen_by(who, key)
        assert ADDRESS in seen and WORKPLACE in seen, f"{key} as {who} must show them"

    leaks: list[str] = []
    fetched = 0
    for route in routes:
        if route.method != "GET" or route.rule.startswith("skip: "):
            continue
        for who in NOTE_SEARCHED:
            path = route.fill(world.ids(who))
            if path is None:
                continue
            fetched += 1
            text = text_of(visitor.get(who, route, path))
            if who in DETAILS_SEARCHED:
                if ADDRESS in text or "Hidden Lantern" in text:
                    leaks.append(f"{route.key} as {who}: the protected address")
                if WORKPLACE in text or "Quillon" in text:
                    leaks.append(f"{route.key} as {who}: the protected workplace")
            if SENTENCE in text or "lantern flickers" in text:
                leaks.append(f"{route.key} as {who}: the psychotherapy note")
    assert fetched > 1000
    attorney_report = seen_by("attorney", "GET /api/v1/portal/reports/{id}/pdf")
    assert "The family attends" in attorney_report, "the attorney's report must be searched"
    assert not leaks, "\n".join(leaks)
