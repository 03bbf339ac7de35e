"""The portal's pages: accepting an invitation, the list of the user's cases, and one party's
page — their profile, sessions, modules, shared documents and messages, or, for a professional,
what a release or court order covers. Anything else answers 404. And the user's own sign-in
security: turning a second factor on or off, and new recovery codes.

A portal user acts only as the parties whose invitations they accepted (`access.portal_party_get`);
staff accounts have no portal of their own.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.accounts.forms import EnrolCodeForm
from reunify.accounts.middleware import session_mark_verified
from reunify.accounts.models import LoginStage, Role, SecondFactor, User
from reunify.accounts.services import (
    RECOVERY_CODE_COUNT,
    CodeRefused,
    PasswordRefused,
    login_failure_record,
    login_lockout,
    login_refusal_record,
    recovery_codes_remaining,
    recovery_codes_renew,
    second_factor_confirmed,
    totp_factor_being_enrolled,
    totp_turn_off,
    totp_turn_on_confirm,
    totp_turn_on_start,
)
from reunify.accounts.views import _enrolment, login_complete
from reunify.cases.models import FAMILY_ROLES
from reunify.cases.services import case_view
from reunify.disclosure.models import REDISCLOSURE_NOTICE
from reunify.disclosure.services import is_restricted, party_accounting
from reunify.documents.services import DocumentUnavailable
from reunify.documents.views import file_response
from reunify.messaging.services import message_send_to_therapist
from reunify.portal import forms, services
from reunify.portal.models import Invitation
from reunify.security import client_address


class PortalRequest(HttpRequest):
    user: User


def _portal_user(request: PortalRequest) -> User:
    access.require_portal(request.user)
    return request.user


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Choose a password from the e-mailed link; an expired, used or withdrawn link says so."""
    try:
        invitation = services.invitation_for_token(token)
    except ValidationError as error:
        return render(
            request, "portal/invitation_unusable.html", {"problems": error.messages}, status=410
        )
    account = User.objects.filter(email__iexact=invitation.email, role=Role.PORTAL).first()
    existing = account is not None
    form_class = forms.ExistingAccountForm if existing else forms.AcceptForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _account_paused(request, account, form):
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password"])
        except services.AccountPasswordRefused as error:
            # The existing account's password, guessed here, counts as at the login page.
            assert account is not None
            _refused(
                request,
                account,
                form,
                PasswordRefused("wrong password on an invitation"),
                field="password",
                message=" ".join(error.messages),
            )
        except ValidationError as error:
            form.add_error("password", error)
        else:
            if second_factor_confirmed(user):
                messages.success(
                    request,
                    "The case is added to your portal. Log in with your password and the code "
                    "from your authenticator app to see it.",
                )
                return redirect("login")
            # The link proved the e-mail address and the password was just chosen (or, for an
            # existing account, checked): this is a login like any other, recorded as one.
            login_complete(
                request,
                user,
                second_factor="none",
                backend="django.contrib.auth.backends.ModelBackend",
            )
            messages.success(
                request,
                f"Welcome, {user.first_name}. Next time, log in with the username "
                f"{user.username} and your password.",
            )
            return redirect("portal_home")
    return render(
        request,
        "portal/invitation_accept.html",
        {"invitation": _shown(invitation), "form": form, "existing": existing},
        status=400 if form.is_bound else 200,
    )


def _shown(invitation: Invitation) -> dict[str, Any]:
    """Only what the invitee may see on the page: their own first name and when it expires."""
    return {"first_name": invitation.party.person.first_name, "expires_at": invitation.expires_at}


@login_required
@require_GET
def portal_home(request: PortalRequest) -> HttpResponse:
    if request.user.role != Role.PORTAL:
        return redirect("caseload")
    parties = list(access.portal_parties(request.user).order_by("case__title", "id"))
    return render(request, "portal/home.html", {"parties": parties})


@login_required
@require_GET
def party_detail(request: PortalRequest, party_id: int) -> HttpResponse:
    user = _portal_user(request)
    party = access.portal_party_get(user, party_id)
    page = services.party_page(actor=user, party=party)
    return render(
        request,
        "portal/party.html",
        {"page": page, "party": party, "form": forms.MessageForm(), "notice": REDISCLOSURE_NOTICE},
    )


