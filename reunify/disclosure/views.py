"""Disclosure pages of the staff side: releases of information, restrictions of a parent's
access, documents shared with family members, the substance-use tag, each party's accounting
of disclosures (page and PDF) and the case's disclosure log. Inviting parties into the portal
and the conversations with family members are the portal's (`portal.staff_views`).

Every page finds its case through `access` (another family's case is a 404, a read-only
viewer's write a 403) and every write is one service call, which validates and audits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reunify import access
from reunify.access import Action
from reunify.accounts.models import User
from reunify.cases.models import LEGAL_ROLES, Case, Party
from reunify.cases.sections import to_section
from reunify.cases.services import case_view
from reunify.disclosure import forms, services
from reunify.disclosure.models import Disclosure, DocumentShare, Release, Restriction
from reunify.documents.models import Document
from reunify.documents.services import document_tag_substance_use
from reunify.downloads import download

Form = django_forms.Form


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a staff member, never anonymous."""

    user: User


def to_portal_section(case: Case | int) -> HttpResponse:
    case_id = case if isinstance(case, int) else case.pk
    return to_section(case_id, "disclosure", "portal-heading")


def party_of(case: Case, party_id: int) -> Party:
    return get_object_or_404(Party.objects.select_related("person", "case"), case=case, pk=party_id)


