"""Who looked at a case: names and words, filters, paging, and a list recorded once per list."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.chain import audit_verify
from reunify.audit.models import Event, ListedCase
from reunify.cases import selectors, services
from reunify.cases.models import Phase
from reunify.cases.sections import section_url
from reunify.conftest import Family, advance_to, login, make_family
from reunify.portal.tests.factories import portal_user
from reunify.process import transitions

# What an internal code looks like: "case.view", "api:case_list", "case_list".
CODE = re.compile(r"\b[a-z]+[._:][a-z_]+\b")


def text(response: Any) -> str:
    return response.content.decode()


def looks_page(client: Client, family: Family, **query: str) -> str:
    response = client.get(reverse("case_looks", args=[family.case.pk]), query)
    assert response.status_code == 200, response.content
    return text(response)


def table(page: str) -> str:
    return page.split('id="looks-caption"')[1].split("</table>")[0]


def test_the_caseload_writes_one_event_for_the_cases_it_shows(
    client: Client, therapist: User, family: Family
) -> None:
    others = [make_family(therapist, f"Family {n}", f"Name{n}").case for n in range(3)]
    login(client, therapist)
    before = Event.objects.latest("id").id

    assert client.get(reverse("caseload")).status_code == 200

    written = list(Event.objects.filter(id__gt=before).exclude(action="case.view"))
    lists = [e for e in written if e.action == "case.list_view"]
    assert len(lists) == 1
    assert Event.objects.filter(id__gt=before, action="case.view").count() == 0
    shown = sorted([family.case.pk, *(c.pk for c in others)])
    assert lists[0].detail == {"what": "caseload", "case_ids": shown}
    assert sorted(lists[0].listed_cases.values_list("case_id", flat=True)) == shown
    assert audit_verify().intact


def test_a_case_shown_in_a_list_says_so_in_who_looked(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    login(client, supervisor)
    client.get(reverse("caseload"))
    login(client, therapist)

    page = looks_page(client, family)

    assert "Sam Super" in table(page)
    assert "the caseload (a list of cases)" in table(page)


def test_names_and_words_are_shown_never_usernames_or_codes(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    login(client, supervisor)
    client.get(reverse("case_detail", args=[family.case.pk]))
    services.case_view(actor=supervisor, case=family.case, what="api:case_detail")
    login(client, therapist)

    for page in (
        looks_page(client, family),
        text(client.get(section_url(family.case.pk, "timeline"))).split('id="looks-heading"')[1],
    ):
        shown = table(page)
        assert "Sam Super" in shown and "Tess Hale" in shown
        assert ">supervisor<" not in shown and ">therapist<" not in shown
        assert "case detail, through the API" in shown
        assert not CODE.search(re.sub(r"<[^>]+>", " ", shown)), CODE.search(shown)


def test_an_action_without_words_still_reads_as_words() -> None:
    assert selectors.action_words("court_order.redraw") == "court order: redraw"
    assert selectors.action_words("case.list_view") == "saw the case in a list"


def test_the_timeline_speaks_in_names_and_words(
    client: Client, therapist: User, family: Family
) -> None:
    advance_to(therapist, family, Phase.PSYCHOEDUCATION)

    entries = selectors.case_timeline(family.case)

    assert {entry.who for entry in entries} == {"Tess Hale"}
    summaries = [entry.summary for entry in entries]
    assert "moved the case from assessment to psychoeducation and preparation" in summaries
    assert not any(CODE.search(summary) for summary in summaries)


def test_it_filters_by_person_kind_and_date(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    services.case_view(actor=supervisor, case=family.case, what="case")
    transitions.case_pause(actor=therapist, case=family.case, reason="A hearing is pending.")
    login(client, therapist)

    by_supervisor = table(looks_page(client, family, person=str(supervisor.pk)))
    assert "Sam Super" in by_supervisor and "Tess Hale" not in by_supervisor

    changes = table(looks_page(client, family, kind="change"))
    assert "paused the case" in changes and "the case page" not in changes

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    later = table(looks_page(client, family, since=tomorrow.isoformat()))
    assert "Nothing to show." in later


def test_a_bad_filter_is_explained_and_lists_nothing(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.get(
        reverse("case_looks", args=[family.case.pk]),
        {"since": "2030-02-01", "until": "2030-01-01", "kind": "gossip"},
    )

    assert response.status_code == 400
    assert "must not be after" in text(response)
    assert "gossip is not one of the available choices" in text(response)


def test_it_pages_instead_of_stopping_at_the_newest(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    for _ in range(selectors.LOOKS_PER_PAGE + 5):
        services.case_view(actor=supervisor, case=family.case, what="case")
    login(client, therapist)

    first = looks_page(client, family, person=str(supervisor.pk))
    second = looks_page(client, family, person=str(supervisor.pk), page="2")

    assert "55 entries" in first
    assert f"person={supervisor.pk}&amp;page=2" in first
    assert table(second).count('<th scope="row">') == 5


def test_the_looks_page_query_count_does_not_grow_with_the_looks(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    login(client, therapist)
    address = reverse("case_looks", args=[family.case.pk])
    client.get(reverse("caseload"))
    with CaptureQueriesContext(connection) as few:
        client.get(address)
    for _ in range(30):
        services.case_view(actor=supervisor, case=family.case, what="case")
        services.case_views(actor=supervisor, cases=[family.case], what="caseload")
    with CaptureQueriesContext(connection) as many:
        client.get(address)

    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_looks_page_is_itself_a_look(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    looks_page(client, family)

    assert Event.objects.filter(
        action="case.view", case_id=family.case.pk, actor=therapist, detail__what="looks"
    ).exists()


def test_it_needs_login(client: Client, family: Family) -> None:
    response = client.get(reverse("case_looks", args=[family.case.pk]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_familys_case_answers_404(client: Client, outsider: User, family: Family) -> None:
    login(client, outsider)

    assert client.get(reverse("case_looks", args=[family.case.pk])).status_code == 404


def test_a_party_is_refused(client: Client, therapist: User, family: Family) -> None:
    login(client, portal_user(therapist, family.estranged))

    assert client.get(reverse("case_looks", args=[family.case.pk])).status_code == 404


def test_the_api_lists_looks_in_words_filtered_and_paged(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    from reunify.conftest import bearer

    for _ in range(selectors.LOOKS_PER_PAGE + 2):
        services.case_view(actor=supervisor, case=family.case, what="case")
    address = f"/api/v1/cases/{family.case.pk}/access-log"

    answer = client.get(address, {"person": supervisor.pk}, headers=bearer(therapist))
    first = answer.json()
    second = client.get(
        address,
        {"person": str(supervisor.pk), "cursor": answer["X-Next-Cursor"]},
        headers=bearer(therapist),
    ).json()
    bad = client.get(address, {"kind": "gossip"}, headers=bearer(therapist))

    assert len(first) == selectors.LOOKS_PER_PAGE and len(second) == 2
    assert first[0] == {**first[0], "who": "Sam Super", "kind": "view", "what": "the case page"}
    assert bad.status_code == 422
    assert ListedCase.objects.count() == 0
