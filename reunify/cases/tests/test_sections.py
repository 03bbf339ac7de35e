"""The case page in sections: each with its own address and the same tab bar, each reading only
what it shows; closed gates say they are closed; closing is apart and confirmed; co-therapists
are added and removed by the therapist of record or their supervisor."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import Case, Outcome, PartyRole, Phase, TermKind
from reunify.cases.sections import SLUGS, section_url
from reunify.cases.services import TermInput
from reunify.clinical.services import appointment_schedule
from reunify.conftest import (
    Family,
    add_party,
    bearer,
    fresh,
    login,
    make_family,
    make_user,
    screen,
)
from reunify.measures.tests.factories import qualify
from reunify.process import pausing, transitions
from reunify.process.gates import gate_for

DAY = dt.timedelta(days=1)


def text(response: Any) -> str:
    return response.content.decode()


def _grow(therapist: User, family: Family, number: int) -> None:
    """More of everything each section lists."""
    for n in range(number):
        add_party(therapist, family.case, PartyRole.GUARDIAN, "Gil", f"Name{n}")
        screen(therapist, family.case, days_ago=n)
        pausing.court_order_record(
            actor=therapist,
            case=family.case,
            court="Superior Court",
            court_case_number=f"FL-{n}",
            issued_on=timezone.localdate(),
            terms=[TermInput(TermKind.SUPERVISED_UNTIL, until=timezone.localdate() + 90 * DAY)],
        )
        appointment_schedule(
            actor=therapist,
            case=family.case,
            kind="individual",
            # A day after the last one: one therapist is never booked twice at once.
            starts_at=timezone.now() + (family.case.appointments.count() + 1) * DAY,
            participants=[family.estranged, family.child],
        )
        services.readiness_record(
            actor=therapist,
            case=family.case,
            party=family.estranged,
            level="ready",
            rated_on=timezone.localdate(),
        )


def _queries(client: Client, address: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200, address
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def test_each_section_has_its_own_address_and_the_same_tab_bar(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    for slug in SLUGS:
        address = section_url(family.case.pk, slug)
        body = text(client.get(address))
        nav = body.split('class="case-tabs"')[1].split("</nav>")[0]
        # Every tab is a plain link; the one for this page says so.
        assert len(re.findall(r"<a href=", nav)) == len(SLUGS)
        current = re.findall(r'<a href="([^"]+)" aria-current="page">', nav)
        assert current == [address], slug
    assert section_url(family.case.pk) == f"/cases/{family.case.pk}/"
    assert section_url(family.case.pk, "ladder") == f"/cases/{family.case.pk}/ladder/"


def test_each_section_shows_only_its_own_part(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    shows = {
        "overview": ("Where the case stands", "Referral", "Safety screens"),
        "parties": ("People in this case and their roles", "Therapist of record"),
        "legal": ("Court orders", "Court reports"),
        "sessions": ('id="sessions-heading"', "Assessment record", "Psychoeducation"),
        "ladder": ('id="ladder-heading"',),
        "measures": ('id="progress-heading"', 'id="readiness-heading"'),
        "documents": ('id="documents-heading"',),
        "disclosure": ('id="portal-heading"',),
        "timeline": ("Phase history", "Who looked at this case"),
    }
    for slug, words in shows.items():
        body = text(client.get(section_url(family.case.pk, slug)))
        for word in words:
            assert word in body, (slug, word)
        for other, other_words in shows.items():
            if other != slug:
                assert other_words[0] not in body, (slug, other)


@pytest.mark.parametrize("slug", SLUGS)
def test_a_section_reads_in_a_fixed_number_of_queries(
    client: Client, therapist: User, family: Family, slug: str
) -> None:
    _grow(therapist, family, 1)
    login(client, therapist)
    address = section_url(family.case.pk, slug)
    small, _ = _queries(client, address)

    _grow(therapist, family, 4)
    large, sql = _queries(client, address)

    assert small == large
    # The gate (on the overview, the sessions, the ladder and measures) reads contact visits.
    if slug not in ("overview", "sessions", "ladder", "measures"):
        assert not any('FROM "clinical_appointment"' in q for q in sql), slug
    if slug != "timeline":
        assert not any('FROM "audit_event"' in q for q in sql), slug


def test_the_overview_reads_fewer_queries_than_the_whole_case_did(
    client: Client, therapist: User, family: Family
) -> None:
    """Before the split, the one page read everything: 50-odd queries on a small case."""
    login(client, therapist)
    overview, _ = _queries(client, section_url(family.case.pk))
    assert overview < 35


def test_another_familys_section_is_404_and_a_section_needs_a_login(
    client: Client, therapist: User, other_family: Family
) -> None:
    for slug in SLUGS:
        assert client.get(section_url(other_family.case.pk, slug)).status_code == 302
    login(client, therapist)
    for slug in SLUGS:
        assert client.get(section_url(other_family.case.pk, slug)).status_code == 404


def test_a_closed_gate_button_says_it_is_closed_and_lists_why(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    body = text(client.get(section_url(family.case.pk)))

    gate = gate_for(Case.objects.get(pk=family.case.pk))
    count = len(gate.reasons)
    assert count > 1
    button = re.search(r"<button[^>]*disabled[^>]*>([^<]*)</button>", body)
    assert button is not None
    assert f"Closed: {count} reasons" in button.group(1)
    assert 'aria-describedby="gate-reasons"' in button.group(0)
    assert 'id="gate-reasons"' in body
    assert reverse("case_advance", args=[family.case.pk]) not in body


def test_forms_open_where_they_are_used(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    body = text(client.get(section_url(family.case.pk)))

    # No always-open pause or close form on the overview: links to their own pages.
    assert 'name="pause-reason"' not in body and 'name="close-reason"' not in body
    assert reverse("case_pause", args=[family.case.pk]) in body
    assert reverse("case_close", args=[family.case.pk]) in body


def test_closing_a_case_is_apart_and_confirmed(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    address = reverse("case_close", args=[family.case.pk])
    assert 'name="close-outcome"' in text(client.get(address))
    data = {"close-outcome": Outcome.WITHDRAWN, "close-reason": "The family moved away."}

    first = client.post(address, data)

    assert first.status_code == 200
    assert "You are about to close" in text(first)
    assert 'name="confirmed" value="yes"' in text(first)
    assert not fresh(family.case).is_closed

    second = client.post(address, {**data, "confirmed": "yes"})

    assert second.status_code == 302
    assert second["Location"] == section_url(family.case.pk)
    assert fresh(family.case).is_closed
    assert Event.objects.filter(action="case.close", case_id=family.case.pk).count() == 1


def test_closing_with_bad_input_changes_nothing(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    response = client.post(
        reverse("case_close", args=[family.case.pk]), {"close-reason": "", "confirmed": "yes"}
    )
    assert response.status_code == 400
    assert not fresh(family.case).is_closed


def test_pause_has_its_own_page(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    address = reverse("case_pause", args=[family.case.pk])
    assert 'name="pause-reason"' in text(client.get(address))

    response = client.post(address, {"pause-reason": "A new allegation is being looked at."})

    assert response.status_code == 302
    assert fresh(family.case).is_paused


def test_a_record_form_goes_back_to_its_section(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    response = client.post(
        reverse("party_new", args=[family.case.pk]),
        {"role": PartyRole.GUARDIAN, "first_name": "Gil", "last_name": "Rivers"},
    )
    assert response.status_code == 302
    assert response["Location"] == section_url(family.case.pk, "parties")


# Co-therapists -----------------------------------------------------------------------------------


@pytest.fixture
def colleague(db: Any) -> User:
    return make_user("cole", first_name="Cole", last_name="Brandt")


def test_the_therapist_of_record_adds_and_removes_a_co_therapist(
    client: Client, therapist: User, family: Family, colleague: User
) -> None:
    login(client, therapist)
    parties = text(client.get(section_url(family.case.pk, "parties")))
    address = reverse("co_therapists", args=[family.case.pk])
    assert address in parties

    added = client.post(address, {"user": colleague.pk})

    assert added.status_code == 302
    assert family.case.co_therapists.filter(pk=colleague.pk).exists()
    assert Event.objects.filter(action="case.co_therapist_add", case_id=family.case.pk).exists()
    assert "Cole Brandt" in text(client.get(section_url(family.case.pk, "parties")))

    removed = client.post(reverse("co_therapist_remove", args=[family.case.pk, colleague.pk]))

    assert removed.status_code == 302
    assert not family.case.co_therapists.filter(pk=colleague.pk).exists()
    event = Event.objects.filter(action="case.co_therapist_remove", case_id=family.case.pk).get()
    assert event.detail["user"] == "cole"


def test_the_supervisor_may_change_the_co_therapists(
    client: Client, supervisor: User, family: Family, colleague: User
) -> None:
    login(client, supervisor)
    response = client.post(reverse("co_therapists", args=[family.case.pk]), {"user": colleague.pk})
    assert response.status_code == 302
    assert family.case.co_therapists.filter(pk=colleague.pk).exists()


def test_a_co_therapist_may_not_change_the_co_therapists(
    client: Client, therapist: User, family: Family, colleague: User
) -> None:
    services.co_therapist_add(actor=therapist, case=family.case, user=colleague)
    other = make_user("dana")
    login(client, colleague)

    assert client.get(reverse("co_therapists", args=[family.case.pk])).status_code == 403
    response = client.post(reverse("co_therapists", args=[family.case.pk]), {"user": other.pk})
    assert response.status_code == 403
    removed = client.post(reverse("co_therapist_remove", args=[family.case.pk, colleague.pk]))
    assert removed.status_code == 403
    assert list(family.case.co_therapists.all()) == [colleague]


def test_co_therapists_of_another_family_are_404_and_need_a_login(
    client: Client, therapist: User, other_family: Family, colleague: User
) -> None:
    address = reverse("co_therapists", args=[other_family.case.pk])
    assert client.get(address).status_code == 302
    login(client, therapist)
    assert client.get(address).status_code == 404
    assert client.post(address, {"user": colleague.pk}).status_code == 404
    assert not other_family.case.co_therapists.exists()


def test_an_expired_licence_is_refused(
    client: Client, therapist: User, family: Family, colleague: User
) -> None:
    qualify(colleague, expires_in=-5)
    login(client, therapist)

    response = client.post(reverse("co_therapists", args=[family.case.pk]), {"user": colleague.pk})

    assert response.status_code == 400
    assert "licence" in text(response)
    assert not family.case.co_therapists.exists()


def test_the_evaluator_cannot_be_a_co_therapist(
    client: Client, therapist: User, colleague: User
) -> None:
    case = make_family(therapist).case
    Case.objects.filter(pk=case.pk).update(evaluator=colleague)
    login(client, therapist)

    response = client.post(reverse("co_therapists", args=[case.pk]), {"user": colleague.pk})

    assert response.status_code == 400
    assert "both the evaluator and the treating therapist" in text(response)
    assert not case.co_therapists.exists()


def test_bad_input_changes_nothing(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    response = client.post(reverse("co_therapists", args=[family.case.pk]), {"user": "nobody"})
    assert response.status_code == 400
    assert not family.case.co_therapists.exists()
    missing = reverse("co_therapist_remove", args=[family.case.pk, therapist.pk])
    assert client.post(missing).status_code == 404


def test_a_closed_case_keeps_its_co_therapists(
    client: Client, therapist: User, family: Family, colleague: User
) -> None:
    services.co_therapist_add(actor=therapist, case=family.case, user=colleague)
    transitions.case_close(
        actor=therapist, case=family.case, outcome=Outcome.WITHDRAWN, reason="Moved away."
    )
    login(client, therapist)
    removed = client.post(reverse("co_therapist_remove", args=[family.case.pk, colleague.pk]))
    assert removed.status_code == 302
    assert family.case.co_therapists.filter(pk=colleague.pk).exists()
    assert fresh(family.case).phase == Phase.CLOSED


# The API offers the same ------------------------------------------------------------------------

API = "/api/v1/cases"


def test_the_api_adds_lists_and_removes_a_co_therapist(
    client: Client, therapist: User, family: Family, colleague: User
) -> None:
    address = f"{API}/{family.case.pk}/co-therapists"
    added = client.post(
        address, {"username": "cole"}, content_type="application/json", headers=bearer(therapist)
    )
    assert added.status_code == 201, added.content
    assert added.json() == {"username": "cole", "name": "Cole Brandt"}
    listed = client.get(address, headers=bearer(therapist))
    assert [row["username"] for row in listed.json()] == ["cole"]

    removed = client.delete(f"{address}/cole", headers=bearer(therapist))

    assert removed.status_code == 204
    assert not family.case.co_therapists.exists()
    assert Event.objects.filter(action="case.co_therapist_remove", case_id=family.case.pk).exists()


def test_the_api_refuses_what_the_page_refuses(
    client: Client, therapist: User, outsider: User, family: Family, colleague: User
) -> None:
    address = f"{API}/{family.case.pk}/co-therapists"
    anonymous = client.post(address, {"username": "cole"}, content_type="application/json")
    assert anonymous.status_code == 401
    other = client.post(
        address, {"username": "cole"}, content_type="application/json", headers=bearer(outsider)
    )
    assert other.status_code == 404
    services.co_therapist_add(actor=therapist, case=family.case, user=colleague)
    as_co = client.post(
        address, {"username": "dana"}, content_type="application/json", headers=bearer(colleague)
    )
    assert as_co.status_code == 403
    unknown = client.post(
        address, {"username": "nobody"}, content_type="application/json", headers=bearer(therapist)
    )
    assert unknown.status_code == 400
    assert list(family.case.co_therapists.all()) == [colleague]
