"""The questionnaire engine: reading an instrument file, checking it, and scoring answers.

Pure Python, no database: the services store what this module returns. The file format is
`reunify-instrument/1`, written as JSON or YAML; `reunify/measures/instruments/README.md`
documents it field by field, and the project's own forms in that folder are examples.

Scoring, in brief (the README has the full rule):

- an item is answered with one of the values of its response scale, or left out (null);
- a reverse-scored item counts as (lowest + highest - value) of its scale;
- a subscale is the sum or the mean of its items;
- missing answers: while no more than `max_missing` (a fraction, 0.2 unless the subscale
  says otherwise) of a subscale's items are left out, the score is prorated — the mean of the
  answered items, times the number of items for a sum — and marked as prorated; beyond that,
  the subscale has no score, and says why.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from reunify.cases.models import FAMILY_ROLES, PartyRole

FORMAT = "reunify-instrument/1"
THERAPIST = "therapist"
# Who may answer an instrument: a member of the family (by their role in the case) or the
# therapist rating the family.
INFORMANTS: dict[str, str] = {
    **{role.value: PartyRole(role).label for role in FAMILY_ROLES},
    THERAPIST: "Therapist",
}
METHODS = ("sum", "mean")
DEFAULT_MAX_MISSING = 0.2
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class InstrumentError(ValueError):
    """An instrument file that does not fit the format; `problems` names each one and where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class AnswerError(ValueError):
    """Answers that do not fit the instrument; `problems` names each item."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class ResponseScale:
    """The answers an item offers, e.g. 0 “Not at all” … 4 “Completely”."""

    id: str
    options: tuple[Option, ...]

    @property
    def lowest(self) -> int:
        return min(o.value for o in self.options)

    @property
    def highest(self) -> int:
        return max(o.value for o in self.options)

    @property
    def values(self) -> list[int]:
        return [o.value for o in self.options]


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    scale: ResponseScale
    reverse: bool = False
    text_for: dict[str, str] = field(default_factory=dict)

    def wording(self, informant: str) -> str:
        """The item as put to this informant (children and parents may get their own words)."""
        return self.text_for.get(informant, self.text)

    def scored(self, value: int) -> int:
        return self.scale.lowest + self.scale.highest - value if self.reverse else value


@dataclass(frozen=True)
class Subscale:
    id: str
    label: str
    items: tuple[str, ...]
    method: str = "mean"
    max_missing: float = DEFAULT_MAX_MISSING
    higher_is_better: bool = True


@dataclass(frozen=True)
class InstrumentDefinition:
    """A checked instrument file."""

    slug: str
    version: str
    title: str
    description: str
    licence: str
    informants: tuple[str, ...]
    relationship: str
    scales: dict[str, ResponseScale]
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def score_range(self, subscale: Subscale) -> tuple[float, float]:
        """The lowest and highest score the subscale can take."""
        items = [self.item(i) for i in subscale.items]
        low = sum(i.scale.lowest for i in items)
        high = sum(i.scale.highest for i in items)
        if subscale.method == "mean":
            return low / len(items), high / len(items)
        return float(low), float(high)


# Reading and checking a file ---------------------------------------------------------------


def load_text(text: str, *, filename: str = "") -> Any:
    """Parse an instrument file as JSON, or as YAML when its name says so (or JSON fails)."""
    is_yaml = filename.lower().endswith((".yaml", ".yml"))
    if not is_yaml:
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            if filename.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
                raise InstrumentError(
                    [
                        f"the file is not valid JSON: line {error.lineno}, column {error.colno}: "
                        f"{error.msg}"
                    ]
                ) from error
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InstrumentError([f"the file is not valid YAML: {where}{problem}"]) from error


class _Checker:
    """Collects every problem with a file, each naming where it is, before giving up."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def fields(self, where: str, data: dict[str, Any], allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.add(where, f"unknown field '{key}'{hint}")

    def text(self, where: str, data: dict[str, Any], key: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, f"'{key}' is required")
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "version":
            return str(value)
        if not isinstance(value, str):
            self.add(where, f"'{key}' must be text, not {_kind(value)}")
            return ""
        if required and not value.strip():
            self.add(where, f"'{key}' must not be empty")
        return value.strip()


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


