"""Pruning and clustering shrink a file only under a storage scheme, which must be declared."""

from __future__ import annotations

import math
from collections.abc import Iterator

from validator.findings import Finding
from validator.manifest.methods import KMeansParams, PruneStructuredParams, PruneUnstructuredParams
from validator.rules._runs import original_of, others
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV404",
    "storage-scheme",
    "a pruned or clustered run that claims a smaller size declares "
    "`params.storage`, and the size fits it",
)

_SMALLER = 0.95
_SLACK = 0.85


def _floor(params: PruneUnstructuredParams | KMeansParams, base_bits: float) -> float | None:
    """Smallest share of the original a declared scheme can reach, if it has one."""
    if isinstance(params, KMeansParams) and params.storage in ("codebook", "theoretical"):
        return _SLACK * math.log2(params.clusters) / base_bits
    if isinstance(params, PruneUnstructuredParams) and params.storage in ("sparse", "theoretical"):
        return _SLACK * (1 - params.amount)
    return None


def check(ctx: ManifestContext) -> Iterator[Finding]:
    if (found := original_of(ctx.parts.runs)) is None:
        return
    base = found[1]
    base_size, base_bits = base.reported.size_mb, base.params.weight_bits or 32
    if not base_size or base_size <= 0:
        return
    for index, run in others(ctx.parts.runs):
        params = run.params
        size = run.reported.size_mb
        if not isinstance(params, PruneUnstructuredParams | PruneStructuredParams | KMeansParams):
            continue
        if size is None or size <= 0 or size >= _SMALLER * base_size:
            continue
        loc = ("runs", index, "reported", "size_mb")
        ratio = size / base_size
        head = f"runs[{index}] `{run.label}`: {size:g} MB is {ratio:.0%} of the original"
        if params.storage is None:
            yield INFO.finding(
                ctx.display,
                loc,
                f"{head}, but `params.storage` does not say how it was stored",
                "add `storage:` (dense, gzip, sparse/codebook, or theoretical) to params; a "
                "dense file of a pruned or clustered model is as large as the original",
            )
        elif params.storage == "dense" and not isinstance(params, PruneStructuredParams):
            yield INFO.finding(
                ctx.display,
                loc,
                f"{head}, but a dense {run.method} file keeps every weight",
                "report the dense file's size, or declare the scheme that made it smaller",
            )
        elif isinstance(params, PruneUnstructuredParams | KMeansParams) and (
            (floor := _floor(params, base_bits)) is not None and ratio < floor
        ):
            yield INFO.finding(
                ctx.display,
                loc,
                f"{head}; `{params.storage}` storage cannot go below ~{floor:.0%}",
                "check the size; theoretical size is nonzeros x bits or indices x log2(k) "
                "plus the codebook",
            )
