"""Manifest schema v1: `submissions/<team>/hw-<N>.yaml`, as DESIGN.md describes it."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import Field

from validator.manifest import methods as m
from validator.manifest.base import StrictModel
from validator.manifest.metrics import MetricName, TaskName

SCHEMA_VERSION = 1
SCHEMA_ID = "https://aitalents.github.io/model-compression-validator/manifest.v1.json"

TeamSlug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?$",
        description="Lower-case letters, digits, `_` and `-`; the folder name under submissions/.",
    ),
]
Label = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=r"^[^\r\n\t]+$",
        description="Shown in the leaderboard.",
    ),
]
DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")
Measure = Annotated[float | None, Field(description="Positive; see the field name for the unit.")]


class Model(StrictModel):
    id: str = Field(
        min_length=1,
        max_length=200,
        description="Hugging Face hub id (`org/name`) or a local path.",
    )
    revision: str | None = Field(
        None, min_length=1, max_length=64, description="Pinned commit sha of the model repository."
    )
    task: TaskName

    @property
    def is_local(self) -> bool:
        return m.is_local_id(self.id)


class Evaluation(StrictModel):
    dataset: str = Field(
        min_length=1,
        max_length=200,
        description="Hub dataset id, or a data file under `submissions/<team>/` "
        "(.jsonl, .json, .parquet, .csv).",
    )
    revision: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Pinned commit sha (40 hex digits) of a hub dataset; required for one.",
    )
    subset: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Dataset configuration name, e.g. `sst2` of glue.",
    )
    split: str = Field("validation", min_length=1, max_length=100)
    samples: int = Field(
        ge=1, le=1_000_000, description="rows evaluated, in dataset order", examples=[500]
    )
    metric: MetricName
    columns: dict[
        Annotated[str, Field(pattern=r"^[a-z_]{1,30}$")], Annotated[str, Field(max_length=100)]
    ] = Field(
        default_factory=dict,
        description="Column of each role when the dataset's names "
        "differ from the usual ones, e.g. {text: review, label: stars}.",
    )

    @property
    def is_local(self) -> bool:
        """A data file of the team's, not a hub id."""
        return m.is_local_id(self.dataset) or self.dataset.endswith(DATA_SUFFIXES)


class Reported(StrictModel):
    size_mb: Measure = Field(None, description="Deployable artifact on disk, MB = 2^20 bytes.")
    cpu_ms: Measure = Field(None, description="Latency per sample on CPU, batch 1, ms.")
    gpu_ms: Measure = Field(None, description="Latency per sample on GPU, batch 1, ms.")
    ram_mb: Measure = Field(None, description="Peak resident memory, MB.")
    vram_mb: Measure = Field(None, description="Peak GPU memory, MB.")
    quality: float | None = Field(
        None, description="Value of `evaluation.metric`, fractions as 0..1 (82.8% is 0.828)."
    )
    extra_metrics: dict[MetricName, float] = Field(
        default_factory=dict, description="Other metrics measured on the same samples."
    )


class Hardware(StrictModel):
    gpu: str | None = Field(None, min_length=1, max_length=100, examples=["Tesla T4"])
    cpu: str | None = Field(None, min_length=1, max_length=100)


class RunBase(StrictModel):
    method: str
    params: m.Params
    label: Label
    reported: Reported
    hardware: Hardware | None = None
    notes: str | None = Field(None, max_length=2000)


class OriginalRun(RunBase):
    """The uncompressed baseline, as downloaded; every other run is judged against it."""

    method: Literal["original"]
    params: m.OriginalParams = Field(default_factory=m.OriginalParams)


class Fp16Run(RunBase):
    """Weights cast to float16 (GPU)."""

    method: Literal["fp16"]
    params: m.Fp16Params = Field(default_factory=m.Fp16Params)


class Bf16Run(RunBase):
    """Weights cast to bfloat16 (GPU, or a CPU with bf16 support)."""

    method: Literal["bf16"]
    params: m.Fp16Params = Field(default_factory=m.Fp16Params)


class DynamicInt8Run(RunBase):
    """CPU: torch dynamic int8 quantization of Linear layers, no calibration data."""

    method: Literal["dynamic-int8"]
    params: m.DynamicInt8Params = Field(default_factory=m.DynamicInt8Params)


class StaticInt8Run(RunBase):
    """CPU: static int8 quantization with calibration samples (ONNX Runtime, QDQ)."""

    method: Literal["static-int8"]
    params: m.StaticInt8Params = Field(default_factory=m.StaticInt8Params)


class OnnxRun(RunBase):
    """Export to ONNX and run with ONNX Runtime, weights unchanged."""

    method: Literal["onnx"]
    params: m.OnnxParams = Field(default_factory=m.OnnxParams)


class OnnxInt8Run(RunBase):
    """CPU: export to ONNX, then ONNX Runtime dynamic int8 quantization."""

    method: Literal["onnx-int8"]
    params: m.OnnxInt8Params = Field(default_factory=m.OnnxInt8Params)


class OpenVinoRun(RunBase):
    """Export to OpenVINO IR (CPU), at fp32, fp16, int8 or int4."""

    method: Literal["openvino"]
    params: m.OpenVinoParams = Field(default_factory=m.OpenVinoParams)


class TorchScriptRun(RunBase):
    """torch.jit trace or script, weights unchanged."""

    method: Literal["torchscript"]
    params: m.TorchScriptParams = Field(default_factory=m.TorchScriptParams)


