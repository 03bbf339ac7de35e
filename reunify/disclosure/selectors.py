"""Reads of releases: which release in force lets a recipient see a kind of record.

Default deny: no release in force for the category (and, for an item carrying substance-use
information, for that too) means nothing is shown or sent. `reunify.access` and the portal
read them here; `disclosure.services` records what was disclosed under them.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reunify.cases.models import Party
from reunify.disclosure.models import Category, Release


def covering_release(
    recipient: Party, category: str, *, substance_use: bool = False, today: dt.date | None = None
) -> Release | None:
    """The release in force today that lets this recipient see this category (and, when the
    item carries substance-use information, that category too), or None: default deny."""
    found = covering_releases([recipient], category, substance_use=substance_use, today=today)
    return found.get(recipient.pk)


def covering_releases(
    recipients: list[Party],
    category: str,
    *,
    substance_use: bool = False,
    today: dt.date | None = None,
) -> dict[int, Release]:
    """`covering_release` for many recipients in one query: each covered one's release, by
    party id (a recipient with none is absent)."""
    today = today or timezone.localdate()
    releases = Release.objects.filter(
        recipient__in=[party.pk for party in recipients],
        revoked_at__isnull=True,
        granted_on__lte=today,
        expires_on__gte=today,
    ).select_related("court_order", "granted_by__person")
    found: dict[int, Release] = {}
    for release in releases.order_by("-granted_on", "-id"):
        if (
            release.recipient_id not in found
            and category in release.categories
            and (not substance_use or Category.SUBSTANCE_USE in release.categories)
        ):
            found[release.recipient_id] = release
    return found
