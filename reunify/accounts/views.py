"""Logging in and out: password, then the second factor (enrolling it the first time).

Between the two steps the session holds only the pending user's id; Django's `login` is called
after the second factor, so a password alone never opens a page. A member of staff enrolling
types the enrolment code their administrator gave them before any secret is shown, so whoever
learns a password cannot set up their own authenticator app for the account. Every failure
counts towards the lockouts and is audited; the messages never say whether an account name exists.
"""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from reunify.accounts.forms import CodeForm, EnrolCodeForm, EnrolmentCodeForm
from reunify.accounts.middleware import session_mark_verified
from reunify.accounts.models import STAFF_ROLES, EnrolmentCode, LoginStage, SecondFactor, User
from reunify.accounts.services import (
    CodeRefused,
    EnrolmentCodeRefused,
    enrolment_code_accept,
    is_totp_code,
    login_attempt_claim,
    login_attempt_passed,
    login_failure_record,
    login_lockout,
    login_refusal_record,
    login_success_record,
    logout_record,
    recovery_code_use,
    second_factor_confirmed,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_factor_being_enrolled,
    totp_provisioning,
    totp_verify,
)
from reunify.security import client_address

PENDING_KEY = "reunify.login.pending"
# How long the second step may wait after the password before starting again.
PENDING_SECONDS = 10 * 60


def _locked_message() -> str:
    minutes = settings.REUNIFY_LOCKOUT_MINUTES
    return (
        f"Too many failed attempts: logging in is paused for up to {minutes} minutes. "
        "Try again later, or ask your practice administrator."
    )


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if timezone.now().timestamp() - pending["since"] > PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def _start_again(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    messages.error(request, message)
    return redirect("login")


def login_complete(
    request: HttpRequest, user: User, *, second_factor: str, backend: str | None = None
) -> None:
    """The one way into a logged-in session: Django's login, the session's mark, the audit row.

    `second_factor` says what the user proved besides a password ("totp", "recovery_code",
    "totp_enrolment"; "none" only for a portal user who has not turned a second factor on).
    """
    if second_factor == "none" and (user.role in STAFF_ROLES or second_factor_confirmed(user)):
        raise PermissionDenied("This account logs in with its second factor.")
    auth_login(request, user, backend=backend)
    session_mark_verified(request.session, user)
    login_success_record(user=user, address=client_address(request), second_factor=second_factor)


def _login_pending_complete(request: HttpRequest, user: User, second_factor: str) -> str:
    """Finish the pending login; return where the user was going."""
    pending = request.session.pop(PENDING_KEY, {})
    login_complete(request, user, second_factor=second_factor, backend=pending.get("backend"))
    return _safe_next(request, pending.get("next"))


def _code_refused(request: HttpRequest, user: User, form: CodeForm, reason: str) -> bool:
    """Count a wrong code; True when it locked the account or address (start again)."""
    lock = login_failure_record(
        username=user.username,
        address=client_address(request),
        stage=LoginStage.CODE,
        reason=reason,
    )
    form.add_error(
        "code",
        "That code did not work. Codes change every 30 seconds and each works once: "
        "wait for the next one and try again.",
    )
    return lock is not None


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The first step: username and password."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request, request.GET.get("next")))
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    locked = False
    if request.method == "POST":
        username = request.POST.get("username", "")
        address = client_address(request)
        # The try is claimed (and counted) before the password is checked: parallel guesses
        # past the limit are refused unchecked.
        tried = bool(username and request.POST.get("password"))
        attempt = None
        if tried:
            attempt = login_attempt_claim(
                username=username, address=address, stage=LoginStage.PASSWORD
            )
        if tried and attempt is None:
            login_refusal_record(username=username, address=address, stage=LoginStage.PASSWORD)
            locked = True
        elif form.is_valid():
            if attempt is not None:
                login_attempt_passed(attempt)
            user = form.get_user()
            # A fresh session key, so a session id planted before the password is worth nothing.
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": getattr(user, "backend", None),
                "next": next_url,
                "since": timezone.now().timestamp(),
            }
            if second_factor_confirmed(user):
                return redirect("login_code")
            if user.role in STAFF_ROLES:
                return redirect("login_enrol")
            # A party's second factor is theirs to turn on (PRODUCT.md §8); staff must have one.
            return redirect(_login_pending_complete(request, user, "none"))
        elif attempt is not None:
            lock = login_failure_record(
                username=username,
                address=address,
                stage=LoginStage.PASSWORD,
                reason="password",
                attempt=attempt,
            )
            locked = lock is not None
    if locked:
        # Only the lockout is said: not whether the password (or the name) was right.
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": next_url, "locked": _locked_message() if locked else ""},
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    user = _pending_user(request)
    if user is None:
        return _start_again(request, "Please log in with your username and password first.")
    if not second_factor_confirmed(user):
        return redirect("login_enrol")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if login_lockout(username=user.username, address=address) is not None:
            login_refusal_record(username=user.username, address=address, stage=LoginStage.CODE)
            return _start_again(request, _locked_message())
        code = form.cleaned_data["code"]
        try:
            if is_totp_code(code):
                totp_verify(user=user, code=code)
                method, remaining = "totp", None
            else:
                remaining = recovery_code_use(user=user, code=code)
                method = "recovery_code"
        except CodeRefused as refused:
            if _code_refused(request, user, form, refused.reason):
                return _start_again(request, _locked_message())
        else:
            destination = _login_pending_complete(request, user, method)
            if remaining is not None:
                messages.warning(
                    request,
                    f"You logged in with a recovery code; {remaining} are left. If your "
                    "authenticator app is lost, ask your practice administrator to reset it.",
                )
            return redirect(destination)
    return render(request, "registration/login_code.html", {"form": form})


