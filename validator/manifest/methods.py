"""Every compression method a manifest may declare, with its typed parameters.

A run's `method` is the tag of a discriminated union, so a misspelt method or a key its
parameters do not have is a schema error, not a silently ignored value. Each parameter
model also says what the method does to the weights (`lossy`, `weight_bits`), which is
what the plausibility rules judge reported sizes by.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from validator.manifest.base import StrictModel

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]
Dtype = Literal["float32", "float16", "bfloat16"]
PruneStorage = Literal["dense", "sparse", "gzip", "theoretical"]
ClusterStorage = Literal["dense", "codebook", "gzip", "theoretical"]
LayerPatterns = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(
        min_length=1,
        max_length=100,
        description="Module names or glob patterns (`encoder.*.dense`) the method touches.",
    ),
]

DTYPE_BITS: dict[str, int] = {"float32": 32, "float16": 16, "bfloat16": 16}


class Params(StrictModel):
    """Parameters of one method. The defaults describe a lossy, size-neutral method."""

    @property
    def lossy(self) -> bool:
        return True

    @property
    def weight_bits(self) -> float | None:
        """Bits per weight in the deployable artifact, when the method fixes them."""
        return None


class LosslessParams(Params):
    @property
    def lossy(self) -> bool:
        return False

    @property
    def weight_bits(self) -> float | None:
        return 32


class OriginalParams(Params):
    dtype: Dtype = Field("float32", description="Dtype of the original weights as measured.")

    @property
    def lossy(self) -> bool:
        return False

    @property
    def weight_bits(self) -> float | None:
        return DTYPE_BITS[self.dtype]


class Fp16Params(Params):
    @property
    def weight_bits(self) -> float | None:
        return 16


DynamicModule = Literal["Linear", "LSTM", "GRU", "LSTMCell", "GRUCell", "RNNCell"]


def _linear_only() -> list[DynamicModule]:
    return ["Linear"]


class DynamicInt8Params(Params):
    layers: list[DynamicModule] = Field(
        default_factory=_linear_only,
        min_length=1,
        description="Module types quantized by torch.ao dynamic quantization.",
    )

    @property
    def weight_bits(self) -> float | None:
        return 8


OnnxOperator = Literal[
    "MatMul", "Gemm", "Conv", "Attention", "Gather", "Add", "Mul", "EmbedLayerNormalization"
]
OptimumLevel = Literal["O1", "O2", "O3", "O4"]
GraphLevel = Literal[0, 1, 2, 99]
NodePatterns = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(
        min_length=1,
        max_length=100,
        description="ONNX node names or glob patterns (`/bert/encoder/layer.0/*`) of the "
        "exported graph.",
    ),
]
_GRAPH_LEVEL = Field(
    None,
    description="ONNX Runtime session graph optimization level: 0 none, 1 basic, 2 extended, "
    "99 all (ONNX Runtime's default).",
)


class OrtQuantParams(Params):
    """What Optimum's ORTQuantizer quantizes: which operator kinds, which nodes."""

    opset: int | None = Field(None, ge=11, le=25)
    per_channel: bool = False
    operators: list[OnnxOperator] | None = Field(
        None,
        min_length=1,
        description="Operator kinds quantized (ONNX Runtime's defaults for the mode when unset).",
    )
    layers: NodePatterns | None = Field(
        None, description="Quantize only the nodes whose names match (a subset of layers)."
    )
    exclude: NodePatterns | None = Field(None, description="Nodes left in float.")
    graph_optimization_level: GraphLevel | None = _GRAPH_LEVEL

    @property
    def weight_bits(self) -> float | None:
        # a subset leaves the other weights in fp32: the artifact's bits are not all 8
        return 8 if self.layers is None and self.exclude is None else None


class StaticInt8Params(OrtQuantParams):
    calibration_samples: int = Field(100, ge=1, le=10_000)
    calibration_method: Literal["minmax", "entropy", "percentile"] = "minmax"
    quant_format: Literal["qdq", "qoperator"] = "qdq"


