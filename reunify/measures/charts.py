"""Charts as plain SVG built in Python: for the case page (no client-side build step) and the
PDF report (WeasyPrint draws inline SVG).

Each chart is a `Chart`: its SVG markup (`role="img"`, a `<title>` and a `<desc>` named by
`aria-labelledby`), the same facts as sentences (`summary`) and as a table (`columns`,
`rows`) for anyone who cannot see it. Series differ by line pattern and marker shape as well
as by shade, so they read in greyscale; bars differ by hatching. Only presentation
attributes are used: no `style` attribute and no script, so a strict Content-Security-Policy
holds. `{{ chart.markup }}` in a template renders the SVG.

    goal_chart(summary)                 one goal: ratings against its baseline and target
    comfort_chart(points, threshold)    the child's comfort before/after each contact visit
    attendance_chart(attendance)        sessions held against sessions due, per party
    willingness_chart(series)           each party's willingness over time
    questionnaire_chart(view)           one subscale, a line per informant
    informant_gap_chart(views)          the informants' latest scores side by side, the gap
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

if TYPE_CHECKING:
    from reunify.clinical.selectors import Attendance
    from reunify.measures.selectors import (
        ComfortPoint,
        GoalSummary,
        SubscaleView,
        WillingnessSeries,
    )

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 640
GOAL_WIDTH = 400
LEFT, RIGHT, TOP, BOTTOM = 88, 24, 16, 40
LEGEND_ROW = 20
INK = "#1a1a1a"
GRID = "#d0d0d0"
MUTED = "#595959"
HATCH_GROUND = "#d9d9d9"


@dataclass(frozen=True)
class Style:
    """How one series is drawn: a shade, a line pattern and a marker shape, each distinct."""

    colour: str
    dash: str | None
    marker: str


# Shades far apart in lightness, and every series also has its own dash and marker.
STYLES = [
    Style("#1a1a1a", None, "circle"),
    Style("#0b4f8a", "8 4", "square"),
    Style("#8a4b00", "2 3", "triangle"),
    Style("#5b2a86", "10 3 2 3", "diamond"),
    Style("#2f6b1f", "4 2", "cross"),
]


@dataclass(frozen=True)
class Chart:
    """A drawn chart with its text alternative."""

    chart_id: str
    title: str
    summary: str
    svg: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def markup(self) -> SafeString:
        """The SVG, marked safe for a template: it is built element by element, every text
        escaped by the XML serialiser."""
        return mark_safe(self.svg)  # noqa: S308 - built by ElementTree, never from raw input

    def __html__(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


def _num(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _day(day: dt.date) -> str:
    return day.isoformat()


class _Canvas:
    """An SVG document being drawn, with its plot area and its text alternative."""

    def __init__(
        self,
        chart_id: str,
        title: str,
        summary: str,
        plot_height: int,
        legend: int,
        *,
        width: int = WIDTH,
        left: int = LEFT,
    ):
        self.chart_id = chart_id
        self.width = width
        self.plot_top = TOP
        self.plot_bottom = TOP + plot_height
        self.plot_left = left
        self.plot_right = width - RIGHT
        self.legend_top = self.plot_bottom + BOTTOM
        self.height = self.legend_top + legend * LEGEND_ROW + (8 if legend else 0)
        self.root = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "viewBox": f"0 0 {width} {self.height}",
                "width": str(width),
                "height": str(self.height),
                "role": "img",
                "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
                "class": "chart",
                "font-family": "sans-serif",
                "font-size": "12",
            },
        )
        ET.SubElement(self.root, "title", {"id": f"{chart_id}-title"}).text = title
        ET.SubElement(self.root, "desc", {"id": f"{chart_id}-desc"}).text = summary
        self.defs = ET.SubElement(self.root, "defs")

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left

    def el(self, tag: str, parent: ET.Element | None = None, **attrs: object) -> ET.Element:
        clean = {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items() if v is not None}
        return ET.SubElement(self.root if parent is None else parent, tag, clean)

    def hidden_group(self) -> ET.Element:
        """A group that assistive technology skips: the text alternative already says it."""
        return ET.SubElement(self.root, "g", {"aria-hidden": "true"})

    def text(
        self, x: float, y: float, words: str, parent: ET.Element | None = None, **attrs: object
    ) -> ET.Element:
        attrs.setdefault("fill", INK)
        node = self.el("text", parent, x=f"{x:.1f}", y=f"{y:.1f}", **attrs)
        node.text = words
        return node

    def markup(self) -> str:
        return ET.tostring(self.root, encoding="unicode")


def _marker(canvas: _Canvas, group: ET.Element, style: Style, x: float, y: float, tip: str) -> None:
    """A marker shape at (x, y) with a tooltip; shape and fill differ by series."""
    point = canvas.el("g", group)
    ET.SubElement(point, "title").text = tip
    r = 4.5
    common = {"stroke": style.colour, "stroke_width": "1.5"}
    if style.marker == "circle":
        canvas.el("circle", point, cx=f"{x:.1f}", cy=f"{y:.1f}", r=r, fill=style.colour, **common)
    elif style.marker == "square":
        canvas.el(
            "rect",
            point,
            x=f"{x - r:.1f}",
            y=f"{y - r:.1f}",
            width=2 * r,
            height=2 * r,
            fill="#ffffff",
            **common,
        )
    elif style.marker == "triangle":
        points = f"{x:.1f},{y - r - 1:.1f} {x - r - 1:.1f},{y + r:.1f} {x + r + 1:.1f},{y + r:.1f}"
        canvas.el("polygon", point, points=points, fill=style.colour, **common)
    elif style.marker == "diamond":
        corners = [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]
        points = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)
        canvas.el("polygon", point, points=points, fill="#ffffff", **common)
    else:
        d = (
            f"M{x - r:.1f},{y - r:.1f} L{x + r:.1f},{y + r:.1f} "
            f"M{x - r:.1f},{y + r:.1f} L{x + r:.1f},{y - r:.1f}"
        )
        canvas.el("path", point, d=d, fill="none", stroke=style.colour, stroke_width="2.5")


def _legend(canvas: _Canvas, entries: list[tuple[str, Style | str]]) -> None:
    """Legend rows below the plot: a sample of each series' line and marker, or a hatch."""
    group = canvas.hidden_group()
    per_row = 3 if canvas.width >= WIDTH else 2
    column = (canvas.width - canvas.plot_left) / per_row
    for n, (label, style) in enumerate(entries):
        x = canvas.plot_left + (n % per_row) * column
        y = canvas.legend_top + (n // per_row) * LEGEND_ROW
        if isinstance(style, Style):
            canvas.el(
                "line",
                group,
                x1=f"{x:.1f}",
                y1=f"{y:.1f}",
                x2=f"{x + 28:.1f}",
                y2=f"{y:.1f}",
                stroke=style.colour,
                stroke_width="2",
                stroke_dasharray=style.dash,
            )
            _marker(canvas, group, style, x + 14, y, label)
        else:
            if style.startswith("url("):
                canvas.el(
                    "rect",
                    group,
                    x=f"{x:.1f}",
                    y=f"{y - 7:.1f}",
                    width="28",
                    height="14",
                    fill=HATCH_GROUND,
                )
            canvas.el(
                "rect",
                group,
                x=f"{x:.1f}",
                y=f"{y - 7:.1f}",
                width="28",
                height="14",
                fill=style,
                stroke=INK,
                stroke_width="1",
            )
        canvas.text(x + 36, y + 4, label, group)


def _y_axis(
    canvas: _Canvas, low: float, high: float, ticks: Sequence[tuple[float, str]]
) -> Callable[[float], float]:
    span = (high - low) or 1.0

    def y_of(value: float) -> float:
        return canvas.plot_bottom - (value - low) / span * (canvas.plot_bottom - canvas.plot_top)

    group = canvas.hidden_group()
    for value, label in ticks:
        y = y_of(value)
        canvas.el(
            "line",
            group,
            x1=canvas.plot_left,
            y1=f"{y:.1f}",
            x2=canvas.plot_right,
            y2=f"{y:.1f}",
            stroke=GRID,
            stroke_width="1",
        )
        canvas.text(canvas.plot_left - 6, y + 4, label, group, text_anchor="end")
    canvas.el(
        "line",
        group,
        x1=canvas.plot_left,
        y1=canvas.plot_bottom,
        x2=canvas.plot_right,
        y2=canvas.plot_bottom,
        stroke=INK,
        stroke_width="1",
    )
    return y_of


def _date_axis(canvas: _Canvas, days: list[dt.date]) -> Callable[[dt.date], float]:
    first, last = min(days), max(days)
    span = (last - first).days
    inset = 16

    def x_of(day: dt.date) -> float:
        if span == 0:
            return canvas.plot_left + canvas.plot_width / 2
        width = canvas.plot_width - 2 * inset
        return canvas.plot_left + inset + (day - first).days / span * width

    unique = sorted(set(days))
    if len(unique) > 5:
        step = (len(unique) - 1) / 4
        unique = [unique[round(i * step)] for i in range(5)]
    group = canvas.hidden_group()
    for day in unique:
        x = x_of(day)
        canvas.el(
            "line",
            group,
            x1=f"{x:.1f}",
            y1=canvas.plot_bottom,
            x2=f"{x:.1f}",
            y2=canvas.plot_bottom + 4,
            stroke=INK,
        )
        canvas.text(x, canvas.plot_bottom + 18, _day(day), group, text_anchor="middle")
    return x_of


def _reference(canvas: _Canvas, y: float, label: str, dash: str) -> None:
    group = canvas.hidden_group()
    canvas.el(
        "line",
        group,
        x1=canvas.plot_left,
        y1=f"{y:.1f}",
        x2=canvas.plot_right,
        y2=f"{y:.1f}",
        stroke=MUTED,
        stroke_width="1.5",
        stroke_dasharray=dash,
    )
    canvas.text(canvas.plot_right - 2, y - 4, label, group, text_anchor="end", fill=MUTED)


def _series(
    canvas: _Canvas,
    style: Style,
    points: list[tuple[float, float, str]],
) -> None:
    """A line through (x, y) points with a marker at each; the third element is a tooltip."""
    group = canvas.el("g")
    if len(points) > 1:
        canvas.el(
            "polyline",
            group,
            points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points),
            fill="none",
            stroke=style.colour,
            stroke_width="2",
            stroke_dasharray=style.dash,
        )
    for x, y, tip in points:
        _marker(canvas, group, style, x, y, tip)


