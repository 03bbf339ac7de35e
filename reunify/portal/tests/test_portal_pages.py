"""The portal pages: a party sees their own profile, sessions, modules, shared documents and
messages; a professional sees only what a release covers, each view logged; everything else,
another party's or family's, is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party
from reunify.clinical.services import appointment_complete, appointment_schedule
from reunify.conftest import Family, login
from reunify.disclosure.models import REDISCLOSURE_NOTICE, Category, Channel, Disclosure
from reunify.disclosure.services import (
    document_share,
    document_unshare,
    release_revoke,
    restriction_lift,
    restriction_set,
)
from reunify.portal.tests.factories import (
    SECRETS,
    grant,
    portal_user,
    upload,
)
from reunify.process.pausing import note_write
from reunify.psychoeducation.models import Module
from reunify.psychoeducation.services import module_assign

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
NOTE_TEXT = "Daniel cried when he spoke about the move; explore grief next time."


def page(client: Client, party: Party) -> Any:
    return client.get(reverse("portal_party", args=[party.pk]))


def text(response: Any) -> str:
    return response.content.decode()


def session(
    therapist: User, family: Family, participants: list[Party], *, when: dt.datetime, **extra: Any
) -> Any:
    return appointment_schedule(
        actor=therapist,
        case=family.case,
        kind=extra.pop("kind", "individual"),
        starts_at=when,
        participants=participants,
        **extra,
    )


@pytest.fixture
def daniel(client: Client, therapist: User, rivers: Family) -> User:
    user = portal_user(therapist, rivers.estranged)
    login(client, user)
    return user


# The party's own things ---------------------------------------------------------------------------


def test_the_portal_lists_one_line_per_party_and_the_login_lands_there(
    client: Client, therapist: User, rivers: Family, daniel: User
) -> None:
    assert client.get("/")["Location"] == reverse("portal_home")
    response = client.get(reverse("portal_home"))

    assert response.status_code == 200
    assert "Rivers family" in text(response)
    assert reverse("portal_party", args=[rivers.estranged.pk]) in text(response)
    assert "Caseload" not in text(response)


def test_staff_have_no_portal_of_their_own(client: Client, therapist: User, rivers: Family) -> None:
    login(client, therapist)
    assert client.get(reverse("portal_home"))["Location"] == reverse("caseload")
    assert page(client, rivers.estranged).status_code == 403


def test_the_portal_needs_a_login(client: Client, rivers: Family) -> None:
    response = page(client, rivers.estranged)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_party_sees_their_profile_and_sessions_but_never_notes(
    client: Client, therapist: User, rivers: Family, daniel: User, time_machine: Any
) -> None:
    now = timezone.now()
    past = session(therapist, rivers, [rivers.estranged], when=now - 2 * DAY, location="Room 3")
    time_machine.move_to(now)
    appointment_complete(actor=therapist, appointment=past)
    note_write(
        actor=therapist,
        appointment=past,
        format="dap",
        body={"data": NOTE_TEXT, "assessment": "Grieving.", "plan": "Weekly."},
    )
    session(
        therapist,
        rivers,
        [rivers.estranged],
        when=now + 3 * DAY,
        modality="telehealth",
        location="https://video.example.invalid/room-42",
    )
    session(therapist, rivers, [rivers.other], when=now + 4 * DAY, location="Laura's room")

    response = page(client, rivers.estranged)

    body = text(response)
    assert response.status_code == 200
    assert "daniel.rivers@example.invalid" in body and "555-0100" in body
    assert "Room 3" in body and "Took place" in body
    assert "https://video.example.invalid/room-42" in body
    assert NOTE_TEXT not in body and "Grieving" not in body
    assert "Laura&#x27;s room" not in body and "Laura's room" not in body
    assert Event.objects.filter(
        action="case.view", actor=daniel, detail__what="portal: estranged parent"
    ).exists()


def test_a_party_reads_their_assigned_modules(
    client: Client, therapist: User, rivers: Family, daniel: User
) -> None:
    module = Module.objects.active().order_by("id").first()
    assert module is not None
    module_assign(actor=therapist, case=rivers.case, party=rivers.estranged, module=module)

    body = text(page(client, rivers.estranged))

    assert module.title in body
    assert module.paragraphs()[0][:40] in body


@pytest.mark.parametrize("whose", ["other", "child", "other_family"])
def test_another_partys_page_is_404(
    client: Client,
    therapist: User,
    rivers: Family,
    okafor: Family,
    daniel: User,
    whose: str,
) -> None:
    target = {"other": rivers.other, "child": rivers.child, "other_family": okafor.estranged}[whose]
    assert page(client, target).status_code == 404
    assert (
        client.post(reverse("portal_message_send", args=[target.pk]), {"body": "hi"}).status_code
        == 404
    )


def test_a_portal_user_sees_no_staff_route(
    client: Client, therapist: User, rivers: Family, daniel: User
) -> None:
    document = upload(therapist, rivers)
    for address in (
        reverse("case_detail", args=[rivers.case.pk]),
        reverse("document_download", args=[document.pk]),
        reverse("disclosure_accounting", args=[rivers.case.pk, rivers.estranged.pk]),
        reverse("disclosure_log", args=[rivers.case.pk]),
    ):
        assert client.get(address).status_code == 404, address
    assert client.get(reverse("module_list")).status_code in (403, 404)


# Shared documents ------------------------------------------------------------------------------


def test_a_shared_document_is_listed_and_its_download_audited(
    client: Client, therapist: User, rivers: Family, daniel: User
) -> None:
    document = upload(therapist, rivers, "Parenting plan")
    hidden = upload(therapist, rivers, "Evaluation of the mother")
    share = document_share(actor=therapist, document=document, party=rivers.estranged)
    download = reverse("portal_document_download", args=[rivers.estranged.pk, document.pk])

    body = text(page(client, rivers.estranged))
    response = client.get(download)

    assert "Parenting plan" in body and "Evaluation of the mother" not in body
    assert response.status_code == 200
    assert response.getvalue().startswith(b"%PDF")
    assert Event.objects.filter(
        action="document.download", actor=daniel, object_id=str(document.pk)
    ).exists()
    unshared = reverse("portal_document_download", args=[rivers.estranged.pk, hidden.pk])
    assert client.get(unshared).status_code == 404
    document_unshare(actor=therapist, share=share)
    assert client.get(download).status_code == 404


# Legal parties: default deny, then exactly what a release covers -------------------------------


@pytest.fixture
def avery(client: Client, therapist: User, attorney: Party) -> User:
    user = portal_user(therapist, attorney)
    login(client, user)
    return user


def test_a_legal_party_sees_nothing_without_a_release(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    upload(therapist, rivers, "Minute order")

    body = text(page(client, attorney))

    assert "No release or court order currently covers anything for you" in body
    assert "Minute order" not in body
    assert "Current phase" not in body
    assert not Disclosure.objects.exists()


def test_a_release_covers_exactly_its_categories_and_each_view_is_logged(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    upload(therapist, rivers, "Minute order")
    release = grant(therapist, rivers, attorney, [Category.ATTENDANCE])

    body = text(page(client, attorney))

    assert "Sessions held against sessions due" in body
    assert "Covered by: release signed by Daniel Rivers" in body
    assert "Minute order" not in body and "Current phase" not in body
    logged = Disclosure.objects.get()
    assert (logged.recipient, logged.release, logged.category) == (
        attorney,
        release,
        Category.ATTENDANCE,
    )
    assert logged.channel == Channel.PORTAL_VIEW
    assert logged.purpose == release.purpose


def test_progress_shows_dates_but_not_the_clinical_reasons_of_a_pause(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    from reunify.process.transitions import case_pause

    case_pause(actor=therapist, case=rivers.case, reason="Mother reports threats by text.")
    grant(therapist, rivers, attorney, [Category.PROGRESS])

    body = text(page(client, attorney))

    assert "Current phase" in body and "Assessment" in body
    assert "Paused" in body
    assert "threats" not in body
    assert Disclosure.objects.get().category == Category.PROGRESS


def test_release_expiry_takes_effect_at_the_next_request(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User, time_machine: Any
) -> None:
    start = timezone.localtime().replace(hour=12)
    time_machine.move_to(start, tick=False)
    upload(therapist, rivers, "Minute order")
    grant(therapist, rivers, attorney, [Category.DOCUMENTS], days=2)

    # (A fresh login each day: the session itself would have timed out meanwhile.)
    time_machine.move_to(start + 2 * DAY)
    assert "Minute order" in text(page(login(client, avery), attorney))

    time_machine.move_to(start + 3 * DAY)
    body = text(page(login(client, avery), attorney))
    assert "Minute order" not in body
    assert Disclosure.objects.count() == 1


def test_revocation_takes_effect_at_the_next_request(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User, time_machine: Any
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    document = upload(therapist, rivers, "Minute order")
    release = grant(therapist, rivers, attorney, [Category.DOCUMENTS])
    download = reverse("portal_document_download", args=[attorney.pk, document.pk])
    assert "Minute order" in text(page(client, attorney))
    assert client.get(download).status_code == 200

    release_revoke(actor=therapist, release=release, reason="Daniel withdrew his consent.")

    assert "Minute order" not in text(page(client, attorney))
    assert client.get(download).status_code == 404


def test_a_download_is_a_disclosure_naming_its_release(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    document = upload(therapist, rivers, "Minute order")
    release = grant(therapist, rivers, attorney, [Category.DOCUMENTS])

    response = client.get(reverse("portal_document_download", args=[attorney.pk, document.pk]))

    assert response.status_code == 200
    download = Disclosure.objects.get(channel=Channel.DOWNLOAD)
    assert download.release == release
    assert download.object_id == str(document.pk)
    assert "Minute order" in download.description


def test_substance_use_is_hidden_without_its_category(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    upload(therapist, rivers, "Minute order")
    tagged = upload(therapist, rivers, "Treatment summary", substance_use=True)
    grant(therapist, rivers, attorney, [Category.DOCUMENTS])

    body = text(page(client, attorney))

    assert "Minute order" in body
    assert "Treatment summary" not in body
    assert REDISCLOSURE_NOTICE[:60] not in body
    download = reverse("portal_document_download", args=[attorney.pk, tagged.pk])
    assert client.get(download).status_code == 404
    assert not Disclosure.objects.filter(carries_substance_use=True).exists()


def test_substance_use_is_shown_with_the_notice_when_the_release_names_it(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    tagged = upload(therapist, rivers, "Treatment summary", substance_use=True)
    release = grant(therapist, rivers, attorney, [Category.DOCUMENTS, Category.SUBSTANCE_USE])

    body = text(page(client, attorney))
    response = client.get(reverse("portal_document_download", args=[attorney.pk, tagged.pk]))

    assert "Treatment summary" in body
    assert "Redisclosure notice" in body and "42 CFR part 2" in body
    assert response.status_code == 200
    assert response["Redisclosure-Notice"] == REDISCLOSURE_NOTICE
    carried = Disclosure.objects.filter(carries_substance_use=True)
    assert {d.channel for d in carried} == {Channel.PORTAL_VIEW, Channel.DOWNLOAD}
    assert {d.release for d in carried} == {release}


def test_court_reports_covered_but_none_issued(
    client: Client, therapist: User, rivers: Family, attorney: Party, avery: User
) -> None:
    grant(therapist, rivers, attorney, [Category.COURT_REPORTS])
    assert "No report issued" in text(page(client, attorney))


# Protected contact details ------------------------------------------------------------------


def test_the_protected_parent_sees_her_own_details(
    client: Client, therapist: User, rivers: Family
) -> None:
    login(client, portal_user(therapist, rivers.other))
    body = text(page(client, rivers.other))
    for secret in SECRETS:
        assert secret in body


def test_no_other_party_ever_sees_the_protected_details(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    grant(therapist, rivers, attorney, list(Category.values))
    document = upload(therapist, rivers, "Minute order")
    document_share(actor=therapist, document=document, party=rivers.estranged)
    session(
        therapist,
        rivers,
        [rivers.estranged, rivers.other, rivers.child],
        kind="family",
        when=timezone.now() + DAY,
    )
    for party in (rivers.estranged, rivers.child, attorney):
        login(client, portal_user(therapist, party))
        responses = [client.get(reverse("portal_home")), page(client, party)]
        for response in responses:
            assert response.status_code == 200
            for secret in SECRETS:
                assert secret not in text(response), (party, secret)


# Staggered times ---------------------------------------------------------------------------------


def test_contact_visits_are_staggered_for_the_protected_parent_only(
    client: Client, therapist: User, rivers: Family, settings: Any
) -> None:
    from reunify.clinical.tests.factories import in_contact, make_visit

    settings.REUNIFY_STAGGER_MINUTES = 15
    in_contact(therapist, rivers)
    visit = make_visit(therapist, rivers)
    start = timezone.localtime(visit.starts_at)
    end = start + dt.timedelta(minutes=visit.duration_minutes)
    early, late = start - dt.timedelta(minutes=15), end + dt.timedelta(minutes=15)

    login(client, portal_user(therapist, rivers.other))
    laura = text(page(client, rivers.other))
    login(client, portal_user(therapist, rivers.estranged))
    daniel = text(page(client, rivers.estranged))

    assert f"{early:%H:%M}" in laura and f"{late:%H:%M}" in laura
    assert "Your arrival" in laura and "staggered" in laura
    assert f"{start:%H:%M}" in daniel and f"{end:%H:%M}" in daniel
    assert "Your arrival" not in daniel
    assert f"{early:%H:%M}" not in daniel and f"{late:%H:%M}" not in daniel


# Restriction -----------------------------------------------------------------------------------


def test_a_restriction_takes_effect_at_once_and_lifting_restores(
    client: Client, therapist: User, rivers: Family, daniel: User
) -> None:
    now = timezone.now()
    session(therapist, rivers, [rivers.estranged], when=now + DAY, location="Alone room")
    session(
        therapist,
        rivers,
        [rivers.estranged, rivers.child],
        kind="family",
        when=now + 2 * DAY,
        location="Together room",
    )
    document = upload(therapist, rivers, "Parenting plan")
    document_share(actor=therapist, document=document, party=rivers.estranged)
    download = reverse("portal_document_download", args=[rivers.estranged.pk, document.pk])
    assert "Together room" in text(page(client, rivers.estranged))

    restriction = restriction_set(
        actor=therapist,
        case=rivers.case,
        party=rivers.estranged,
        reason="Reasonable belief of danger: threats reported by the school.",
    )

    body = text(page(client, rivers.estranged))
    assert "access to this case's information is restricted" in body
    assert "threats" not in body
    assert "Alone room" in body and "Together room" not in body
    assert "Parenting plan" not in body and "Your reading" not in body
    assert client.get(download).status_code == 404
    message = reverse("portal_message_send", args=[rivers.estranged.pk])
    assert client.post(message, {"body": "Hello?"}).status_code == 404

    restriction_lift(actor=therapist, restriction=restriction, reason="School withdrew it.")
    body = text(page(client, rivers.estranged))
    assert "Together room" in body and "Parenting plan" in body


# Messages ---------------------------------------------------------------------------------------


def test_a_party_writes_to_the_therapist_and_reads_the_reply(
    client: Client, therapist: User, rivers: Family, daniel: User
) -> None:
    from reunify.messaging.services import message_reply

    response = client.post(
        reverse("portal_message_send", args=[rivers.estranged.pk]),
        {"body": "Could we move Thursday?"},
    )
    assert response.status_code == 302
    message_reply(actor=therapist, party=rivers.estranged, body="Yes: Friday at 4.")

    body = text(page(client, rivers.estranged))
    assert "Could we move Thursday?" in body and "Friday at 4" in body


def test_an_empty_message_is_refused_and_nothing_is_sent(
    client: Client, rivers: Family, daniel: User
) -> None:
    from reunify.messaging.models import Message

    response = client.post(
        reverse("portal_message_send", args=[rivers.estranged.pk]), {"body": " "}
    )
    assert response.status_code == 400
    assert "Your message was not sent" in text(response)
    assert not Message.objects.exists()


def test_a_parent_reads_their_own_accounting_of_disclosures(
    client: Client, therapist: User, rivers: Family, attorney: Party, daniel: User
) -> None:
    grant(therapist, rivers, attorney, [Category.ATTENDANCE])
    login(client, portal_user(therapist, attorney))
    page(client, attorney)
    login(client, daniel)

    response = client.get(reverse("portal_disclosures", args=[rivers.estranged.pk]))

    body = text(response)
    assert response.status_code == 200
    assert "Avery Counsel" in body and "Attendance" in body
    assert "Release signed by Daniel Rivers" in body
    assert client.get(reverse("portal_disclosures", args=[rivers.other.pk])).status_code == 404
    assert client.get(reverse("portal_disclosures", args=[attorney.pk])).status_code == 404
