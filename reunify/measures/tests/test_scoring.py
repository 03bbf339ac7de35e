"""The scoring engine: reverse-scored items, subscales by mean and by sum, and the rule for
missing answers (prorated while no more than `max_missing` of a subscale's items are left out,
not scored beyond that)."""

from __future__ import annotations

import pytest

from reunify.measures.questionnaires import AnswerError, check_answers, parse_instrument, score
from reunify.measures.tests.factories import small

DEFINITION = parse_instrument(small())


def scores(**answers: int | None) -> dict[str, tuple[float | None, bool, str]]:
    full = check_answers(DEFINITION, answers)
    return {s.subscale: (s.value, s.prorated, s.note) for s in score(DEFINITION, full)}


def test_a_mean_subscale_averages_its_items() -> None:
    result = scores(a1=5, a2=4, a3=1, a4=4, a5=3, b1=2, b2=3)
    # a3 is reverse-scored: 1 on a 1-5 scale counts as 5.
    assert result["warmth"] == (4.2, False, "")


def test_a_reverse_scored_item_counts_from_the_other_end_of_its_scale() -> None:
    low = scores(a1=3, a2=3, a3=5, a4=3, a5=3)["warmth"][0]
    high = scores(a1=3, a2=3, a3=1, a4=3, a5=3)["warmth"][0]
    assert (low, high) == (2.6, 3.4)  # 5 counts as 1, 1 counts as 5


def test_a_sum_subscale_adds_its_items() -> None:
    assert scores(b1=4, b2=5)["voice"] == (9, False, "")


def test_one_missing_item_in_five_is_prorated_from_the_rest() -> None:
    value, prorated, note = scores(a1=5, a2=4, a3=None, a4=4, a5=3)["warmth"]
    assert value == 4.0
    assert prorated
    assert note == "prorated from 4 of 5 items"


def test_a_prorated_sum_scales_the_mean_up_to_every_item() -> None:
    # total: 7 items, max_missing 0.3 -> up to 2 missing; answered mean 4 -> 4 x 7 = 28.
    value, prorated, _ = scores(a1=4, a2=4, a3=2, a4=4, a5=4)["total"]
    assert (value, prorated) == (28.0, True)


def test_more_missing_than_the_rule_allows_gives_no_score_and_says_why() -> None:
    value, prorated, note = scores(a1=5, a2=4, a3=None, a4=None, a5=3)["warmth"]
    assert value is None
    assert not prorated
    assert note == "not scored: 2 of 5 items left out (at most 1 may be)"


def test_a_short_subscale_needs_every_item_by_default() -> None:
    # 2 items x 0.2 = 0.4: no item may be missing.
    assert scores(b1=4, b2=None)["voice"][0] is None


def test_a_subscale_with_nothing_answered_has_no_score() -> None:
    assert scores(a1=3)["voice"] == (
        None,
        False,
        "not scored: 2 of 2 items left out (at most 0 may be)",
    )


def test_each_subscale_is_scored_on_its_own() -> None:
    result = scores(a1=5, a2=5, a3=1, a4=5, a5=5, b1=None, b2=None)
    assert result["warmth"][0] == 5.0
    assert result["voice"][0] is None
    assert result["total"][0] == 35.0  # 5 of 7 answered, all at the top: prorated to 35


def test_the_score_range_follows_the_method() -> None:
    ranges = {s.id: DEFINITION.score_range(s) for s in DEFINITION.subscales}
    assert ranges == {"warmth": (1.0, 5.0), "voice": (2.0, 10.0), "total": (7.0, 35.0)}


def test_an_answer_off_the_scale_is_refused_naming_the_item() -> None:
    with pytest.raises(AnswerError) as refused:
        check_answers(DEFINITION, {"a1": 7, "a2": "often", "zz": 3})
    assert refused.value.problems == [
        "“zz” is not an item of Acme bond scale",
        "item a1 (“We enjoy time together.”): 7 is not one of its answers (1, 2, 3, 4, 5)",
        'item a2 (“We can talk about hard things.”): "often" is not one of its answers '
        "(1, 2, 3, 4, 5)",
    ]


def test_answers_given_as_text_from_a_form_are_read_as_numbers() -> None:
    assert check_answers(DEFINITION, {"a1": "4", "a2": ""})["a1"] == 4


def test_an_item_may_have_its_own_words_for_an_informant() -> None:
    item = DEFINITION.item("b1")
    assert item.wording("child") == "I can say no."
    assert item.wording("other_parent") == "The child can say no."


def test_the_shipped_forms_are_valid_instruments() -> None:
    from pathlib import Path

    from reunify.measures.services import instrument_check

    folder = Path(__file__).resolve().parent.parent / "instruments"
    files = sorted(folder.glob("*.json"))
    assert len(files) == 3
    for path in files:
        definition = instrument_check(path.read_text(), filename=path.name)
        assert definition.slug.startswith("reunify-")
        assert (
            any(item.reverse for item in definition.items) or definition.slug == "reunify-session"
        )