def _empty(chart_id: str, title: str, message: str) -> Chart:
    canvas = _Canvas(chart_id, title, message, 60, 0)
    canvas.text(canvas.width / 2, TOP + 36, message, text_anchor="middle", fill=MUTED)
    return Chart(chart_id, title, message, canvas.markup())


ZERO_TO_TEN = [(v, str(v)) for v in range(0, 11, 2)]


# The charts --------------------------------------------------------------------------------


def goal_chart(summary: GoalSummary, *, chart_id: str | None = None) -> Chart:
    """One goal's ratings (0-10) over time, against its baseline and its target."""
    goal = summary.goal
    chart_id = chart_id or f"goal-{goal.pk}"
    title = f"Goal: {goal.title}"
    if summary.ratings:
        values = ", ".join(f"{v} on {_day(d)}" for d, v in summary.ratings)
        text = (
            f"{goal.title}, rated 0 to 10: baseline {goal.baseline}, target {goal.target}. "
            f"{len(summary.ratings)} rating{'s' if len(summary.ratings) != 1 else ''}: {values}. "
            f"Latest {summary.latest}; {summary.direction}."
        )
    else:
        text = f"{goal.title}: baseline {goal.baseline}, target {goal.target}; not rated yet."
    # Narrow, so that several goals side by side keep their text legible.
    canvas = _Canvas(chart_id, title, text, 150, 1, width=GOAL_WIDTH, left=36)
    y_of = _y_axis(canvas, 0, 10, ZERO_TO_TEN)
    _reference(canvas, y_of(goal.baseline), f"baseline {goal.baseline}", "2 3")
    _reference(canvas, y_of(goal.target), f"target {goal.target}", "8 4")
    if summary.ratings:
        x_of = _date_axis(canvas, [d for d, _ in summary.ratings])
        _series(
            canvas,
            STYLES[0],
            [(x_of(d), y_of(v), f"{_day(d)}: {v}") for d, v in summary.ratings],
        )
    else:
        canvas.text(canvas.width / 2, canvas.plot_top + 70, "Not rated yet", text_anchor="middle")
    _legend(canvas, [("Rating", STYLES[0])])
    return Chart(
        chart_id,
        title,
        text,
        canvas.markup(),
        ["Rated on", "Rating (0-10)"],
        [[_day(d), str(v)] for d, v in summary.ratings],
    )


