"""Writes to staff accounts, their second factors and API tokens, and the record of logging in.

A staff member sets up their authenticator app only with a one-time enrolment code an
administrator hands them (`enrolment_code_issue`), so a password alone never enrols one. Ending a
user's sessions (`user_sessions_end`) raises a number on the account that every session carries,
so each of them is logged out at its next request.
"""

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
from django.db.models import F, Max
from django.utils import timezone
from django.utils.crypto import salted_hmac

from reunify.accounts.models import (
    STAFF_ROLES,
    ApiToken,
    EnrolmentCode,
    Lockout,
    LockoutScope,
    LoginAttempt,
    LoginStage,
    RecoveryCode,
    Role,
    SecondFactor,
    User,
)
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.transactions import advisory_lock

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
    audit_record(actor=actor, action=AuditAction.USER_CREATE, obj=user, detail={"role": role})
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
        actor=actor or user,
        action=AuditAction.TOKEN_CREATE,
        obj=token,
        detail={"user": user.username},
    )
    return key


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> None:
    if token.revoked_at is not None:
        return
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit_record(actor=actor or token.user, action=AuditAction.TOKEN_REVOKE, obj=token)


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


@transaction.atomic
def user_sessions_end(*, actor: User | None, user: User) -> None:
    """End every open session of the user at its next request; their API tokens are untouched."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit_record(
        actor=actor, action=AuditAction.AUTH_SESSIONS_END, obj=user, detail={"user": user.username}
    )


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> int:
    """Close an account: it cannot log in, its open sessions end and its API tokens are revoked
    (so reactivating it one day revives neither). Return how many tokens were revoked."""
    if not user.is_active:
        raise ValidationError(f"{user.username} is already deactivated.")
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action=AuditAction.USER_DEACTIVATE,
        obj=user,
        detail={"user": user.username, "tokens_revoked": revoked},
    )
    user_sessions_end(actor=actor, user=user)
    return revoked


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


class EnrolmentCodeRefused(CodeRefused):
    """An enrolment code that sets nothing up; `message` is what the person typing it is told."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.message = message


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


def totp_factor_being_enrolled(user: User) -> SecondFactor | None:
    """The factor the user began setting up and has not confirmed, kept for a day: an app that
    scanned it before a reload (or before a login step timed out) still works."""
    return SecondFactor.objects.filter(
        user=user,
        confirmed_at__isnull=True,
        created_at__gte=timezone.now() - dt.timedelta(days=1),
    ).first()


@transaction.atomic
def totp_enrol_start(*, user: User) -> SecondFactor:
    """Begin enrolling an authenticator app with a fresh secret; nothing counts until confirmed."""
    factor = SecondFactor.objects.select_for_update(no_key=True).filter(user=user).first()
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
    audit_record(actor=user, action=AuditAction.TOTP_ENROL_START, obj=factor)
    return factor


def totp_provisioning(factor: SecondFactor) -> Provisioning:
    """The secret of a factor still being enrolled; once confirmed it is never shown again."""
    if factor.confirmed_at is not None:
        raise ValidationError("The secret of a confirmed second factor is never shown again.")
    secret = _unseal(factor)
    uri = pyotp.TOTP(secret).provisioning_uri(name=factor.user.username, issuer_name=TOTP_ISSUER)
    return Provisioning(secret=secret, uri=uri)


def _normalised(code: str) -> str:
    return re.sub(r"[^a-z0-9]", "", code.lower())


def _recovery_digest(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.pk}:{_normalised(code)}".encode()).hexdigest()


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
    factor = SecondFactor.objects.select_for_update(no_key=True).get(pk=factor.pk, user=user)
    if factor.confirmed_at is not None:
        raise ValidationError(f"{user.username} already has a confirmed second factor.")
    now = timezone.now()
    step = _matching_step(_unseal(factor), code.replace(" ", ""), now)
    if step is None:
        raise CodeRefused("wrong code while enrolling")
    factor.confirmed_at, factor.last_used_step = now, step
    factor.save(update_fields=["confirmed_at", "last_used_step"])
    # The enrolment code that let the user this far has done its work.
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    codes = _recovery_codes_issue(user, now)
    audit_record(
        actor=user, action=AuditAction.TOTP_ENROL, obj=factor, detail={"recovery_codes": len(codes)}
    )
    return codes