@login_required
@require_POST
def message_send(request: PortalRequest, party_id: int) -> HttpResponse:
    user = _portal_user(request)
    party = access.portal_party_get(user, party_id)
    if party.role not in FAMILY_ROLES or is_restricted(party):
        raise Http404("No such conversation.")
    form = forms.MessageForm(request.POST)
    if form.is_valid():
        try:
            message_send_to_therapist(actor=user, party=party, body=form.cleaned_data["body"])
        except PermissionDenied:
            raise Http404("No such conversation.") from None
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages.success(request, "Your message was sent to your therapist.")
            return redirect("portal_party", party_id=party.pk)
    page = services.party_page(actor=user, party=party)
    return render(
        request,
        "portal/party.html",
        {"page": page, "party": party, "form": form, "notice": REDISCLOSURE_NOTICE},
        status=400,
    )


@login_required
@require_GET
def document_download(request: PortalRequest, party_id: int, document_id: int) -> HttpResponseBase:
    user = _portal_user(request)
    party = access.portal_party_get(user, party_id)
    allowed = services.portal_document_get(party, document_id)
    try:
        handle = services.portal_document_open(actor=user, allowed=allowed)
    except DocumentUnavailable as problem:
        messages.error(request, str(problem))
        return redirect("portal_party", party_id=party.pk)
    return portal_file_response(allowed, handle)


def portal_file_response(allowed: services.PortalDocument, handle: object) -> HttpResponseBase:
    return file_response(allowed.document, handle, allowed.notice)  # type: ignore[arg-type]


@login_required
@require_GET
def party_disclosures(request: PortalRequest, party_id: int) -> HttpResponse:
    """A family member's own accounting of disclosures: what left the record under a release
    they signed or under a court order, to whom, why, and on what authority."""
    user = _portal_user(request)
    party = access.portal_party_get(user, party_id)
    if party.role not in FAMILY_ROLES or is_restricted(party):
        raise Http404("No such page.")
    disclosures = list(party_accounting(party))
    case_view(actor=user, case=party.case, what="portal: accounting of disclosures")
    return render(request, "portal/disclosures.html", {"party": party, "disclosures": disclosures})


# Sign-in security: the user's own second factor ------------------------------------------------

WRONG_CODE = (
    "That code did not work. Codes change every 30 seconds and each works once: "
    "wait for the next one and try again."
)
TURN_ON_REFUSED = "That is not your password. Nothing was changed."
TURN_OFF_REFUSED = (
    "The password and the code did not both work, so your second factor is still on. "
    "Check your password, wait for the app's next code (or use a recovery code), and try again."
)


def _paused_message() -> str:
    minutes = settings.REUNIFY_LOCKOUT_MINUTES
    return (
        "Too many wrong codes or passwords: logging in to your account, and changing how it "
        f"logs in, are paused for up to {minutes} minutes. Nothing was changed."
    )


def _account_paused(request: HttpRequest, user: User | None, form: django_forms.Form) -> bool:
    """An existing account's password is not tried on an invitation while its lockout holds."""
    return user is not None and _paused(request, user, form, stage=LoginStage.PASSWORD)


def _paused(
    request: HttpRequest, user: User, form: django_forms.Form, stage: str = LoginStage.CODE
) -> bool:
    """True, with the form told why, while a lockout holds: no code is even tried then."""
    address = client_address(request)
    if login_lockout(username=user.username, address=address) is None:
        return False
    login_refusal_record(username=user.username, address=address, stage=stage)
    form.add_error(None, _paused_message())
    return True


def _refused(
    request: HttpRequest,
    user: User,
    form: django_forms.Form,
    refused: CodeRefused,
    *,
    field: str | None,
    message: str,
) -> None:
    """Count a wrong code or password towards the lockouts, exactly as the login does: this page
    must not become a way to guess either one."""
    lock = login_failure_record(
        username=user.username,
        address=client_address(request),
        stage=LoginStage.PASSWORD if isinstance(refused, PasswordRefused) else LoginStage.CODE,
        reason=refused.reason,
    )
    form.add_error(field, message)
    if lock is not None:
        form.add_error(None, _paused_message())