def comfort_chart(
    points: list[ComfortPoint], threshold: int | None, *, chart_id: str = "comfort"
) -> Chart:
    """The child's comfort (0-10) before and after each recorded contact visit, in order."""
    title = "The child's comfort at each contact visit"
    if not points:
        return _empty(chart_id, title, "No contact visit has been recorded yet.")
    below = [p for p in points if threshold is not None and min(p.before, p.after) < threshold]
    last = points[-1]
    text = (
        f"The child's comfort, 0 to 10, before and after each of {len(points)} recorded contact "
        f"visit{'s' if len(points) != 1 else ''} from {_day(points[0].day)} to {_day(last.day)}. "
        f"Latest visit: {last.before} before, {last.after} after."
    )
    if threshold is not None:
        text += (
            f" The ladder asks for at least {threshold} to step up; "
            f"{len(below)} visit{'s' if len(below) != 1 else ''} fell below it."
        )
    canvas = _Canvas(chart_id, title, text, 180, 1)
    y_of = _y_axis(canvas, 0, 10, ZERO_TO_TEN)
    if threshold is not None:
        _reference(canvas, y_of(threshold), f"step-up threshold {threshold}", "8 4")
    count = len(points)
    inset = 20

    def x_of(n: int) -> float:
        if count == 1:
            return canvas.plot_left + canvas.plot_width / 2
        return canvas.plot_left + inset + n / (count - 1) * (canvas.plot_width - 2 * inset)

    axis = canvas.hidden_group()
    step = max(1, round(count / 6))
    for n, point in enumerate(points):
        if n % step == 0 or n == count - 1:
            canvas.text(
                x_of(n), canvas.plot_bottom + 18, _day(point.day), axis, text_anchor="middle"
            )
    _series(
        canvas,
        STYLES[0],
        [
            (x_of(n), y_of(p.before), f"{_day(p.day)} before: {p.before}")
            for n, p in enumerate(points)
        ],
    )
    _series(
        canvas,
        STYLES[1],
        [(x_of(n), y_of(p.after), f"{_day(p.day)} after: {p.after}") for n, p in enumerate(points)],
    )
    _legend(canvas, [("Before the visit", STYLES[0]), ("After the visit", STYLES[1])])
    return Chart(
        chart_id,
        title,
        text,
        canvas.markup(),
        ["Visit", "Rung", "Before", "After"],
        [[_day(p.day), p.rung, str(p.before), str(p.after)] for p in points],
    )


