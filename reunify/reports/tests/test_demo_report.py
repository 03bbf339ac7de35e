"""The demo practice's court report reaches Ansel Marigold's attorney: issued under his
release, listed in his portal, and downloadable there (`make run` shows it)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from reunify import access
from reunify.accounts.models import User
from reunify.conftest import login
from reunify.demo import demo_load
from reunify.disclosure.models import Channel, Disclosure
from reunify.reports.models import IssuedReport
from reunify.reports.selectors import portal_report_releases
from reunify.reports.tests.factories import body, stored_bytes


def test_the_demo_attorney_downloads_the_demo_court_report(db: Any, client: Client) -> None:
    demo_load()
    demo_load()
    hollis = User.objects.get(username="hollis.tremaine")
    [attorney] = access.portal_parties(hollis)
    report = IssuedReport.objects.get(case=attorney.case)
    issued = Disclosure.objects.get(recipient=attorney, channel=Channel.REPORT)
    assert issued.object_id == str(report.pk)
    assert set(portal_report_releases(attorney)) == {report.pk}

    login(client, hollis)
    address = reverse("portal_report_download", args=[attorney.pk, report.pk])
    page = client.get(reverse("portal_party", args=[attorney.pk])).content.decode()
    response = client.get(address)

    assert f'href="{address}"' in page
    assert response.status_code == 200
    assert body(response) == stored_bytes(report)
