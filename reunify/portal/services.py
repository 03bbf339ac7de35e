"""Invitations into the portal, and what a portal user may see of a case.

A portal user acts only as the parties whose invitations they accepted. What each party sees
is decided here and in reunify.access; legal parties see only what `covering_release` allows,
and every such view is logged as a disclosure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.chain import audit_record
from reunify.cases.models import Case, Party
from reunify.portal.models import Invitation


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, actor: User, case: Case, party: Party, email: str, portal_url: str) -> Invitation:
    """Invite a party into the portal by e-mail: a single-use link that expires. Earlier
    unanswered invitations of the same party stop working."""
    access.require(actor, access.Action.EDIT, case)
    if case.is_closed:
        raise ValidationError("This case is closed; its record is read-only.")
    if party.case_id != case.pk:
        raise ValidationError("That party does not belong to this case.")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError(f"“{email}” is not an e-mail address.") from error
    if Invitation.objects.filter(
        party=party, accepted_at__isnull=False, revoked_at__isnull=True
    ).exists():
        raise ValidationError(f"{party.person.full_name} already has portal access to this case.")
    now = timezone.now()
    Invitation.objects.filter(party=party, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        case=case,
        party=party,
        email=email,
        token_hash=_digest(token),
        expires_at=now + dt.timedelta(hours=settings.REUNIFY_INVITATION_HOURS),
        created_by=actor,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        case_id=case.pk,
        obj=invitation,
        detail={"party": party.pk},
    )
    link = f"{portal_url.rstrip('/')}/portal/invitation/{token}/"
    # The e-mail names no one but the recipient: no case details, no other party.
    body = (
        f"Hello {party.person.first_name},\n\n"
        f"{actor.display_name} has invited you to the Reunify portal of their practice.\n"
        f"Open this link to choose your password (it works once, for "
        f"{settings.REUNIFY_INVITATION_HOURS} hours):\n\n{link}\n\n"
        "If you did not expect this message, ignore it.\n"
    )
    transaction.on_commit(
        lambda: send_mail(
            "Your invitation to the Reunify portal", body, None, [email], fail_silently=False
        )
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The open invitation behind a link, or a clear error saying why it no longer works."""
    invitation = (
        Invitation.objects.select_related("party__person", "case")
        .filter(token_hash=_digest(token or ""))
        .first()
    )
    if invitation is None:
        raise Http404("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used; log in instead.")
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation was withdrawn; ask the practice for a new one.")
    if invitation.expires_at < timezone.now():
        raise ValidationError("This invitation has expired; ask the practice for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Accept an invitation: a new portal account named by the e-mail address, or, when that
    address already has one, the same account (its password proves it)."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used; log in instead.")
    user = User.objects.filter(username__iexact=invitation.email).first()
    if user is not None:
        if user.role != Role.PORTAL or authenticate(username=user.username, password=password) is None:
            raise ValidationError(
                "An account with this e-mail address exists: enter its password to add this "
                "case to it."
            )
    else:
        person = invitation.party.person
        user = User(
            username=invitation.email,
            email=invitation.email,
            first_name=person.first_name,
            last_name=person.last_name,
            role=Role.PORTAL,
        )
        validate_password(password, user)
        user.set_password(password)
        user.save()
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    audit_record(
        actor=user,
        action="invitation.accept",
        case_id=invitation.case_id,
        obj=invitation,
        detail={"party": invitation.party_id},
    )
    return user


@transaction.atomic
def portal_access_revoke(*, actor: User, party: Party) -> int:
    """End a party's portal access to this case at once (their other cases are untouched)."""
    access.require(actor, access.Action.EDIT, party.case)
    count = Invitation.objects.filter(party=party, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not count:
        raise ValidationError(f"{party.person.full_name} has no portal access to revoke.")
    audit_record(
        actor=actor, action="portal.revoke", case_id=party.case_id, obj=party, detail={"party": party.pk}
    )
    return count


def portal_parties(user: User) -> QuerySet[Party]:
    """The parties a portal user acts as: one per accepted, unrevoked invitation."""
    if not (user.is_authenticated and user.is_active and user.role == Role.PORTAL):
        return Party.objects.none()
    return (
        Party.objects.filter(
            invitations__accepted_by=user,
            invitations__accepted_at__isnull=False,
            invitations__revoked_at__isnull=True,
        )
        .select_related("person", "case__therapist")
        .distinct()
    )


def portal_party_get(user: User, party_id: int) -> Party:
    """One of the user's own parties, or 404 (someone else's party is never confirmed)."""
    party = portal_parties(user).filter(pk=party_id).first()
    if party is None:
        raise Http404("No such case in your portal.")
    return party


def require_portal(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.role == Role.PORTAL):
        raise PermissionDenied("The portal is for family members and legal parties.")