def _hatch(canvas: _Canvas) -> str:
    """Diagonal hatching over light grey: distinct from solid bars in greyscale, and still
    light grey where a renderer draws no patterns."""
    pattern_id = f"{canvas.chart_id}-hatch"
    pattern = canvas.el(
        "pattern", canvas.defs, id=pattern_id, patternUnits="userSpaceOnUse", width="8", height="8"
    )
    canvas.el("rect", pattern, width="8", height="8", fill=HATCH_GROUND)
    canvas.el(
        "path",
        pattern,
        d="M0,8 L8,0 M-2,2 L2,-2 M6,10 L10,6",
        stroke=INK,
        stroke_width="1.5",
        fill="none",
    )
    return f"url(#{pattern_id})"


def attendance_chart(attendance: list[Attendance], *, chart_id: str = "attendance") -> Chart:
    """Per family member: sessions due so far (hatched) against sessions held (solid)."""
    title = "Sessions held against sessions due"
    if not attendance or not any(a.due for a in attendance):
        return _empty(chart_id, title, "No session has been due yet.")
    text = (
        "Sessions held against sessions due so far, per family member: "
        + "; ".join(f"{a.party.person.full_name} {a.held} of {a.due}" for a in attendance)
        + "."
    )
    canvas = _Canvas(chart_id, title, text, 170, 1)
    top = max(max(a.due for a in attendance), 1)
    step = max(1, round(top / 5))
    y_of = _y_axis(canvas, 0, top, [(v, str(v)) for v in range(0, top + 1, step)])
    hatch = _hatch(canvas)
    slot = canvas.plot_width / len(attendance)
    bar = min(36.0, slot / 3)
    axis = canvas.el("g")
    for n, line in enumerate(attendance):
        centre = canvas.plot_left + slot * (n + 0.5)
        for offset, value, fill, what in (
            (-bar - 2, line.due, hatch, "due"),
            (2, line.held, INK, "held"),
        ):
            x = centre + offset
            y = y_of(value)
            if fill != INK:
                canvas.el(
                    "rect",
                    axis,
                    x=f"{x:.1f}",
                    y=f"{y:.1f}",
                    width=f"{bar:.1f}",
                    height=f"{canvas.plot_bottom - y:.1f}",
                    fill=HATCH_GROUND,
                )
            rect = canvas.el(
                "rect",
                axis,
                x=f"{x:.1f}",
                y=f"{y:.1f}",
                width=f"{bar:.1f}",
                height=f"{canvas.plot_bottom - y:.1f}",
                fill=fill,
                stroke=INK,
                stroke_width="1",
            )
            ET.SubElement(rect, "title").text = f"{line.party.person.full_name}: {value} {what}"
            canvas.text(x + bar / 2, y - 4, str(value), axis, text_anchor="middle")
        canvas.text(
            centre, canvas.plot_bottom + 18, line.party.person.full_name, axis, text_anchor="middle"
        )
    _legend(canvas, [("Due (scheduled, so far)", hatch), ("Held", INK)])
    return Chart(
        chart_id,
        title,
        text,
        canvas.markup(),
        ["Family member", "Due", "Held"],
        [[a.party.person.full_name, str(a.due), str(a.held)] for a in attendance],
    )


