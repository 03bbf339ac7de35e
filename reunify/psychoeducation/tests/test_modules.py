"""The psychoeducation library and each family's modules: editing, assigning, completing, and
the gate from psychoeducation into individual work that counts the completions.

Every page and endpoint: it works; it needs a login or a token; another family's case or
assignment answers 404; a role that may not act is refused; bad input gets a clear error and
changes nothing; the audit row is written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party, PartyRole, Phase
from reunify.cases.sections import section_url
from reunify.conftest import (
    Family,
    add_party,
    advance_to,
    bearer,
    case_text,
    complete_assessment,
    fresh,
    last_event,
    login,
    make_family,
    rate_all_ready,
)
from reunify.process import transitions
from reunify.process.gates import GateClosed
from reunify.psychoeducation import services
from reunify.psychoeducation.models import Language, Module, ModuleAssignment, Topic

API = "/api/v1"
DAY = dt.timedelta(days=1)
ESTRANGED = "the estranged parent (Daniel Rivers)"
OTHER = "the other parent (Laura Rivers)"
CHILD = "the child (Mia Rivers)"


def today() -> dt.date:
    return timezone.localdate()


def text(response: Any) -> str:
    return response.content.decode()


def shipped(topic: str) -> Module:
    return Module.objects.get(topic=topic, updated_by__isnull=True)


def gate_texts(family: Family) -> list[str]:
    return transitions.case_gate(family.case).texts()


def snapshot() -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        list(ModuleAssignment.objects.order_by("id").values()),
        list(Module.objects.order_by("id").values()),
        # Looking, issuing the caller's API token and being refused are not changes.
        Event.objects.exclude(action__in=("case.view", "token.create", "access.denied")).count(),
    )


def module_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "topic": Topic.COMMUNICATION,
        "title": "Apologising well",
        "summary": "What a real apology says, and what it leaves out.",
        "body": "A real apology names what happened.\n\nIt does not ask for anything back.",
        "language": Language.ENGLISH,
        "active": True,
    }
    body.update(overrides)
    return body


@pytest.fixture
def co_parenting(db: Any) -> Module:
    return shipped(Topic.CO_PARENTING)


@pytest.fixture
def preparing(therapist: User, family: Family) -> Family:
    """A family that has just entered psychoeducation and preparation."""
    advance_to(therapist, family, Phase.PSYCHOEDUCATION)
    return family


@pytest.fixture
def assigned(therapist: User, preparing: Family, co_parenting: Module) -> ModuleAssignment:
    return services.module_assign(
        actor=therapist, case=preparing.case, party=preparing.estranged, module=co_parenting
    )


@pytest.fixture
def retired(supervisor: User) -> Module:
    return services.module_create(
        actor=supervisor, **module_body(title="Old handout", active=False)
    )


@pytest.fixture
def attorney(therapist: User, family: Family) -> Party:
    return add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Alex", "Lee", represents=family.estranged
    )


# The shipped library -------------------------------------------------------------------------


def test_the_library_ships_one_plain_text_for_each_of_the_six_topics(db: Any) -> None:
    modules = list(Module.objects.order_by("id"))

    assert sorted(m.topic for m in modules) == sorted(Topic.values)
    for module in modules:
        words = len(re.findall(r"\w+", module.body))
        assert 120 <= words <= 250, (module.title, words)
        assert module.language == Language.ENGLISH
        assert module.active
        assert module.updated_by is None
        assert len(module.paragraphs()) >= 3
    assert shipped(Topic.CO_PARENTING).title == "Healthy co-parenting"


def test_the_shipped_texts_can_be_edited_by_the_practice(supervisor: User) -> None:
    module = shipped(Topic.EMOTIONAL_REGULATION)

    services.module_update(
        actor=supervisor,
        module=module,
        **module_body(topic=module.topic, title="Keeping calm together"),
    )

    module.refresh_from_db()
    assert module.title == "Keeping calm together"
    assert module.updated_by == supervisor
    event = last_event()
    assert (event.action, event.case_id, event.actor) == ("module.update", None, supervisor)
    assert set(event.detail["changed"]) == {"title", "summary", "body"}


# Editing the library: who may ----------------------------------------------------------------


@pytest.mark.parametrize("editor", ["admin_user", "supervisor"])
def test_an_administrator_or_supervisor_adds_and_edits_modules_in_the_pages(
    client: Client, request: pytest.FixtureRequest, editor: str
) -> None:
    user = request.getfixturevalue(editor)
    login(client, user)
    assert client.get(reverse("module_new")).status_code == 200

    response = client.post(reverse("module_new"), module_body())

    module = Module.objects.get(title="Apologising well")
    assert response.status_code == 302
    assert response["Location"] == reverse("module_detail", args=[module.pk])
    assert module.paragraphs() == [
        "A real apology names what happened.",
        "It does not ask for anything back.",
    ]
    assert (last_event().action, last_event().case_id) == ("module.create", None)

    edit = reverse("module_edit", args=[module.pk])
    assert "Apologising well" in text(client.get(edit))
    response = client.post(edit, module_body(title="Saying sorry", language="es"))

    assert response.status_code == 302
    module.refresh_from_db()
    assert (module.title, module.language, module.updated_by) == ("Saying sorry", "es", user)
    assert last_event().action == "module.update"
    page = text(client.get(reverse("module_detail", args=[module.pk])))
    assert '<span lang="es">Saying sorry</span>' in page
    assert reverse("module_edit", args=[module.pk]) in page


@pytest.mark.parametrize("reader", ["therapist", "monitor"])
def test_a_therapist_or_monitor_reads_the_library_but_may_not_edit_it(
    client: Client, request: pytest.FixtureRequest, reader: str, co_parenting: Module
) -> None:
    login(client, request.getfixturevalue(reader))
    before = snapshot()

    listing = client.get(reverse("module_list"))
    page = client.get(reverse("module_detail", args=[co_parenting.pk]))

    assert listing.status_code == 200 and page.status_code == 200
    assert "Healthy co-parenting" in text(listing)
    assert reverse("module_new") not in text(listing)
    assert reverse("module_edit", args=[co_parenting.pk]) not in text(page)
    assert "keep your child out of the middle" in text(page)
    edit = reverse("module_edit", args=[co_parenting.pk])
    assert client.get(reverse("module_new")).status_code == 403
    assert client.post(reverse("module_new"), module_body()).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, module_body(title="Mine now")).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("reader", ["therapist", "monitor"])
def test_the_library_services_refuse_a_therapist_or_monitor(
    request: pytest.FixtureRequest, reader: str, co_parenting: Module
) -> None:
    user = request.getfixturevalue(reader)
    before = snapshot()

    with pytest.raises(PermissionDenied, match="administrator or a clinical supervisor"):
        services.module_create(actor=user, **module_body())
    with pytest.raises(PermissionDenied):
        services.module_update(actor=user, module=co_parenting, **module_body())

    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "   "}, "A title is required."),
        ({"body": ""}, "The text of the module is required."),
        ({"topic": "astrology"}, "Unknown topic 'astrology'."),
        ({"language": "fr"}, "Unknown language 'fr'"),
        ({"summary": "x" * 301}, "A summary is too long: at most 300 characters."),
    ],
    ids=["blank-title", "no-body", "unknown-topic", "unknown-language", "long-summary"],
)
def test_bad_library_input_gets_a_clear_error_and_changes_nothing(
    supervisor: User, co_parenting: Module, change: dict[str, Any], message: str
) -> None:
    before = snapshot()

    with pytest.raises(ValidationError, match=re.escape(message)):
        services.module_create(actor=supervisor, **module_body(**change))
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.module_update(actor=supervisor, module=co_parenting, **module_body(**change))

    assert snapshot() == before


def test_a_bad_library_form_is_shown_again_with_its_errors(
    client: Client, supervisor: User, co_parenting: Module
) -> None:
    login(client, supervisor)
    before = snapshot()

    response = client.post(
        reverse("module_edit", args=[co_parenting.pk]), module_body(title="", body="")
    )

    assert response.status_code == 400
    page = text(response)
    assert 'role="alert"' in page
    assert "Title: This field is required." in page
    assert snapshot() == before


def test_saving_an_unchanged_module_writes_nothing(supervisor: User, co_parenting: Module) -> None:
    before = snapshot()
    fields = {name: getattr(co_parenting, name) for name in services.LIBRARY_FIELDS}

    services.module_update(actor=supervisor, module=co_parenting, **fields)

    assert snapshot() == before


@pytest.mark.parametrize(
    "address",
    ["module_list", "module_new", "module_detail", "module_edit"],
)
def test_the_library_pages_need_login(client: Client, co_parenting: Module, address: str) -> None:
    args = [co_parenting.pk] if address in ("module_detail", "module_edit") else []

    response = client.get(reverse(address, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_module_is_a_404(client: Client, therapist: User) -> None:
    login(client, therapist)
    assert client.get(reverse("module_detail", args=[999999])).status_code == 404


def test_the_library_pages_have_landmarks_and_no_inline_script_or_style(
    client: Client, supervisor: User, co_parenting: Module, family: Family
) -> None:
    login(client, supervisor)
    for address in [
        reverse("module_list"),
        reverse("module_new"),
        reverse("module_detail", args=[co_parenting.pk]),
        reverse("module_edit", args=[co_parenting.pk]),
    ]:
        page = text(client.get(address))
        assert page.count("<h1>") == 1, address
        assert '<main id="main"' in page and "<nav" in page, address
        assert "<script" not in page and "style=" not in page, address
    assert 'aria-current="page">Module library</a>' in text(client.get(reverse("module_list")))


def test_the_library_page_lists_every_topic_in_order_in_a_fixed_number_of_queries(
    client: Client, supervisor: User
) -> None:
    login(client, supervisor)

    def reads() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("module_list")).status_code == 200
        return len(captured.captured_queries)

    few = reads()
    for n in range(4):
        services.module_create(actor=supervisor, **module_body(title=f"Extra {n}"))

    assert reads() == few
    page = text(client.get(reverse("module_list")))
    positions = [page.index(f">{topic.label}</h2>") for topic in Topic]
    assert positions == sorted(positions)


# Assigning and completing ---------------------------------------------------------------------


def test_a_module_is_assigned_and_its_completion_recorded_with_audit_rows(
    therapist: User, preparing: Family, co_parenting: Module
) -> None:
    case = preparing.case

    assignment = services.module_assign(
        actor=therapist, case=case, party=preparing.other, module=co_parenting
    )

    assert (assignment.case, assignment.party, assignment.module) == (
        case,
        preparing.other,
        co_parenting,
    )
    assert assignment.assigned_by == therapist and assignment.completed_on is None
    event = last_event()
    assert (event.action, event.case_id, event.object_id) == (
        "module.assign",
        case.pk,
        str(assignment.pk),
    )
    assert event.detail == {
        "party": preparing.other.pk,
        "module": co_parenting.pk,
        "title": "Healthy co-parenting",
    }

    done = services.module_complete(
        actor=therapist, assignment=assignment, completed_on=today() - DAY
    )

    assert done.completed_on == today() - DAY
    assert done.completion_recorded_by == therapist
    assert done.completion_source == "in_session"
    event = last_event()
    assert (event.action, event.case_id) == ("module.complete", case.pk)
    assert event.detail["completed_on"] == str(today() - DAY)


def test_a_completed_module_may_be_given_again(
    therapist: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    services.module_complete(actor=therapist, assignment=assigned, completed_on=today())

    again = services.module_assign(
        actor=therapist, case=preparing.case, party=preparing.estranged, module=assigned.module
    )

    assert again.pk != assigned.pk


@pytest.mark.parametrize(
    "role",
    [
        PartyRole.CHILD,
        PartyRole.GUARDIAN,
        PartyRole.STEP_PARENT,
        PartyRole.EXTENDED_FAMILY,
    ],
)
def test_any_family_member_may_be_given_a_module(
    therapist: User, family: Family, co_parenting: Module, role: str
) -> None:
    party = add_party(therapist, family.case, role, "Kim", "Rivers")

    services.module_assign(actor=therapist, case=family.case, party=party, module=co_parenting)

    assert ModuleAssignment.objects.filter(party=party).count() == 1


def _refusals(
    therapist: User,
    family: Family,
    other_family: Family,
    attorney: Party,
    module: Module,
    retired: Module,
) -> dict[str, Any]:
    open_one = services.module_assign(
        actor=therapist, case=family.case, party=family.other, module=module
    )
    done = services.module_assign(
        actor=therapist, case=family.case, party=family.child, module=module
    )
    services.module_complete(actor=therapist, assignment=done, completed_on=today() - DAY)
    assign = services.module_assign
    complete = services.module_complete
    case = family.case
    return {
        "to an attorney": (
            lambda: assign(actor=therapist, case=case, party=attorney, module=module),
            "Alex Lee is the attorney in this case; modules are assigned to family members only.",
        ),
        "to another family's party": (
            lambda: assign(actor=therapist, case=case, party=other_family.child, module=module),
            "That party does not belong to this case.",
        ),
        "a retired module": (
            lambda: assign(actor=therapist, case=case, party=family.estranged, module=retired),
            "“Old handout” is no longer in use in the library and cannot be assigned.",
        ),
        "the same module twice while open": (
            lambda: assign(actor=therapist, case=case, party=family.other, module=module),
            "Laura Rivers already has “Healthy co-parenting” to work through",
        ),
        "a completion in the future": (
            lambda: complete(actor=therapist, assignment=open_one, completed_on=today() + DAY),
            f"The completion date {today() + DAY} is in the future.",
        ),
        "a second completion": (
            lambda: complete(actor=therapist, assignment=done, completed_on=today()),
            f"Mia Rivers already completed “Healthy co-parenting” on {today() - DAY}.",
        ),
    }


REFUSALS = [
    "to an attorney",
    "to another family's party",
    "a retired module",
    "the same module twice while open",
    "a completion in the future",
    "a second completion",
]


@pytest.mark.parametrize("refusal", REFUSALS)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    therapist: User,
    family: Family,
    other_family: Family,
    attorney: Party,
    co_parenting: Module,
    retired: Module,
    refusal: str,
) -> None:
    refusals = _refusals(therapist, family, other_family, attorney, co_parenting, retired)
    attempt, message = refusals[refusal]
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        attempt()

    assert message in " ".join(refused.value.messages)
    assert snapshot() == before


def test_a_closed_case_refuses_new_modules_and_completions(
    therapist: User, preparing: Family, assigned: ModuleAssignment, co_parenting: Module
) -> None:
    transitions.case_close(
        actor=therapist, case=preparing.case, outcome="withdrawn", reason="The family moved."
    )
    case = fresh(preparing.case)
    assigned.refresh_from_db()
    before = snapshot()

    with pytest.raises(ValidationError, match="This case is closed; its record is read-only"):
        services.module_assign(
            actor=therapist, case=case, party=preparing.other, module=co_parenting
        )
    with pytest.raises(ValidationError, match="This case is closed"):
        services.module_complete(actor=therapist, assignment=assigned, completed_on=today())

    assert snapshot() == before


def test_only_the_treating_therapists_assign_and_complete(
    therapist: User,
    supervisor: User,
    outsider: User,
    monitor: User,
    preparing: Family,
    assigned: ModuleAssignment,
    co_parenting: Module,
) -> None:
    before = snapshot()
    case, child = preparing.case, preparing.child

    with pytest.raises(PermissionDenied):
        services.module_assign(actor=supervisor, case=case, party=child, module=co_parenting)
    with pytest.raises(PermissionDenied):
        services.module_complete(actor=supervisor, assignment=assigned, completed_on=today())
    for stranger in (outsider, monitor):
        with pytest.raises(Http404):
            services.module_assign(actor=stranger, case=case, party=child, module=co_parenting)
        with pytest.raises(Http404):
            services.module_complete(actor=stranger, assignment=assigned, completed_on=today())

    assert snapshot() == before


# The gate from psychoeducation into individual work --------------------------------------------


def test_a_parent_without_a_module_holds_the_gate_and_that_cannot_be_overridden(
    therapist: User, preparing: Family
) -> None:
    gate = transitions.case_gate(preparing.case)

    assert gate.next_phase == Phase.INDIVIDUAL_WORK
    assert gate.texts() == [
        f"no psychoeducation module assigned to {ESTRANGED} yet",
        f"no psychoeducation module assigned to {OTHER} yet",
    ]
    assert {r.kind for r in gate.reasons} == {"record"}
    assert not gate.overridable
    with pytest.raises(GateClosed, match="Only readiness reasons can be overridden"):
        transitions.override_request(
            actor=therapist, case=preparing.case, rationale="They will read it later."
        )


def test_an_uncompleted_module_holds_the_gate_until_its_completion_is_recorded(
    therapist: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    other = services.module_assign(
        actor=therapist,
        case=preparing.case,
        party=preparing.other,
        module=shipped(Topic.COMMUNICATION),
    )

    gate = transitions.case_gate(preparing.case)
    assert gate.texts() == [
        f"{ESTRANGED} has not completed 'Healthy co-parenting'",
        f"{OTHER} has not completed 'Talking so you can be heard'",
    ]
    assert {r.kind for r in gate.reasons} == {"readiness"}
    assert gate.overridable

    services.module_complete(actor=therapist, assignment=assigned, completed_on=today())
    assert gate_texts(preparing) == [f"{OTHER} has not completed 'Talking so you can be heard'"]
    services.module_complete(actor=therapist, assignment=other, completed_on=today())

    assert transitions.case_gate(preparing.case).is_open
    transitions.case_advance(actor=therapist, case=preparing.case)
    assert fresh(preparing.case).phase == Phase.INDIVIDUAL_WORK


def test_any_family_members_open_module_holds_the_gate(
    therapist: User, preparing: Family, co_parenting: Module
) -> None:
    for party in (preparing.estranged, preparing.other, preparing.child):
        assignment = services.module_assign(
            actor=therapist, case=preparing.case, party=party, module=co_parenting
        )
        if party != preparing.child:
            services.module_complete(actor=therapist, assignment=assignment, completed_on=today())

    assert gate_texts(preparing) == [f"{CHILD} has not completed 'Healthy co-parenting'"]


def test_an_open_module_may_be_passed_with_a_supervisors_cosignature(
    therapist: User, supervisor: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    done = services.module_assign(
        actor=therapist,
        case=preparing.case,
        party=preparing.other,
        module=shipped(Topic.MENTAL_HEALTH),
    )
    services.module_complete(actor=therapist, assignment=done, completed_on=today())
    request = transitions.override_request(
        actor=therapist,
        case=preparing.case,
        rationale="Daniel has worked through the ideas in session; the reading can follow.",
    )

    transitions.override_decide(actor=supervisor, request=request, approve=True)

    case = fresh(preparing.case)
    assert case.phase == Phase.INDIVIDUAL_WORK
    move = case.transitions.order_by("at", "id").last()
    assert move is not None
    assert move.cosigned_by == supervisor
    assert [r["text"] for r in move.overridden_reasons] == [
        f"{ESTRANGED} has not completed 'Healthy co-parenting'"
    ]


def test_modules_count_only_at_the_gate_into_individual_work(
    therapist: User, family: Family, co_parenting: Module
) -> None:
    complete_assessment(therapist, family)
    assert transitions.case_gate(family.case).is_open  # assessment -> psychoeducation
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate_all_ready(therapist, family)

    services.module_assign(
        actor=therapist, case=family.case, party=family.child, module=co_parenting
    )

    assert transitions.case_gate(family.case).is_open  # individual work -> contact


# The case page --------------------------------------------------------------------------------


def test_the_case_page_lists_each_family_members_modules_with_a_completion_form(
    client: Client, therapist: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    login(client, therapist)

    page = case_text(client, preparing.case.pk)

    assert '<h2 id="modules-heading">Psychoeducation</h2>' in page
    assert reverse("case_module_new", args=[preparing.case.pk]) in page
    assert "Daniel Rivers (estranged parent)" in page
    assert "Healthy co-parenting" in page
    assert reverse("case_module_complete", args=[preparing.case.pk, assigned.pk]) in page
    assert f'<label for="id_complete_{assigned.pk}_completed_on">' in page
    assert f'id="id_complete_{assigned.pk}_completed_on"' in page
    assert "No module assigned yet." in page  # the other parent and the child
    assert f"no psychoeducation module assigned to {OTHER} yet" in page
    assert "Alex Lee" not in page


def test_a_supervisor_sees_the_modules_without_the_forms(
    client: Client, supervisor: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    login(client, supervisor)

    page = case_text(client, preparing.case.pk)

    assert "Healthy co-parenting" in page
    assert "Not completed" in page
    assert reverse("case_module_new", args=[preparing.case.pk]) not in page
    assert reverse("case_module_complete", args=[preparing.case.pk, assigned.pk]) not in page


def test_a_module_is_assigned_from_its_page(
    client: Client, therapist: User, preparing: Family, co_parenting: Module
) -> None:
    login(client, therapist)
    address = reverse("case_module_new", args=[preparing.case.pk])
    form = text(client.get(address))
    assert "Healthy co-parenting" in form
    assert "Laura Rivers — Other parent" in form

    response = client.post(address, {"party": preparing.other.pk, "module": co_parenting.pk})

    assert response.status_code == 302
    assert response["Location"] == section_url(preparing.case.pk, "sessions")
    assignment = ModuleAssignment.objects.get(party=preparing.other)
    assert assignment.module == co_parenting
    assert last_event().action == "module.assign"


def test_a_completion_is_recorded_from_the_case_page(
    client: Client, therapist: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    login(client, therapist)
    address = reverse("case_module_complete", args=[preparing.case.pk, assigned.pk])

    response = client.post(address, {"completed_on": str(today() - DAY)}, follow=True)

    assert response.status_code == 200
    assert "Completion of “Healthy co-parenting” by Daniel Rivers recorded." in text(response)
    assigned.refresh_from_db()
    assert assigned.completed_on == today() - DAY
    assert f'Completed on <time datetime="{today() - DAY}">' in text(response)
    assert Event.objects.filter(action="module.complete", object_id=str(assigned.pk)).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"completed_on": "tomorrow"}, "Enter a valid date."),
        ({"completed_on": str(today() + 2 * DAY)}, "is in the future."),
    ],
    ids=["not-a-date", "future"],
)
def test_a_bad_completion_is_shown_again_and_changes_nothing(
    client: Client,
    therapist: User,
    preparing: Family,
    assigned: ModuleAssignment,
    data: dict[str, str],
    message: str,
) -> None:
    login(client, therapist)
    before = snapshot()

    response = client.post(
        reverse("case_module_complete", args=[preparing.case.pk, assigned.pk]), data
    )

    assert response.status_code == 400
    assert message in text(response)
    assert 'role="alert"' in text(response)
    assert snapshot() == before


def test_completing_twice_from_the_page_is_refused(
    client: Client, therapist: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    services.module_complete(actor=therapist, assignment=assigned, completed_on=today())
    login(client, therapist)
    before = snapshot()

    response = client.post(
        reverse("case_module_complete", args=[preparing.case.pk, assigned.pk]),
        {"completed_on": str(today())},
    )

    assert response.status_code == 400
    assert f"Daniel Rivers already completed “Healthy co-parenting” on {today()}." in text(response)
    assert snapshot() == before


def test_the_assign_page_offers_family_members_only_and_refuses_others(
    client: Client,
    therapist: User,
    family: Family,
    attorney: Party,
    co_parenting: Module,
    retired: Module,
) -> None:
    login(client, therapist)
    address = reverse("case_module_new", args=[family.case.pk])
    form = text(client.get(address))
    assert "Alex Lee" not in form
    assert "Old handout" not in form
    before = snapshot()

    by_attorney = client.post(address, {"party": attorney.pk, "module": co_parenting.pk})
    retired_one = client.post(address, {"party": family.child.pk, "module": retired.pk})

    assert by_attorney.status_code == 400
    assert "Choose a family member of this case." in text(by_attorney)
    assert retired_one.status_code == 400
    assert "Choose a module that is in use in the library." in text(retired_one)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "name"), [("get", "new"), ("post", "new"), ("post", "done")])
def test_the_case_module_pages_need_login(
    client: Client, assigned: ModuleAssignment, preparing: Family, method: str, name: str
) -> None:
    if name == "new":
        address = reverse("case_module_new", args=[preparing.case.pk])
    else:
        address = reverse("case_module_complete", args=[preparing.case.pk, assigned.pk])

    response = getattr(client, method)(address)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_familys_case_and_assignment_are_404(
    client: Client,
    therapist: User,
    outsider: User,
    preparing: Family,
    assigned: ModuleAssignment,
    other_family: Family,
    co_parenting: Module,
) -> None:
    theirs = services.module_assign(
        actor=outsider, case=other_family.case, party=other_family.other, module=co_parenting
    )
    login(client, therapist)
    before = snapshot()

    new = reverse("case_module_new", args=[other_family.case.pk])
    assert client.get(new).status_code == 404
    assert client.post(new, {"party": other_family.child.pk}).status_code == 404
    # Their assignment reached through our own case, and through theirs.
    for case_id in (preparing.case.pk, other_family.case.pk):
        address = reverse("case_module_complete", args=[case_id, theirs.pk])
        assert client.post(address, {"completed_on": str(today())}).status_code == 404
        assert "Okafor" not in text(client.get(address))

    assert snapshot() == before


def test_a_supervisor_may_not_assign_or_complete_on_the_case(
    client: Client, supervisor: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    login(client, supervisor)
    before = snapshot()

    assert client.get(reverse("case_module_new", args=[preparing.case.pk])).status_code == 403
    address = reverse("case_module_complete", args=[preparing.case.pk, assigned.pk])
    assert client.post(address, {"completed_on": str(today())}).status_code == 403

    assert snapshot() == before


def test_the_case_page_query_count_does_not_grow_with_the_modules(
    client: Client, therapist: User, preparing: Family
) -> None:
    login(client, therapist)
    address = section_url(preparing.case.pk, "sessions")
    modules = list(Module.objects.order_by("id"))

    def reads() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured.captured_queries)

    services.module_assign(
        actor=therapist, case=preparing.case, party=preparing.child, module=modules[0]
    )
    one = reads()
    for module in modules[1:]:
        for party in (preparing.estranged, preparing.other, preparing.child):
            assignment = services.module_assign(
                actor=therapist, case=preparing.case, party=party, module=module
            )
            if party == preparing.other:
                services.module_complete(
                    actor=therapist, assignment=assignment, completed_on=today()
                )
    add_party(therapist, preparing.case, PartyRole.STEP_PARENT, "Chris", "Rivers")

    assert reads() == one


def test_the_caseload_stays_flat_as_families_get_modules(
    client: Client, therapist: User, co_parenting: Module
) -> None:
    login(client, therapist)

    def reads() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("caseload")).status_code == 200
        return len(captured.captured_queries)

    def family_with_modules(last: str) -> None:
        family = make_family(therapist, title=f"{last} family", last=last)
        advance_to(therapist, family, Phase.PSYCHOEDUCATION)
        services.module_assign(
            actor=therapist, case=family.case, party=family.estranged, module=co_parenting
        )

    family_with_modules("Abara")
    one = reads()
    for last in ("Brandt", "Chen", "Dube"):
        family_with_modules(last)

    assert reads() == one
    assert "has not completed" in text(client.get(reverse("caseload")))


# The API ----------------------------------------------------------------------------------------


def api(client: Client, method: str, path: str, user: User | None, body: Any = None) -> Any:
    headers = bearer(user) if user is not None else {}
    call = getattr(client, method)
    if method == "get":
        return call(API + path, headers=headers)
    return call(API + path, body or {}, content_type="application/json", headers=headers)


def test_every_psychoeducation_operation_needs_a_token(
    client: Client, preparing: Family, assigned: ModuleAssignment, co_parenting: Module
) -> None:
    case_id = preparing.case.pk
    before = snapshot()
    for method, path in [
        ("get", "/modules"),
        ("get", f"/modules/{co_parenting.pk}"),
        ("post", "/modules"),
        ("put", f"/modules/{co_parenting.pk}"),
        ("get", f"/cases/{case_id}/modules"),
        ("post", f"/cases/{case_id}/modules"),
        ("post", f"/cases/{case_id}/modules/{assigned.pk}/complete"),
    ]:
        response = api(client, method, path, None, module_body())
        assert response.status_code == 401, path
        assert "token" in response.json()["detail"]
        assert "Rivers" not in text(response)
    assert snapshot() == before


@pytest.mark.parametrize("reader", ["therapist", "monitor", "admin_user"])
def test_any_staff_member_reads_the_library_through_the_api(
    client: Client, request: pytest.FixtureRequest, reader: str, co_parenting: Module
) -> None:
    user = request.getfixturevalue(reader)

    modules = api(client, "get", "/modules", user).json()
    one = api(client, "get", f"/modules/{co_parenting.pk}", user).json()

    assert sorted(m["topic"] for m in modules) == sorted(Topic.values)
    assert one["title"] == "Healthy co-parenting"
    assert one["topic_label"] == "Healthy co-parenting"
    assert one["updated_by"] is None
    assert api(client, "get", "/modules/999999", user).status_code == 404


@pytest.mark.parametrize("editor", ["admin_user", "supervisor"])
def test_an_administrator_or_supervisor_edits_the_library_through_the_api(
    client: Client, request: pytest.FixtureRequest, editor: str, co_parenting: Module
) -> None:
    user = request.getfixturevalue(editor)

    created = api(client, "post", "/modules", user, module_body())
    assert created.status_code == 201
    assert created.json()["updated_by"] == user.username
    assert last_event().action == "module.create"

    body = module_body(topic="co_parenting", title="Co-parenting, gently", active=False)
    updated = api(client, "put", f"/modules/{co_parenting.pk}", user, body)

    assert updated.status_code == 200
    assert updated.json()["title"] == "Co-parenting, gently"
    assert updated.json()["active"] is False
    assert last_event().action == "module.update"
    co_parenting.refresh_from_db()
    assert not co_parenting.active
    assert api(client, "put", "/modules/999999", user, body).status_code == 404


@pytest.mark.parametrize("reader", ["therapist", "monitor"])
def test_a_therapist_or_monitor_gets_403_editing_the_library_through_the_api(
    client: Client, request: pytest.FixtureRequest, reader: str, co_parenting: Module
) -> None:
    user = request.getfixturevalue(reader)
    before = snapshot()

    created = api(client, "post", "/modules", user, module_body())
    updated = api(client, "put", f"/modules/{co_parenting.pk}", user, module_body())

    assert created.status_code == 403 and updated.status_code == 403
    assert "administrator or a clinical supervisor" in created.json()["detail"]
    assert snapshot() == before


def test_bad_library_input_through_the_api_gets_a_clear_error(
    client: Client, supervisor: User, co_parenting: Module
) -> None:
    before = snapshot()

    wrong_topic = api(client, "post", "/modules", supervisor, module_body(topic="astrology"))
    blank = api(client, "put", f"/modules/{co_parenting.pk}", supervisor, module_body(title=" "))

    assert wrong_topic.status_code == 422
    assert "topic" in wrong_topic.json()["detail"]
    assert blank.status_code == 400
    assert blank.json() == {"detail": "A title is required."}
    assert snapshot() == before


def test_a_family_is_given_a_module_and_completes_it_through_the_api(
    client: Client, therapist: User, preparing: Family, co_parenting: Module
) -> None:
    case_id = preparing.case.pk
    body = {"party_id": preparing.estranged.pk, "module_id": co_parenting.pk}

    created = api(client, "post", f"/cases/{case_id}/modules", therapist, body)

    assert created.status_code == 201
    data = created.json()
    assert data["party"] == ESTRANGED
    assert data["module_title"] == "Healthy co-parenting"
    assert data["completed"] is False and data["completion_source"] is None
    assert last_event().action == "module.assign"

    path = f"/cases/{case_id}/modules/{data['id']}/complete"
    done = api(client, "post", path, therapist, {"completed_on": str(today())})

    assert done.status_code == 200
    assert done.json()["completed_on"] == str(today())
    assert done.json()["completion_source"] == "in_session"
    assert done.json()["completion_recorded_by"] == "therapist"
    assert last_event().action == "module.complete"

    listed = api(client, "get", f"/cases/{case_id}/modules", therapist)
    assert [a["id"] for a in listed.json()] == [data["id"]]
    look = last_event()
    assert (look.action, look.case_id, look.detail) == (
        "case.view",
        case_id,
        {"what": "api:modules"},
    )


def test_the_api_refuses_another_familys_case_and_assignment_with_404(
    client: Client,
    therapist: User,
    outsider: User,
    preparing: Family,
    other_family: Family,
    co_parenting: Module,
) -> None:
    theirs = services.module_assign(
        actor=outsider, case=other_family.case, party=other_family.other, module=co_parenting
    )
    before = snapshot()
    done = {"completed_on": str(today())}

    responses = [
        api(client, "get", f"/cases/{other_family.case.pk}/modules", therapist),
        api(
            client,
            "post",
            f"/cases/{other_family.case.pk}/modules",
            therapist,
            {"party_id": other_family.child.pk, "module_id": co_parenting.pk},
        ),
        api(
            client,
            "post",
            f"/cases/{other_family.case.pk}/modules/{theirs.pk}/complete",
            therapist,
            done,
        ),
        api(
            client,
            "post",
            f"/cases/{preparing.case.pk}/modules/{theirs.pk}/complete",
            therapist,
            done,
        ),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("attorney", "Alex Lee is the attorney in this case"),
        ("other_family", "There is no party"),
        ("missing_module", "There is no module 999999 in the library."),
    ],
)
def test_bad_assignments_through_the_api_get_a_clear_error(
    client: Client,
    therapist: User,
    family: Family,
    other_family: Family,
    attorney: Party,
    co_parenting: Module,
    who: str,
    message: str,
) -> None:
    party_id = {
        "attorney": attorney.pk,
        "other_family": other_family.child.pk,
        "missing_module": family.child.pk,
    }[who]
    module_id = 999999 if who == "missing_module" else co_parenting.pk
    before = snapshot()

    response = api(
        client,
        "post",
        f"/cases/{family.case.pk}/modules",
        therapist,
        {"party_id": party_id, "module_id": module_id},
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert snapshot() == before


def test_a_future_completion_through_the_api_gets_a_clear_error(
    client: Client, therapist: User, preparing: Family, assigned: ModuleAssignment
) -> None:
    before = snapshot()
    path = f"/cases/{preparing.case.pk}/modules/{assigned.pk}/complete"

    future = api(client, "post", path, therapist, {"completed_on": str(today() + DAY)})
    garbled = api(client, "post", path, therapist, {"completed_on": "soon"})

    assert future.status_code == 400
    assert future.json() == {"detail": f"The completion date {today() + DAY} is in the future."}
    assert garbled.status_code == 422
    assert snapshot() == before


def test_the_api_refuses_a_supervisor_writing_and_a_closed_case(
    client: Client,
    therapist: User,
    supervisor: User,
    preparing: Family,
    assigned: ModuleAssignment,
    co_parenting: Module,
) -> None:
    case_id = preparing.case.pk
    body = {"party_id": preparing.child.pk, "module_id": co_parenting.pk}
    path = f"/cases/{case_id}/modules/{assigned.pk}/complete"
    before = snapshot()

    assert api(client, "post", f"/cases/{case_id}/modules", supervisor, body).status_code == 403
    assert api(client, "get", f"/cases/{case_id}/modules", supervisor).status_code == 200
    assert snapshot() == before

    transitions.case_close(
        actor=therapist, case=preparing.case, outcome="withdrawn", reason="Moved away."
    )
    before = snapshot()
    closed = api(client, "post", f"/cases/{case_id}/modules", therapist, body)
    completed = api(client, "post", path, therapist, {"completed_on": str(today())})

    assert closed.status_code == 400 and completed.status_code == 400
    assert closed.json() == {"detail": "This case is closed; its record is read-only."}
    assert snapshot() == before
