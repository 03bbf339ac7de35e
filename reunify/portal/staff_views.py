"""The staff side of the portal: inviting a party in, ending their access, and the treating
therapists' conversations with family members. Reached from the case page's "Portal and
disclosure" section, which it goes back to.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reunify import access
from reunify.access import Action
from reunify.cases.services import case_view
from reunify.disclosure.views import AuthedRequest, form_page, party_of, to_portal_section
from reunify.messaging import selectors as messaging_selectors
from reunify.messaging.services import message_reply, messages_mark_read
from reunify.portal import forms
from reunify.portal.services import invitation_create, portal_access_revoke

# Portal access ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invitation_new(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    party = party_of(case, party_id)
    form = forms.InvitationForm(request.POST or None, initial={"email": party.person.email})
    return form_page(
        request,
        case,
        form,
        heading=f"Invite {party.person.full_name} to the portal",
        intro=f"{party.person.full_name} ({party.get_role_display().lower()}) gets an e-mail "
        "with a single-use link to choose a password. The e-mail names no one else.",
        submit="Send the invitation",
        save=lambda data: invitation_create(
            actor=request.user,
            case=case,
            party=party,
            email=data["email"],
            portal_url=request.build_absolute_uri("/"),
        ),
        done=f"Invitation sent to {party.person.full_name}.",
    )


@login_required
@require_POST
def portal_revoke(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    party = party_of(case, party_id)
    try:
        portal_access_revoke(actor=request.user, party=party)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{party.person.full_name} no longer has portal access.")
    return to_portal_section(case)


# Conversations with family members ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    """A family member's conversation: for the treating therapists only."""
    case = access.case_get(request.user, case_id)
    if not messaging_selectors.may_read_conversations(request.user, case):
        access.require(request.user, Action.EDIT, case)
    party = party_of(case, party_id)
    form = forms.ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_reply(actor=request.user, party=party, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Reply sent to {party.person.full_name}.")
            return redirect("disclosure_conversation", case_id=case.pk, party_id=party.pk)
    case_view(actor=request.user, case=case, what=f"messages: party {party.pk}")
    thread = list(messaging_selectors.conversation(party))
    messages_mark_read(party=party, by_party=False)
    return render(
        request,
        "disclosure/conversation.html",
        {"case": case, "party": party, "thread": thread, "form": form},
        status=400 if form.is_bound else 200,
    )
