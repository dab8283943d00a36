"""A hurried student's first manifest: every problem in the first run, clean after one round."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import write

HURRIED = """\
team: neural_ninjas
homework: 2
model:
  id: distilbert/distilbert-base-uncased-finetuned-sst-2-english
  revision: 714eb0fa89d2f80546fda750413ed43d93601a13
  task: text-classification
evaluation:
  dataset: stanfordnlp/sst2
  revision: 8d51e7e4887a4caaa95b3fbebbf53c0490b58bbb
  split: validation
  metric: Accuracy
runs:
  - label: Original
    method: original
    reported: {size_mb: "255.4 MB", cpu_ms: 45.1, acc: 91.2}
  - label: INT8
    method: int8
    reported: {size_mb: 132.1, cpu_ms: 20.3, quality: 0.905}
  - label: INT8 dynamic
    method: INT8-dynamic
    params: {layers: [Linear]}
    reported: {size_mb: 132.0, cpu_ms: 21.7, ram_mb: "0.6 GB", quality: 0.901}
  - label: Pruned 30%
    method: prune-unstructured
    params: {amout: 0.3, storage: gzip}
    reported: {size_mb: 201.2, cpu_ms: 44.0, quality: 90.1}
"""
TITLE = "Neural Ninjas HW2"

# (code, where, words the message or hint must have, the fix a student makes for it)
PROBLEMS: list[tuple[str, str | None, str, tuple[str, str]]] = [
    ("MCV301", None, "`neural_ninjas HW-2`", (TITLE, "neural_ninjas HW-2")),
    ("MCV101", "schema_version", "`schema_version: 1`", ("team:", "schema_version: 1\nteam:")),
    ("MCV101", "evaluation.samples", "`samples: 500`", ("  split:", "  samples: 872\n  split:")),
    ("MCV101", "evaluation.metric", "`accuracy`", ("metric: Accuracy", "metric: accuracy")),
    ("MCV101", "runs[0].reported.size_mb", "`size_mb: 255.4`", ('"255.4 MB"', "255.4")),
    ("MCV101", "runs[0].reported.acc", "`quality: 0.912`", ("acc: 91.2", "quality: 0.912")),
    ("MCV101", "runs[1].method", "`static-int8`", ("method: int8", "method: static-int8")),
    (
        "MCV101",
        "runs[2].method",
        "`dynamic-int8`",
        ("method: INT8-dynamic", "method: dynamic-int8"),
    ),
    ("MCV101", "runs[2].reported.ram_mb", "`ram_mb: 614.4`", ('"0.6 GB"', "614.4")),
    ("MCV101", "runs[3].params.amout", "`amount`", ("amout:", "amount:")),
    ("MCV407", "runs[3].reported.quality", "0.901", ("quality: 90.1", "quality: 0.901")),
]


def _check(cli, text: str, title: str) -> tuple[int, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    write(Path.cwd(), text, team="neural_ninjas", homework=2)
    code, out, _ = cli(
        "check", "submissions/neural_ninjas/hw-2.yaml", "--pr-title", title, "--format", "json"
    )
    return code, json.loads(out)["findings"]


def test_every_problem_shows_in_the_first_run(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, found = _check(cli, HURRIED, TITLE)
    assert code == 1
    assert sorted((f["code"], f["loc"]) for f in found) == sorted((c, w) for c, w, _, _ in PROBLEMS)
    for want_code, where, words, _ in PROBLEMS:
        (finding,) = [f for f in found if (f["code"], f["loc"]) == (want_code, where)]
        assert words in finding["message"] + " " + (finding["hint"] or ""), finding


def test_the_int8_kind_lists_the_cpu_methods_first(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _, found = _check(cli, HURRIED, TITLE)
    (finding,) = [f for f in found if f["loc"] == "runs[1].method"]
    lines = finding["hint"].splitlines()
    assert [line.split("`")[1] for line in lines[1:]] == [
        "dynamic-int8",
        "static-int8",
        "onnx-int8",
        "bnb-int8",
    ]
    assert lines[1].startswith("`dynamic-int8`: CPU")
    assert lines[-1].startswith("`bnb-int8`: GPU")


def test_no_pydantic_words_reach_the_student(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _, found = _check(cli, HURRIED, TITLE)
    text = " ".join(f["message"] + " " + (f["hint"] or "") for f in found)
    for pydantic_words in ("should", "Input", "pattern", "mcv schema", "Field required"):
        assert pydantic_words not in text


def test_one_round_of_fixes_is_clean(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    text, title = HURRIED, TITLE
    for _, _, _, (wrong, right) in PROBLEMS:
        if wrong == TITLE:
            title = right
        else:
            assert text.count(wrong) == 1, wrong
            text = text.replace(wrong, right)
    code, found = _check(cli, text, title)
    assert (code, found) == (0, [])


def test_the_title_suggestion_reads_folder_and_file_when_the_manifest_cannot(
    in_tmp: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    broken = HURRIED.replace("team: neural_ninjas", "team: Neural Ninjas").replace(
        "homework: 2", "homework: two"
    )
    _, found = _check(cli, broken, "our homework")
    (title,) = [f for f in found if f["code"] == "MCV301"]
    assert title["hint"] == "rename the pull request to `neural_ninjas HW-2`"
