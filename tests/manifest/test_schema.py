from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import jsonschema
import pytest
import yaml

from tests.builders import CLEAN, check, codes, manifest, with_run
from tests.conftest import REPO
from validator.manifest import methods
from validator.manifest.metrics import METRICS, TASK_METRICS, MetricName, TaskName
from validator.manifest.schema import (
    RUN_TYPE_BY_METHOD,
    RUN_TYPES,
    Manifest,
    MethodName,
    Run,
    json_schema,
    json_schema_text,
)


def test_clean_manifest_validates() -> None:
    parsed = Manifest.model_validate(CLEAN)
    assert parsed.runs[1].method == "dynamic-int8"
    assert parsed.runs[1].params.weight_bits == 8


def test_every_method_name_is_a_union_member() -> None:
    union_members = get_args(get_args(Run)[0])
    assert set(union_members) == set(RUN_TYPES)
    assert set(RUN_TYPE_BY_METHOD) == set(get_args(MethodName))


def test_every_params_model_forbids_unknown_keys() -> None:
    for run_type in RUN_TYPES:
        params = run_type.model_fields["params"].annotation
        assert isinstance(params, type)
        assert issubclass(params, methods.Params)
        assert params.model_config.get("extra") == "forbid"


def test_metric_tables_cover_every_name() -> None:
    assert set(METRICS) == set(get_args(MetricName))
    assert set(TASK_METRICS) == set(get_args(TaskName))


def test_committed_schema_is_in_sync() -> None:
    committed = (REPO / "schema" / "manifest.v1.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(), "run `make schema` and commit the result"


@pytest.mark.parametrize("path", sorted((REPO / "submissions").glob("*/hw-*.yaml")), ids=str)
def test_json_schema_accepts_the_examples_pydantic_accepts(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, json_schema())
    Manifest.model_validate(data)


def test_json_schema_rejects_a_params_typo() -> None:
    data = manifest()
    data["runs"][1]["params"] = {"layer": ["Linear"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())


def find(findings, code):  # type: ignore[no-untyped-def]
    return next(f for f in findings if f.code == code)


def test_unknown_key_points_at_the_key_and_suggests(tmp_path: Path) -> None:
    data = manifest()
    data["runs"][1]["params"] = {"layer": ["Linear"]}
    findings = check(tmp_path, data)
    hit = find(findings, "MCV101")
    assert hit.rule == "schema/extra_forbidden"
    assert hit.message == "unknown key `layer` in runs[1].params"
    assert hit.hint.startswith("did you mean `layers`?")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).splitlines()
    assert text[hit.line - 1][hit.col - 1 :].startswith("layer:")


def test_unknown_method_suggests_the_closest(tmp_path: Path) -> None:
    data = manifest()
    data["runs"][1]["method"] = "dynamic_int8"
    hit = find(check(tmp_path, data), "MCV101")
    assert "unknown method `dynamic_int8`" in hit.message
    assert hit.hint.startswith("did you mean `dynamic-int8`?")


def test_missing_key_names_parent(tmp_path: Path) -> None:
    data = manifest()
    del data["evaluation"]["samples"]
    hit = find(check(tmp_path, data), "MCV101")
    assert hit.message == "`samples` is required in evaluation"


def test_all_schema_errors_are_reported_together(tmp_path: Path) -> None:
    data = manifest(homework=9, team="Bad Team")
    data["runs"][0]["reported"]["size_mb"] = "1.33Gb"
    data["runs"][1]["params"] = {"amount": 0.5}
    found = [f for f in check(tmp_path, data) if f.code == "MCV101"]
    assert {f.loc for f in found} == {
        ("homework",),
        ("team",),
        ("runs", 0, "reported", "size_mb"),
        ("runs", 1, "params", "amount"),
    }


@pytest.mark.parametrize(
    ("field", "raw", "shown"),
    [("label", "1.10", "a number (1.1)"), ("label", "true", "a boolean (True)")],
)
def test_yaml_type_trap_on_a_label(tmp_path: Path, field: str, raw: str, shown: str) -> None:
    text = yaml.safe_dump(manifest(), allow_unicode=True, sort_keys=False)
    text = text.replace("label: INT8 dynamic", f"{field}: {raw}")
    hit = find(check(tmp_path, text), "MCV102")
    assert hit.message == f"runs[1].label: YAML read `{raw}` as {shown}, not as text"
    assert hit.hint == f'put it in quotes: `label: "{raw}"`'


def test_unquoted_numeric_revision_is_a_trap_not_a_silent_change(tmp_path: Path) -> None:
    text = yaml.safe_dump(manifest(), sort_keys=False, allow_unicode=True)
    text = text.replace("revision: 7b3f2c1", "revision: 1234567")
    assert "MCV102" in codes(check(tmp_path, text))


def test_team_no_stays_text(tmp_path: Path) -> None:
    text = yaml.safe_dump(manifest(), sort_keys=False, allow_unicode=True)
    text = text.replace("team: ml_masters", "team: NO")
    hit = find(check(tmp_path, text), "MCV101")  # a pattern error about "NO", not about False
    assert hit.loc == ("team",)
    assert "lower-case" in hit.hint


@pytest.mark.parametrize("value", [".inf", ".nan", "-.inf"])
def test_non_finite_numbers_are_refused(tmp_path: Path, value: str) -> None:
    text = yaml.safe_dump(manifest(), sort_keys=False, allow_unicode=True)
    text = text.replace("cpu_ms: 41.07", f"cpu_ms: {value}")
    assert "schema/finite_number" in [f.rule for f in check(tmp_path, text)]


def test_custom_script_may_not_leave_the_team_folder(tmp_path: Path) -> None:
    data = with_run(
        manifest(),
        label="mine",
        method="custom",
        reported={},
        params={"script": "../../runner/evil.py", "description": "x"},
    )
    assert "schema/string_pattern_mismatch" in [f.rule for f in check(tmp_path, data)]


def test_schema_is_json() -> None:
    assert json.loads(json_schema_text())["$id"].endswith("manifest.v1.json")


def _editor_errors(data: dict[str, object]) -> list[jsonschema.ValidationError]:
    """What an editor's JSON Schema validator lists for a document: every leaf error."""
    validator = jsonschema.Draft202012Validator(json_schema())
    leaves: list[jsonschema.ValidationError] = []
    stack = list(validator.iter_errors(data))
    while stack:
        error = stack.pop()
        if error.context:
            stack += error.context
        else:
            leaves.append(error)
    return leaves


def test_json_schema_picks_a_runs_schema_by_its_method() -> None:
    items = json_schema()["properties"]["runs"]["items"]
    assert "oneOf" not in json.dumps(items)
    assert {b["if"]["properties"]["method"]["const"] for b in items["allOf"]} == set(
        RUN_TYPE_BY_METHOD
    )


def test_a_draft_with_one_wrong_field_gets_a_few_editor_errors() -> None:
    data = manifest()
    data["runs"][1]["params"] = {"layerz": ["Linear"]}
    errors = _editor_errors(data)
    assert 1 <= len(errors) <= 3, [e.message for e in errors]
    assert any("layerz" in e.message for e in errors)
    assert _editor_errors(manifest()) == []
