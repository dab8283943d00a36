"""Exactly one report comment per PR and homework: found by its marker AND the bot's login.

A marker in someone else's comment is ignored (a team cannot hijack the report by quoting
it); several bot comments with the marker (a retried create) collapse to the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str


@dataclass(frozen=True)
class CommentPlan:
    edit: int | None  # the comment to edit in place, or None to create one
    delete: tuple[int, ...]  # duplicates of ours to remove


def plan(comments: list[Comment], marker: str, bot_login: str) -> CommentPlan:
    ours = sorted(
        (
            c
            for c in comments
            if c.author.lower() == bot_login.lower() and c.body.startswith(marker)
        ),
        key=lambda c: c.id,
    )
    if not ours:
        return CommentPlan(None, ())
    return CommentPlan(ours[0].id, tuple(c.id for c in ours[1:]))
