"""`mcv new`: a starter a student fills in, that then passes `mcv check`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import TypeAdapter

from validator.manifest.schema import RUN_TYPE_BY_METHOD, Run

STARTER = Path("submissions/neural_ninjas/hw-2.yaml")
SHA = "714eb0fa89d2f80546fda750413ed43d93601a13"


def _filled(text: str) -> str:
    """What a student does: the TODOs replaced, the numbers written, one method uncommented."""
    text = text.replace("TODO/model-name", "distilbert/distilbert-base-uncased-finetuned-sst-2")
    text = text.replace("TODO/dataset-name", "nyu-mll/glue").replace(
        "revision: TODO", f"revision: {SHA}"
    )
    text = text.replace("{cpu: TODO}", "{cpu: Intel Xeon}")
    for key, value in (
        ("size_mb", 255.4),
        ("cpu_ms", 21.7),
        ("ram_mb", 612.3),
        ("quality", 0.9106),
    ):
        text = re.sub(rf"^(      {key}:)( +#)", rf"\g<1> {value}\2", text, count=1, flags=re.M)
    example = re.search(r"  # - label: dynamic-int8\n(  #   .*\n)+", text)
    assert example is not None
    run = (
        example.group(0)
        .replace("  # ", "  ")
        .replace(
            "{size_mb: , cpu_ms: , ram_mb: , quality: }",
            "{size_mb: 132.3, cpu_ms: 12.9, ram_mb: 402.7, quality: 0.9002}",
        )
    )
    return text.replace(example.group(0), run)


def test_the_filled_starter_passes_check(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("new", "--team", "neural_ninjas", "--hw", "2")
    assert code == 0
    assert str(STARTER) in out
    text = STARTER.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    code, out, _ = cli("check", str(STARTER), "--pr-title", "neural_ninjas HW-2")
    assert code == 1, "the TODOs must not pass as they are"
    STARTER.write_text(_filled(text), encoding="utf-8")
    code, out, _ = cli("check", str(STARTER), "--pr-title", "neural_ninjas HW-2")
    assert (code, out.strip()) == (0, "no problems in 1 file")


def test_every_method_has_one_commented_example_that_validates(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _, text, _ = cli("new", "--team", "t1", "--hw", "3", "--stdout")
    examples = re.findall(r"  # - label: .*\n(?:  #   .*\n)+", text)
    runs = [yaml.safe_load(e.replace("  # ", "  ").replace(": ,", ": 1.0,"))[0] for e in examples]
    assert sorted(r["method"] for r in runs) == sorted(
        m for m in RUN_TYPE_BY_METHOD if m != "original"
    )
    for run in runs:
        TypeAdapter(Run).validate_python(run, strict=True)  # raises on a stale example


def test_every_field_of_the_header_is_explained(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _, text, _ = cli("new", "--team", "t1", "--hw", "3", "--stdout", "--task", "translation")
    body = [line for line in text.splitlines() if line and not line.lstrip().startswith("#")]
    header = body[: body.index("runs:")]
    assert all(" # " in line for line in header if not line.endswith(":")), header
    assert "  metric: bleu" in text


def test_it_refuses_to_overwrite_and_bad_names(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("new", "--team", "neural_ninjas", "--hw", "2")[0] == 0
    code, _, err = cli("new", "--team", "neural_ninjas", "--hw", "2")
    assert code == 2
    assert "--force" in err
    code, _, err = cli("new", "--team", "Neural Ninjas", "--hw", "2")
    assert code == 2
    assert "lower-case" in err
    assert cli("new", "--team", "x", "--hw", "9")[0] == 2