class TensorRtRun(RunBase):
    """GPU: a TensorRT engine at fp32, fp16 or int8."""

    method: Literal["tensorrt"]
    params: m.TensorRtParams = Field(default_factory=m.TensorRtParams)


class PruneUnstructuredRun(RunBase):
    """Zero a share of weights by L1 magnitude (`amount`)."""

    method: Literal["prune-unstructured"]
    params: m.PruneUnstructuredParams


class PruneStructuredRun(RunBase):
    """Remove a share of channels by Ln norm (`amount`)."""

    method: Literal["prune-structured"]
    params: m.PruneStructuredParams


class KMeansRun(RunBase):
    """Cluster each layer's weights into `clusters` centroids."""

    method: Literal["kmeans"]
    params: m.KMeansParams


class GptqRun(RunBase):
    """GPU: GPTQ weight-only quantization (2, 3, 4 or 8 bits) with calibration."""

    method: Literal["gptq"]
    params: m.GptqParams = Field(default_factory=m.GptqParams)


class AwqRun(RunBase):
    """GPU: AWQ 4-bit weight-only quantization."""

    method: Literal["awq"]
    params: m.AwqParams = Field(default_factory=m.AwqParams)


class BnbInt8Run(RunBase):
    """GPU: bitsandbytes LLM.int8() 8-bit weights."""

    method: Literal["bnb-int8"]
    params: m.BnbInt8Params = Field(default_factory=m.BnbInt8Params)


class Bnb4BitRun(RunBase):
    """GPU: bitsandbytes 4-bit weights (nf4 or fp4)."""

    method: Literal["bnb-4bit"]
    params: m.Bnb4BitParams = Field(default_factory=m.Bnb4BitParams)


class DistilledRun(RunBase):
    """A smaller student model trained by the team (`student.id`)."""

    method: Literal["distilled"]
    params: m.DistilledParams


class CustomRun(RunBase):
    """The team's own recipe script, run in the sandbox."""

    method: Literal["custom"]
    params: m.CustomParams


RUN_TYPES: tuple[type[RunBase], ...] = (
    OriginalRun,
    Fp16Run,
    Bf16Run,
    DynamicInt8Run,
    StaticInt8Run,
    OnnxRun,
    OnnxInt8Run,
    OpenVinoRun,
    TorchScriptRun,
    TensorRtRun,
    PruneUnstructuredRun,
    PruneStructuredRun,
    KMeansRun,
    GptqRun,
    AwqRun,
    BnbInt8Run,
    Bnb4BitRun,
    DistilledRun,
    CustomRun,
)

Run = Annotated[
    OriginalRun
    | Fp16Run
    | Bf16Run
    | DynamicInt8Run
    | StaticInt8Run
    | OnnxRun
    | OnnxInt8Run
    | OpenVinoRun
    | TorchScriptRun
    | TensorRtRun
    | PruneUnstructuredRun
    | PruneStructuredRun
    | KMeansRun
    | GptqRun
    | AwqRun
    | BnbInt8Run
    | Bnb4BitRun
    | DistilledRun
    | CustomRun,
    Field(discriminator="method"),
]

MethodName = Literal[
    "original",
    "fp16",
    "bf16",
    "dynamic-int8",
    "static-int8",
    "onnx",
    "onnx-int8",
    "openvino",
    "torchscript",
    "tensorrt",
    "prune-unstructured",
    "prune-structured",
    "kmeans",
    "gptq",
    "awq",
    "bnb-int8",
    "bnb-4bit",
    "distilled",
    "custom",
]


def method_of(run_type: type[RunBase]) -> str:
    (tag,) = get_args(run_type.model_fields["method"].annotation)
    return str(tag)


RUN_TYPE_BY_METHOD: dict[str, type[RunBase]] = {method_of(t): t for t in RUN_TYPES}


class Manifest(StrictModel):
    """One team's results for one homework."""

    schema_version: Literal[1] = Field(description="Always 1 for this schema.", examples=[1])
    team: TeamSlug
    homework: int = Field(ge=1, le=7, description="Homework (lesson) number, 1..7.")
    model: Model
    evaluation: Evaluation
    runs: list[Run] = Field(min_length=1, max_length=50)


def _runs_by_method(items: dict[str, Any]) -> dict[str, Any]:
    """A run's schema chosen by its `method` (`if`/`then`), not `oneOf` over every method.

    Under `oneOf` an editor reports each of the 19 branches' complaints about a draft;
    with one `if`/`then` per method it reports only those of the method the run names.
    """
    mapping: dict[str, str] = items["discriminator"]["mapping"]
    return {
        "type": "object",
        "required": ["method", "label", "reported"],
        "properties": {
            "method": {
                "enum": list(mapping),
                "description": "The compression method; its `params` follow from it.",
            }
        },
        "allOf": [
            {
                "if": {"properties": {"method": {"const": method}}, "required": ["method"]},
                "then": {"$ref": ref},
            }
            for method, ref in mapping.items()
        ],
    }


def json_schema() -> dict[str, Any]:
    """The manifest JSON Schema, for editors and for `mcv schema`."""
    schema = Manifest.model_json_schema()
    runs = schema["properties"]["runs"]
    runs["items"] = _runs_by_method(runs["items"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "Model-compression submission manifest (v1)",
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
