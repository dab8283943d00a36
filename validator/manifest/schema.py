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
    samples: int = Field(ge=1, le=1_000_000, description="Rows evaluated, in dataset order.")
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
    method: Literal["original"]
    params: m.OriginalParams = Field(default_factory=m.OriginalParams)


class Fp16Run(RunBase):
    method: Literal["fp16"]
    params: m.Fp16Params = Field(default_factory=m.Fp16Params)


class Bf16Run(RunBase):
    method: Literal["bf16"]
    params: m.Fp16Params = Field(default_factory=m.Fp16Params)


class DynamicInt8Run(RunBase):
    method: Literal["dynamic-int8"]
    params: m.DynamicInt8Params = Field(default_factory=m.DynamicInt8Params)


class StaticInt8Run(RunBase):
    method: Literal["static-int8"]
    params: m.StaticInt8Params = Field(default_factory=m.StaticInt8Params)


class OnnxRun(RunBase):
    method: Literal["onnx"]
    params: m.OnnxParams = Field(default_factory=m.OnnxParams)


class OnnxInt8Run(RunBase):
    method: Literal["onnx-int8"]
    params: m.OnnxInt8Params = Field(default_factory=m.OnnxInt8Params)


class OpenVinoRun(RunBase):
    method: Literal["openvino"]
    params: m.OpenVinoParams = Field(default_factory=m.OpenVinoParams)


class TorchScriptRun(RunBase):
    method: Literal["torchscript"]
    params: m.TorchScriptParams = Field(default_factory=m.TorchScriptParams)


class TensorRtRun(RunBase):
    method: Literal["tensorrt"]
    params: m.TensorRtParams = Field(default_factory=m.TensorRtParams)


class PruneUnstructuredRun(RunBase):
    method: Literal["prune-unstructured"]
    params: m.PruneUnstructuredParams


class PruneStructuredRun(RunBase):
    method: Literal["prune-structured"]
    params: m.PruneStructuredParams


class KMeansRun(RunBase):
    method: Literal["kmeans"]
    params: m.KMeansParams


class GptqRun(RunBase):
    method: Literal["gptq"]
    params: m.GptqParams = Field(default_factory=m.GptqParams)


class AwqRun(RunBase):
    method: Literal["awq"]
    params: m.AwqParams = Field(default_factory=m.AwqParams)


class BnbInt8Run(RunBase):
    method: Literal["bnb-int8"]
    params: m.BnbInt8Params = Field(default_factory=m.BnbInt8Params)


class Bnb4BitRun(RunBase):
    method: Literal["bnb-4bit"]
    params: m.Bnb4BitParams = Field(default_factory=m.Bnb4BitParams)


class DistilledRun(RunBase):
    method: Literal["distilled"]
    params: m.DistilledParams


class CustomRun(RunBase):
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

    schema_version: Literal[1] = Field(description="Always 1 for this schema.")
    team: TeamSlug
    homework: int = Field(ge=1, le=7, description="Homework (lesson) number, 1..7.")
    model: Model
    evaluation: Evaluation
    runs: list[Run] = Field(min_length=1, max_length=50)


def json_schema() -> dict[str, Any]:
    """The manifest JSON Schema, for editors and for `mcv schema`."""
    schema = Manifest.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "Model-compression submission manifest (v1)",
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
