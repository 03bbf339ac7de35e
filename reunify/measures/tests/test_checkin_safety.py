"""A child's unsafe check-in is a safety concern: the case pauses, contact visits are held, the
gates and contact scheduling close with a safety reason until a fresh screen, the treating
therapists see an urgent item and get an e-mail that carries none of the child's words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Case
from reunify.cases.selectors import caseload
from reunify.clinical.models import Appointment, AppointmentKind, AppointmentStatus
from reunify.clinical.services import ladder_gate_for
from reunify.clinical.tests.factories import in_contact, make_appointment, stopped_clock
from reunify.conftest import Family, bearer, fresh, login, screen
from reunify.measures import selectors
from reunify.measures.models import ChildCheckin
from reunify.portal.tests.factories import portal_user
from reunify.process import pausing
from reunify.process.gates import Kind, gate_for, with_gate_facts

WORDS = "He shouted at me in the car and I am scared to go again."
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def visit(clock: Any, therapist: User, family: Family) -> Appointment:
    """A family in therapeutic contact with a supervised visit booked for two days ahead."""
    User.objects.filter(pk=therapist.pk).update(email="tess@practice.invalid")
    therapist.refresh_from_db()
    in_contact(therapist, family)
    return make_appointment(
        therapist,
        family,
        AppointmentKind.CONTACT_SUPERVISED,
        when=timezone.now() + dt.timedelta(days=2),
    )


@pytest.fixture
def child_user(therapist: User, family: Family) -> User:
    return portal_user(therapist, family.child, "mia@example.invalid")


def check_in(actor: User, family: Family, *, safe: int = 2, **extra: Any) -> ChildCheckin:
    return pausing.checkin_record(
        actor=actor,
        case=family.case,
        child=family.child,
        ready=5,
        safe=safe,
        last_visit="hard",
        slow_down=False,
        words=WORDS,
        **extra,
    )


def portal_check_in(client: Client, child_user: User, family: Family, **answers: Any) -> Any:
    login(client, child_user)
    data = {"ready": "5", "safe": "2", "last_visit": "hard", "words": WORDS, **answers}
    return client.post(reverse("portal_checkin", args=[family.child.pk]), data)


def gate_reasons(case: Case) -> list[Any]:
    return gate_for(with_gate_facts(Case.objects.filter(pk=case.pk)).get()).reasons


def checkin_reason(reasons: list[Any]) -> Any:
    return next((r for r in reasons if r.code == "checkin_unsafe"), None)


# What the check-in does at once ----------------------------------------------------------------


def test_a_low_rating_on_the_portal_pauses_the_case_and_holds_the_visit(
    client: Client,
    child_user: User,
    family: Family,
    visit: Appointment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_check_in(client, child_user, family)

    assert response.status_code == 302
    assert ChildCheckin.objects.get().safety_concern
    case = fresh(family.case)
    assert case.is_paused
    assert WORDS not in case.pause_reason
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.HELD
    page = client.get(reverse("portal_checkin", args=[family.child.pk])).content.decode()
    assert "Your therapist will see this" in page
    actions = list(Event.objects.order_by("id").values_list("action", flat=True))
    assert actions[-4:] == [
        "child_checkin.record",
        "case.pause",
        "appointment.hold",
        "child_checkin.concern",
    ]
    assert not any(WORDS in str(e.detail) for e in Event.objects.all())


def test_the_step_up_and_phase_gates_close_with_a_safety_reason_naming_the_date(
    therapist: User, family: Family, visit: Appointment
) -> None:
    check_in(therapist, family)
    day = str(timezone.localdate())

    for reasons in (gate_reasons(family.case), ladder_gate_for(family.case).reasons):
        reason = checkin_reason(reasons)
        assert reason is not None
        assert reason.kind == Kind.SAFETY and not reason.overridable
        assert day in reason.text and "check-in" in reason.text
        assert WORDS not in reason.text


def test_the_re_screen_falls_due_on_the_day_of_the_check_in(
    clock: Any, therapist: User, family: Family, visit: Appointment
) -> None:
    [row] = caseload(therapist)
    assert row.screen_due_on is not None and row.screen_due_on > timezone.localdate()

    check_in(therapist, family)
    [row] = caseload(therapist)
    assert row.screen_due_on == timezone.localdate()

    clock.shift(dt.timedelta(days=1))
    [row] = caseload(therapist)
    assert row.screen_overdue


def test_the_schedule_page_refuses_a_contact_visit_with_that_reason(
    client: Client, therapist: User, family: Family, visit: Appointment
) -> None:
    check_in(therapist, family)
    login(client, therapist)
    when = timezone.localtime() + dt.timedelta(days=3)
    data = {
        "kind": AppointmentKind.CONTACT_SUPERVISED,
        "day": when.date().isoformat(),
        "time": when.strftime("%H:%M"),
        "duration_minutes": "50",
        "modality": "office",
        "location": "Room 2",
        "participants": [family.child.pk, family.estranged.pk],
    }

    response = client.post(reverse("appointment_new", args=[family.case.pk]), data)

    assert response.status_code == 400
    assert f"check-in of {timezone.localdate()}" in response.content.decode()
    assert Appointment.objects.filter(case=family.case).count() == 1


def test_the_api_refuses_a_contact_visit_with_that_reason(
    client: Client, therapist: User, family: Family, visit: Appointment
) -> None:
    check_in(therapist, family)
    body = {
        "kind": "contact_supervised",
        "starts_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        "participant_ids": [family.child.pk, family.estranged.pk],
    }

    response = client.post(
        f"/api/v1/cases/{family.case.pk}/appointments",
        body,
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code in (400, 409, 422)
    assert f"check-in of {timezone.localdate()}" in response.content.decode()
    assert Appointment.objects.filter(case=family.case).count() == 1


def test_the_therapist_gets_one_e_mail_without_the_childs_words(
    child_user: User,
    family: Family,
    visit: Appointment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        check_in(child_user, family)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tess@practice.invalid"]
    assert reverse("checkin_list", args=[family.case.pk]) in message.body
    for secret in (WORDS, "scared", family.child.person.first_name, family.case.title):
        assert secret not in message.body and secret not in message.subject


def test_no_e_mail_before_the_transaction_commits(
    child_user: User,
    family: Family,
    visit: Appointment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        check_in(child_user, family)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_a_co_therapist_is_told_of_a_check_in_recorded_in_session(
    therapist: User, family: Family, visit: Appointment, django_capture_on_commit_callbacks: Any
) -> None:
    from reunify.conftest import make_user

    colleague = make_user("colleague", email="cole@practice.invalid")
    family.case.co_therapists.add(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        check_in(therapist, family)

    assert [m.to for m in mail.outbox] == [["cole@practice.invalid"]]


def test_the_urgent_item_tops_the_caseload_with_one_click_to_the_check_ins(
    client: Client, therapist: User, family: Family, visit: Appointment
) -> None:
    check_in(therapist, family)
    login(client, therapist)

    page = client.get(reverse("caseload")).content.decode()

    assert "queue-urgent" in page
    assert page.index("queue-urgent") < page.index("cases-heading")
    assert f'href="{reverse("checkin_list", args=[family.case.pk])}"' in page
    assert WORDS not in page
    [item] = selectors.urgent_items(therapist)
    assert (item.kind, item.case_id) == (selectors.UrgentKind.UNSAFE_CHECKIN, family.case.pk)


def test_a_fresh_screen_after_the_check_in_resolves_the_reason(
    client: Client, clock: Any, therapist: User, family: Family, visit: Appointment
) -> None:
    check_in(therapist, family)
    screen(therapist, family.case)  # the same moment: not after the check-in
    assert checkin_reason(gate_reasons(family.case)) is not None

    clock.shift(HOUR)
    screen(therapist, family.case)

    assert checkin_reason(gate_reasons(family.case)) is None
    assert checkin_reason(ladder_gate_for(family.case).reasons) is None
    assert selectors.urgent_items(therapist) == []
    login(client, therapist)
    assert "raised a safety concern" not in client.get(reverse("caseload")).content.decode()


def test_a_screen_back_dated_before_the_check_in_does_not_resolve_it(
    clock: Any, therapist: User, family: Family, visit: Appointment
) -> None:
    check_in(therapist, family)
    clock.shift(HOUR)
    screen(therapist, family.case, days_ago=1)

    assert checkin_reason(gate_reasons(family.case)) is not None


def test_a_rating_of_4_is_not_a_concern(
    therapist: User, family: Family, visit: Appointment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        checkin = check_in(therapist, family, safe=4)

    assert not checkin.safety_concern
    assert not fresh(family.case).is_paused
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED
    assert checkin_reason(gate_reasons(family.case)) is None
    assert mail.outbox == []
    assert selectors.urgent_items(therapist) == []


def test_the_threshold_is_a_setting(
    settings: Any, therapist: User, family: Family, visit: Appointment
) -> None:
    settings.REUNIFY_CHECKIN_UNSAFE_AT = 5
    assert check_in(therapist, family, safe=5).safety_concern
    assert fresh(family.case).is_paused


def test_the_threshold_can_be_lowered(
    settings: Any, therapist: User, family: Family, visit: Appointment
) -> None:
    settings.REUNIFY_CHECKIN_UNSAFE_AT = 1
    assert not check_in(therapist, family, safe=2).safety_concern
    assert not fresh(family.case).is_paused


def test_i_dont_feel_safe_is_a_concern_whatever_the_rating(
    client: Client, child_user: User, family: Family, visit: Appointment
) -> None:
    response = portal_check_in(client, child_user, family, safe="9", feels_unsafe="on")

    assert response.status_code == 302
    saved = ChildCheckin.objects.get()
    assert (saved.safe, saved.feels_unsafe, saved.safety_concern) == (9, True, True)
    assert fresh(family.case).is_paused


def test_the_api_records_i_dont_feel_safe(
    client: Client, therapist: User, family: Family, visit: Appointment
) -> None:
    body = {"child_id": family.child.pk, "ready": 6, "safe": 8, "last_visit": "okay"}
    response = client.post(
        f"/api/v1/cases/{family.case.pk}/checkins",
        {**body, "feels_unsafe": True},
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code == 201
    assert (response.json()["feels_unsafe"], response.json()["safety_concern"]) == (True, True)
    assert fresh(family.case).is_paused


def test_the_other_familys_therapist_and_the_supervisor_see_nothing(
    client: Client,
    therapist: User,
    supervisor: User,
    outsider: User,
    family: Family,
    other_family: Family,
    visit: Appointment,
) -> None:
    check_in(therapist, family)

    for user in (outsider, supervisor):
        assert selectors.urgent_items(user) == []
        login(client, user)
        page = client.get(reverse("caseload")).content.decode()
        queue = page[page.index('id="queue-heading"') : page.index('id="cases-heading"')]
        assert "raised a safety concern" not in queue


def test_the_staff_check_in_page_says_what_happened(
    client: Client, therapist: User, family: Family, visit: Appointment
) -> None:
    login(client, therapist)
    data = {"child": family.child.pk, "ready": "5", "safe": "1", "last_visit": "hard"}

    response = client.post(reverse("checkin_new", args=[family.case.pk]), data, follow=True)

    assert "raised a safety concern" in response.content.decode()
    assert fresh(family.case).is_paused


# The demo ---------------------------------------------------------------------------------------


def test_the_demo_has_a_child_whose_check_in_is_urgent(db: Any) -> None:
    from reunify.demo import demo_load

    demo_load()
    demo_load()

    therapist = User.objects.get(username="therapist1")
    [item] = selectors.urgent_items(therapist)
    case = Case.objects.get(pk=item.case_id)
    assert case.title == "Thistlewood family" and case.is_paused
    assert ChildCheckin.objects.filter(case=case, safety_concern=True).count() == 1
    assert Appointment.objects.filter(case=case, status=AppointmentStatus.HELD).exists()
    assert selectors.urgent_items(User.objects.get(username="therapist2")) == []


def test_the_caseload_query_count_stays_flat_with_urgent_items(
    client: Client, therapist: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reunify.conftest import make_family

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("caseload")).status_code == 200
        return len(captured)

    def unsafe_family(title: str) -> None:
        family = make_family(therapist, title=title, last=title.split()[0])
        screen(therapist, family.case, days_ago=1)
        check_in(therapist, family)

    login(client, therapist)
    unsafe_family("Alder family")
    one = queries()
    for name in ("Birch", "Cedar", "Damson"):
        unsafe_family(f"{name} family")
    assert len(selectors.urgent_items(therapist)) == 4
    assert queries() == one
