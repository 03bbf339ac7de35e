"""A court order can be ended, amended or superseded by a later order; the gates read only
the terms in force on the day, and nothing leaves the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import Case, CourtOrder, CourtTerm, Phase, ResumeConditions, TermKind
from reunify.cases.sections import section_url
from reunify.cases.services import TermInput
from reunify.clinical import services as clinical
from reunify.conftest import Family, advance_to, bearer, last_event, login, screen
from reunify.process import pausing, transitions
from reunify.process.gates import active_contact_bans, gate_for, with_gate_facts

API = "/api/v1"
DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def order(
    therapist: User, family: Family, *terms: TermInput, issued_days_ago: int = 30
) -> CourtOrder:
    return pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-2024-0117",
        issued_on=today() - issued_days_ago * DAY,
        terms=list(terms),
    )


def bans(case: Case, day: dt.date | None = None) -> list[str]:
    facts = with_gate_facts(Case.objects.filter(pk=case.pk)).get()
    return active_contact_bans(facts, today=day or today())


def term_of(order: CourtOrder) -> CourtTerm:
    return CourtTerm.objects.get(order=order)


def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    return (
        list(CourtOrder.objects.values_list("pk", "ended_on", "end_reason", "supersedes")),
        list(CourtTerm.objects.values_list("pk", "ended_on", "replaced_by", "starts_on")),
        Event.objects.count(),
    )


@pytest.fixture
def banned(therapist: User, family: Family) -> tuple[Family, CourtOrder]:
    """A case in therapeutic contact under a no-contact order (which paused it)."""
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    return family, order(therapist, family, TermInput(TermKind.NO_CONTACT))


def visit_tomorrow(therapist: User, family: Family) -> object:
    return clinical.appointment_schedule(
        actor=therapist,
        case=family.case,
        kind="contact_supervised",
        starts_at=timezone.now() + DAY,
        participants=[family.child, family.estranged],
    )


def test_a_no_contact_term_ended_today_lifts_from_today_but_stays_on_earlier_days(
    therapist, banned
):
    family, ban = banned
    assert bans(family.case) == ["court order 1 forbids contact"]

    services.court_order_end(
        actor=therapist, order=ban, ended_on=today(), reason="Minute order of today."
    )

    assert bans(family.case) == []
    assert bans(family.case, today() - DAY) == ["court order 1 forbids contact"]
    facts = with_gate_facts(Case.objects.filter(pk=family.case.pk)).get()
    assert "court" not in {r.kind for r in gate_for(facts).reasons}
    assert "court" in {r.kind for r in gate_for(facts, today=today() - DAY).reasons}
    # The order and its term stay in the record, marked as ended.
    ended = CourtOrder.objects.get(pk=ban.pk)
    assert (ended.ended_on, ended.end_reason) == (today(), "Minute order of today.")
    assert term_of(ban).ended_on == today()
    event = last_event()
    assert (event.action, event.case_id) == ("court_order.end", family.case.pk)
    assert event.detail["terms"] == [term_of(ban).pk]

    screen(therapist, family.case)
    transitions.case_resume(
        actor=therapist, case=family.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
    )
    visit_tomorrow(therapist, family)  # scheduling is open again


def test_scheduling_stays_closed_while_the_term_is_in_force(therapist, banned):
    family, ban = banned
    screen(therapist, family.case)
    services.court_order_end(
        actor=therapist, order=ban, ended_on=today(), reason="Minute order of today."
    )
    transitions.case_resume(
        actor=therapist, case=family.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
    )
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-2024-0117",
        issued_on=today(),
        terms=[TermInput(TermKind.NO_CONTACT, until=today() + 3 * DAY)],
    )
    screen(therapist, family.case)
    with pytest.raises(ValidationError):
        visit_tomorrow(therapist, family)


def test_superseding_records_the_link_and_stops_the_replaced_terms_on_the_day(therapist, family):
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    old = order(
        therapist,
        family,
        TermInput(TermKind.SUPERVISED_UNTIL, until=today() + 90 * DAY),
        TermInput(TermKind.OTHER, text="Exchanges at school."),
    )
    supervised, exchanges = CourtTerm.objects.filter(order=old).order_by("id")

    new = pausing.court_order_supersede(
        actor=therapist,
        order=old,
        court="Superior Court",
        court_case_number="FL-2024-0117",
        issued_on=today() - 2 * DAY,
        terms=[TermInput(TermKind.THERAPEUTIC_ONLY)],
        replaces=[supervised],
        effective_on=today() - DAY,
    )

    assert new.number == 2 and new.supersedes == old
    supervised.refresh_from_db()
    exchanges.refresh_from_db()
    assert (supervised.ended_on, supervised.replaced_by) == (today() - DAY, new)
    assert exchanges.ended_on is None  # not replaced: still in force
    assert supervised.in_force(today() - 2 * DAY) and not supervised.in_force(today() - DAY)
    event = last_event()
    assert event.action == "court_order.supersede"
    assert event.detail["supersedes"] == 1 and event.detail["replaced"] == [supervised.pk]
    facts = with_gate_facts(Case.objects.filter(pk=family.case.pk)).get()
    texts = gate_for(facts).texts()
    assert "court order 2 allows therapeutic contact only" in texts
    assert not [t for t in texts if "supervised contact only" in t]


def test_amending_ends_some_terms_and_adds_others_from_a_date(therapist, family):
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    current = order(therapist, family, TermInput(TermKind.THERAPEUTIC_ONLY))
    therapeutic = term_of(current)

    pausing.court_order_amend(
        actor=therapist,
        order=current,
        effective_on=today(),
        reason="Amended on the father's motion.",
        end_terms=[therapeutic],
        add_terms=[TermInput(TermKind.VISITS_ONLY)],
    )

    therapeutic.refresh_from_db()
    assert therapeutic.ended_on == today()
    added = CourtTerm.objects.get(order=current, kind=TermKind.VISITS_ONLY)
    assert added.starts_on == today()
    assert added.in_force(today()) and not added.in_force(today() - DAY)
    assert last_event().action == "court_order.amend"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("end_before_issue", "is before court order 1 was issued"),
        ("end_in_future", "is in the future"),
        ("end_twice", "already ended"),
        ("end_without_reason", "reason the order ended"),
        ("supersede_before_new_issue", "on or after the new order's issue"),
        ("supersede_issued_before_old", "on or after the order it replaces"),
        ("supersede_other_orders_term", "is not a term of court order 1"),
        ("supersede_ended_term", "has already ended"),
        ("supersede_nothing", "Name the terms"),
        ("amend_nothing", "Name a term to end or a term to add"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(therapist, family, change, message):
    first = order(therapist, family, TermInput(TermKind.OTHER, text="Exchanges at school."))
    second = order(
        therapist, family, TermInput(TermKind.OTHER, text="No phones."), issued_days_ago=5
    )

    def supersede(**given: object) -> None:
        fields: dict[str, object] = {
            "actor": therapist,
            "order": first,
            "court": "Superior Court",
            "court_case_number": "FL-1",
            "issued_on": today() - 3 * DAY,
            "terms": [],
            "replaces": [term_of(first)],
            "effective_on": today() - 3 * DAY,
        }
        fields.update(given)
        pausing.court_order_supersede(**fields)  # type: ignore[arg-type]

    attempts = {
        "end_before_issue": lambda: services.court_order_end(
            actor=therapist, order=first, ended_on=today() - 31 * DAY, reason="Ended."
        ),
        "end_in_future": lambda: services.court_order_end(
            actor=therapist, order=first, ended_on=today() + DAY, reason="Ended."
        ),
        "end_twice": lambda: services.court_order_end(
            actor=therapist, order=second, ended_on=today(), reason="Again."
        ),
        "end_without_reason": lambda: services.court_order_end(
            actor=therapist, order=first, ended_on=today(), reason="  "
        ),
        "supersede_before_new_issue": lambda: supersede(effective_on=today() - 4 * DAY),
        "supersede_issued_before_old": lambda: supersede(issued_on=today() - 40 * DAY),
        "supersede_other_orders_term": lambda: supersede(replaces=[term_of(second)]),
        "supersede_ended_term": lambda: supersede(order=second, replaces=[term_of(second)]),
        "supersede_nothing": lambda: supersede(replaces=[]),
        "amend_nothing": lambda: pausing.court_order_amend(
            actor=therapist, order=first, effective_on=today(), reason="Nothing."
        ),
    }
    if change in ("end_twice", "supersede_ended_term"):
        pausing.court_order_amend(
            actor=therapist,
            order=second,
            effective_on=today(),
            reason="Phones allowed now.",
            end_terms=[term_of(second)],
            add_terms=[],
        )
        if change == "end_twice":
            services.court_order_end(
                actor=therapist, order=second, ended_on=today(), reason="Ended."
            )
    before = snapshot()

    with pytest.raises(ValidationError, match=message):
        attempts[change]()

    assert snapshot() == before


def test_another_familys_order_is_out_of_sight(outsider, therapist, family):
    theirs = order(therapist, family, TermInput(TermKind.NO_CONTACT))
    before = snapshot()
    with pytest.raises(Http404):
        services.court_order_end(actor=outsider, order=theirs, ended_on=today(), reason="Mine.")
    assert snapshot() == before


# Pages ----------------------------------------------------------------------------------------


def test_the_case_page_shows_ended_and_replaced_terms_with_their_actions(
    client: Client, therapist, family
):
    old = order(therapist, family, TermInput(TermKind.THERAPEUTIC_ONLY))
    pausing.court_order_supersede(
        actor=therapist,
        order=old,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=today(),
        terms=[TermInput(TermKind.OTHER, text="Exchanges at school.")],
        replaces=[term_of(old)],
        effective_on=today(),
    )
    login(client, therapist)

    page = client.get(section_url(family.case.pk, "legal")).content.decode()

    assert "<del>therapeutic contact only</del>" in page
    assert f"replaced by court order 2 from {today():%Y-%m-%d}" in page
    assert "Superseded by" in page and "Supersedes" in page
    assert reverse("court_order_end", args=[family.case.pk, old.pk]) in page


def test_the_end_page_ends_the_order(client: Client, therapist, family):
    ban = order(therapist, family, TermInput(TermKind.NO_CONTACT))
    login(client, therapist)
    url = reverse("court_order_end", args=[family.case.pk, ban.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"ended_on": today().isoformat(), "reason": "Lifted today."})

    assert response.status_code == 302
    assert fresh_order(ban).ended_on == today()
    assert last_event().action == "court_order.end"


def test_the_end_page_refuses_bad_input_and_changes_nothing(client: Client, therapist, family):
    ban = order(therapist, family, TermInput(TermKind.NO_CONTACT))
    login(client, therapist)
    before = snapshot()[:2]

    response = client.post(
        reverse("court_order_end", args=[family.case.pk, ban.pk]),
        {"ended_on": (today() - 60 * DAY).isoformat(), "reason": "Lifted."},
    )

    assert response.status_code == 400
    assert "is before court order 1 was issued" in response.content.decode()
    assert snapshot()[:2] == before


def test_the_supersede_page_records_the_new_order(client: Client, therapist, family):
    old = order(therapist, family, TermInput(TermKind.THERAPEUTIC_ONLY))
    login(client, therapist)
    url = reverse("court_order_supersede", args=[family.case.pk, old.pk])
    assert "therapeutic contact only" in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "court": "Superior Court",
            "court_case_number": "FL-1",
            "issued_on": today().isoformat(),
            "replaces": [str(term_of(old).pk)],
            "effective_on": today().isoformat(),
            "term-1-kind": "other",
            "term-1-text": "Exchanges at school.",
        },
    )

    assert response.status_code == 302
    new = CourtOrder.objects.get(case=family.case, number=2)
    assert new.supersedes == old and term_of(old).replaced_by == new


def test_the_amend_page_adds_and_ends_terms(client: Client, therapist, family):
    current = order(therapist, family, TermInput(TermKind.THERAPEUTIC_ONLY))
    login(client, therapist)

    response = client.post(
        reverse("court_order_amend", args=[family.case.pk, current.pk]),
        {
            "effective_on": today().isoformat(),
            "reason": "Amended.",
            "end_terms": [str(term_of(current).pk)],
            "term-1-kind": "visits_only",
        },
    )

    assert response.status_code == 302
    assert [t.kind for t in current.terms.filter(ended_on__isnull=True)] == ["visits_only"]


def test_the_pages_need_a_login_and_hide_other_families(
    client: Client, therapist, outsider, family, other_family
):
    theirs = order(outsider, other_family, TermInput(TermKind.NO_CONTACT))
    for name in ("court_order_end", "court_order_amend", "court_order_supersede"):
        url = reverse(name, args=[other_family.case.pk, theirs.pk])
        assert client.get(url).status_code == 302  # to the login page
        login(client, therapist)
        assert client.get(url).status_code == 404
        mine = order(therapist, family, TermInput(TermKind.OTHER, text="x"))
        # Another family's order under one's own case: not found either.
        assert client.get(reverse(name, args=[family.case.pk, theirs.pk])).status_code == 404
        assert client.get(reverse(name, args=[family.case.pk, mine.pk])).status_code == 200
        client.logout()
    assert fresh_order(theirs).ended_on is None


def test_a_party_cannot_change_an_order(client: Client, therapist, family):
    from reunify.portal.tests.factories import portal_user

    ban = order(therapist, family, TermInput(TermKind.NO_CONTACT))
    login(client, portal_user(therapist, family.estranged))

    response = client.post(
        reverse("court_order_end", args=[family.case.pk, ban.pk]),
        {"ended_on": today().isoformat(), "reason": "I say so."},
    )

    assert response.status_code in (403, 404)
    assert fresh_order(ban).ended_on is None


def fresh_order(order: CourtOrder) -> CourtOrder:
    return CourtOrder.objects.get(pk=order.pk)


# API ------------------------------------------------------------------------------------------


def post(client: Client, path: str, body: dict[str, object], user: User) -> object:
    return client.post(f"{API}{path}", body, content_type="application/json", headers=bearer(user))


def test_the_api_ends_amends_and_supersedes(client: Client, therapist, family):
    first = order(therapist, family, TermInput(TermKind.THERAPEUTIC_ONLY))
    second = order(therapist, family, TermInput(TermKind.NO_CONTACT), issued_days_ago=3)
    base = f"/cases/{family.case.pk}/court-orders"

    ended = post(
        client,
        f"{base}/{second.pk}/end",
        {"ended_on": today().isoformat(), "reason": "Lifted."},
        therapist,
    )
    assert ended.status_code == 200  # type: ignore[attr-defined]
    assert ended.json()["ended_on"] == today().isoformat()  # type: ignore[attr-defined]
    assert ended.json()["terms"][0]["in_force"] is False  # type: ignore[attr-defined]

    amended = post(
        client,
        f"{base}/{first.pk}/amend",
        {
            "effective_on": today().isoformat(),
            "reason": "Amended.",
            "add_terms": [{"kind": "other", "text": "Phones off."}],
        },
        therapist,
    )
    assert amended.status_code == 200  # type: ignore[attr-defined]
    assert len(amended.json()["terms"]) == 2  # type: ignore[attr-defined]

    new = post(
        client,
        f"{base}/{first.pk}/supersede",
        {
            "court": "Superior Court",
            "court_case_number": "FL-1",
            "issued_on": today().isoformat(),
            "terms": [],
            "replaces": [term_of_kind(first, "therapeutic_only").pk],
            "effective_on": today().isoformat(),
        },
        therapist,
    )
    assert new.status_code == 201  # type: ignore[attr-defined]
    assert new.json()["supersedes"] == 1  # type: ignore[attr-defined]
    listed = client.get(f"{API}{base}", headers=bearer(therapist)).json()
    replaced = next(t for t in listed[0]["terms"] if t["kind"] == "therapeutic_only")
    assert replaced["replaced_by"] == 3 and replaced["ended_on"] == today().isoformat()


def term_of_kind(order: CourtOrder, kind: str) -> CourtTerm:
    return CourtTerm.objects.get(order=order, kind=kind)


def test_the_api_refuses_bad_input_and_other_families(
    client: Client, therapist, outsider, family, other_family
):
    mine = order(therapist, family, TermInput(TermKind.THERAPEUTIC_ONLY))
    theirs = order(outsider, other_family, TermInput(TermKind.NO_CONTACT))
    before = snapshot()[:2]

    early = post(
        client,
        f"/cases/{family.case.pk}/court-orders/{mine.pk}/end",
        {"ended_on": (today() - 60 * DAY).isoformat(), "reason": "Lifted."},
        therapist,
    )
    assert early.status_code == 400  # type: ignore[attr-defined]
    assert "before court order 1 was issued" in early.json()["detail"]  # type: ignore[attr-defined]
    for path in (
        f"/cases/{family.case.pk}/court-orders/{theirs.pk}/end",
        f"/cases/{other_family.case.pk}/court-orders/{theirs.pk}/end",
    ):
        response = post(client, path, {"ended_on": today().isoformat(), "reason": "x"}, therapist)
        assert response.status_code == 404  # type: ignore[attr-defined]
    foreign = post(
        client,
        f"/cases/{family.case.pk}/court-orders/{mine.pk}/amend",
        {"effective_on": today().isoformat(), "reason": "x", "end_terms": [term_of(theirs).pk]},
        therapist,
    )
    assert foreign.status_code == 400  # type: ignore[attr-defined]
    assert snapshot()[:2] == before