TOP_FIELDS = {
    "format",
    "slug",
    "version",
    "title",
    "description",
    "licence",
    "informants",
    "relationship",
    "response_scales",
    "items",
    "subscales",
}


def parse_instrument(data: Any) -> InstrumentDefinition:
    """Check a parsed instrument file; raise `InstrumentError` listing every problem."""
    check = _Checker()
    if not isinstance(data, dict):
        raise InstrumentError([f"the file must hold one object (a mapping), not {_kind(data)}"])
    check.fields("", data, TOP_FIELDS)
    fmt = data.get("format")
    if fmt != FORMAT:
        check.add("format", f'must be "{FORMAT}", found {json.dumps(fmt)}')
    slug = check.text("", data, "slug")
    if slug and not _SLUG.match(slug):
        check.add("slug", f"'{slug}' must be lower-case letters and digits joined by hyphens")
    if len(slug) > 60:
        check.add("slug", "must be at most 60 characters")
    version = check.text("", data, "version")
    if len(version) > 20:
        check.add("version", "must be at most 20 characters")
    title = check.text("", data, "title")
    if len(title) > 160:
        check.add("title", "must be at most 160 characters")
    description = check.text("", data, "description", required=False)
    licence = check.text("", data, "licence", required=False)
    relationship = check.text("", data, "relationship", required=False)

    informants = _informants(check, data.get("informants"))
    scales = _scales(check, data.get("response_scales"))
    items = _items(check, data.get("items"), scales, informants)
    raw_items = data.get("items")
    declared = [
        body["id"]
        for body in (raw_items if isinstance(raw_items, list) else [])
        if isinstance(body, dict) and isinstance(body.get("id"), str)
    ]
    subscales = _subscales(check, data.get("subscales"), items, declared)
    if check.problems:
        raise InstrumentError(check.problems)
    return InstrumentDefinition(
        slug=slug,
        version=version,
        title=title,
        description=description,
        licence=licence,
        informants=tuple(informants),
        relationship=relationship,
        scales=scales,
        items=tuple(items),
        subscales=tuple(subscales),
    )