class OnnxParams(LosslessParams):
    opset: int | None = Field(None, ge=11, le=25)
    optimization: OptimumLevel | None = Field(
        None,
        description="Optimum ORTOptimizer level: O1 basic, O2 + transformer fusions, O3 + GELU "
        "approximation (lossy), O4 + fp16 (GPU only, lossy).",
    )
    graph_optimization_level: GraphLevel | None = _GRAPH_LEVEL

    @property
    def lossy(self) -> bool:
        return self.optimization in ("O3", "O4")

    @property
    def weight_bits(self) -> float | None:
        return 16 if self.optimization == "O4" else 32


class OnnxInt8Params(OrtQuantParams):
    pass


_PRECISION_BITS = {"fp32": 32, "fp16": 16, "int8": 8, "int4": 4}


class OpenVinoParams(Params):
    precision: Literal["fp32", "fp16", "int8", "int4"] = "fp32"

    @property
    def lossy(self) -> bool:
        return self.precision != "fp32"

    @property
    def weight_bits(self) -> float | None:
        return _PRECISION_BITS[self.precision]


class TorchScriptParams(LosslessParams):
    mode: Literal["trace", "script"] = "trace"


class TensorRtParams(Params):
    precision: Literal["fp32", "fp16", "int8"] = "fp16"

    @property
    def lossy(self) -> bool:
        return self.precision != "fp32"

    @property
    def weight_bits(self) -> float | None:
        return _PRECISION_BITS[self.precision]


class PruneUnstructuredParams(Params):
    amount: Fraction = Field(description="Share of weights zeroed by L1 magnitude.")
    layers: LayerPatterns | None = None
    storage: PruneStorage | None = Field(
        None,
        description="How the reported size was stored: dense file, sparse (CSR), "
        "gzip of the dense file, or theoretical (nonzeros x bits).",
    )


class PruneStructuredParams(Params):
    amount: Fraction = Field(description="Share of channels removed by Ln norm.")
    norm: Literal[1, 2] = 2
    dim: int = Field(0, ge=0, le=3)
    layers: LayerPatterns | None = None
    storage: PruneStorage | None = None


class KMeansParams(Params):
    clusters: int = Field(ge=2, le=65_536, description="Centroids per clustered layer (k).")
    layers: LayerPatterns | None = None
    storage: ClusterStorage | None = Field(
        None,
        description="How the reported size was stored: dense file, codebook + "
        "indices, gzip of the dense file, or theoretical (indices x log2(k) + codebook).",
    )


class GptqParams(Params):
    bits: Literal[2, 3, 4, 8] = 4
    group_size: int = Field(128, ge=-1, le=4096, description="-1: one group per column.")
    calibration_samples: int = Field(128, ge=1, le=10_000)

    @property
    def weight_bits(self) -> float | None:
        return self.bits


class AwqParams(Params):
    bits: Literal[4] = 4
    group_size: int = Field(128, ge=-1, le=4096)
    zero_point: bool = True

    @property
    def weight_bits(self) -> float | None:
        return self.bits


class BnbInt8Params(Params):
    threshold: float = Field(6.0, ge=0.0, description="LLM.int8() outlier threshold.")

    @property
    def weight_bits(self) -> float | None:
        return 8


class Bnb4BitParams(Params):
    quant_type: Literal["nf4", "fp4"] = "nf4"
    double_quant: bool = False
    compute_dtype: Dtype = "float16"

    @property
    def weight_bits(self) -> float | None:
        return 4


def is_local_id(name: str) -> bool:
    """A path, not a hub id: hub ids are `name` or `org/name` and never start with a dot."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1


class StudentModel(StrictModel):
    id: str = Field(min_length=1, max_length=200, description="Hub id or local path.")
    revision: str | None = Field(None, min_length=1, max_length=64)

    @property
    def is_local(self) -> bool:
        return is_local_id(self.id)


class DistilledParams(Params):
    model_config = ConfigDict(protected_namespaces=())
    student: StudentModel


class CustomParams(Params):
    script: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*\.py$",
        max_length=200,
        description="Python file in the team's folder; runs in the sandbox.",
    )
    description: str = Field(min_length=1, max_length=500)