def form_page(
    request: AuthedRequest,
    case: Case,
    form: Form,
    *,
    heading: str,
    save: Callable[[dict[str, Any]], object],
    done: str,
    submit: str = "Save",
    intro: str = "",
    template: str = "disclosure/form_page.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; POST calls the service and goes back to the case's section."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return to_portal_section(case)
    case_view(actor=request.user, case=case, what=f"form: {heading.lower()}")
    context = {
        "case": case,
        "form": form,
        "heading": heading,
        "submit": submit,
        "intro": intro,
        **(extra or {}),
    }
    return render(request, template, context, status=400 if form.is_bound else 200)


# Releases ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def release_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = forms.ReleaseForm(request.POST or None, case=case)
    return form_page(
        request,
        case,
        form,
        heading="Record a release of information",
        intro="Nothing leaves the record without a release or a court order. Name who may see "
        "what, why, and until when; a release can be revoked at any time.",
        submit="Record the release",
        save=lambda data: services.release_grant(actor=request.user, case=case, **data),
        done="Release recorded; it is in force from now on.",
    )


def _visible_release(user: User, release_id: int) -> Release:
    return get_object_or_404(
        Release.objects.filter(case__in=access.cases_for(user)).select_related(
            "case__therapist", "recipient__person", "granted_by__person", "court_order"
        ),
        pk=release_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_revoke(request: AuthedRequest, release_id: int) -> HttpResponse:
    release = _visible_release(request.user, release_id)
    access.require(request.user, Action.EDIT, release.case)
    form = forms.ReasonForm(request.POST or None)
    return form_page(
        request,
        release.case,
        form,
        heading=f"Revoke the release to {release.recipient.person.full_name}",
        intro=f"{release.basis.capitalize()}, for: {release.purpose}. Revoking takes effect at "
        "once: nothing more is disclosed under it.",
        submit="Revoke the release",
        save=lambda data: services.release_revoke(
            actor=request.user, release=release, reason=data["reason"]
        ),
        done="Release revoked; nothing more is disclosed under it.",
    )


# Restrictions -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def restriction_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    form = forms.RestrictionForm(request.POST or None, case=case)
    return form_page(
        request,
        case,
        form,
        heading="Restrict a parent's access",
        intro="The parent's portal access to the child's information stops at once: they keep "
        "only their own profile and their own sessions without the child.",
        submit="Restrict access",
        save=lambda data: services.restriction_set(actor=request.user, case=case, **data),
        done="Access restricted, from now on.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def restriction_lift(request: AuthedRequest, restriction_id: int) -> HttpResponse:
    restriction = get_object_or_404(
        Restriction.objects.filter(case__in=access.cases_for(request.user)).select_related(
            "case__therapist", "party__person"
        ),
        pk=restriction_id,
    )
    access.require(request.user, Action.EDIT, restriction.case)
    form = forms.ReasonForm(request.POST or None)
    return form_page(
        request,
        restriction.case,
        form,
        heading=f"Lift the restriction of {restriction.party.person.full_name}",
        submit="Lift the restriction",
        save=lambda data: services.restriction_lift(
            actor=request.user, restriction=restriction, reason=data["reason"]
        ),
        done="Restriction lifted.",
    )


# Documents --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def document_share_new(request: AuthedRequest, case_id: int, document_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id, Action.EDIT)
    document = get_object_or_404(Document, case=case, pk=document_id)
    form = forms.ShareForm(request.POST or None, case=case)
    return form_page(
        request,
        case,
        form,
        heading=f"Share “{document.title}”",
        intro="The family member sees and can download this document in the portal until you "
        "withdraw it. Each download is recorded.",
        submit="Share the document",
        save=lambda data: services.document_share(
            actor=request.user, document=document, party=data["party"]
        ),
        done=f"“{document.title}” is shared.",
    )


@login_required
@require_POST
def share_withdraw(request: AuthedRequest, share_id: int) -> HttpResponse:
    share = get_object_or_404(
        DocumentShare.objects.filter(
            document__case__in=access.cases_for(request.user)
        ).select_related("document__case__therapist", "party__person"),
        pk=share_id,
    )
    try:
        services.document_unshare(actor=request.user, share=share)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"“{share.document.title}” is no longer shared with {share.party.person.full_name}.",
        )
    return to_portal_section(share.document.case_id)


@login_required
@require_POST
def document_substance_use(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = get_object_or_404(
        Document.objects.filter(case__in=access.cases_for(request.user)).select_related(
            "case__therapist"
        ),
        pk=document_id,
    )
    tag = request.POST.get("substance_use") == "yes"
    try:
        document_tag_substance_use(actor=request.user, document=document, substance_use=tag)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if tag:
            messages.success(
                request,
                f"“{document.title}” is tagged as substance-use information: it is released "
                "only under a release naming that category, with the redisclosure notice.",
            )
        else:
            messages.success(request, f"“{document.title}” is no longer tagged.")
    return to_portal_section(document.case_id)


# Accounting of disclosures and the disclosure log ---------------------------------------------


def _accounting(request: AuthedRequest, case_id: int, party_id: int) -> dict[str, Any]:
    case = access.case_get(request.user, case_id)
    party = party_of(case, party_id)
    disclosures = list(services.party_accounting(party))
    case_view(actor=request.user, case=case, what=f"accounting of disclosures: party {party.pk}")
    return {
        "case": case,
        "party": party,
        "disclosures": disclosures,
        "is_legal": party.role in LEGAL_ROLES,
        "printed_at": timezone.localtime(),
    }


@login_required
@require_GET
def accounting(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    return render(request, "disclosure/accounting.html", _accounting(request, case_id, party_id))


ACCOUNTING_CSS = """
@page { size: letter; margin: 18mm 16mm; @bottom-right { content: "Page " counter(page)
  " of " counter(pages); font-size: 8pt; } }
body { font-family: sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4pt; }
p { margin: 2pt 0 6pt; }
table { width: 100%; border-collapse: collapse; margin-top: 8pt; }
th, td { border: 0.5pt solid #777; padding: 3pt 4pt; text-align: left; vertical-align: top; }
thead th { background: #eee; }
.notice { border: 1pt solid #111; padding: 4pt; font-size: 8pt; }
"""


@login_required
@require_GET
def accounting_pdf(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponseBase:
    from weasyprint import CSS, HTML

    context = _accounting(request, case_id, party_id)
    html = render_to_string("disclosure/accounting_pdf.html", context)
    pdf = HTML(string=html).write_pdf(stylesheets=[CSS(string=ACCOUNTING_CSS)])
    return download(pdf, filename=f"accounting-of-disclosures-{context['party'].pk}.pdf")


@login_required
@require_GET
def disclosure_log(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = access.case_get(request.user, case_id)
    disclosures = (
        Disclosure.objects.filter(case=case)
        .select_related(
            "recipient__person", "release__court_order", "release__granted_by__person", "actor"
        )
        .order_by("-at", "-id")
    )
    case_view(actor=request.user, case=case, what="disclosure log")
    return render(request, "disclosure/log.html", {"case": case, "disclosures": disclosures})
