"""What needs me now: the work queue at the top of the caseload, its API, and the search."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import TermKind
from reunify.cases.services import TermInput
from reunify.cases.tests.test_pages import _ask_override
from reunify.clinical.tests.factories import DAY, held_session, make_note, stopped_clock
from reunify.conftest import Family, bearer, login, make_family, screen
from reunify.measures.models import ChildCheckin
from reunify.messaging.services import message_send_to_therapist
from reunify.portal.tests.factories import portal_user
from reunify.process import pausing, transitions
from reunify.process.pausing import checkin_record
from reunify.workqueue.selectors import URGENT_SOURCES, work_queue


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def text(response: Any) -> str:
    return response.content.decode()


def queue_of(page: str) -> str:
    return page.split('id="queue-heading"')[1].split("</section>")[0]


def a_busy_family(
    therapist: User, clock: Any, title: str = "Rivers family", last: str = "Rivers"
) -> Family:
    """A family with one of everything waiting: an overdue re-screen, a draft note, an unread
    message, an unread check-in and a court report due."""
    family = make_family(therapist, title, last)
    screen(therapist, family.case, days_ago=40)
    make_note(therapist, held_session(therapist, family, clock))
    message_send_to_therapist(
        actor=portal_user(therapist, family.estranged),
        party=family.estranged,
        body="Can we move Thursday?",
    )
    checkin_record(
        actor=portal_user(therapist, family.child),
        case=family.case,
        child=family.child,
        ready=6,
        safe=8,
        last_visit="none",
        slow_down=False,
    )
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number=f"FL-{last}-42",
        judge="Hon. Ada Quill",
        issued_on=dt.date(2030, 5, 1),
        terms=[
            TermInput(kind=TermKind.REPORTING_DUTY, due_on=dt.date(2030, 6, 1), text="Progress")
        ],
    )
    return family


def test_the_caseload_opens_with_everything_waiting_each_a_link_to_act(
    client: Client, therapist: User, clock: Any
) -> None:
    family = a_busy_family(therapist, clock)
    clock.shift(3 * DAY)
    login(client, therapist)

    queue = queue_of(text(client.get(reverse("caseload"))))

    case = family.case.pk
    note = family.case.progress_notes.get()
    for words in (
        "Unread messages",
        "1 unread message from Daniel Rivers",
        f'href="/cases/{case}/parties/{family.estranged.pk}/messages/"',
        "1 new check-in",
        f'href="/cases/{case}/checkins/"',
        "A draft progress note waits to be signed.",
        f'href="/appointments/{note.appointment_id}/#sign-{note.pk}-heading"',
        "3 days ago",
        "Safety re-screens overdue",
        f'href="/cases/{case}/screenings/new/"',
        "Overdue since 2030-06-01 under court order 1: Progress",
        f'href="/cases/{case}/reports/new/"',
    ):
        assert words in queue, words
    assert "Urgent" not in queue


def test_a_safety_pause_and_a_concern_are_urgent_newest_first(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    screen(therapist, family.case, ongoing_abuse="present")
    clock.shift(DAY)
    session = held_session(therapist, family, clock)
    make_note(therapist, session, safety_concern=True, safety_concern_note="Bruise on the arm.")
    login(client, therapist)

    queue = queue_of(text(client.get(reverse("caseload"))))

    urgent = queue.split('id="queue-urgent"')[1].split("</ul>")[0]
    concern = urgent.index("A progress note raises a safety concern.")
    pause = urgent.index("Paused for safety since")
    assert concern < pause
    assert f'href="/cases/{family.case.pk}/screenings/new/"' in urgent
    assert "Bruise" not in queue


def test_a_concern_leaves_the_urgent_list_once_a_fresh_screen_is_recorded(
    therapist: User, family: Family, clock: Any
) -> None:
    screen(therapist, family.case)
    session = held_session(therapist, family, clock)
    make_note(therapist, session, safety_concern=True, safety_concern_note="Worried.")
    assert [i.kind for i in work_queue(therapist).urgent] == ["safety_pause", "safety_concern"]

    clock.shift(DAY)
    screen(therapist, family.case)

    assert [i.kind for i in work_queue(therapist).urgent] == ["safety_pause"]


def test_a_pause_by_hand_is_not_a_safety_item(therapist: User, family: Family) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="A hearing is pending.")

    assert work_queue(therapist).urgent == []


def test_the_urgent_section_is_built_from_a_list_of_sources(therapist: User) -> None:
    assert [source.__name__ for source in URGENT_SOURCES] == [
        "unsafe_checkins",
        "safety_pauses",
        "safety_concerns",
    ]


def test_opening_the_checkins_marks_them_read_audited_and_out_of_the_queue(
    client: Client, therapist: User, clock: Any
) -> None:
    family = a_busy_family(therapist, clock)
    login(client, therapist)

    assert client.get(reverse("checkin_list", args=[family.case.pk])).status_code == 200

    checkin = ChildCheckin.objects.get(case=family.case)
    assert (checkin.read_by, checkin.read_at is not None) == (therapist, True)
    event = Event.objects.get(action="child_checkin.read")
    assert (event.case_id, event.detail) == (family.case.pk, {"checkins": [checkin.pk]})
    assert work_queue(therapist).checkins == []
    client.get(reverse("checkin_list", args=[family.case.pk]))
    assert Event.objects.filter(action="child_checkin.read").count() == 1


def test_a_checkin_the_therapist_recorded_in_session_is_not_unread(
    therapist: User, family: Family
) -> None:
    checkin_record(
        actor=therapist,
        case=family.case,
        child=family.child,
        ready=6,
        safe=8,
        last_visit="none",
        slow_down=False,
    )

    assert work_queue(therapist).checkins == []


def test_opening_the_conversation_takes_its_messages_out_of_the_queue(
    client: Client, therapist: User, clock: Any
) -> None:
    family = a_busy_family(therapist, clock)
    login(client, therapist)
    client.get(reverse("disclosure_conversation", args=[family.case.pk, family.estranged.pk]))

    assert work_queue(therapist).messages == []


def test_the_supervisor_sees_the_override_to_cosign(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    override = _ask_override(therapist, family)
    login(client, supervisor)

    queue = queue_of(text(client.get(reverse("caseload"))))

    assert "Overrides waiting for your co-signature" in queue
    assert f'href="/#override-{override.pk}-title"' in queue
    assert "Tess Hale asks to move the case to Therapeutic contact." in queue
    assert work_queue(therapist).overrides == []


def test_another_therapists_work_stays_out(
    client: Client, therapist: User, outsider: User, clock: Any
) -> None:
    a_busy_family(outsider, clock, "Okafor family", "Okafor")
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    assert "Okafor" not in page
    assert work_queue(therapist).items == []


def test_the_caseload_and_its_queue_take_the_same_queries_however_many_cases(
    client: Client, therapist: User, supervisor: User, clock: Any
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("caseload")).status_code == 200
        return len(captured.captured_queries)

    for n in range(2):
        a_busy_family(therapist, clock, f"Family {n}", f"Name{n}")
    login(client, therapist)
    with_two = count()
    for n in range(2, 5):
        a_busy_family(therapist, clock, f"Family {n}", f"Name{n}")
    login(client, therapist)  # the clock moved on: a fresh login, not an idle one
    with_five = count()

    assert with_two == with_five
    assert len(work_queue(therapist).drafts) == 5


def test_the_caseload_writes_one_list_event_naming_the_queue_and_table_cases(
    client: Client, therapist: User, clock: Any
) -> None:
    busy = a_busy_family(therapist, clock)
    quiet = make_family(therapist, "Quiet family", "Quiet")
    login(client, therapist)
    before = Event.objects.latest("id").id

    client.get(reverse("caseload"), {"q": "Quiet"})

    written = Event.objects.filter(id__gt=before)
    assert [e.action for e in written] == ["case.list_view"]
    assert written[0].detail["case_ids"] == sorted([busy.case.pk, quiet.case.pk])


# The search ------------------------------------------------------------------------------------


def caseload_titles(client: Client, q: str) -> list[str]:
    response = client.get(reverse("caseload"), {"q": q})
    assert response.status_code == 200
    table = text(response).split('id="cases-heading"')[1]
    return [c.title for c in _cases_named(table)]


def _cases_named(table: str) -> list[Any]:
    from reunify.cases.models import Case

    return [case for case in Case.objects.order_by("title") if f">{case.title}</a></th>" in table]


def test_the_search_finds_a_family_a_party_and_a_case_number(
    client: Client, therapist: User, other_family: Family, clock: Any
) -> None:
    rivers = a_busy_family(therapist, clock)
    make_family(therapist, "Ash family", "Ash")
    login(client, therapist)

    assert caseload_titles(client, "rivers") == ["Rivers family"]
    assert caseload_titles(client, "daniel ash") == ["Ash family"]
    assert caseload_titles(client, "FL-Rivers") == ["Rivers family"]
    assert caseload_titles(client, f"#{rivers.case.pk}") == ["Rivers family"]
    assert caseload_titles(client, "") == ["Ash family", "Rivers family"]


def test_the_search_never_finds_a_case_one_may_not_see(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    login(client, therapist)

    page = text(client.get(reverse("caseload"), {"q": "Okafor"}))

    assert "Okafor family" not in page
    assert caseload_titles(client, str(other_family.case.pk)) == []
    assert "No open case matches." in page


def test_a_search_too_long_is_explained(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    response = client.get(reverse("caseload"), {"q": "x" * 101})

    assert response.status_code == 400
    assert "Ensure this value has at most 100 characters" in text(response)


def test_the_search_query_count_does_not_grow(client: Client, therapist: User, clock: Any) -> None:
    for n in range(2):
        make_family(therapist, f"Family {n}", f"Name{n}")
    login(client, therapist)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("caseload"), {"q": "Name1"})
    for n in range(2, 6):
        make_family(therapist, f"Family {n}", f"Name{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("caseload"), {"q": "Name1"})

    assert len(few.captured_queries) == len(many.captured_queries)


# The API ---------------------------------------------------------------------------------------


def test_the_api_work_queue(client: Client, therapist: User, clock: Any) -> None:
    family = a_busy_family(therapist, clock)

    body = client.get("/api/v1/work-queue", headers=bearer(therapist)).json()

    assert body["urgent"] == [] and body["overrides"] == []
    (message,) = body["messages"]
    assert message["kind"] == "message"
    assert message["case"] == {"id": family.case.pk, "title": "Rivers family"}
    assert message["url"] == f"/cases/{family.case.pk}/parties/{family.estranged.pk}/messages/"
    assert body["drafts"][0]["age_days"] == 0
    assert body["reports"][0]["due_on"] == "2030-06-01"
    assert Event.objects.filter(action="case.list_view", detail__what="api:work_queue").exists()


def test_the_api_work_queue_needs_a_token(client: Client) -> None:
    assert client.get("/api/v1/work-queue").status_code == 401


def test_the_api_work_queue_is_for_clinicians(
    client: Client, therapist: User, monitor: User, family: Family
) -> None:
    party = portal_user(therapist, family.estranged)
    assert client.get("/api/v1/work-queue", headers=bearer(monitor)).status_code == 403
    assert client.get("/api/v1/work-queue", headers=bearer(party)).status_code in (401, 403)


def test_the_api_case_list_searches(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    make_family(therapist, "Ash family", "Ash")

    rows = client.get("/api/v1/cases", {"search": "laura rivers"}, headers=bearer(therapist))
    none = client.get("/api/v1/cases", {"search": "Okafor"}, headers=bearer(therapist))
    bad = client.get("/api/v1/cases", {"search": "x" * 101}, headers=bearer(therapist))

    assert [row["title"] for row in rows.json()] == ["Rivers family"]
    assert none.json() == []
    assert bad.status_code == 422