@transaction.atomic
def totp_verify(*, user: User, code: str) -> None:
    """Accept a current authenticator code once; raise CodeRefused for a wrong or replayed one."""
    factor = (
        SecondFactor.objects.select_for_update(no_key=True)
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
    audit_record(actor=user, action=AuditAction.TOTP_VERIFY, obj=factor)


@transaction.atomic
def recovery_code_use(*, user: User, code: str) -> int:
    """Spend one recovery code; return how many are left. Raise CodeRefused for any other code."""
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_digest(user, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if not used:
        raise CodeRefused("wrong recovery code")
    remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    audit_record(
        actor=user, action=AuditAction.TOTP_RECOVERY_CODE_USE, detail={"remaining": remaining}
    )
    return remaining


@transaction.atomic
def totp_reset(*, actor: User | None, user: User) -> bool:
    """Remove a user's second factor, recovery codes and enrolment code, and end their open
    sessions; a member of staff enrols again at their next login with a new enrolment code."""
    removed, _ = SecondFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if not removed:
        return False
    EnrolmentCode.objects.filter(user=user).delete()
    audit_record(
        actor=actor, action=AuditAction.TOTP_RESET, obj=user, detail={"user": user.username}
    )
    # Whoever holds the lost phone and a session must not stay in.
    user_sessions_end(actor=actor, user=user)
    return True


# --- enrolment codes: the administrator's word that this person may set up an app -----------

# 10 characters of 31 (about 50 bits): out of reach of the five tries a lockout allows.
_ENROLMENT_CODE_LENGTH = 10
_ENROLMENT_WRONG = (
    "That is not the enrolment code issued for your account. Check what you typed, or ask "
    "your practice administrator for a new one."
)


def _enrolment_digests(user: User, code: str) -> list[str]:
    """The code's keyed hash under each secret key, the current one first: the table alone
    (a backup, say) is no help in finding a code."""
    message = f"{user.pk}:{_normalised(code)}"
    return [
        salted_hmac(
            "reunify.accounts.enrolment-code", message, secret=key, algorithm="sha256"
        ).hexdigest()
        for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]


@transaction.atomic
def enrolment_code_issue(*, actor: User | None, user: User) -> str:
    """Issue the one-time code a staff member needs to set up their authenticator app, replacing
    any earlier one; return it, to be shown once: only its keyed hash is kept."""
    if user.role not in STAFF_ROLES:
        raise ValidationError(
            f"{user.username} is a portal user: they turn a second factor on from inside the "
            "portal and need no enrolment code."
        )
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated.")
    if second_factor_confirmed(user):
        raise ValidationError(
            f"{user.username} already has an authenticator app set up; reset it first "
            "(`reunify totp reset`), which issues a new enrolment code."
        )
    EnrolmentCode.objects.filter(user=user).delete()
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_ENROLMENT_CODE_LENGTH))
    code, now = f"{raw[:5]}-{raw[5:]}", timezone.now()
    issued = EnrolmentCode.objects.create(
        user=user,
        code_hash=_enrolment_digests(user, code)[0],
        issued_at=now,
        expires_at=now + dt.timedelta(hours=settings.REUNIFY_ENROLMENT_CODE_HOURS),
    )
    audit_record(
        actor=actor,
        action=AuditAction.TOTP_ENROLMENT_CODE_ISSUE,
        obj=user,
        detail={"user": user.username, "expires_at": issued.expires_at},
    )
    return code


@transaction.atomic
def enrolment_code_accept(*, user: User, code: str) -> EnrolmentCode:
    """Check the enrolment code a staff member typed after their password; it is spent when the
    app it lets them set up is confirmed. Raise EnrolmentCodeRefused for any other code."""
    issued = EnrolmentCode.objects.select_for_update(no_key=True).filter(user=user).first()
    if issued is None:
        raise EnrolmentCodeRefused("no enrolment code issued", _ENROLMENT_WRONG)
    if not any(
        hmac.compare_digest(issued.code_hash, digest) for digest in _enrolment_digests(user, code)
    ):
        raise EnrolmentCodeRefused("wrong enrolment code", _ENROLMENT_WRONG)
    if issued.used_at is not None:
        raise EnrolmentCodeRefused(
            "enrolment code already used",
            "That enrolment code has already been used. Ask your practice administrator for a "
            "new one.",
        )
    if issued.expires_at <= timezone.now():
        raise EnrolmentCodeRefused(
            "enrolment code expired",
            "That enrolment code has expired. Ask your practice administrator for a new one.",
        )
    audit_record(actor=user, action=AuditAction.TOTP_ENROLMENT_CODE_ACCEPT, obj=user)
    return issued


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
    audit_record(actor=None, action=AuditAction.TOTP_ENROL, obj=factor, detail={"demo": True})
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
        action=AuditAction.AUTH_LOCKED,
        obj=lock,
        detail={"scope": scope, label: key, "failures": failures, "until": lock.until},
    )
    return lock


def _login_guard(key: str, address: str) -> None:
    """Serialise the counting of one account name's and one address's attempts (step 5 of the
    lock order in `reunify.transactions`), so parallel guesses are counted one at a time."""
    advisory_lock(f"login:account:{key}")
    advisory_lock(f"login:address:{address}")


def _lock_due(*, key: str, address: str, now: dt.datetime) -> Lockout | None:
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


