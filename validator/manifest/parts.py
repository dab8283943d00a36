"""The parts of a manifest that are sound, each judged on its own: what rules can still check.

A manifest with one bad run is still worth checking: the other runs' numbers, its team
and homework. So when the whole does not validate, each top-level field is validated
alone, and each run is rebuilt from what of it validates (its `reported` values key by
key; parameters that do not validate count as unknown). Rules read these parts, so one
round of `mcv check` shows every problem, not the ones the first error left visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from validator.manifest import methods as m
from validator.manifest.metrics import MetricName, TaskName
from validator.manifest.names import guess_methods, guess_metric
from validator.manifest.schema import (
    RUN_TYPE_BY_METHOD,
    Evaluation,
    Manifest,
    Model,
    Reported,
    Run,
    RunBase,
)


@dataclass(frozen=True)
class Parts:
    team: str | None = None
    homework: int | None = None
    model: Model | None = None
    evaluation: Evaluation | None = None
    task: TaskName | None = None
    metric: MetricName | None = None
    runs: tuple[tuple[int, RunBase], ...] = ()  # (index in `runs`, the run)
    methods: tuple[str, ...] = ()  # every run's method as the rules understand it

    @classmethod
    def of(cls, manifest: Manifest) -> Parts:
        return cls(
            manifest.team,
            manifest.homework,
            manifest.model,
            manifest.evaluation,
            manifest.model.task,
            manifest.evaluation.metric,
            tuple(enumerate(manifest.runs)),
            tuple(run.method for run in manifest.runs),
        )


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]


def field_errors(model: type[BaseModel], name: str, value: Any) -> list[ErrorDetails]:
    """What is wrong with `value` as `model`'s field `name` alone."""
    try:
        _adapter(model, name).validate_python(value, strict=True)
    except ValidationError as exc:
        return exc.errors(include_url=False)
    return []


def field_value(model: type[BaseModel], name: str, data: Any) -> Any:
    """`data[name]` validated as `model`'s field, or None when absent or not valid."""
    if not isinstance(data, dict) or name not in data:
        return None
    try:
        return _adapter(model, name).validate_python(data[name], strict=True)
    except ValidationError:
        return None


def method_of(item: Any) -> str | None:
    """The method a run names, or the one its name most likely means when only one fits."""
    raw = item.get("method") if isinstance(item, dict) else None
    if not isinstance(raw, str):
        return None
    guesses = guess_methods(raw, list(RUN_TYPE_BY_METHOD))
    return guesses[0] if len(guesses) == 1 else None


def _reported(data: Any) -> Reported | None:
    if not isinstance(data, dict):
        return None
    try:
        return Reported.model_validate(data)
    except ValidationError:
        values = {k: field_value(Reported, k, data) for k in Reported.model_fields}
        return Reported.model_construct(**{k: v for k, v in values.items() if v is not None})


def _params(run_type: type[RunBase], data: Any) -> m.Params:
    params_type = run_type.model_fields["params"].annotation
    if not (isinstance(params_type, type) and issubclass(params_type, m.Params)):
        return m.Params()
    for candidate in (data if isinstance(data, dict) else {}, {}):
        try:
            return params_type.model_validate(candidate)
        except ValidationError:
            continue
    return m.Params()  # unknown: lossy, bits not known


def salvage_run(item: Any) -> RunBase | None:
    """The run as far as it can be read: None when it has no `reported` mapping to judge."""
    try:
        run: RunBase = TypeAdapter(Run).validate_python(item, strict=True)
        return run
    except ValidationError:
        pass
    reported = _reported(item.get("reported") if isinstance(item, dict) else None)
    if reported is None:
        return None
    method = method_of(item)
    run_type = RUN_TYPE_BY_METHOD.get(method or "", RunBase)
    label = field_value(RunBase, "label", item) or str(item.get("label", "?"))[:80]
    return run_type.model_construct(
        method=method or str(item.get("method")),
        params=_params(run_type, item.get("params")) if run_type is not RunBase else m.Params(),
        label=label,
        reported=reported,
        hardware=field_value(RunBase, "hardware", item),
        notes=field_value(RunBase, "notes", item),
    )


def _metric(data: Any) -> MetricName | None:
    """The evaluation's metric, or the one its name means (`Accuracy`, `acc`)."""
    raw = data.get("metric") if isinstance(data, dict) else None
    valid: MetricName | None = field_value(Evaluation, "metric", data)
    return valid or (guess_metric(raw) if isinstance(raw, str) else None)  # type: ignore[return-value]


def salvage(data: Any) -> Parts:
    """The sound parts of a document that did not validate as a whole."""
    if not isinstance(data, dict):
        return Parts()
    model: Model | None = field_value(Manifest, "model", data)
    evaluation: Evaluation | None = field_value(Manifest, "evaluation", data)
    raw_runs = data.get("runs")
    items: list[Any] = raw_runs if isinstance(raw_runs, list) else []
    runs = tuple((i, run) for i, item in enumerate(items) if (run := salvage_run(item)))
    return Parts(
        team=field_value(Manifest, "team", data),
        homework=field_value(Manifest, "homework", data),
        model=model,
        evaluation=evaluation,
        task=model.task if model else field_value(Model, "task", data.get("model")),
        metric=evaluation.metric if evaluation else _metric(data.get("evaluation")),
        runs=runs,
        methods=tuple(method_of(item) or "" for item in items),
    )