def _informants(check: _Checker, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        check.add("informants", 'list who answers, e.g. ["child", "estranged_parent"]')
        return []
    found: list[str] = []
    for n, code in enumerate(raw):
        if code not in INFORMANTS:
            check.add(
                f"informants[{n}]",
                f"{json.dumps(code)} is not an informant; choose from {', '.join(INFORMANTS)}",
            )
        elif code in found:
            check.add(f"informants[{n}]", f'"{code}" is listed twice')
        else:
            found.append(code)
    return found


def _scales(check: _Checker, raw: Any) -> dict[str, ResponseScale]:
    if not isinstance(raw, dict) or not raw:
        check.add("response_scales", "give at least one response scale, by name")
        return {}
    scales: dict[str, ResponseScale] = {}
    for scale_id, body in raw.items():
        where = f"response_scales.{scale_id}"
        if not _ID.match(str(scale_id)):
            check.add(where, "a scale's name must be lower-case letters, digits and underscores")
        if not isinstance(body, dict):
            check.add(where, f"must be an object with 'options', not {_kind(body)}")
            continue
        check.fields(where, body, {"options"})
        options_raw = body.get("options")
        if not isinstance(options_raw, list) or len(options_raw) < 2:
            check.add(f"{where}.options", "give at least two options")
            continue
        options: list[Option] = []
        for n, option in enumerate(options_raw):
            at = f"{where}.options[{n}]"
            if not isinstance(option, dict):
                check.add(at, f"must be an object with 'value' and 'label', not {_kind(option)}")
                continue
            check.fields(at, option, {"value", "label"})
            value, label = option.get("value"), option.get("label")
            if not isinstance(value, int) or isinstance(value, bool):
                check.add(at, f"'value' must be a whole number, found {json.dumps(value)}")
                continue
            if not isinstance(label, str) or not label.strip():
                check.add(at, "'label' must be text, e.g. \"Not at all\"")
                continue
            if any(o.value == value for o in options):
                check.add(at, f"the value {value} appears twice in this scale")
                continue
            options.append(Option(value, label.strip()))
        if len(options) >= 2:
            scales[str(scale_id)] = ResponseScale(str(scale_id), tuple(options))
    return scales


ITEM_FIELDS = {"id", "text", "scale", "reverse", "text_for"}


def _items(
    check: _Checker, raw: Any, scales: dict[str, ResponseScale], informants: list[str]
) -> list[Item]:
    if not isinstance(raw, list) or not raw:
        check.add("items", "give at least one item")
        return []
    items: list[Item] = []
    seen: set[str] = set()
    for n, body in enumerate(raw):
        if not isinstance(body, dict):
            check.add(f"items[{n}]", f"must be an object, not {_kind(body)}")
            continue
        item_id = body.get("id")
        where = f"items[{n}] (id {json.dumps(item_id)})" if item_id is not None else f"items[{n}]"
        check.fields(where, body, ITEM_FIELDS)
        if not isinstance(item_id, str) or not _ID.match(item_id):
            check.add(where, "'id' must be lower-case letters, digits and underscores, e.g. \"q1\"")
            continue
        if item_id in seen:
            check.add(where, f'the id "{item_id}" is used by an earlier item')
            continue
        seen.add(item_id)
        text = check.text(where, body, "text")
        scale_id = body.get("scale")
        scale = scales.get(scale_id) if isinstance(scale_id, str) else None
        if scale is None:
            known = ", ".join(scales) or "none defined"
            check.add(
                where,
                f"'scale' names {json.dumps(scale_id)}, which is not one of the response "
                f"scales ({known})",
            )
        reverse = body.get("reverse", False)
        if not isinstance(reverse, bool):
            check.add(where, f"'reverse' must be true or false, found {json.dumps(reverse)}")
            reverse = False
        text_for_raw = body.get("text_for", {})
        text_for: dict[str, str] = {}
        if not isinstance(text_for_raw, dict):
            check.add(where, "'text_for' must map informants to their wording of the item")
        else:
            for informant, wording in text_for_raw.items():
                if informant not in informants:
                    check.add(
                        f"{where}.text_for",
                        f'"{informant}" is not one of this instrument\'s informants '
                        f"({', '.join(informants) or 'none listed'})",
                    )
                elif not isinstance(wording, str) or not wording.strip():
                    check.add(f"{where}.text_for.{informant}", "must be the item's wording")
                else:
                    text_for[informant] = wording.strip()
        if text and scale is not None:
            items.append(Item(item_id, text, scale, reverse, text_for))
    return items


SUBSCALE_FIELDS = {"id", "label", "items", "method", "max_missing", "higher_is"}


def _subscales(check: _Checker, raw: Any, items: list[Item], declared: list[str]) -> list[Subscale]:
    if not isinstance(raw, list) or not raw:
        check.add("subscales", "give at least one subscale (a total counts as one)")
        return []
    known = set(declared)
    subscales: list[Subscale] = []
    seen: set[str] = set()
    for n, body in enumerate(raw):
        if not isinstance(body, dict):
            check.add(f"subscales[{n}]", f"must be an object, not {_kind(body)}")
            continue
        sub_id = body.get("id")
        where = (
            f"subscales[{n}] (id {json.dumps(sub_id)})" if sub_id is not None else f"subscales[{n}]"
        )
        check.fields(where, body, SUBSCALE_FIELDS)
        if not isinstance(sub_id, str) or not _ID.match(sub_id):
            check.add(where, "'id' must be lower-case letters, digits and underscores")
            continue
        if sub_id in seen:
            check.add(where, f'the id "{sub_id}" is used by an earlier subscale')
            continue
        seen.add(sub_id)
        label = check.text(where, body, "label")
        item_ids = body.get("items")
        if item_ids == "all":
            item_ids = list(dict.fromkeys(declared))
        if not isinstance(item_ids, list) or not item_ids:
            check.add(where, "'items' must list the ids of its items, or be \"all\"")
            continue
        bad = False
        for ref in item_ids:
            if ref not in known:
                check.add(where, f"'items' names {json.dumps(ref)}, which is not an item's id")
                bad = True
        if len(set(item_ids)) != len(item_ids):
            check.add(where, "'items' lists an item more than once")
            bad = True
        method = body.get("method", "mean")
        if method not in METHODS:
            check.add(where, f'\'method\' must be "sum" or "mean", found {json.dumps(method)}')
            bad = True
        max_missing = body.get("max_missing", DEFAULT_MAX_MISSING)
        if (
            not isinstance(max_missing, (int, float))
            or isinstance(max_missing, bool)
            or not 0 <= max_missing < 1
        ):
            check.add(
                where,
                "'max_missing' must be a fraction from 0 (no item may be left out) up to but "
                f"not including 1, found {json.dumps(max_missing)}",
            )
            bad = True
        higher_is = body.get("higher_is", "better")
        if higher_is not in ("better", "worse"):
            check.add(
                where, f'\'higher_is\' must be "better" or "worse", found {json.dumps(higher_is)}'
            )
            bad = True
        if not bad and label:
            subscales.append(
                Subscale(
                    id=sub_id,
                    label=label,
                    items=tuple(item_ids),
                    method=method,
                    max_missing=float(max_missing),
                    higher_is_better=higher_is == "better",
                )
            )
    return subscales


def definition_of(stored: dict[str, Any]) -> InstrumentDefinition:
    """The definition kept with an instrument, read back (it was checked when imported)."""
    return parse_instrument(stored)


# Answers and scores ------------------------------------------------------------------------


def check_answers(
    definition: InstrumentDefinition, answers: dict[str, Any]
) -> dict[str, int | None]:
    """Every item of the instrument with its answer (None when left out); raise `AnswerError`
    naming each item whose answer is not on its scale, and any id that is not an item."""
    problems: list[str] = []
    known = {item.id for item in definition.items}
    for key in answers:
        if key not in known:
            problems.append(f"“{key}” is not an item of {definition.title}")
    cleaned: dict[str, int | None] = {}
    for item in definition.items:
        value = answers.get(item.id)
        if value is None or value == "":
            cleaned[item.id] = None
            continue
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        if not _is_int(value) or value not in item.scale.values:
            choices = ", ".join(str(v) for v in item.scale.values)
            problems.append(
                f"item {item.id} (“{item.text}”): {json.dumps(value)} is not one of its "
                f"answers ({choices})"
            )
            continue
        cleaned[item.id] = value
    if problems:
        raise AnswerError(problems)
    return cleaned


@dataclass(frozen=True)
class Score:
    """One subscale's score from one set of answers, with how it was reached."""

    subscale: str
    label: str
    value: float | None
    answered: int
    missing: int
    prorated: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "subscale": self.subscale,
            "label": self.label,
            "value": self.value,
            "answered": self.answered,
            "missing": self.missing,
            "prorated": self.prorated,
            "note": self.note,
        }

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Score:
        return cls(**stored)


def score(definition: InstrumentDefinition, answers: dict[str, int | None]) -> list[Score]:
    """Score every subscale (see the module docstring for reverse items and missing answers)."""
    scores = []
    for subscale in definition.subscales:
        values = []
        for item_id in subscale.items:
            value = answers.get(item_id)
            if value is not None:
                values.append(definition.item(item_id).scored(value))
        count = len(subscale.items)
        missing = count - len(values)
        allowed = int(subscale.max_missing * count + 1e-9)
        if not values or missing > allowed:
            scores.append(
                Score(
                    subscale.id,
                    subscale.label,
                    None,
                    len(values),
                    missing,
                    False,
                    f"not scored: {missing} of {count} items left out (at most {allowed} may be)",
                )
            )
            continue
        mean = sum(values) / len(values)
        total = mean * count if subscale.method == "sum" else mean
        scores.append(
            Score(
                subscale.id,
                subscale.label,
                round(total, 2),
                len(values),
                missing,
                missing > 0,
                f"prorated from {len(values)} of {count} items" if missing else "",
            )
        )
    return scores
