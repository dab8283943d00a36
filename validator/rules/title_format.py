"""The PR title reads `team HW-N`, which is how reviewers and the bot find the submission."""

import re
from collections.abc import Iterator

from validator.findings import Finding
from validator.pr_title import Title, guess_title, parse_title
from validator.rules.base import RuleInfo, SubmissionContext

INFO = RuleInfo("MCV301", "title-format", "the pull-request title is `team HW-N`")


def check(ctx: SubmissionContext) -> Iterator[Finding]:
    title = ctx.pr.title
    if title is None or parse_title(title):
        return
    guess = guess_title(title)
    if len(ctx.manifests) == 1:  # what the manifest says beats what the title seems to say
        manifest = ctx.manifests[0]
        named = re.fullmatch(r"hw-([1-7])\.ya?ml", manifest.filename)
        team = manifest.parts.team or (guess.team if guess else None) or manifest.folder
        homework = (
            manifest.parts.homework
            or (guess.homework if guess else None)
            or (int(named[1]) if named else None)
        )
        guess = Title(team, homework) if team and homework else guess
    hint = (
        f"rename the pull request to `{guess}`"
        if guess
        else "rename the pull request to `<team> HW-<N>`, e.g. `ml_masters HW-2`"
    )
    yield INFO.finding(None, (), f"pull-request title `{title}` is not `team HW-N`", hint)