WILLINGNESS_WORDS = ["unwilling", "ambivalent", "open", "engaged"]


def willingness_chart(series: list[WillingnessSeries], *, chart_id: str = "willingness") -> Chart:
    """Each family member's willingness over time, on the four-step scale."""
    title = "Willingness of each family member over time"
    rated = [s for s in series if s.ratings]
    if not rated:
        return _empty(chart_id, title, "No willingness has been rated yet.")
    text = "Willingness (unwilling, ambivalent, open, engaged) over time. " + " ".join(
        f"{s.party.person.full_name} ({s.party.get_role_display().lower()}): "
        + ", ".join(f"{r.get_level_display().lower()} on {_day(r.rated_on)}" for r in s.ratings)
        + "."
        for s in rated
    )
    canvas = _Canvas(chart_id, title, text, 150, (len(rated) + 2) // 3)
    y_of = _y_axis(canvas, 0, 3, list(enumerate(WILLINGNESS_WORDS)))
    x_of = _date_axis(canvas, [d for s in rated for d, _ in s.points()])
    entries: list[tuple[str, Style | str]] = []
    for n, line in enumerate(rated):
        style = STYLES[n % len(STYLES)]
        name = line.party.person.full_name
        # Ratings are steps, so two people often share one: a few pixels apart, both show.
        nudge = (n - (len(rated) - 1) / 2) * 5
        _series(
            canvas,
            style,
            [
                (x_of(d), y_of(v) + nudge, f"{name}, {_day(d)}: {WILLINGNESS_WORDS[v]}")
                for d, v in line.points()
            ],
        )
        entries.append((name, style))
    _legend(canvas, entries)
    return Chart(
        chart_id,
        title,
        text,
        canvas.markup(),
        ["Family member", "Rated on", "Willingness"],
        [
            [s.party.person.full_name, _day(r.rated_on), r.get_level_display()]
            for s in rated
            for r in s.ratings
        ],
    )


def _score_ticks(low: float, high: float) -> list[tuple[float, str]]:
    span = high - low
    if span <= 0:
        return [(low, _num(low))]
    step = span / 4
    return [(low + i * step, _num(round(low + i * step, 2))) for i in range(5)]


def questionnaire_chart(view: SubscaleView, *, chart_id: str | None = None) -> Chart:
    """One subscale over time, a line per informant: the same relationship seen by each."""
    chart_id = chart_id or slugify(f"q-{view.instrument.pk}-{view.subscale.id}")
    better = "higher is better" if view.subscale.higher_is_better else "lower is better"
    title = f"{view.subscale.label} ({view.instrument.title})"
    parts = [
        f"{s.label}: " + ", ".join(f"{_num(v)} on {_day(d)}" for d, v in s.points)
        for s in view.series
    ]
    text = (
        f"{view.subscale.label} of {view.instrument.title}, scored {_num(view.low)} to "
        f"{_num(view.high)} ({better}). " + "; ".join(parts) + "."
    )
    if view.gap is not None:
        text += f" The informants' latest scores are {_num(view.gap)} apart."
    canvas = _Canvas(chart_id, title, text, 160, (len(view.series) + 2) // 3)
    y_of = _y_axis(canvas, view.low, view.high, _score_ticks(view.low, view.high))
    x_of = _date_axis(canvas, [d for s in view.series for d, _ in s.points])
    entries: list[tuple[str, Style | str]] = []
    for n, line in enumerate(view.series):
        style = STYLES[n % len(STYLES)]
        _series(
            canvas,
            style,
            [(x_of(d), y_of(v), f"{line.label}, {_day(d)}: {_num(v)}") for d, v in line.points],
        )
        entries.append((line.label, style))
    _legend(canvas, entries)
    return Chart(
        chart_id,
        title,
        text,
        canvas.markup(),
        ["Informant", "Answered on", "Score"],
        [[s.label, _day(d), _num(v)] for s in view.series for d, v in s.points],
    )


def informant_gap_chart(views: list[SubscaleView], *, chart_id: str) -> Chart:
    """The informants' latest score on each subscale of one instrument, on one line per
    subscale, joined from lowest to highest: the length of the join is the gap."""
    views = [v for v in views if len(v.latest) >= 2]
    if not views:
        return _empty(chart_id, "Informants compared", "Fewer than two informants have answered.")
    instrument = views[0].instrument
    title = f"How far apart the informants are ({instrument.title})"
    text = f"Latest score of each informant on {instrument.title}. " + " ".join(
        f"{v.subscale.label} ({_num(v.low)} to {_num(v.high)}): "
        + ", ".join(f"{label} {_num(score)}" for label, score in v.latest)
        + f"; gap {_num(v.gap or 0)}."
        for v in views
    )
    informants: list[str] = []
    for view in views:
        for series in view.series:
            if series.points and series.label not in informants:
                informants.append(series.label)
    row = 52
    canvas = _Canvas(chart_id, title, text, row * len(views), (len(informants) + 2) // 3, left=40)
    styles = {label: STYLES[n % len(STYLES)] for n, label in enumerate(informants)}
    axis = canvas.hidden_group()
    for n, view in enumerate(views):
        y = canvas.plot_top + row * n + row / 2 + 6
        span = (view.high - view.low) or 1.0

        def x_of(value: float, view: SubscaleView = view, span: float = span) -> float:
            return canvas.plot_left + 16 + (value - view.low) / span * (canvas.plot_width - 96)

        canvas.text(canvas.plot_left, y - 12, view.subscale.label, axis)
        canvas.text(x_of(view.low) - 6, y + 4, _num(view.low), axis, text_anchor="end", fill=MUTED)
        canvas.text(x_of(view.high) + 6, y + 4, _num(view.high), axis, fill=MUTED)
        canvas.el(
            "line",
            axis,
            x1=f"{x_of(view.low):.1f}",
            y1=f"{y:.1f}",
            x2=f"{x_of(view.high):.1f}",
            y2=f"{y:.1f}",
            stroke=GRID,
            stroke_width="1",
        )
        scores = [score for _, score in view.latest]
        canvas.el(
            "line",
            x1=f"{x_of(min(scores)):.1f}",
            y1=f"{y:.1f}",
            x2=f"{x_of(max(scores)):.1f}",
            y2=f"{y:.1f}",
            stroke=MUTED,
            stroke_width="4",
        )
        group = canvas.el("g")
        for label, score in view.latest:
            # Informants who agree share a point: a few pixels apart, every marker shows.
            nudge = (informants.index(label) - (len(informants) - 1) / 2) * 4
            _marker(canvas, group, styles[label], x_of(score), y + nudge, f"{label}: {_num(score)}")
        canvas.text(canvas.plot_right, y + 4, f"gap {_num(view.gap or 0)}", axis, text_anchor="end")
    _legend(canvas, [(label, styles[label]) for label in informants])
    return Chart(
        chart_id,
        title,
        text,
        canvas.markup(),
        ["Subscale", "Informant", "Latest score", "Gap"],
        [
            [v.subscale.label, label, _num(score), _num(v.gap or 0)]
            for v in views
            for label, score in v.latest
        ],
    )
