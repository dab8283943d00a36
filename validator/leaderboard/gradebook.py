"""The gradebook: one row per team, one column per homework, every team of `teams.yml`.

A team that has a manifest on the default branch has submitted; its record says whether
it was reproduced and with what verdict. A team in `teams.yml` without a manifest has not
submitted, and nothing submitted is never on time or late: its late cell stays empty.
Pure builders and renderers; the command reads the files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TextIO

from validator.compare.strings import Lang
from validator.escape import csv_cell, md
from validator.leaderboard.table import Submission

State = Literal["not-submitted", "not-reproduced", "verified", "discrepancies", "incomplete"]

WORDS: dict[str, dict[str, str]] = {
    "not-submitted": {"ru": "не сдано", "en": "not submitted"},
    "not-reproduced": {"ru": "не воспроизведено", "en": "not reproduced"},
    "verified": {"ru": "проверено", "en": "verified"},
    "discrepancies": {"ru": "расхождения", "en": "discrepancies"},
    "incomplete": {"ru": "проверено не полностью", "en": "incomplete"},
    "late": {"ru": "после срока", "en": "late"},
    "yes": {"ru": "да", "en": "yes"},
    "no": {"ru": "нет", "en": "no"},
    "team": {"ru": "команда", "en": "team"},
    "name": {"ru": "название", "en": "name"},
    "homework": {"ru": "ДЗ", "en": "HW"},
    "pull_request": {"ru": "PR", "en": "pull request"},
    "date": {"ru": "дата", "en": "date"},
    "state": {"ru": "состояние", "en": "state"},
    "empty": {"ru": "Нет ни команд, ни работ.", "en": "No teams and no submissions."},
}
MARKS: dict[str, str] = {
    "not-submitted": "·",
    "not-reproduced": "⏳",
    "verified": "✅",
    "discrepancies": "❌",
    "incomplete": "⏳",
}


@dataclass(frozen=True)
class Entry:
    state: State
    late: bool | None = None  # None: nothing submitted, or no date to judge by
    pull_request: str | None = None
    date: str | None = None


NOT_SUBMITTED = Entry("not-submitted")


@dataclass(frozen=True)
class Gradebook:
    teams: list[tuple[str, str | None]]  # slug and display name, sorted by slug
    homeworks: list[int]
    entries: dict[tuple[str, int], Entry]

    def entry(self, team: str, homework: int) -> Entry:
        return self.entries.get((team, homework), NOT_SUBMITTED)


def build(
    submissions: Iterable[Submission],
    roster: dict[str, str | None],
    homeworks: Iterable[int] = (),
    submitted: Iterable[tuple[str, int]] = (),
) -> Gradebook:
    """Every team of the roster or with a submission, every homework named or submitted.

    `submitted` lists the manifests that exist but could not be read into a Submission
    (an invalid file on the default branch): they were handed in, so "not reproduced".
    """
    entries: dict[tuple[str, int], Entry] = {key: Entry("not-reproduced") for key in submitted}
    for s in submissions:
        state: State = s.verdict if s.verdict in MARKS else "not-reproduced"  # type: ignore[assignment]
        entries[(s.team, s.homework)] = Entry(state, s.late, s.pull_request, s.date)
    names = dict(roster)
    for team, _ in entries:
        names.setdefault(team, None)
    numbers = sorted({*homeworks, *(homework for _, homework in entries)})
    return Gradebook(sorted(names.items()), numbers, entries)


def _late(entry: Entry, lang: Lang) -> str:
    if entry.state == "not-submitted" or entry.late is None:
        return ""
    return WORDS["yes" if entry.late else "no"][lang]


def _column(homework: int, lang: Lang) -> str:
    return f"{WORDS['homework'][lang]}-{homework}"


def write_csv(book: Gradebook, lang: Lang, stream: TextIO) -> None:
    """The matrix an LMS imports: a row per team; per homework its state and a late column."""
    writer = csv.writer(stream, lineterminator="\n")
    head = [WORDS["team"][lang], WORDS["name"][lang]]
    for homework in book.homeworks:
        head += [_column(homework, lang), f"{_column(homework, lang)} {WORDS['late'][lang]}"]
    writer.writerow(head)
    for team, name in book.teams:
        line = [team, name or ""]
        for homework in book.homeworks:
            entry = book.entry(team, homework)
            line += [WORDS[entry.state][lang], _late(entry, lang)]
        writer.writerow([csv_cell(value) for value in line])


def write_rows_csv(book: Gradebook, lang: Lang, stream: TextIO) -> None:
    """One row per team and homework, with the pull request and its date: for scripts."""
    writer = csv.writer(stream, lineterminator="\n")
    fields = ("team", "homework", "state", "pull_request", "date", "late")
    writer.writerow([WORDS[f][lang] for f in fields])
    for team, _ in book.teams:
        for homework in book.homeworks:
            entry = book.entry(team, homework)
            line = [
                team,
                str(homework),
                WORDS[entry.state][lang],
                entry.pull_request or "",
                entry.date or "",
                _late(entry, lang),
            ]
            writer.writerow([csv_cell(value) for value in line])


def _md_cell(entry: Entry, lang: Lang) -> str:
    text = f"{MARKS[entry.state]} {WORDS[entry.state][lang]}"
    if entry.late:
        text += f", ⏰ {WORDS['late'][lang]}"
    return text


def markdown(book: Gradebook, lang: Lang) -> str:
    """The matrix as a Markdown table: a row per team, a column per homework."""
    if not book.teams:
        return WORDS["empty"][lang] + "\n"
    head = [WORDS["team"][lang], *(_column(h, lang) for h in book.homeworks)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for team, name in book.teams:
        label = md(team) + (f" ({md(name)})" if name else "")
        cells = [_md_cell(book.entry(team, h), lang) for h in book.homeworks]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines) + "\n"
