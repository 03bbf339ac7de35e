"""Writes to staff accounts and API tokens."""

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reunify.accounts.models import ApiToken, Role, User
from reunify.audit.chain import audit_record

TOKEN_PREFIX = "rfy_"  # noqa: S105 - a public marker, not a secret


def _token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    supervisor: User | None = None,
    check_password: bool = True,
) -> User:
    """Create a staff account; the actor is None only for the command line and the demo."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(f"The username {username!r} is already taken.")
    if supervisor is not None and supervisor.role != Role.SUPERVISOR:
        raise ValidationError(f"{supervisor.username} is not a clinical supervisor.")
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        supervisor=supervisor,
        is_staff=False,
    )
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, detail={"role": role})
    return user


@transaction.atomic
def token_create(*, actor: User | None, user: User, label: str = "") -> str:
    """Issue an API token for a user and return it; it is shown once and only its hash is kept."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        label=label,
        prefix=key[:10],
        key_hash=_token_digest(key),
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor or user, action="token.create", obj=token, detail={"user": user.username}
    )
    return key


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> None:
    if token.revoked_at is not None:
        return
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit_record(actor=actor or token.user, action="token.revoke", obj=token)


def token_authenticate(key: str) -> User | None:
    """The active user a presented token belongs to, or None."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_digest(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
