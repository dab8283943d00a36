"""Image classification: accuracy, or macro F1/precision/recall.

Hub models of transformers' own classes, and timm checkpoints (`timm/...`, or a team's
timm model saved as the hub does), which transformers runs as TimmWrapper: their
preprocessing is timm's eval transform and returns torch tensors only; both need timm and
torchvision, so such a model runs in the `vision` toolchain (runner/loading/model.py's
`model_type`, read by runner/toolchains).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.errors import RunnerError, Unsupported
from runner.loading.data import row_file
from runner.loading.model import is_timm_config, read_config_json
from runner.tasks.base import Sample, Task, column, predicted_label
from runner.tasks.text_classification import label_key, score_labels


def load_image(value: Any, row: dict[str, Any]) -> np.ndarray:
    """An image given as nested pixel lists, an array, or a path beside the data file."""
    if isinstance(value, str):
        path = row_file(row, value)
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        try:
            from PIL import Image
        except ImportError:
            raise RunnerError("image files need Pillow (`pip install pillow`)") from None
        return np.asarray(Image.open(path).convert("RGB"))
    if hasattr(value, "convert"):  # a PIL image from a hub dataset
        return np.asarray(value.convert("RGB"))
    array = np.asarray(value)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if np.issubdtype(array.dtype, np.integer) and array.min() >= 0 and array.max() <= 255:
        return array.astype(np.uint8)  # what an image processor's PIL path expects
    return array.astype(np.float32)


def require_timm(folder: Path) -> None:
    """A timm checkpoint cannot be built or preprocessed without timm and torchvision."""
    import importlib.util

    missing = [name for name in ("timm", "torchvision") if importlib.util.find_spec(name) is None]
    if missing:
        raise Unsupported(
            f"model `{folder.name}` is a timm checkpoint (TimmWrapper): it needs "
            f"{' and '.join(missing)}, which this environment lacks; it runs in the `vision` "
            "toolchain (runner/toolchains/vision.txt)"
        )


def timm_wrapper_config(folder: Path) -> Any:
    """The TimmWrapperConfig, made loadable: timm >= 1.0.2x's `save_for_hf` records
    `num_classes` in `model_args` too, which TimmWrapper passes again beside its own
    (`multiple values for keyword argument 'num_classes'`); the root count is the model's."""
    import transformers

    config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=False)
    args = dict(config.model_args or {})
    if "num_classes" in args:
        if int(args.pop("num_classes")) != config.num_labels:
            raise RunnerError(
                f"model `{folder.name}`: config.json says {config.num_labels} classes and "
                "model_args.num_classes says otherwise; which the weights have is unclear"
            )
        config.model_args = args or None
    return config


def pixel_array(value: Any) -> np.ndarray:
    """An image processor's `pixel_values`, numpy or torch, as the float32 array the
    protocol ships."""
    if hasattr(value, "detach"):  # a torch tensor: TimmWrapperImageProcessor returns only those
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


class ImageClassification(Task):
    name = "image-classification"
    auto_class = "AutoModelForImageClassification"

    def is_timm(self, folder: Path | None = None) -> bool:
        return is_timm_config(read_config_json(folder or self.folder))

    def load_model(self, folder: Path | None = None, dtype: Any = None) -> Any:
        folder = folder or self.folder
        if not self.is_timm(folder):
            return super().load_model(folder, dtype)
        require_timm(folder)
        import transformers

        config = timm_wrapper_config(folder)
        self.config = self.config or config
        try:
            model = transformers.TimmWrapperForImageClassification.from_pretrained(
                folder, config=config, use_safetensors=True, trust_remote_code=False, dtype=dtype
            )
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise RunnerError(
                f"cannot load {folder} as a timm model ({config.architecture}): "
                f"{str(exc).splitlines()[0][:300]}"
            ) from None
        return model.eval()

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoImageProcessor

        timm = self.is_timm()
        if timm:
            require_timm(self.folder)
        processor = AutoImageProcessor.from_pretrained(self.folder, trust_remote_code=False)
        # TimmWrapperImageProcessor refuses anything but torch tensors ("must be 'pt'")
        tensors = "pt" if timm else "np"
        out = []
        for row in rows:
            image = load_image(column(row, "image", self.columns, "image", "img", "pixels"), row)
            encoded = processor(images=image, return_tensors=tensors)
            names = row.get("_label_names", {}).get(self.columns.get("label", "label"))
            reference = column(row, "label", self.columns, "label", "labels")
            out.append(
                Sample(
                    {"pixel_values": pixel_array(encoded["pixel_values"])},
                    label_key(reference, names),
                )
            )
        return out

    def predict(self, backend: Backend, sample: Sample) -> Any:
        return predicted_label(self.config, int(backend.forward(sample.inputs)[0].argmax()))

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        return score_labels(predictions, samples, metric)
