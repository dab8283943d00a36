"""Fanning one submission's runs out over several runners, and merging what they report.

Pure: a plan is a function of the manifest and the number of runners, so every runner of
a matrix computes the same split on its own, and the merge needs nothing but the manifest
and the parts. Every shard times the original too: a speed-up is only meaningful against
an original measured on the same machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from validator.errors import UserError
from validator.manifest.schema import Manifest, OriginalRun
from validator.verification import Latency, RunRecord, Shard, VerificationRecord

SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` (1-based), as `--shard` takes it."""
    match = SHARD.match(text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UserError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/3")
    return int(match[1]), int(match[2])


def count(manifest: Manifest, runners: int) -> int:
    """How many shards are worth it: never more than the runs besides the original."""
    others = sum(not isinstance(r, OriginalRun) for r in manifest.runs)
    return max(1, min(runners, others))


def plan(manifest: Manifest, of: int) -> list[list[str]]:
    """For each shard, the labels it runs: the original everywhere, the rest dealt out."""
    originals = [r.label for r in manifest.runs if isinstance(r, OriginalRun)]
    others = [r.label for r in manifest.runs if not isinstance(r, OriginalRun)]
    return [originals + others[k::of] for k in range(of)]


def owned(manifest: Manifest, of: int) -> list[list[str]]:
    """For each shard, the labels it owns in the merged record (the original: shard 1)."""
    originals = {r.label for r in manifest.runs if isinstance(r, OriginalRun)}
    return [
        [label for label in labels if k == 0 or label not in originals]
        for k, labels in enumerate(plan(manifest, of))
    ]


@dataclass(frozen=True)
class Part:
    """A partial record and where it came from, for messages."""

    source: str
    record: VerificationRecord


def _problems(manifest: Manifest, sha256: str, parts: list[Part]) -> list[str]:
    problems = []
    sizes = set()
    seen: dict[int, str] = {}
    for part in parts:
        record = part.record
        if len(record.shards) != 1:
            problems.append(
                f"{part.source}: not a part of a fanned-out run (written without "
                "`mcv reproduce --shard K/N`)"
            )
            continue
        shard = record.shards[0]
        sizes.add(shard.of)
        if record.manifest_sha256 != sha256:
            problems.append(
                f"{part.source}: measured another version of the manifest "
                f"(sha256 {record.manifest_sha256[:12]}, expected {sha256[:12]})"
            )
        if shard.index in seen:
            problems.append(
                f"{part.source}: shard {shard.index}/{shard.of} again (also {seen[shard.index]})"
            )
        seen[shard.index] = part.source
    if len(sizes) > 1:
        problems.append(f"the parts disagree on the number of shards: {sorted(sizes)}")
    devices = {p.record.device for p in parts}
    if len(devices) > 1:
        problems.append(f"the parts ran on different devices: {sorted(devices)}")
    if not parts:
        problems.append("no part to merge: every runner's job failed before writing a record")
    return problems


def _original_latencies(
    record: VerificationRecord | None, manifest: Manifest
) -> tuple[Latency | None, Latency | None]:
    """(cpu, gpu) of the original as this shard's runner timed it."""
    original = next((r for r in manifest.runs if isinstance(r, OriginalRun)), None)
    runs = record.runs if record else []
    run = next((r for r in runs if original and r.label == original.label), None)
    if run is None or run.status != "ok":
        return None, None
    return run.cpu, run.gpu


def merge(manifest: Manifest, sha256: str, parts: list[Part]) -> VerificationRecord:
    """One record from the parts; a shard that never reported leaves its runs failed."""
    problems = _problems(manifest, sha256, parts)
    if problems:
        raise UserError("cannot merge: " + "; ".join(problems))
    of = parts[0].record.shards[0].of
    by_index = {p.record.shards[0].index: p.record for p in parts}
    shards: list[Shard] = []
    runs: dict[str, RunRecord] = {}
    for index, labels in enumerate(owned(manifest, of), start=1):
        part = by_index.get(index)
        cpu, gpu = _original_latencies(part, manifest)
        shards.append(
            Shard(
                index=index,
                of=of,
                runs=labels,
                fingerprint=part.fingerprint if part else None,
                created_at=part.created_at if part else None,
                original_cpu=cpu,
                original_gpu=gpu,
            )
        )
        measured = {r.label: r for r in part.runs} if part else {}
        for label in labels:
            runs[label] = measured.get(label) or RunRecord(
                label=label,
                method=next(r.method for r in manifest.runs if r.label == label),
                status="failed",
                error=(
                    f"runner {index} of {of} did not report (its job failed or was cancelled)"
                    if part is None
                    else f"runner {index} of {of} reported no result for this run"
                ),
                duration_s=0.0,
            )
    first = by_index[min(by_index)]
    return first.model_copy(
        update={
            "created_at": max(p.record.created_at for p in parts),
            "settings": {**first.settings, "shards": of},
            "runs": [runs[r.label] for r in manifest.runs],
            "shards": shards,
        }
    )