@never_cache
@login_required
@require_GET
def portal_security(request: PortalRequest) -> HttpResponse:
    """Whether the user logs in with a second factor, and how many recovery codes are left."""
    user = _portal_user(request)
    return _security_page(request, user, forms.ExistingAccountForm())


# The factor this session proved the password for, so the set-up page opens only after it.
ENROLLING_KEY = "reunify.portal.enrolling"


def _security_page(request: HttpRequest, user: User, form: django_forms.Form) -> HttpResponse:
    factor = SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    return render(
        request,
        "portal/security.html",
        {
            "factor": factor,
            "remaining": recovery_codes_remaining(user) if factor else 0,
            "total": RECOVERY_CODE_COUNT,
            "enrolling": factor is None and totp_factor_being_enrolled(user) is not None,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@login_required
@require_POST
def portal_security_turn_on(request: PortalRequest) -> HttpResponse:
    """Begin setting up an authenticator app (or carry on with the one begun today), on the
    account's password."""
    user = _portal_user(request)
    if second_factor_confirmed(user):
        messages.info(request, "Your second factor is already on.")
        return redirect("portal_security")
    form = forms.ExistingAccountForm(request.POST)
    if form.is_valid() and not _paused(request, user, form):
        try:
            factor = totp_turn_on_start(user=user, password=form.cleaned_data["password"])
        except CodeRefused as refused:
            _refused(request, user, form, refused, field="password", message=TURN_ON_REFUSED)
        else:
            request.session[ENROLLING_KEY] = factor.pk
            return redirect("portal_security_enrol")
    return _security_page(request, user, form)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def portal_security_enrol(request: PortalRequest) -> HttpResponse:
    """Scan the QR code, confirm with the app's first code, then see the recovery codes once."""
    user = _portal_user(request)
    factor = None if second_factor_confirmed(user) else totp_factor_being_enrolled(user)
    if factor is None or request.session.get(ENROLLING_KEY) != factor.pk:
        return redirect("portal_security")
    form = EnrolCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and not _paused(request, user, form):
        try:
            codes = totp_turn_on_confirm(user=user, factor=factor, code=form.cleaned_data["code"])
        except CodeRefused as refused:
            _refused(request, user, form, refused, field="code", message=WRONG_CODE)
        else:
            # Sessions opened elsewhere with the password alone have ended; this one carries on.
            session_mark_verified(request.session, user)
            request.session.pop(ENROLLING_KEY, None)
            # Shown in this answer only: the codes are kept hashed and never shown again.
            return render(
                request, "portal/security_codes.html", {"codes": codes, "turned_on": True}
            )
    return render(
        request,
        "portal/security_enrol.html",
        _enrolment(factor, form),
        status=400 if form.is_bound else 200,
    )


@sensitive_post_parameters("password", "code")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def portal_security_turn_off(request: PortalRequest) -> HttpResponse:
    """Turn the second factor off: the password and a current code (or a recovery code)."""
    user = _portal_user(request)
    if not second_factor_confirmed(user):
        return redirect("portal_security")
    form = forms.TurnOffForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and not _paused(request, user, form):
        try:
            totp_turn_off(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        except CodeRefused as refused:
            _refused(request, user, form, refused, field=None, message=TURN_OFF_REFUSED)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Your second factor is off: you log in with your password alone. "
                "You can remove Reunify from your authenticator app.",
            )
            return redirect("portal_security")
    return render(
        request,
        "portal/security_turn_off.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def portal_security_recovery_codes(request: PortalRequest) -> HttpResponse:
    """New recovery codes, on a current code from the app; the old ones stop working."""
    user = _portal_user(request)
    if not second_factor_confirmed(user):
        return redirect("portal_security")
    form = EnrolCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and not _paused(request, user, form):
        try:
            codes = recovery_codes_renew(user=user, code=form.cleaned_data["code"])
        except CodeRefused as refused:
            _refused(request, user, form, refused, field="code", message=WRONG_CODE)
        else:
            return render(
                request, "portal/security_codes.html", {"codes": codes, "turned_on": False}
            )
    return render(
        request,
        "portal/security_renew.html",
        {"form": form, "total": RECOVERY_CODE_COUNT},
        status=400 if form.is_bound else 200,
    )
