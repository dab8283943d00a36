"""Image classification: accuracy, or macro F1/precision/recall."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.errors import RunnerError
from runner.loading.data import row_file
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


class ImageClassification(Task):
    name = "image-classification"
    auto_class = "AutoModelForImageClassification"

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoImageProcessor

        processor = AutoImageProcessor.from_pretrained(self.folder, trust_remote_code=False)
        out = []
        for row in rows:
            image = load_image(column(row, "image", self.columns, "image", "img", "pixels"), row)
            encoded = processor(images=image, return_tensors="np")
            names = row.get("_label_names", {}).get(self.columns.get("label", "label"))
            reference = column(row, "label", self.columns, "label", "labels")
            out.append(
                Sample(
                    {"pixel_values": encoded["pixel_values"].astype(np.float32)},
                    label_key(reference, names),
                )
            )
        return out

    def predict(self, backend: Backend, sample: Sample) -> Any:
        return predicted_label(self.config, int(backend.forward(sample.inputs)[0].argmax()))

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        return score_labels(predictions, samples, metric)
