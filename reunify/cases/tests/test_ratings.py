"""Readiness, willingness and alignment are one kind of record, a dated rating, and keep the
same rules: a rating is dated from the referral to today, and a refused one saves nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reunify.audit.models import Event
from reunify.cases.models import DatedRating, ReadinessLevel, ReadinessRating
from reunify.cases.services import readiness_record
from reunify.measures.models import (
    Alignment,
    AlignmentRating,
    Stakeholder,
    WillingnessLevel,
    WillingnessRating,
)
from reunify.measures.services import alignment_record, willingness_record

pytestmark = pytest.mark.django_db


def _readiness(therapist: Any, family: Any, day: dt.date) -> Any:
    return readiness_record(
        actor=therapist,
        case=family.case,
        party=family.estranged,
        level=ReadinessLevel.READY,
        rated_on=day,
    )


def _willingness(therapist: Any, family: Any, day: dt.date) -> Any:
    return willingness_record(
        actor=therapist,
        case=family.case,
        party=family.estranged,
        level=WillingnessLevel.values[0],
        rated_on=day,
    )


def _alignment(therapist: Any, family: Any, day: dt.date) -> Any:
    return alignment_record(
        actor=therapist,
        case=family.case,
        stakeholder=Stakeholder.COURT,
        status=Alignment.values[0],
        rated_on=day,
    )


RATINGS: list[tuple[Callable[..., Any], type[DatedRating]]] = [
    (_readiness, ReadinessRating),
    (_willingness, WillingnessRating),
    (_alignment, AlignmentRating),
]
IDS = ["readiness", "willingness", "alignment"]


@pytest.mark.parametrize(("rate", "model"), RATINGS, ids=IDS)
def test_a_rating_dated_before_the_referral_is_refused_and_saves_nothing(
    therapist: Any, family: Any, rate: Callable[..., Any], model: type[DatedRating]
) -> None:
    before = family.case.referral_date - dt.timedelta(days=1)
    rows, events = model._default_manager.count(), Event.objects.count()

    with pytest.raises(ValidationError, match="before the case was referred"):
        rate(therapist, family, before)

    assert (model._default_manager.count(), Event.objects.count()) == (rows, events)


@pytest.mark.parametrize(("rate", "model"), RATINGS, ids=IDS)
def test_a_rating_dated_tomorrow_is_refused(
    therapist: Any, family: Any, rate: Callable[..., Any], model: type[DatedRating]
) -> None:
    with pytest.raises(ValidationError, match="is in the future"):
        rate(therapist, family, timezone.localdate() + dt.timedelta(days=1))


@pytest.mark.parametrize(("rate", "model"), RATINGS, ids=IDS)
def test_a_rating_on_the_referral_day_is_saved_with_who_and_when(
    therapist: Any, family: Any, rate: Callable[..., Any], model: type[DatedRating]
) -> None:
    rating = rate(therapist, family, family.case.referral_date)

    saved = model._default_manager.get(pk=rating.pk)
    assert saved.rated_on == family.case.referral_date
    assert saved.recorded_by == therapist
    assert Event.objects.filter(object_id=str(rating.pk), case_id=family.case.pk).exists()
