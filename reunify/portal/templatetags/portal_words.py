"""The words the portal uses for people: plain ones, never the clinical role names.

Staff pages say "estranged parent" and "child" because that is the clinical picture; a family
member reads their own name and "your family's therapist", and a legal party reads who the
therapist is and how to reach the practice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from reunify.cases.models import LEGAL_ROLES, Party, PartyRole

register = template.Library()


def role_words(role: str) -> str:
    """What a portal page calls someone in this role, in plain lower-case words."""
    words: dict[str, str] = {
        PartyRole.CHILD: _("child"),
        PartyRole.ESTRANGED_PARENT: _("parent"),
        PartyRole.OTHER_PARENT: _("parent"),
        PartyRole.GUARDIAN: _("guardian"),
        PartyRole.STEP_PARENT: _("step-parent"),
        PartyRole.EXTENDED_FAMILY: _("family member"),
        PartyRole.ATTORNEY: _("attorney"),
        PartyRole.GAL: _("guardian ad litem"),
        PartyRole.COURT: _("court"),
        PartyRole.CPS: _("CPS caseworker"),
        PartyRole.SCHOOL: _("school contact"),
    }
    return words.get(role, _("party"))


@register.filter
def plain_role(party: Party) -> str:
    return role_words(party.role)


@register.filter
def is_legal_party(party: Party) -> bool:
    return party.role in LEGAL_ROLES


@dataclass(frozen=True)
class Practice:
    """How to reach the practice, from the settings."""

    name: str
    phone: str
    email: str


@register.simple_tag
def practice_contact() -> Practice:
    return Practice(
        name=settings.REUNIFY_PRACTICE_NAME,
        phone=settings.REUNIFY_PRACTICE_PHONE,
        email=settings.REUNIFY_PRACTICE_EMAIL,
    )
