"""Writes to staff accounts, their second factors and API tokens, and the record of logging in."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import salted_hmac

from reunify.accounts.models import (
    ApiToken,
    Lockout,
    LockoutScope,
    LoginAttempt,
    LoginStage,
    RecoveryCode,
    Role,
    SecondFactor,
    User,
)
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


# --- second factor (TOTP) --------------------------------------------------------------------

TOTP_ISSUER = "Reunify"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code copied from paper must read back the same.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_TOTP_PATTERN = re.compile(r"\d{6}")


class CodeRefused(Exception):
    """A second-factor code that lets no one in; `reason` says why, for the audit log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Provisioning:
    """What an authenticator app needs: the secret (for typing in) and the otpauth:// address."""

    secret: str
    uri: str


def _fernet() -> MultiFernet:
    # One key per secret key, the current one first, so rotating REUNIFY_SECRET_KEY with the old
    # key in SECRET_KEY_FALLBACKS keeps every enrolled authenticator working.
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(
                        "reunify.accounts.second-factor", "", secret=key, algorithm="sha256"
                    ).digest()
                )
            )
            for key in keys
        ]
    )


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _unseal(factor: SecondFactor) -> str:
    try:
        return _fernet().decrypt(factor.secret_sealed.encode()).decode()
    except InvalidToken as error:
        # The secret key changed without keeping the old one as a fallback.
        raise CodeRefused("the stored secret cannot be read with the current secret key") from error


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The 30-second step whose code this is: now, or one step either side for clock drift."""
    if not _TOTP_PATTERN.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def is_totp_code(code: str) -> bool:
    """Six digits is an authenticator code; anything else is tried as a recovery code."""
    return bool(_TOTP_PATTERN.fullmatch(code.replace(" ", "")))


def second_factor_confirmed(user: User) -> bool:
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def totp_enrol_start(*, user: User) -> SecondFactor:
    """Begin enrolling an authenticator app with a fresh secret; nothing counts until confirmed."""
    factor = SecondFactor.objects.select_for_update().filter(user=user).first()
    if factor is not None and factor.confirmed_at is not None:
        raise ValidationError(
            f"{user.username} already has a second factor; an administrator must reset it first."
        )
    sealed, now = _seal(pyotp.random_base32()), timezone.now()
    if factor is None:
        factor = SecondFactor.objects.create(user=user, secret_sealed=sealed, created_at=now)
    else:
        factor.secret_sealed, factor.created_at = sealed, now
        factor.save(update_fields=["secret_sealed", "created_at"])
    audit_record(actor=user, action="totp.enrol_start", obj=factor)
    return factor


def totp_provisioning(factor: SecondFactor) -> Provisioning:
    """The secret of a factor still being enrolled; once confirmed it is never shown again."""
    if factor.confirmed_at is not None:
        raise ValidationError("The secret of a confirmed second factor is never shown again.")
    secret = _unseal(factor)
    uri = pyotp.TOTP(secret).provisioning_uri(name=factor.user.username, issuer_name=TOTP_ISSUER)
    return Provisioning(secret=secret, uri=uri)


def _recovery_digest(user: User, code: str) -> str:
    normalised = re.sub(r"[^a-z0-9]", "", code.lower())
    return hashlib.sha256(f"{user.pk}:{normalised}".encode()).hexdigest()


def _recovery_codes_issue(user: User, now: dt.datetime) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_digest(user, code), created_at=now)
        for code in codes
    )
    return codes


@transaction.atomic
def totp_enrol_confirm(*, user: User, factor: SecondFactor, code: str) -> list[str]:
    """Confirm enrolment with a first code; return the recovery codes, shown this once only."""
    factor = SecondFactor.objects.select_for_update().get(pk=factor.pk, user=user)
    if factor.confirmed_at is not None:
        raise ValidationError(f"{user.username} already has a confirmed second factor.")
    now = timezone.now()
    step = _matching_step(_unseal(factor), code.replace(" ", ""), now)
    if step is None:
        raise CodeRefused("wrong code while enrolling")
    factor.confirmed_at, factor.last_used_step = now, step
    factor.save(update_fields=["confirmed_at", "last_used_step"])
    codes = _recovery_codes_issue(user, now)
    audit_record(actor=user, action="totp.enrol", obj=factor, detail={"recovery_codes": len(codes)})
    return codes


@transaction.atomic
def totp_verify(*, user: User, code: str) -> None:
    """Accept a current authenticator code once; raise CodeRefused for a wrong or replayed one."""
    factor = (
        SecondFactor.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=False)
        .first()
    )
    if factor is None:
        raise CodeRefused("no confirmed second factor")
    step = _matching_step(_unseal(factor), code.replace(" ", ""), timezone.now())
    if step is None:
        raise CodeRefused("wrong code")
    if factor.last_used_step is not None and step <= factor.last_used_step:
        raise CodeRefused("code already used")
    factor.last_used_step = step
    factor.save(update_fields=["last_used_step"])
    audit_record(actor=user, action="totp.verify", obj=factor)


@transaction.atomic
def recovery_code_use(*, user: User, code: str) -> int:
    """Spend one recovery code; return how many are left. Raise CodeRefused for any other code."""
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_digest(user, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if not used:
        raise CodeRefused("wrong recovery code")
    remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    audit_record(actor=user, action="totp.recovery_code_use", detail={"remaining": remaining})
    return remaining


@transaction.atomic
def totp_reset(*, actor: User | None, user: User) -> bool:
    """Remove a user's second factor and recovery codes so they enrol again at their next login."""
    removed, _ = SecondFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if not removed:
        return False
    audit_record(actor=actor, action="totp.reset", obj=user, detail={"user": user.username})
    return True


