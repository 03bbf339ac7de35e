"""Reads of documents, already narrowed to the cases the asking user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import Case
from reunify.documents.models import Document


def case_documents(case: Case) -> QuerySet[Document]:
    """A case's documents, newest first, with who uploaded each."""
    return case.documents.select_related("uploaded_by")


def document_get(user: User, document_id: int) -> Document:
    """The document if the user may see its case; 404 otherwise, never confirming it exists."""
    document = (
        Document.objects.filter(case__in=access.cases_for(user), pk=document_id)
        .select_related("case__therapist")
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document
