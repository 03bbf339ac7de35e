"""Reads of the measures, shaped for pages, charts and the court report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from reunify.cases.models import Case
from reunify.measures.models import Goal, GoalRating


@dataclass(frozen=True)
class GoalSummary:
    """A goal with its ratings in a date range: enough to draw it and to describe it."""

    goal: Goal
    ratings: list[tuple[dt.date, int]]

    @property
    def latest(self) -> int | None:
        return self.ratings[-1][1] if self.ratings else None

    @property
    def direction(self) -> str:
        """Plain words for the court report: how the ratings moved over the range."""
        if len(self.ratings) < 2:
            return "not enough ratings to show a direction"
        first, last = self.ratings[0][1], self.ratings[-1][1]
        if last > first:
            return "improved"
        if last < first:
            return "declined"
        return "unchanged"


def goal_summaries(
    case: Case, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[GoalSummary]:
    """Every goal of the case with its ratings between start and end (inclusive), 2 queries."""
    ratings = GoalRating.objects.order_by("rated_on", "id")
    if start:
        ratings = ratings.filter(rated_on__gte=start)
    if end:
        ratings = ratings.filter(rated_on__lte=end)
    goals = Goal.objects.filter(case=case).prefetch_related(Prefetch("ratings", queryset=ratings))
    return [
        GoalSummary(goal, [(r.rated_on, r.value) for r in goal.ratings.all()]) for goal in goals
    ]
