"""Records -> draft manifests: one per model, a run per row, each run naming its source line.

Nothing is invented. What the table did not say (team, homework, revision, task, the
evaluation set) is left out and listed at the top of the draft, so `mcv check` fails on
exactly those keys until the team fills them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from validator.importer.methods import method_of
from validator.importer.records import MEASURE_FIELDS, Record
from validator.manifest.metrics import METRICS

_REQUIRED_PARAMS = {
    "prune-unstructured": ["amount"],
    "prune-structured": ["amount"],
    "kmeans": ["clusters"],
    "distilled": ["student"],
    "custom": ["script", "description"],
}


@dataclass
class Draft:
    slug: str  # file name stem
    model: str | None
    text: str  # YAML with comments
    missing: list[str]  # keys the team must fill in


def slug(text: str | None) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", (text or "unknown-model").lower()).strip("-")
    return name[:60] or "model"


# Which metric becomes `evaluation.metric` when a row states several: the headline one.
_HEADLINE = (
    "f1",
    "accuracy",
    "wer",
    "bleu",
    "perplexity",
    "exact_match",
    "chrf",
    "cer",
    "precision",
    "recall",
)


def _metric(records: list[Record]) -> str | None:
    """The headline metric among those the rows state, when the schema knows it."""
    stated = {re.sub(r"_(cpu|gpu)$", "", name) for r in records for name in r.quality}
    return next((name for name in _HEADLINE if name in stated and name in METRICS), None)


def _run(
    record: Record, metric: str | None, index: int, missing: list[str]
) -> tuple[dict[str, Any], list[str]]:
    comments: list[str] = []
    method, params = method_of(record.method or "")
    run: dict[str, Any] = {"label": record.method or f"row {record.line}"}
    if method is None:
        missing.append(f"runs[{index}].method")
        comments.append(f"method: cannot tell from `{record.method}`")
    else:
        run["method"] = method
    for key in _REQUIRED_PARAMS.get(method or "", []):
        if key not in params:
            missing.append(f"runs[{index}].params.{key}")
    if params:
        run["params"] = params
    reported: dict[str, Any] = {
        f: getattr(record, f) for f in MEASURE_FIELDS if getattr(record, f) is not None
    }
    extra: dict[str, float] = {}
    for name, value in record.quality.items():
        base, _, device = name.partition("_") if name.endswith(("_cpu", "_gpu")) else (name, "", "")
        if metric is not None and base == metric and "quality" not in reported and device != "gpu":
            reported["quality"] = value
        elif base in METRICS and not device and base != metric:
            extra[base] = value
        else:
            comments.append(f"{name} = {value:g} has no place in the manifest")
    if extra:
        reported["extra_metrics"] = extra
    run["reported"] = reported
    if record.hardware:
        run["hardware"] = dict(record.hardware)
    comments += record.notes
    return run, comments


def draft(records: list[Record], source: str, team: str | None, homework: int | None) -> Draft:
    """One draft manifest for the records of one model."""
    model = records[0].model
    metric = _metric(records)
    missing: list[str] = []
    head: dict[str, Any] = {"schema_version": 1}
    if team:
        head["team"] = team
    else:
        missing.append("team")
    if homework:
        head["homework"] = homework
    else:
        missing.append("homework")
    model_block: dict[str, Any] = {}
    if model:
        model_block["id"] = model
    else:
        missing.append("model.id")
    missing += ["model.revision", "model.task", "evaluation.dataset", "evaluation.samples"]
    head["model"] = model_block
    head["evaluation"] = {"metric": metric} if metric else {}
    if not metric:
        missing.append("evaluation.metric")
    runs = [_run(record, metric, i, missing) for i, record in enumerate(records)]
    lines = [
        f"# Draft imported by `mcv import` from {source}; nothing in it was invented.",
        "# Fill in what the table did not say, then run `mcv check` on this file:",
    ]
    lines += [f"#   {key}" for key in missing]
    lines.append(_dump(head).rstrip("\n"))
    lines.append("runs:")
    for record, (run, comments) in zip(records, runs, strict=True):
        lines.append(f"  # {source} line {record.line}")
        lines += [f"  # note: {comment}" for comment in comments]
        lines.append("  " + _dump([run]).rstrip("\n").replace("\n", "\n  "))
    return Draft(slug(model), model, "\n".join(lines) + "\n", missing)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def drafts(
    records: list[Record], source: str, team: str | None = None, homework: int | None = None
) -> list[Draft]:
    """One draft per model, in the order models first appear."""
    by_model: dict[str | None, list[Record]] = {}
    for record in records:
        by_model.setdefault(record.model, []).append(record)
    out = [draft(group, source, team, homework) for group in by_model.values()]
    seen: dict[str, int] = {}
    for item in out:  # two models that slug alike keep apart
        seen[item.slug] = seen.get(item.slug, 0) + 1
        if seen[item.slug] > 1:
            item.slug = f"{item.slug}-{seen[item.slug]}"
    return out
