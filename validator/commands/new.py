"""`mcv new`: a starter manifest with every field explained and one example per method.

Written from the schema's own models (descriptions, defaults, method docstrings), so the
starter cannot drift from what `mcv check` accepts; a test uncomments every example.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from validator.errors import UserError
from validator.manifest.metrics import TASK_METRICS
from validator.manifest.names import GPU_ONLY, TASKS
from validator.manifest.parts import field_errors
from validator.manifest.schema import RUN_TYPE_BY_METHOD, SCHEMA_ID, Manifest, RunBase

# The metric a task is usually scored by: the starter's `evaluation.metric`.
USUAL_METRIC = {
    "text-classification": "accuracy",
    "token-classification": "f1",
    "image-classification": "accuracy",
    "automatic-speech-recognition": "wer",
    "causal-lm": "perplexity",
    "translation": "bleu",
}
# Values for parameters that have no default (the rest are written with their defaults).
_REQUIRED_EXAMPLES: dict[str, str] = {
    "amount": "0.5",
    "clusters": "16",
    "student": "{id: TODO/student-model, revision: TODO}",
    "script": "compress.py",
    "description": '"what the script does, in one line"',
}
_ON_GPU = GPU_ONLY | {"fp16", "bf16"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "new",
        help="write a starter manifest for a team and homework",
        description="Write submissions/TEAM/hw-N.yaml: every field explained, the original "
        "run to fill in, and a commented example of every method. Fill in the TODOs and "
        "the numbers, then run `mcv check` on it.",
    )
    parser.add_argument("--team", required=True, metavar="T", help="your team's name")
    parser.add_argument("--hw", required=True, type=int, metavar="N", help="homework number")
    parser.add_argument("--task", choices=TASKS, default="text-classification")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="where to write (default: submissions/T/hw-N.yaml)"
    )
    parser.add_argument("--stdout", action="store_true", help="print it instead of writing")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(handler=run)


def _line(text: str, comment: str) -> str:
    return f"{text:<32} # {comment}"


def _header(team: str, homework: int, task: str) -> list[str]:
    metrics = ", ".join(sorted(TASK_METRICS[task]))
    return [
        f"# yaml-language-server: $schema={SCHEMA_ID}",
        f"# The manifest of team {team} for homework {homework}, started by `mcv new`.",
        "# Replace every TODO and fill in the numbers you measured; then run",
        f"#   mcv check submissions/{team}/hw-{homework}.yaml --pr-title '{team} HW-{homework}'",
        f"# and open a pull request titled `{team} HW-{homework}`.",
        "schema_version: 1                # always 1",
        _line(f"team: {team}", "your folder under submissions/; the PR title starts with it"),
        _line(f"homework: {homework}", f"1..7; the file is named hw-{homework}.yaml"),
        "model:",
        "  id: TODO/model-name            # Hugging Face hub id (org/name), or a folder under",
        f"                                 # submissions/{team}/ for a local model",
        "  revision: TODO                 # the model's commit sha: model page > Files > History",
        _line(f"  task: {task}", "selects how the runner scores it; one of:"),
        _line("", ", ".join(TASKS[:3]) + ","),
        _line("", ", ".join(TASKS[3:])),
        "evaluation:",
        "  dataset: TODO/dataset-name     # hub dataset id, or a .jsonl/.json/.parquet/.csv",
        f"                                 # file under submissions/{team}/",
        "  revision: TODO                 # a hub dataset's commit sha (40 hex digits);",
        "                                 # leave the line out for a local file",
        "  # subset: sst2                 # the dataset's configuration, when it has several",
        "  split: validation              # the split you evaluated on",
        "  samples: 500                   # rows evaluated, in dataset order",
        _line(f"  metric: {USUAL_METRIC[task]}", f"for {task}: {metrics}"),
        "runs:",
        "  # Units: sizes in MB (2^20 bytes) of the saved model on disk; times in ms per",
        "  # sample at batch 1; memory as the peak in MB; quality as `evaluation.metric`,",
        "  # fractions as 0..1 (91.2% is 0.912). Plain numbers, no units. Leave out what you",
        "  # did not measure. GPU figures (gpu_ms, vram_mb) need `hardware: {gpu: ...}`.",
        "  - label: Original              # shown in the leaderboard",
        "    method: original             # the uncompressed baseline; exactly one",
        "    reported:",
        "      size_mb:                   # the model's weights file(s), MB",
        "      cpu_ms:                    # latency per sample on CPU, batch 1",
        "      ram_mb:                    # peak resident memory while it runs",
        "      quality:                   # the value of evaluation.metric",
        "    hardware: {cpu: TODO}        # the CPU (and `gpu:`) you measured on",
        "",
        "  # One example per method: uncomment the ones you used and fill in their numbers.",
    ]


def _yaml_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value).replace("'", "")


def _params(run_type: type[RunBase]) -> str:
    """The method's parameters: the required ones with an example, the rest at defaults."""
    params = run_type.model_fields["params"].annotation
    values = []
    for name, info in getattr(params, "model_fields", {}).items():
        if info.is_required():
            values.append(f"{name}: {_REQUIRED_EXAMPLES[name]}")
        elif info.default_factory is not None:
            values.append(f"{name}: {_yaml_value(info.default_factory())}")
        elif info.default is not None:
            values.append(f"{name}: {_yaml_value(info.default)}")
    return "{" + ", ".join(values) + "}"


def _example(method: str) -> list[str]:
    run_type = RUN_TYPE_BY_METHOD[method]
    doc = (run_type.__doc__ or "").strip()
    gpu = method in _ON_GPU
    reported = (
        "{size_mb: , gpu_ms: , vram_mb: , quality: }"
        if gpu
        else ("{size_mb: , cpu_ms: , ram_mb: , quality: }")
    )
    lines = [
        f"  # - label: {method}",
        f"  #   method: {method}",
        f"  #   params: {_params(run_type)}",
        f"  #   reported: {reported}",
    ]
    if gpu:
        lines.append("  #   hardware: {gpu: TODO}")
    return [f"  # {doc}", *lines]


def starter(team: str, homework: int, task: str) -> str:
    """The starter manifest's text."""
    lines = _header(team, homework, task)
    for method in RUN_TYPE_BY_METHOD:
        if method != "original":
            lines += [*_example(method), ""]
    return "\n".join(lines).rstrip() + "\n"


def _refuse_bad(name: str, value: Any, what: str) -> None:
    if field_errors(Manifest, name, value):
        raise UserError(what)


def run(args: argparse.Namespace) -> int:
    _refuse_bad("team", args.team, f"--team {args.team!r}: lower-case letters, digits, `_` and `-`")
    _refuse_bad("homework", args.hw, f"--hw {args.hw}: a homework number, 1..7")
    text = starter(args.team, args.hw, args.task)
    if args.stdout:
        sys.stdout.write(text)
        return 0
    out: Path = args.out or Path("submissions", args.team, f"hw-{args.hw}.yaml")
    if out.exists() and not args.force:
        raise UserError(f"{out} exists; use --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}; fill in the TODOs and numbers, then: mcv check {out}")
    return 0
