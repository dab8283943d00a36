"""A size follows from bits per weight: fp16 halves fp32, int8 quarters it, 4-bit eighths it."""

from __future__ import annotations

from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules._runs import original_of, others
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV403", "size-ratio", "size_mb fits the method's bits per weight, relative to the original"
)

# Above these shares of an fp32 original, the compressed weights were probably not saved
# in the compressed format (int8 keeps embeddings and norms in fp32, hence 0.6).
_SOFT_HIGH = {32: 1.3, 16: 0.6, 8: 0.6, 4: 0.4, 3: 0.4, 2: 0.4}
_SLACK = 0.85  # headers, tied weights and rounding never take more than this off


def bounds(bits: float, base_bits: float, lossy: bool) -> tuple[float, float]:
    """(impossible below, suspicious above) as shares of the original's size."""
    expected = bits / base_bits
    low = _SLACK * expected if lossy else 0.5 * expected
    high = min(1.3, _SOFT_HIGH.get(int(bits), 1.3) * 32 / base_bits)
    return low, max(high, expected * 1.05)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    if (found := original_of(ctx.parts.runs)) is None:
        return
    base = found[1]
    base_size, base_bits = base.reported.size_mb, base.params.weight_bits
    if not base_size or base_size <= 0 or base_bits is None:
        return
    for index, run in others(ctx.parts.runs):
        bits = run.params.weight_bits
        size = run.reported.size_mb
        if bits is None or size is None or size <= 0:
            continue
        low, high = bounds(bits, base_bits, run.params.lossy)
        ratio = size / base_size
        loc = ("runs", index, "reported", "size_mb")
        head = (
            f"runs[{index}] `{run.label}`: {size:g} MB is {ratio:.0%} of the original's "
            f"{base_size:g} MB"
        )
        if ratio < low:
            yield INFO.finding(
                ctx.display,
                loc,
                f"{head}; at {bits:g} bits per weight it cannot be below ~{low:.0%}",
                "report the size of the saved artifact on disk for both runs, in MB "
                "(2^20 bytes); the original's size is of its weights file, not its RAM",
            )
        elif ratio > high:
            yield INFO.finding(
                ctx.display,
                loc,
                f"{head}; at {bits:g} bits per weight expect about {bits / base_bits:.0%}",
                f"save the {run.method} model in its compressed format and report that file's size",
                Severity.WARNING,
            )
