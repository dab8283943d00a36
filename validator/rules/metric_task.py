"""The quality metric belongs to the model's task (WER for speech, F1 for NER, ...)."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.manifest.metrics import TASK_METRICS
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV206", "metric-task-mismatch", "`evaluation.metric` and every extra metric fit `model.task`"
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    task, metric = ctx.parts.task, ctx.parts.metric
    if task is None:
        return
    allowed = TASK_METRICS[task]
    hint = f"a {task} model is scored by: {', '.join(sorted(allowed))}"
    if metric is not None and metric not in allowed:
        yield INFO.finding(
            ctx.display, ("evaluation", "metric"), f"`{metric}` is not a metric of {task}", hint
        )
    for index, run in ctx.parts.runs:
        for name in run.reported.extra_metrics:
            if name not in allowed:
                yield INFO.finding(
                    ctx.display,
                    ("runs", index, "reported", "extra_metrics", name),
                    f"`{name}` is not a metric of {task}",
                    hint,
                )