@transaction.atomic
def login_attempt_claim(*, username: str, address: str, stage: str) -> LoginAttempt | None:
    """Claim one try before the password is checked: None when the account name or address is
    locked (or this try would go past the limit); otherwise the try, on record as a failure
    until `login_attempt_passed`. Claiming and counting happen under one lock, so however many
    guesses arrive at once, no more than the limit are ever checked."""
    now, key = timezone.now(), _account_key(username)
    _login_guard(key, address)
    if login_lockout(username=key, address=address) is not None:
        return None
    if _lock_due(key=key, address=address, now=now) is not None:
        return None
    return LoginAttempt.objects.create(username=key, address=address, stage=stage, at=now)


def login_attempt_passed(attempt: LoginAttempt) -> None:
    """The claimed try was right (or never checked): it counts as no failure."""
    LoginAttempt.objects.filter(pk=attempt.pk).delete()


@transaction.atomic
def login_failure_record(
    *,
    username: str,
    address: str,
    stage: str,
    reason: str,
    attempt: LoginAttempt | None = None,
) -> Lockout | None:
    """Count (unless `attempt` claimed it already) and audit one failed attempt; return the
    lockout it triggered, if any."""
    now, key = timezone.now(), _account_key(username)
    _login_guard(key, address)
    if attempt is None:
        LoginAttempt.objects.create(username=key, address=address, stage=stage, at=now)
    audit_record(
        actor=None,
        action=AuditAction.AUTH_FAILED,
        detail={"username": key, "address": address, "stage": stage, "reason": reason},
    )
    LoginAttempt.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    return _lock_due(key=key, address=address, now=now)


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
        action=AuditAction.AUTH_FAILED,
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
        action=AuditAction.AUTH_LOGIN,
        detail={"address": address, "second_factor": second_factor},
    )


@transaction.atomic
def logout_record(*, user: User, reason: str) -> None:
    """Audit a logout: `asked` (the button), `idle` (no request for the idle limit) or `ended`
    (the first request after the user's sessions were ended)."""
    audit_record(actor=user, action=AuditAction.AUTH_LOGOUT, detail={"reason": reason})


# --- a portal user's own second factor: turning it off, new recovery codes --------------------


class PasswordRefused(CodeRefused):
    """The account's password was wrong where a change asks for it as well as a code."""


def recovery_codes_remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def totp_turn_on_start(*, user: User, password: str) -> SecondFactor:
    """A portal user begins turning on a second factor, proving it is them with their password
    (an unattended open session is not enough to bind someone else's phone to the account).
    Return the factor being set up: the one begun in the last day, or a fresh one."""
    from reunify import access

    access.require_portal(user)
    if second_factor_confirmed(user):
        raise ValidationError("Your second factor is already on.")
    if not user.check_password(password):
        raise PasswordRefused("wrong password")
    return totp_factor_being_enrolled(user) or totp_enrol_start(user=user)


@transaction.atomic
def totp_turn_on_confirm(*, user: User, factor: SecondFactor, code: str) -> list[str]:
    """A portal user confirms the app they set up with its first code: the factor is on, the
    account's other sessions (opened with the password alone) end, and the recovery codes are
    returned to be shown this once."""
    codes = totp_enrol_confirm(user=user, factor=factor, code=code)
    user_sessions_end(actor=user, user=user)
    return codes


@transaction.atomic
def totp_turn_off(*, user: User, password: str, code: str) -> str:
    """A portal user turns their second factor off with their password and a current code (or a
    recovery code); the factor and its recovery codes are deleted. Return what the code was.

    Staff always log in with a second factor (PRODUCT.md §8): only an administrator's
    `totp_reset` removes theirs, and they enrol again at their next login.
    """
    from reunify import access

    access.require_portal(user)
    if not second_factor_confirmed(user):
        raise ValidationError("Your second factor is already off.")
    # The password first, so a wrong one spends no code.
    if not user.check_password(password):
        raise PasswordRefused("wrong password")
    if is_totp_code(code):
        totp_verify(user=user, code=code)
        proved_with = "totp"
    else:
        recovery_code_use(user=user, code=code)
        proved_with = "recovery_code"
    SecondFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(
        actor=user, action=AuditAction.TOTP_TURN_OFF, obj=user, detail={"proved_with": proved_with}
    )
    return proved_with


@transaction.atomic
def recovery_codes_renew(*, user: User, code: str) -> list[str]:
    """Replace a user's recovery codes on a current authenticator code; the old ones stop working.

    Return the new codes, shown this once only. A recovery code will not do: more of them must
    need the app itself, or a lost phone would never be noticed.
    """
    if not is_totp_code(code):
        raise CodeRefused("not an authenticator code")
    totp_verify(user=user, code=code)
    codes = _recovery_codes_issue(user, timezone.now())
    audit_record(
        actor=user,
        action=AuditAction.TOTP_RECOVERY_CODES_RENEW,
        obj=user,
        detail={"recovery_codes": len(codes)},
    )
    return codes
