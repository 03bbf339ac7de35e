"""The safety-screen API: record a screen of all nine contraindications, list past screens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import field_validator

from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, case_to_change, case_to_read
from reunify.paging import Page, paged
from reunify.process.pausing import screening_record
from reunify.safety.models import Contraindication, FindingStatus, Screening, ScreeningFinding

router = Router(tags=["safety"])


class FindingIn(Schema):
    status: FindingStatus
    note: str = Field(default="", description="Required when the finding is present.")


_CODES: dict[str, Any] = {"propertyNames": {"enum": Contraindication.values}}


class ScreeningIn(Schema):
    screened_on: dt.date
    note: str = ""
    findings: dict[str, FindingIn] = Field(
        description="Each of the nine contraindication codes mapped to {status, note}; a list "
        "of {code, status, note} is accepted too.",
        json_schema_extra=_CODES,
    )

    @field_validator("findings", mode="before")
    @classmethod
    def _list_to_mapping(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        mapping: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, dict) or "code" not in item:
                raise ValueError("each finding in a list needs its contraindication 'code'")
            code = str(item["code"])
            if code in mapping:
                raise ValueError(f"{code} is answered twice")
            mapping[code] = {k: v for k, v in item.items() if k != "code"}
        return mapping


class FindingOut(Schema):
    code: Contraindication
    label: str
    status: FindingStatus
    note: str

    @classmethod
    def of(cls, finding: ScreeningFinding) -> FindingOut:
        return cls(
            code=Contraindication(finding.contraindication),
            label=finding.get_contraindication_display(),
            status=FindingStatus(finding.status),
            note=finding.note,
        )


class ScreeningOut(Schema):
    id: int
    screened_on: dt.date
    note: str
    recorded_by: str
    recorded_at: dt.datetime
    present: list[Contraindication]
    findings: list[FindingOut]

    @classmethod
    def of(cls, screening: Screening) -> ScreeningOut:
        findings = list(screening.findings.all())
        return cls(
            id=screening.pk,
            screened_on=screening.screened_on,
            note=screening.note,
            recorded_by=screening.recorded_by.username,
            recorded_at=screening.recorded_at,
            present=[
                Contraindication(f.contraindication)
                for f in findings
                if f.status == FindingStatus.PRESENT
            ],
            findings=[FindingOut.of(f) for f in findings],
        )


@router.get("/cases/{id}/screenings", response={200: list[ScreeningOut], **READ_ERRORS})
@paged
def screening_list(request: HttpRequest, id: int, page: Page) -> list[ScreeningOut]:
    """The case's safety screens, oldest first, each with all its findings."""
    _, case = case_to_read(request, id, "screening_list")
    screenings = case.screenings.select_related("recorded_by").prefetch_related("findings")
    order = ("screened_on", "recorded_at", "id")
    return [ScreeningOut.of(s) for s in page.rows(screenings, order=order)]


@router.post("/cases/{id}/screenings", response={201: ScreeningOut, **WRITE_ERRORS})
def screening_create(
    request: HttpRequest, id: int, payload: ScreeningIn
) -> tuple[int, ScreeningOut]:
    """Record a screen; a contraindication found present pauses the case at once."""
    user, case = case_to_change(request, id)
    screening = screening_record(
        actor=user,
        case=case,
        screened_on=payload.screened_on,
        note=payload.note,
        findings={code: (f.status.value, f.note) for code, f in payload.findings.items()},
    )
    return 201, ScreeningOut.of(screening)