@transaction.atomic
def totp_enrol_demo(*, user: User) -> SecondFactor:
    """Give a demo account a confirmed factor whose codes `reunify totp code` may print."""
    factor = SecondFactor.objects.create(
        user=user,
        secret_sealed=_seal(pyotp.random_base32()),
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
        is_demo=True,
    )
    audit_record(actor=None, action="totp.enrol", obj=factor, detail={"demo": True})
    return factor


def totp_demo_code(*, user: User) -> str:
    """The code a demo account can log in with now (the next unused one); never a real account's."""
    factor = SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if factor is None:
        raise ValidationError(f"{user.username} has no second factor set up; there is no code.")
    if not factor.is_demo:
        raise ValidationError(
            f"{user.username} is not a demo account: its codes exist only on its owner's "
            "authenticator app, and Reunify never shows them."
        )
    totp = pyotp.TOTP(_unseal(factor))
    current = totp.timecode(timezone.now())
    for step in (current, current + 1):
        if factor.last_used_step is None or step > factor.last_used_step:
            return totp.generate_otp(step)
    raise ValidationError(
        f"{user.username} has just used its newest code; try again in 30 seconds."
    )


# --- logging in: attempts, lockouts, the audit trail -----------------------------------------


def _account_key(username: str) -> str:
    return username.strip().lower()[:150]


def _lock_if_due(*, scope: str, key: str, limit: int, now: dt.datetime) -> Lockout | None:
    """Lock the account name or address once it has `limit` failures inside the window."""
    locks = Lockout.objects.filter(scope=scope, key=key)
    if locks.active(now).exists():
        return None
    if scope == LockoutScope.ACCOUNT:
        attempts = LoginAttempt.objects.filter(username=key)
        last_good = attempts.filter(succeeded=True).aggregate(at=Max("at"))["at"]
    else:
        # A good login from an address proves nothing about the other names tried from it.
        attempts, last_good = LoginAttempt.objects.filter(address=key), None
    # Failures before the window, before the last lock ended or before a good login are spent.
    window_start = now - dt.timedelta(minutes=settings.REUNIFY_LOGIN_WINDOW_MINUTES)
    last_lock = locks.aggregate(end=Max("until"))["end"]
    since = max(t for t in (window_start, last_lock, last_good) if t is not None)
    failures = attempts.filter(succeeded=False, at__gt=since).count()
    if failures < limit:
        return None
    lock = Lockout.objects.create(
        scope=scope,
        key=key,
        started_at=now,
        until=now + dt.timedelta(minutes=settings.REUNIFY_LOCKOUT_MINUTES),
    )
    label = "username" if scope == LockoutScope.ACCOUNT else "address"
    audit_record(
        actor=None,
        action="auth.locked",
        obj=lock,
        detail={"scope": scope, label: key, "failures": failures, "until": lock.until},
    )
    return lock


@transaction.atomic
def login_failure_record(*, username: str, address: str, stage: str, reason: str) -> Lockout | None:
    """Count and audit one failed attempt; return the lockout it triggered, if any."""
    now, key = timezone.now(), _account_key(username)
    LoginAttempt.objects.create(username=key, address=address, stage=stage, at=now)
    audit_record(
        actor=None,
        action="auth.failed",
        detail={"username": key, "address": address, "stage": stage, "reason": reason},
    )
    LoginAttempt.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    by_account = _lock_if_due(
        scope=LockoutScope.ACCOUNT,
        key=key,
        limit=settings.REUNIFY_LOGIN_FAILURES_PER_ACCOUNT,
        now=now,
    )
    by_address = _lock_if_due(
        scope=LockoutScope.ADDRESS,
        key=address,
        limit=settings.REUNIFY_LOGIN_FAILURES_PER_ADDRESS,
        now=now,
    )
    return by_account or by_address


def login_lockout(*, username: str, address: str) -> Lockout | None:
    """The lockout in force on this account name or this address, if any."""
    return (
        Lockout.objects.active(timezone.now())
        .for_attempt(username=_account_key(username), address=address)
        .order_by("-until")
        .first()
    )


@transaction.atomic
def login_refusal_record(*, username: str, address: str, stage: str) -> None:
    """Audit an attempt refused unchecked because of a lockout; it does not lengthen the lock."""
    audit_record(
        actor=None,
        action="auth.failed",
        detail={
            "username": _account_key(username),
            "address": address,
            "stage": stage,
            "reason": "locked out",
        },
    )


@transaction.atomic
def login_success_record(*, user: User, address: str, second_factor: str) -> None:
    LoginAttempt.objects.create(
        username=_account_key(user.username),
        address=address,
        stage=LoginStage.CODE,
        succeeded=True,
        at=timezone.now(),
    )
    audit_record(
        actor=user,
        action="auth.login",
        detail={"address": address, "second_factor": second_factor},
    )


@transaction.atomic
def logout_record(*, user: User, reason: str) -> None:
    """Audit a logout: `asked` (the button) or `idle` (no request for the idle limit)."""
    audit_record(actor=user, action="auth.logout", detail={"reason": reason})
