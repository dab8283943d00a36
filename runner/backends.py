"""One interface over the ways a recipe's result runs: a torch module, an ONNX Runtime
session, a TorchScript module. Inputs and outputs are numpy arrays, batch 1."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runner.errors import Unsupported

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class Generated:
    ids: np.ndarray  # batch 1: shape (1, length)
    new_tokens: int  # decoding steps taken, over every segment the model's generate() ran


class Backend(ABC):
    device = "cpu"

    @abstractmethod
    def forward(self, inputs: Inputs) -> np.ndarray:
        """The model's first output (logits), as float32."""

    def generate(self, inputs: Inputs, config: Any) -> Generated:
        """Decode with `config` (a transformers GenerationConfig: runner/tasks/decoding.py);
        None: with the model's own `generate()` as it is (a transducer with its own code)."""
        raise Unsupported(
            f"{type(self).__name__} cannot generate; generation tasks run on "
            "torch recipes only in this version"
        )

    def synchronize(self) -> None:  # noqa: B027 - most backends have nothing to wait for
        """Wait for queued device work, so a clock read after it is honest."""


class TorchBackend(Backend):
    def __init__(self, model: Any, device: str = "cpu") -> None:
        import torch

        self.torch = torch
        self.model = model
        self.device = device
        self.dtype = next(
            (p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32
        )

    def _tensors(self, inputs: Inputs) -> dict[str, Any]:
        out = {}
        for name, array in inputs.items():
            tensor = self.torch.from_numpy(np.ascontiguousarray(array)).to(self.device)
            if tensor.is_floating_point():
                tensor = tensor.to(self.dtype)
            out[name] = tensor
        return out

    def forward(self, inputs: Inputs) -> np.ndarray:
        with self.torch.inference_mode():
            output = self.model(**self._tensors(inputs))
        logits = output.logits if hasattr(output, "logits") else output[0]
        return logits.float().cpu().numpy()

    def generate(self, inputs: Inputs, config: Any) -> Generated:
        from transformers import StoppingCriteria, StoppingCriteriaList

        torch = self.torch

        class Steps(StoppingCriteria):
            """Counts decoding steps; stops nothing (EOS and the budget do)."""

            count = 0

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                self.count += 1
                return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        if config is None:
            with self.torch.inference_mode():
                out = self.model.generate(**self._tensors(inputs))
            out = getattr(out, "sequences", out)
            own = np.asarray(out.cpu().numpy() if hasattr(out, "cpu") else out, dtype=np.int64)
            own = own.reshape(1, -1)
            return Generated(own, int(own.shape[1]))
        steps = Steps()
        with self.torch.inference_mode():
            ids = self.model.generate(
                **self._tensors(inputs),
                generation_config=config,
                stopping_criteria=StoppingCriteriaList([steps]),
            )
        return Generated(ids.cpu().numpy(), steps.count)

    def synchronize(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()


class ScriptBackend(TorchBackend):
    """A TorchScript module traced with keyword inputs in a fixed order."""

    def __init__(self, module: Any, input_names: list[str]) -> None:
        super().__init__(module)
        self.input_names = input_names

    def forward(self, inputs: Inputs) -> np.ndarray:
        tensors = self._tensors(inputs)
        with self.torch.inference_mode():
            output = self.model(**{k: tensors[k] for k in self.input_names})
        first = (
            output["logits"]
            if isinstance(output, dict)
            else (output[0] if isinstance(output, tuple | list) else output)
        )
        return first.float().cpu().numpy()


class OrtBackend(Backend):
    def __init__(self, model_path: Path, threads: int, device: str = "cpu") -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        providers = ["CUDAExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
        if device == "cuda" and "CUDAExecutionProvider" not in ort.get_available_providers():
            raise Unsupported("onnxruntime has no CUDA provider here (install onnxruntime-gpu)")
        self.session = ort.InferenceSession(str(model_path), options, providers=providers)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.device = device

    def forward(self, inputs: Inputs) -> np.ndarray:
        feed = {name: inputs[name] for name in self.input_names}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)


class Recording(Backend):
    """Passes every call through and keeps what the last one returned (the scoring pass
    compares those outputs with the original's: runner/equivalence.py)."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.device = inner.device
        self.last: np.ndarray | Generated | None = None

    def forward(self, inputs: Inputs) -> np.ndarray:
        self.last = self.inner.forward(inputs)
        return self.last

    def generate(self, inputs: Inputs, config: Any) -> Generated:
        self.last = self.inner.generate(inputs, config)
        return self.last

    def synchronize(self) -> None:
        self.inner.synchronize()
