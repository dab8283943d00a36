"""A pull request titled `team HW-N` changes `submissions/team/hw-N.yaml`."""

from collections.abc import Iterator
from pathlib import PurePosixPath

from validator.findings import Finding, Severity
from validator.pr_title import guess_title, parse_title
from validator.rules.base import RuleInfo, SubmissionContext

INFO = RuleInfo(
    "MCV305",
    "manifest-not-in-pr",
    "the PR adds or changes the manifest its title names",
    Severity.WARNING,
)


def check(ctx: SubmissionContext) -> Iterator[Finding]:
    if ctx.pr.changed_files is None or ctx.pr.title is None:
        return
    title = parse_title(ctx.pr.title) or guess_title(ctx.pr.title)
    if title is None:
        return
    expected = PurePosixPath("submissions", title.team, f"hw-{title.homework}.yaml")
    if all(c.path != expected for c in ctx.pr.changed_files):
        yield INFO.finding(
            ctx.pr.changed_files_source,
            (),
            f"the pull request does not change `{expected}`",
            "add or update that manifest; without it nothing is re-measured",
            line=1,
        )
