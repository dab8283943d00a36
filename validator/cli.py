"""`mcv`: parse the command line, dispatch to one command, turn its outcome into an exit code."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from validator import __version__, exits
from validator.commands import (
    check,
    comment,
    compare,
    doctor,
    fetch_manifest,
    grades,
    import_,
    merge,
    new,
    publish,
    reproduce,
    schema,
    shards,
    table,
    toolchains,
)
from validator.errors import UserError
from validator.escape import log_block

EXIT_USAGE = exits.USAGE
EXIT_BUG = exits.BUG


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcv",
        description="Model-compression submission validator.",
        epilog="Run `mcv COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"mcv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (
        new,
        check,
        reproduce,
        shards,
        merge,
        compare,
        comment,
        fetch_manifest,
        table,
        publish,
        grades,
        doctor,
        toolchains,
        schema,
        import_,
    ):
        command.add_parser(sub)
    for name, command_parser in sub.choices.items():
        command_parser.epilog = exits.help_line(name)  # the one table of exit codes
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage or help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        code: int = args.handler(args)
    except UserError as exc:
        print(log_block(f"mcv {args.command}: {exc}"), file=sys.stderr)  # may quote data
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mcv: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mcv check ... | head`
        sys.stderr.close()
        return 1
    except Exception:  # a bug in mcv, not the user's input: keep the trace, exit apart
        print(log_block(traceback.format_exc().rstrip("\n")), file=sys.stderr)  # may quote data
        print(
            f"mcv {args.command}: internal error; please report it with the trace above",
            file=sys.stderr,
        )
        return EXIT_BUG
    return code
