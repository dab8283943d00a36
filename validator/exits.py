"""Every command's exit codes, in one table: the help texts are generated from it.

0 and 1 mean what each command says; 2 is always a usage error or a refusal the caller
must look at, 3 always a bug in mcv (never 1, so a crash cannot pass for "findings").
"""

from __future__ import annotations

OK, FINDINGS, USAGE, BUG = 0, 1, 2, 3

_USAGE = "usage error"
EXITS: dict[str, dict[int, str]] = {
    "check": {OK: "no errors (warnings allowed)", FINDINGS: "errors found", USAGE: _USAGE},
    "new": {OK: "written", USAGE: "usage error, or the file exists (use --force)"},
    "reproduce": {
        OK: "every run ran (or cannot run on this machine, e.g. needs CUDA)",
        FINDINGS: "a run failed",
        USAGE: "usage error or invalid manifest",
    },
    "shards": {OK: "printed", USAGE: _USAGE},
    "merge": {
        OK: "merged, every run ok or unsupported",
        FINDINGS: "merged, some run failed",
        USAGE: "usage error, or parts that do not belong together",
    },
    "compare": {OK: "verified", FINDINGS: "discrepancies or incomplete", USAGE: _USAGE},
    "comment": {OK: "published", USAGE: "refused (nothing posted) or usage error"},
    "fetch-manifest": {OK: "written", USAGE: "refused"},
    "table": {
        OK: "written or already up to date",
        FINDINGS: "out of date (with --check)",
        USAGE: "usage error (e.g. missing markers; the file is left untouched)",
    },
    "publish": {
        OK: "pushed, or nothing to do (no merged PR)",
        USAGE: "refused (nothing written) or out of retries (nothing is lost)",
    },
    "grades": {OK: "printed", USAGE: _USAGE},
    "doctor": {
        OK: "everything asked for is there",
        FINDINGS: "a capability named in --require is missing, or (with --course) "
        "the course set-up has errors",
        USAGE: _USAGE,
    },
    "schema": {OK: "printed"},
    "toolchains": {
        OK: "listed, or every one asked for is built",
        FINDINGS: "a build failed",
        USAGE: _USAGE,
    },
    "import": {
        OK: "every cell read",
        FINDINGS: "some cells could not be read (listed on stderr) or no results table was found",
        USAGE: _USAGE,
    },
}


def help_line(command: str) -> str:
    """`Exit 0: ...; 1: ...; 2: ...; 3: a bug in mcv.` for a command's --help."""
    codes = {**EXITS[command], BUG: "a bug in mcv (please report it)"}
    return "Exit " + "; ".join(f"{code}: {words}" for code, words in sorted(codes.items())) + "."
