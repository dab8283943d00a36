"""A tiny timm EfficientViT saved as the hub's `timm/...` models are, and timm's own answers.

Run with the `vision` toolchain's python (timm, torchvision), never imported by the main
environment's tests: `python -m tests.runner.tiny_timm build FOLDER` writes the model
(timm's `save_for_hf`: config.json with the architecture, `pretrained_cfg` and
`model_args`, and model.safetensors); `python -m tests.runner.tiny_timm compare FOLDER ROWS`
prints, as JSON, timm's own logits on the rows (the model loaded by timm from the folder,
timm's eval transform) beside the runner's (the image-classification task's `prepare` and
`load_model`, the backend the recipes use).

The weights are random (seeded) except the classifier, which is fitted by least squares on
the shipped digit rows so that the model tells them apart: a constant prediction would let
a wrong preprocessing or a broken compression go unseen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ARCH = "efficientvit_b0"
MODEL_ARGS: dict[str, Any] = {
    "widths": (8, 8, 16, 16, 32),
    "depths": (1, 1, 1, 1, 1),
    "head_dim": 8,
    "head_widths": (32, 48),
}
DATA_CONFIG = {"input_size": (3, 32, 32), "crop_pct": 1.0, "mean": (0.03,) * 3, "std": (0.02,) * 3}
LABELS = [str(i) for i in range(10)]
DIGITS = Path(__file__).resolve().parents[1] / "data" / "runner" / "digits.jsonl"


def images(rows_path: Path) -> tuple[list[Any], list[int]]:
    import numpy as np

    rows = [json.loads(line) for line in rows_path.read_text().splitlines() if line.strip()]
    pixels = [np.repeat(np.asarray(r["image"], dtype=np.uint8)[..., None], 3, -1) for r in rows]
    return pixels, [int(r["label"]) for r in rows]


def timm_logits(model: Any, pixels: list[Any]) -> Any:
    """timm's answer: its eval transform as the model's pretrained_cfg says, then forward."""
    import timm
    import torch
    from PIL import Image

    config = timm.data.resolve_data_config(model=model)
    transform = timm.data.create_transform(**config, is_training=False)
    with torch.no_grad():  # one image at a time, batch 1, as the runner asks
        return torch.cat([model(transform(Image.fromarray(p)).unsqueeze(0)) for p in pixels])


def build(folder: Path) -> None:
    import timm
    import torch
    from timm.models._hub import save_for_hf

    torch.manual_seed(0)
    model = timm.create_model(ARCH, pretrained=False, num_classes=len(LABELS), **MODEL_ARGS)
    model.eval()
    model.pretrained_cfg = {**model.pretrained_cfg, **DATA_CONFIG}
    pixels, labels = images(DIGITS)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
                torch.nn.init.kaiming_normal_(module.weight)
        last = model.get_classifier()
        seen: list[Any] = []
        hook = last.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
        timm_logits(model, pixels)
        hook.remove()
        features = torch.cat(seen)
        features = torch.cat([features, torch.ones(len(features), 1)], 1)
        target = torch.nn.functional.one_hot(torch.tensor(labels), len(LABELS)).float() * 10 - 5
        solution = torch.linalg.lstsq(features, target).solution
        last.weight.copy_(solution[:-1].T)
        last.bias.copy_(solution[-1])
    save_for_hf(
        model,
        str(folder),
        model_config={"label_names": LABELS},
        safe_serialization=True,
        data_config=dict(DATA_CONFIG),
    )


def clustered(model: Any, k: int) -> Any:
    """timm's model with every conv and linear weight k-means clustered, by the recipe's own
    `cluster`: what the `kmeans` run must score, reached without transformers."""
    import torch

    from runner.recipes.kmeans import cluster

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
                codebook, indices = cluster(module.weight.numpy(), k)
                module.weight.copy_(torch.from_numpy(codebook[indices]))
    return model


def compare(folder: Path, rows_path: Path, clusters: int = 32) -> dict[str, Any]:
    import timm

    from runner.backends import TorchBackend
    from runner.tasks.image_classification import ImageClassification

    pixels, labels = images(rows_path)
    reference = timm.create_model(f"local-dir:{folder}", pretrained=True).eval()
    expected = timm_logits(reference, pixels).numpy()
    kmeans = timm_logits(clustered(reference, clusters), pixels).numpy()
    task = ImageClassification(folder)
    rows = [json.loads(line) for line in rows_path.read_text().splitlines() if line.strip()]
    samples = task.prepare(rows)
    backend = TorchBackend(task.load_model())
    got = [backend.forward(s.inputs)[0] for s in samples]
    return {
        "labels": labels,
        "timm_top1": [int(v.argmax()) for v in expected],
        f"timm_kmeans{clusters}_top1": [int(v.argmax()) for v in kmeans],
        "runner_top1": [int(v.argmax()) for v in got],
        "runner_predictions": [task.predict(backend, s) for s in samples],
        "max_abs_diff": max(float(abs(a - b).max()) for a, b in zip(expected, got, strict=True)),
        "model_class": type(backend.model).__name__,
    }


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(Path(sys.argv[2]))
    else:
        print(json.dumps(compare(Path(sys.argv[2]), Path(sys.argv[3]))))
