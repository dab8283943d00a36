"""A run's method can reproduce the model's task on this course's runners."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.manifest.support import gap
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV212",
    "method-task-unsupported",
    "every run's method can be reproduced for `model.task` (validator/manifest/support.py)",
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    task = ctx.parts.task
    if task is None:
        return
    for index, run in ctx.parts.runs:
        found = gap(run.method, task)
        if found is not None:
            yield INFO.finding(
                ctx.display,
                ("runs", index, "method"),
                f"runs[{index}] `{run.label}`: `{run.method}` cannot be reproduced for "
                f"{task}: {found.why}",
                f"use {found.instead}",
            )
