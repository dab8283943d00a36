"""The verification record `mcv reproduce` writes: data only, validated before anyone reads it.

It lives in `validator` (not `runner`) so that the privileged side, which never imports
torch, can check a record it downloaded against this schema.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from validator.errors import UserError
from validator.manifest.base import StrictModel
from validator.schema_errors import summary

RECORD_VERSION = 1
RECORD_NAME = "verification.json"
MAX_RECORD = 16 * 2**20  # a record of hundreds of runs is well under 1 MiB
RunStatus = Literal["ok", "failed", "unsupported"]


class Spread(StrictModel):
    """A repeated measurement, summarised. Unit in the field names of the owner."""

    median: float
    mean: float
    p90: float
    p95: float
    iqr: float
    cv: float = Field(description="Coefficient of variation: stdev / mean.")
    n: int = Field(ge=1)


class Latency(StrictModel):
    device: Literal["cpu", "cuda"]
    ms: Spread = Field(description="Per sample, batch 1, milliseconds.")
    cold_ms: float = Field(description="The first call, timed apart from the rest.")
    warmup: int
    threads: int | None = None
    clock: Literal["perf_counter", "cuda_events", "coordinator"] = Field(
        description="coordinator: the trusted side's perf_counter around each query, the "
        "channel's own round trip (`pipe_ms`, an echo) taken off."
    )
    ci_low: float | None = Field(None, description="95% bootstrap interval of the median, ms.")
    ci_high: float | None = None
    rounds: int | None = Field(None, description="Timing rounds (runner/timing.py).")
    drift: float | None = Field(
        None, description="Relative change of this model's speed over its rounds."
    )
    pipe_ms: float | None = Field(None, description="The channel's round trip, taken off.")
    paired_ms: float | None = Field(
        None,
        description="A paired run: its own median in the rounds. `ms.median` is then the "
        "original's median timed alone over the speed-up, on the original's time base.",
    )
    pipe_iqr_ms: float | None = Field(
        None, description="Its interquartile range: what taking it off leaves uncertain."
    )
    timing: Literal["interleaved", "alone", "blocks"] | None = Field(
        None, description="Timed in rounds with the original, alone, or in blocks."
    )

    def interval_rel(self) -> float | None:
        """Half the interval of the median, relative to it; None for an older record."""
        if self.ci_low is None or self.ci_high is None or self.ms.median <= 0:
            return None
        return (self.ci_high - self.ci_low) / 2 / self.ms.median

    def resolution_rel(self) -> float:
        """What the channel's uncertainty leaves unresolved, relative to the median (half
        the echo's interquartile range, capped at 0.5): a model about as fast as the pipe
        cannot be timed finer than that."""
        if not self.pipe_iqr_ms or self.ms.median <= 0:
            return 0.0
        return min(self.pipe_iqr_ms / 2 / self.ms.median, 0.5)


class Speedup(StrictModel):
    """The original's latency over the run's, measured round by round with both resident."""

    value: float
    ci_low: float
    ci_high: float
    rounds: int
    paired_with: str = Field(description="The original run's label.")
    original_drift: float = Field(description="The original's drift over these rounds.")
    timing: Literal["interleaved", "blocks"]


class Size(StrictModel):
    size_mb: float = Field(description="Bytes of the deployable artifact on disk / 2^20.")
    bytes: int
    files: list[str]
    params: int
    nonzero_params: int
    gzip_mb: float
    theoretical_mb: float = Field(description="nonzeros x bits, or indices x log2(k) + codebook.")
    scheme: str = Field(description="What the artifact is: safetensors, onnx, codebook, ...")


class Memory(StrictModel):
    ram_peak_mb: float = Field(description="Peak RSS while running inference, MB.")
    ram_before_load_mb: float = Field(description="RSS before the model was loaded, MB.")
    samples: int = Field(description="RSS samples taken (every ~10 ms).")
    vram_peak_allocated_mb: float | None = None
    vram_nvml_mb: float | None = None


class Quality(StrictModel):
    metric: str
    value: float
    samples: int
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None
    extra: dict[str, float] = Field(default_factory=dict)
    definition: str = Field(description="How the number was computed, in one line.")


class Agreement(StrictModel):
    """The run's outputs against the original torch model's (fp32, loaded in the same run
    process, asked the same evaluation samples). See runner/equivalence.py."""

    compared: Literal["logits", "text"]
    samples: int = Field(ge=0, description="Evaluation samples compared.")
    lossless: bool = Field(description="The method claims the original's outputs.")
    passed: bool | None = Field(
        None, description="Lossless only: within the tolerance. None for a lossy method."
    )
    max_abs_logit_diff: float | None = None
    argmax_agreement: float | None = Field(None, description="Share of positions, 0..1.")
    mean_kl: float | None = Field(None, description="KL(original || run) per position, nats.")
    shape_mismatches: int = 0
    exact_match: float | None = Field(None, description="Text: share of identical outputs.")
    edit_distance: float | None = Field(
        None, description="Text: mean Levenshtein distance / the longer text's length."
    )
    tolerance: dict[str, float] = Field(default_factory=dict)


class Decoding(StrictModel):
    """How a generating task decoded: the same setup for every run, whatever the model's
    generation_config said, so latency and quality follow the model, not the output length."""

    strategy: Literal["greedy"] = "greedy"
    max_new_tokens: int = Field(ge=1)
    derived_from: str = Field(description="How max_new_tokens was chosen.")
    eos_token_id: list[int] = Field(default_factory=list)
    overridden: dict[str, str] = Field(
        default_factory=dict, description="The model's generation_config values replaced."
    )
    new_tokens_mean: float | None = None
    new_tokens_max: int | None = None
    ended_without_eos: int | None = Field(
        None, description="Samples cut by max_new_tokens rather than ended by EOS."
    )


class RunRecord(StrictModel):
    label: str
    method: str
    status: RunStatus
    error: str | None = None
    duration_s: float
    size: Size | None = None
    cpu: Latency | None = None
    gpu: Latency | None = None
    memory: Memory | None = None
    quality: Quality | None = None
    agreement: Agreement | None = None
    decoding: Decoding | None = None
    speedup: Speedup | None = Field(None, description="vs the original, on this runner.")
    audits: list[str] = Field(
        default_factory=list, description="The audits the run passed (timing vs scoring...)."
    )
    toolchain: str | None = Field(
        None, description="The environment its worker ran in (`mcv toolchains`), with its key."
    )
    versions: dict[str, str] = Field(
        default_factory=dict, description="Libraries in that environment, as its worker says."
    )


class Fingerprint(StrictModel):
    cpu_model: str
    cores: int
    threads: int
    gpu_name: str | None = None
    gpu_driver: str | None = None
    cuda: str | None = None
    python: str
    platform: str
    versions: dict[str, str] = Field(description="torch, transformers, onnxruntime, optimum, ...")


class Shard(StrictModel):
    """One runner's part of a reproduction fanned out over several (`--shard K/N`).

    Every shard also times the original, so each speed-up is anchored on the machine that
    measured it; the merged record keeps those anchors here."""

    index: int = Field(ge=1)
    of: int = Field(ge=1)
    runs: list[str] = Field(description="Labels this shard owns in the merged record.")
    fingerprint: Fingerprint | None = Field(None, description="None: it never reported.")
    created_at: str | None = None
    original_cpu: Latency | None = None
    original_gpu: Latency | None = None


class Publication(StrictModel):
    """Added by the publish job on merge, from the API; never taken from the artifact."""

    pull_request: int = Field(ge=1)
    url: str = Field(max_length=500)
    comment_url: str | None = Field(None, max_length=500)
    opened_at: str
    merged_at: str | None = None
    verdict: Literal["verified", "discrepancies", "incomplete"] | None = None


class VerificationRecord(StrictModel):
    record_version: Literal[1] = 1
    manifest_path: str
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    commit: str | None = None
    created_at: str
    device: Literal["cpu", "cuda"]
    fingerprint: Fingerprint
    settings: dict[str, float | int | str] = Field(
        description="Measurement settings: min iterations and seconds, warm-ups, timeout."
    )
    runs: list[RunRecord]
    shards: list[Shard] = Field(
        default_factory=list,
        description="Empty: one runner did everything. One: a part (`--shard K/N`). "
        "N: merged by `mcv merge`.",
    )
    publication: Publication | None = None

    def shard_of(self, label: str) -> Shard | None:
        """The shard that measured `label`, in a merged record."""
        return next((s for s in self.shards if label in s.runs), None)


class RecordError(UserError):
    """A record that cannot be read or is not a valid record; the message says which and why."""


def parse_record(raw: bytes, name: str = RECORD_NAME) -> VerificationRecord:
    """A record from its bytes, size-capped and validated as data."""
    if len(raw) > MAX_RECORD:
        raise RecordError(f"{name} is larger than {MAX_RECORD // 2**20} MiB")
    try:
        return VerificationRecord.model_validate_json(raw)
    except ValidationError as exc:
        raise RecordError(f"{name} is not a valid verification record: {summary(exc)}") from None


def read_record(path: Path) -> VerificationRecord:
    """The record in `path`, read no further than the cap; RecordError when it is not one."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RECORD + 1)
    except OSError as exc:
        raise RecordError(f"{path}: {exc.strerror or exc}") from None
    return parse_record(raw, str(path))


def write_record(record: VerificationRecord, out_dir: Path, name: str = RECORD_NAME) -> Path:
    """Atomically: a reader sees the old record or the new one, never half of either."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    text = json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    with tempfile.NamedTemporaryFile(
        "w", dir=out_dir, prefix=f".{name}.", suffix=".tmp", delete=False, encoding="utf-8"
    ) as handle:
        temporary = Path(handle.name)
        try:
            handle.write(text)
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
    try:
        os.chmod(temporary, 0o644)  # as a plain write would leave it; git and artifacts keep it
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
