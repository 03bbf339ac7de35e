"""The child's private channel and every family member's conversation with the therapists:
only that family member and the treating therapists ever read it; no parent sees the child's."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party
from reunify.conftest import Family, login
from reunify.disclosure.services import restriction_set
from reunify.messaging.models import Message
from reunify.messaging.selectors import case_conversations, conversation
from reunify.messaging.services import message_reply, message_send_to_therapist
from reunify.portal.tests.factories import portal_user

WORDS = "Mum says I have to say no. I want to slow down, not stop."


def test_the_child_writes_to_the_therapist_and_the_audit_keeps_no_words(
    therapist: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)

    message = message_send_to_therapist(actor=mia, party=rivers.child, body=WORDS)

    assert (message.party, message.from_party, message.author) == (rivers.child, True, mia)
    event = Event.objects.get(action="message.send")
    assert event.actor == mia and event.case_id == rivers.case.pk
    assert "slow down" not in str(event.detail)


def test_nobody_writes_as_someone_else(therapist: User, rivers: Family, okafor: Family) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    for party in (rivers.child, okafor.child):
        with pytest.raises(Http404):
            message_send_to_therapist(actor=daniel, party=party, body="Pretending.")
    with pytest.raises(Http404):
        message_send_to_therapist(
            actor=therapist, party=rivers.child, body="Staff are not parties."
        )
    assert not Message.objects.exists()


def test_only_the_treating_therapist_replies(
    therapist: User, supervisor: User, outsider: User, monitor: User, rivers: Family
) -> None:
    message_reply(actor=therapist, party=rivers.child, body="How was school?")
    for actor, refusal in ((supervisor, PermissionDenied), (outsider, Http404), (monitor, Http404)):
        with pytest.raises(refusal):
            message_reply(actor=actor, party=rivers.child, body="Hello.")
    assert Message.objects.count() == 1
    event = Event.objects.get(action="message.reply")
    assert "school" not in str(event.detail)


def test_bad_messages_are_refused(therapist: User, rivers: Family, attorney: Party) -> None:
    mia = portal_user(therapist, rivers.child)
    with pytest.raises(ValidationError, match="Write a message"):
        message_send_to_therapist(actor=mia, party=rivers.child, body="   ")
    with pytest.raises(ValidationError, match="5,000 is the most"):
        message_send_to_therapist(actor=mia, party=rivers.child, body="x" * 5001)
    with pytest.raises(ValidationError, match="family members"):
        message_reply(actor=therapist, party=attorney, body="Professionals are not in this.")
    assert not Message.objects.exists()


def test_a_restricted_parent_cannot_write(therapist: User, rivers: Family) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    restriction_set(actor=therapist, case=rivers.case, party=rivers.estranged, reason="Danger.")
    with pytest.raises(PermissionDenied):
        message_send_to_therapist(actor=daniel, party=rivers.estranged, body="Hello.")


def test_conversations_are_listed_for_the_treating_therapists_only(
    therapist: User, supervisor: User, monitor: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)
    message_send_to_therapist(actor=mia, party=rivers.child, body=WORDS)
    from reunify.cases.selectors import case_detail

    case = case_detail(therapist, rivers.case.pk)
    lines = {line.party: line for line in case_conversations(therapist, case)}
    assert lines[rivers.child].count == 1 and lines[rivers.child].unread == 1
    assert lines[rivers.estranged].count == 0
    assert case_conversations(supervisor, case) == []
    assert case_conversations(monitor, case) == []


def test_a_parent_never_sees_the_childs_messages(
    client: Client, therapist: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)
    message_send_to_therapist(actor=mia, party=rivers.child, body=WORDS)
    message_reply(actor=therapist, party=rivers.child, body="Thank you for telling me, Mia.")

    for parent in (rivers.estranged, rivers.other):
        assert list(conversation(parent)) == []
        login(client, portal_user(therapist, parent))
        own = client.get(reverse("portal_party", args=[parent.pk])).content.decode()
        assert "slow down" not in own and "Thank you for telling me" not in own
        assert client.get(reverse("portal_party", args=[rivers.child.pk])).status_code == 404

    login(client, mia)
    page = client.get(reverse("portal_party", args=[rivers.child.pk])).content.decode()
    assert "slow down" in page and "Thank you for telling me, Mia." in page
    assert "your parents cannot see these messages" in page
