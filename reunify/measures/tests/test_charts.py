"""The charts: valid SVG, with a title and description named by aria-labelledby, series that
differ by more than colour, and no style attribute or script (a strict CSP holds)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from reunify.measures import charts
from reunify.measures.questionnaires import parse_instrument
from reunify.measures.selectors import (
    ComfortPoint,
    GoalSummary,
    InformantSeries,
    SubscaleView,
    WillingnessSeries,
)
from reunify.measures.tests.factories import parse_svg, small

NS = {"svg": "http://www.w3.org/2000/svg"}
D = dt.date(2030, 3, 1)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def person(name: str) -> Any:
    first = name.split(" ")[0]
    return SimpleNamespace(full_name=name, first_name=first)


def party(name: str, role: str = "Child") -> Any:
    return SimpleNamespace(person=person(name), get_role_display=lambda: role, pk=hash(name))


def rating(level: str, n: int) -> Any:
    return SimpleNamespace(
        level=level, rated_on=day(n), get_level_display=lambda: level.capitalize()
    )


def goal() -> Any:
    return SimpleNamespace(pk=7, title="Restore trust <& “quotes”>", baseline=2, target=8)


def view() -> SubscaleView:
    definition = parse_instrument(small())
    instrument = SimpleNamespace(pk=3, title="Acme bond scale")
    subscale = definition.subscales[0]
    result = SubscaleView(instrument, subscale, 1.0, 5.0)  # type: ignore[arg-type]
    result.series = [
        InformantSeries("child:1", "Child (Mia)", [(day(0), 2.0), (day(30), 3.0)]),
        InformantSeries("estranged_parent:2", "Estranged parent (Daniel)", [(day(1), 4.5)]),
        InformantSeries("therapist:", "Therapist", [(day(2), 3.5)]),
    ]
    return result


def every_chart() -> list[charts.Chart]:
    summary = GoalSummary(goal(), [(day(0), 2), (day(14), 4), (day(40), 6)])
    attendance = [
        SimpleNamespace(party=party("Mia Rivers"), due=5, held=4),
        SimpleNamespace(party=party("Daniel Rivers"), due=3, held=3),
    ]
    willingness = [
        WillingnessSeries(party("Mia Rivers"), [rating("unwilling", 0), rating("open", 20)]),
        WillingnessSeries(party("Laura Rivers", "Other parent"), [rating("engaged", 5)]),
    ]
    comfort = [ComfortPoint(day(n), 5 + n % 3, 6 + n % 2, "Letters") for n in range(7)]
    return [
        charts.goal_chart(summary),
        charts.goal_chart(GoalSummary(goal(), []), chart_id="goal-empty"),
        charts.comfort_chart(comfort, 6),
        charts.comfort_chart([], None, chart_id="comfort-empty"),
        charts.attendance_chart(attendance),  # type: ignore[arg-type]
        charts.attendance_chart([], chart_id="attendance-empty"),
        charts.willingness_chart(willingness),
        charts.willingness_chart([], chart_id="willingness-empty"),
        charts.questionnaire_chart(view()),
        charts.informant_gap_chart([view()], chart_id="gap"),
    ]


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.chart_id)
def test_each_chart_is_valid_svg_with_a_text_alternative(chart: charts.Chart) -> None:
    root = parse_svg(chart.svg)  # raises on anything that is not well-formed XML

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title = root.find(f"svg:title[@id='{title_id}']", NS)
    desc = root.find(f"svg:desc[@id='{desc_id}']", NS)
    assert title is not None and title.text == chart.title
    assert desc is not None and desc.text == chart.summary
    assert len(chart.summary) > 20
    assert root.get("viewBox", "") == f"0 0 {root.get('width')} {root.get('height')}"


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.chart_id)
def test_no_chart_uses_a_style_attribute_or_script(chart: charts.Chart) -> None:
    root = parse_svg(chart.svg)
    for element in root.iter():
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
        assert not element.tag.endswith(("script", "foreignObject", "style"))


def test_the_text_alternative_says_what_the_chart_shows() -> None:
    goal_chart, _, comfort, _, attendance, _, willingness, _, subscale, gap = every_chart()
    assert goal_chart.summary == (
        "Restore trust <& “quotes”>, rated 0 to 10: baseline 2, target 8. 3 ratings: "
        "2 on 2030-03-01, 4 on 2030-03-15, 6 on 2030-04-10. Latest 6; improved."
    )
    assert "The ladder asks for at least 6 to step up; 3 visits fell below it." in comfort.summary
    assert attendance.summary == (
        "Sessions held against sessions due so far, per family member: Mia Rivers 4 of 5; "
        "Daniel Rivers 3 of 3."
    )
    assert "Mia Rivers (child): unwilling on 2030-03-01, open on 2030-03-21." in willingness.summary
    assert "The informants' latest scores are 1.5 apart." in subscale.summary
    assert (
        "Warmth (1 to 5): Child (Mia) 3, Estranged parent (Daniel) 4.5, Therapist 3.5; gap 1.5."
        in gap.summary
    )


def test_names_are_escaped_not_injected() -> None:
    svg = every_chart()[0].svg
    assert "Restore trust &lt;&amp; “quotes”&gt;" in svg
    assert "<& " not in svg


def test_series_differ_by_line_pattern_and_marker_as_well_as_shade() -> None:
    root = parse_svg(
        charts.willingness_chart(
            [
                WillingnessSeries(party(f"Kid{n} X"), [rating("open", 0), rating("engaged", 9)])
                for n in range(4)
            ]
        ).svg
    )
    lines = root.findall(".//svg:polyline", NS)
    assert len({line.get("stroke-dasharray") for line in lines}) == 4
    assert len({line.get("stroke") for line in lines}) == 4
    shapes = {charts.STYLES[n].marker for n in range(4)}
    assert shapes == {"circle", "square", "triangle", "diamond"}


def test_bars_differ_by_hatching_not_only_by_shade() -> None:
    chart = every_chart()[4]
    root = parse_svg(chart.svg)
    pattern = root.find(".//svg:pattern", NS)
    assert pattern is not None and pattern.get("id") == "attendance-hatch"
    fills = {
        rect.get("fill")
        for rect in root.findall(".//svg:rect", NS)
        if rect.find("svg:title", NS) is not None
    }
    assert fills == {"url(#attendance-hatch)", charts.INK}


def test_the_figures_are_also_given_as_a_table() -> None:
    chart = every_chart()[0]
    assert chart.columns == ["Rated on", "Rating (0-10)"]
    assert chart.rows == [["2030-03-01", "2"], ["2030-03-15", "4"], ["2030-04-10", "6"]]


def test_ids_are_unique_per_chart_so_many_fit_on_one_page() -> None:
    ids: list[str] = []
    for chart in every_chart():
        ids += [e.get("id") for e in parse_svg(chart.svg).iter() if e.get("id")]  # type: ignore[misc]
    assert len(ids) == len(set(ids))
