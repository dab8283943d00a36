"""One adapter from pydantic's errors to plain words, for manifests, records, events and config."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.builders import check, manifest
from tests.compare.planted import honest
from validator.config import CourseConfig, load_config
from validator.errors import UserError
from validator.github.event import read
from validator.manifest.schema import Manifest
from validator.schema_errors import TEMPLATES, describe, findings, summary
from validator.verification import RecordError, VerificationRecord, parse_record

# pydantic's own English, as its messages start or carry it
PYDANTIC = re.compile(
    r"Input should|Field required|Extra inputs|should (?:be|have|match)|Value error|"
    r"validation error|errors\.pydantic\.dev|\[type=|input_value|Invalid JSON|List should",
    re.IGNORECASE,
)


def test_a_broken_manifest_reads_in_plain_words(tmp_path: Path) -> None:
    data = manifest(team="Neural Ninjas", teem="x", homework="two")
    data["evaluation"]["samples"] = 0
    data["evaluation"]["metric"] = "acc"
    data["runs"][0]["label"] = "x" * 81
    data["runs"][1]["reported"]["size_mb"] = "255.4 MB"
    del data["model"]["task"]
    found = check(tmp_path, data)
    messages = {f.rule: f"{f.message} | {f.hint}" for f in found}
    assert {
        "schema/extra_forbidden",
        "schema/string_pattern_mismatch",
        "schema/int_type",
        "schema/greater_than_equal",
        "schema/literal_error",
        "schema/string_too_long",
        "schema/float_type",
        "schema/missing",
    } <= set(messages), messages
    for text in messages.values():
        assert PYDANTIC.search(text) is None, text
    assert messages["schema/missing"].startswith("`task` is required in model")
    assert "evaluation.samples must be at least 1, not `0`" in messages["schema/greater_than_equal"]
    assert (
        "runs[1].reported.size_mb must be a number, not `255.4 MB`" in messages["schema/float_type"]
    )
    assert "lower-case letters" in messages["schema/string_pattern_mismatch"]
    assert all(f.line for f in found)  # still located in the file


def test_a_record_reads_in_plain_words() -> None:
    _, record = honest(500)
    data = json.loads(record.model_dump_json())
    data["runs"][0]["status"] = "great"
    data["runs"][1]["duration_s"] = "fast"
    data["extra"] = 1
    del data["device"]
    with pytest.raises(RecordError) as caught:
        parse_record(json.dumps(data).encode(), "verification.json")
    text = str(caught.value)
    assert text.startswith("verification.json is not a valid verification record: ")
    assert "runs[0].status: `great` is not one of the allowed values" in text
    assert "(and 1 more)" in text
    assert PYDANTIC.search(text) is None
    with pytest.raises(RecordError, match=r"not valid JSON \(EOF"):
        parse_record(b"{", "verification.json")


def test_an_event_and_the_course_config_read_in_plain_words(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": "seven", "head": {}}}))
    with pytest.raises(UserError) as caught:
        read(event)
    assert "pull_request.number must be a whole number, not `seven`" in str(caught.value)
    assert "`sha` is required in pull_request.head" in str(caught.value)
    config = tmp_path / "mcv.toml"
    config.write_text('[course]\nlang = "de"\n[tolerance]\nsize_rel = "wide"\n')
    with pytest.raises(UserError) as caught:
        load_config(config)
    for text in (str(caught.value),):
        assert "course.lang: `de` is not one of the allowed values" in text
        assert "tolerance.size_rel must be a number, not `wide`" in text
        assert PYDANTIC.search(text) is None


def test_every_template_formats_without_pydantic_words() -> None:
    for kind in TEMPLATES:
        err: Any = {"type": kind, "loc": ("a", 0), "msg": "Input should be", "input": "v"}
        err["ctx"] = {"gt": 0, "ge": 1, "lt": 2, "le": 3, "min_length": 2, "max_length": 9}
        message, hint = describe(err, ("a", 0))
        assert PYDANTIC.search(message + hint) is None
        assert "{" not in message + hint, (kind, message, hint)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["team", "runs", "model", "evaluation", "homework", "x"]), json_values
    )
)
def test_any_document_gives_plain_words(data: dict[str, Any]) -> None:
    for model in (Manifest, VerificationRecord, CourseConfig):
        try:
            model.model_validate(data)
            continue
        except ValidationError as exc:
            texts = [f.message + f.hint for f in findings(exc)] + [summary(exc)]
        assert [t for t in texts if PYDANTIC.search(t)] == []
