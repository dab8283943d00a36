"""`mcv merge`: one verification record from the parts that several runners wrote."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from validator.github import artifact
from validator.manifest.load import load, require
from validator.shards import Part, merge
from validator.verification import write_record


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "merge",
        help="merge the partial records of a fanned-out reproduction",
        description="Merge the verification.json files that `mcv reproduce --shard K/N` "
        "wrote on several runners into one record. A shard that never reported leaves its "
        "runs as failed runs saying so; parts from another manifest version, repeated "
        "shards or mixed devices are refused.",
    )
    parser.add_argument("manifest", metavar="MANIFEST", type=Path)
    parser.add_argument("parts", metavar="PART", type=Path, nargs="*", help="partial records")
    parser.add_argument(
        "--out", metavar="DIR", type=Path, required=True, help="folder for verification.json"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    manifest, doc = require(load(args.manifest), str(args.manifest))
    parts = [Part(str(path), artifact.load_file(path)) for path in args.parts]
    record = merge(manifest, doc.sha256, parts)
    target = write_record(record, args.out)
    missing = [s for s in record.shards if s.fingerprint is None]
    for shard in missing:
        print(f"mcv merge: runner {shard.index} of {shard.of} did not report", file=sys.stderr)
    print(f"wrote {target} ({len(parts)} of {record.shards[0].of} parts)", file=sys.stderr)
    return 1 if any(r.status == "failed" for r in record.runs) else 0
