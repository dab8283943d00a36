"""The file is called `hw-<N>.yaml` after its own `homework`."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV202", "homework-filename-mismatch", "`homework: N` equals the file name `hw-N.yaml`"
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    homework = ctx.parts.homework
    if homework is None:
        return
    expected = f"hw-{homework}.yaml"
    if ctx.filename != expected:
        yield INFO.finding(
            ctx.display,
            ("homework",),
            f"`homework: {homework}` but the file is named `{ctx.filename}`",
            f"rename the file to `{expected}`, or fix `homework`",
        )
