"""The portal's pages: accepting an invitation, the list of the user's cases, and one party's
page — their profile, sessions, modules, shared documents and messages, or, for a professional,
what a release or court order covers. Anything else answers 404.

A portal user acts only as the parties whose invitations they accepted (`access.portal_party_get`);
staff accounts have no portal of their own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.accounts.models import Role, User
from reunify.accounts.views import login_complete
from reunify.cases.models import FAMILY_ROLES
from reunify.cases.services import case_view
from reunify.disclosure.models import REDISCLOSURE_NOTICE
from reunify.disclosure.services import is_restricted, party_accounting
from reunify.documents.services import DocumentUnavailable
from reunify.documents.views import file_response
from reunify.messaging.services import message_send_to_therapist
from reunify.portal import forms, services
from reunify.portal.models import Invitation


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
    existing = User.objects.filter(email__iexact=invitation.email, role=Role.PORTAL).exists()
    form_class = forms.ExistingAccountForm if existing else forms.AcceptForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error("password", error)
        else:
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


def portal_file_response(allowed: services.PortalDocument, handle: object) -> FileResponse:
    response = file_response(allowed.document, handle)  # type: ignore[arg-type]
    if allowed.notice:
        # The notice travels with the file: the page says it too, beside the link.
        response["Redisclosure-Notice"] = allowed.notice
    return response


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
