"""Importing an instrument: every problem with the file is named with where it is, nothing is
saved while any remains, and the same checks run on the page, the API and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import Role, User
from reunify.conftest import bearer, last_event, login, make_user
from reunify.measures.models import Instrument
from reunify.measures.questionnaires import InstrumentError, load_text, parse_instrument
from reunify.measures.services import instrument_import
from reunify.measures.tests.factories import SMALL, small


def problems(data: Any) -> list[str]:
    with pytest.raises(InstrumentError) as refused:
        parse_instrument(data)
    return refused.value.problems


def test_a_valid_file_is_read_in_full() -> None:
    definition = parse_instrument(small())
    assert definition.slug == "acme-bond"
    assert [i.id for i in definition.items] == ["a1", "a2", "a3", "a4", "a5", "b1", "b2"]
    assert [s.id for s in definition.subscales] == ["warmth", "voice", "total"]
    assert definition.item("a3").reverse


def test_the_file_must_be_one_object() -> None:
    assert problems([1, 2]) == ["the file must hold one object (a mapping), not a list"]


def test_a_wrong_format_and_missing_fields_are_named() -> None:
    data = small(format="reunify-instrument/9")
    del data["title"]
    data["slug"] = "Acme Bond"
    assert problems(data) == [
        'format: must be "reunify-instrument/1", found "reunify-instrument/9"',
        "slug: 'Acme Bond' must be lower-case letters and digits joined by hyphens",
        "'title' is required",
    ]


def test_a_misspelt_field_is_named_with_a_suggestion() -> None:
    data = small()
    data["items"][2] = {"id": "a3", "text": "Tense.", "scale": "agree5", "revers": True}
    data["subscales"][1]["metod"] = "sum"
    assert problems(data) == [
        "items[2] (id \"a3\"): unknown field 'revers' (did you mean 'reverse'?)",
        "subscales[1] (id \"voice\"): unknown field 'metod' (did you mean 'method'?)",
    ]


def test_an_item_on_an_unknown_scale_is_named() -> None:
    data = small()
    data["items"][3]["scale"] = "agree7"
    assert problems(data) == [
        'items[3] (id "a4"): \'scale\' names "agree7", which is not one of the response '
        "scales (agree5)"
    ]


def test_duplicate_ids_and_unknown_references_are_named() -> None:
    data = small()
    data["items"][1]["id"] = "a1"
    data["subscales"][0]["items"] = ["a1", "a9"]
    assert problems(data) == [
        'items[1] (id "a1"): the id "a1" is used by an earlier item',
        'subscales[0] (id "warmth"): \'items\' names "a9", which is not an item\'s id',
    ]


def test_bad_scoring_rules_are_named() -> None:
    data = small()
    data["subscales"][0]["method"] = "median"
    data["subscales"][1]["max_missing"] = 1.5
    data["subscales"][2]["higher_is"] = "good"
    assert problems(data) == [
        'subscales[0] (id "warmth"): \'method\' must be "sum" or "mean", found "median"',
        "subscales[1] (id \"voice\"): 'max_missing' must be a fraction from 0 (no item may be "
        "left out) up to but not including 1, found 1.5",
        'subscales[2] (id "total"): \'higher_is\' must be "better" or "worse", found "good"',
    ]


def test_bad_response_scales_and_informants_are_named() -> None:
    data = small(informants=["child", "grandma"])
    data["response_scales"]["agree5"]["options"][1]["value"] = 1
    data["response_scales"]["tiny"] = {"options": [{"value": "x", "label": "X"}]}
    data["items"][5]["text_for"] = {"cousin": "Hi"}
    found = problems(data)
    assert found[0].startswith('informants[1]: "grandma" is not an informant; choose from child,')
    assert "response_scales.agree5.options[1]: the value 1 appears twice in this scale" in found
    assert "response_scales.tiny.options: give at least two options" in found
    assert (
        'items[5] (id "b1").text_for: "cousin" is not one of this instrument\'s informants '
        "(child)" in found
    )


def test_a_json_syntax_error_names_its_line() -> None:
    with pytest.raises(InstrumentError) as refused:
        load_text('{"format": "reunify-instrument/1",\n "slug": }', filename="x.json")
    assert refused.value.problems == [
        "the file is not valid JSON: line 2, column 10: Expecting value"
    ]


def test_yaml_is_read_and_its_syntax_errors_name_their_line() -> None:
    import yaml

    text = yaml.safe_dump(SMALL, sort_keys=False)
    assert parse_instrument(load_text(text, filename="acme.yaml")).title == "Acme bond scale"
    with pytest.raises(InstrumentError) as refused:
        load_text("slug: x\n  bad: [\n", filename="acme.yml")
    assert refused.value.problems[0].startswith("the file is not valid YAML: line 2, column 6:")


# The service, the page, the API and the command line -------------------------------------------


def test_importing_saves_it_and_writes_the_audit_row(admin_user: User) -> None:
    instrument = instrument_import(actor=admin_user, text=json.dumps(SMALL), filename="a.json")
    assert instrument.title == "Acme bond scale"
    assert not instrument.shipped
    event = last_event()
    assert (event.action, event.actor_id) == ("instrument.import", admin_user.pk)
    assert event.detail == {"slug": "acme-bond", "version": "2"}


def test_a_bad_file_saves_nothing_and_lists_every_problem(admin_user: User) -> None:
    before = Instrument.objects.count()
    bad = small(format="x")
    bad["items"][0]["scale"] = "nope"
    with pytest.raises(ValidationError) as refused:
        instrument_import(actor=admin_user, text=json.dumps(bad), filename="bad.json")
    assert refused.value.messages[0] == "bad.json: 2 problem(s) — nothing was imported."
    assert Instrument.objects.count() == before


def test_the_same_version_cannot_be_imported_twice(admin_user: User) -> None:
    instrument_import(actor=admin_user, data=small())
    with pytest.raises(ValidationError, match="acme-bond version 2 is already imported"):
        instrument_import(actor=admin_user, data=small(title="Changed"))
    assert instrument_import(actor=admin_user, data=small(version="3")).version == "3"


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.MONITOR])
def test_only_administrators_and_supervisors_import(db: Any, role: str) -> None:
    with pytest.raises(PermissionDenied):
        instrument_import(actor=make_user("someone", role), data=small())


def test_the_import_page_takes_a_file(client: Client, supervisor: User) -> None:
    login(client, supervisor)
    upload = SimpleUploadedFile("acme.json", json.dumps(SMALL).encode(), "application/json")
    response = client.post(reverse("questionnaire_import"), {"file": upload})
    instrument = Instrument.objects.get(slug="acme-bond")
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaire_detail", args=[instrument.pk])


def test_the_import_page_takes_pasted_yaml(client: Client, admin_user: User) -> None:
    import yaml

    login(client, admin_user)
    response = client.post(reverse("questionnaire_import"), {"text": yaml.safe_dump(SMALL)})
    assert response.status_code == 302
    assert Instrument.objects.filter(slug="acme-bond").exists()


def test_the_import_page_shows_every_problem_and_saves_nothing(
    client: Client, admin_user: User
) -> None:
    login(client, admin_user)
    bad = small()
    bad["items"][3]["scale"] = "agree7"
    before = Instrument.objects.count()
    response = client.post(reverse("questionnaire_import"), {"text": json.dumps(bad)})
    page = response.content.decode()
    assert response.status_code == 400
    assert "1 problem(s) — nothing was imported." in page
    assert "items[3] (id &quot;a4&quot;): &#x27;scale&#x27; names &quot;agree7&quot;" in page
    assert Instrument.objects.count() == before


def test_the_import_page_asks_for_a_file_or_text(client: Client, admin_user: User) -> None:
    login(client, admin_user)
    response = client.post(reverse("questionnaire_import"), {})
    assert response.status_code == 400
    assert "Choose a file, or paste the instrument" in response.content.decode()


def test_the_import_page_is_refused_to_a_therapist(client: Client, therapist: User) -> None:
    login(client, therapist)
    assert client.get(reverse("questionnaire_import")).status_code == 403
    response = client.post(reverse("questionnaire_import"), {"text": json.dumps(SMALL)})
    assert response.status_code == 403
    assert not Instrument.objects.filter(slug="acme-bond").exists()


def test_the_import_page_needs_a_login(client: Client, db: Any) -> None:
    response = client.get(reverse("questionnaire_import"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_api_imports_and_lists_problems(client: Client, supervisor: User) -> None:
    headers = bearer(supervisor)
    bad = small()
    bad["subscales"][0]["items"] = ["a1", "zz"]
    response = client.post(
        "/api/v1/questionnaires", bad, content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "1 problem(s) — nothing was imported.",
        "problems": [
            'subscales[0] (id "warmth"): \'items\' names "zz", which is not an item\'s id'
        ],
    }
    response = client.post(
        "/api/v1/questionnaires", SMALL, content_type="application/json", headers=headers
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "acme-bond"


def test_the_api_refuses_a_therapist_import(client: Client, therapist: User) -> None:
    response = client.post(
        "/api/v1/questionnaires", SMALL, content_type="application/json", headers=bearer(therapist)
    )
    assert response.status_code == 403
    assert not Instrument.objects.filter(slug="acme-bond").exists()


def test_the_command_imports_a_file(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(SMALL))
    out = io.StringIO()
    call_command("instruments", "import", str(path), stdout=out)
    assert out.getvalue().strip() == "imported acme-bond v2: Acme bond scale"
    assert last_event().source == "cli"
    call_command("instruments", "list", stdout=out)
    assert "acme-bond v2: Acme bond scale (imported)" in out.getvalue()


def test_the_command_reports_every_problem(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    bad = small(version=None)
    import yaml

    path.write_text(yaml.safe_dump(bad))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"acme.yaml: 1 problem\(s\) — nothing was imported."):
        call_command("instruments", "import", str(path), stderr=err)
    assert "'version' is required" in err.getvalue()
    assert not Instrument.objects.filter(slug="acme-bond").exists()


def test_the_command_checks_without_importing(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(SMALL))
    out = io.StringIO()
    call_command("instruments", "check", str(path), stdout=out)
    assert "acme-bond v2 is valid (7 items, 3 subscales)" in out.getvalue()
    assert not Instrument.objects.filter(slug="acme-bond").exists()
    with pytest.raises(CommandError, match="no such file"):
        call_command("instruments", "check", str(tmp_path / "missing.json"))