@sensitive_post_parameters("code", "enrolment_code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """The first login: the enrolment code, then set up an authenticator app, confirm it, then
    see the recovery codes."""
    user = _pending_user(request)
    if user is None:
        return _start_again(request, "Please log in with your username and password first.")
    if second_factor_confirmed(user):
        return redirect("login_code")
    if user.role not in STAFF_ROLES:
        # A party whose second factor was reset mid-login: theirs is optional, set up in the
        # portal, so the password they just gave is their login.
        return redirect(_login_pending_complete(request, user, "none"))
    if not _enrolment_code_accepted(request, user):
        return _enrolment_code_step(request, user)
    factor = totp_factor_being_enrolled(user) or totp_enrol_start(user=user)
    form = EnrolCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if login_lockout(username=user.username, address=address) is not None:
            login_refusal_record(username=user.username, address=address, stage=LoginStage.CODE)
            return _start_again(request, _locked_message())
        try:
            codes = totp_enrol_confirm(user=user, factor=factor, code=form.cleaned_data["code"])
        except CodeRefused as refused:
            if _code_refused(request, user, form, refused.reason):
                return _start_again(request, _locked_message())
        else:
            destination = _login_pending_complete(request, user, "totp_enrolment")
            # Shown in this answer only: the codes are kept hashed and never shown again.
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "destination": destination},
            )
    return render(request, "registration/login_enrol.html", _enrolment(factor, form))


def _enrolment_code_accepted(request: HttpRequest, user: User) -> bool:
    """Whether this login has had an enrolment code accepted that still holds: not since
    replaced by a new one, used or expired."""
    accepted = request.session[PENDING_KEY].get("enrolment_code")
    return (
        accepted is not None
        and EnrolmentCode.objects.usable(timezone.now()).filter(pk=accepted, user=user).exists()
    )


def _enrolment_code_step(request: HttpRequest, user: User) -> HttpResponse:
    """Before any secret is shown: the one-time code the practice administrator handed over."""
    posted = request.method == "POST" and "enrolment_code" in request.POST
    form = EnrolmentCodeForm(request.POST if posted else None)
    if posted and form.is_valid():
        address = client_address(request)
        if login_lockout(username=user.username, address=address) is not None:
            login_refusal_record(
                username=user.username, address=address, stage=LoginStage.ENROLMENT
            )
            return _start_again(request, _locked_message())
        try:
            accepted = enrolment_code_accept(user=user, code=form.cleaned_data["enrolment_code"])
        except EnrolmentCodeRefused as refused:
            lock = login_failure_record(
                username=user.username,
                address=address,
                stage=LoginStage.ENROLMENT,
                reason=refused.reason,
            )
            if lock is not None:
                return _start_again(request, _locked_message())
            form.add_error("enrolment_code", refused.message)
        else:
            request.session[PENDING_KEY] = {
                **request.session[PENDING_KEY],
                "enrolment_code": accepted.pk,
            }
            return redirect("login_enrol")
    return render(
        request,
        "registration/login_enrolment_code.html",
        {"form": form, "hours": settings.REUNIFY_ENROLMENT_CODE_HOURS},
    )


def _enrolment(factor: SecondFactor, form: EnrolCodeForm) -> dict[str, Any]:
    provisioning = totp_provisioning(factor)
    svg = segno.make(provisioning.uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    secret = provisioning.secret
    return {
        "form": form,
        # segno draws the code from our own otpauth:// address; it holds no user-typed markup.
        "qr_svg": mark_safe(svg),  # noqa: S308
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated:
        logout_record(user=user, reason="asked")
    auth_logout(request)
    messages.success(request, "You are logged out.")
    return redirect("login")
