"""`mcv schema`: the manifest JSON Schema, for editors and for the committed copy."""

from __future__ import annotations

import argparse
import sys

from validator.manifest.schema import json_schema_text


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "schema",
        help="print the manifest JSON Schema",
        description="Print the JSON Schema of manifest v1.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(json_schema_text())
    return 0
