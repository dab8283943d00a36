"""The built-in example: a small ViT trained on scikit-learn's bundled digits (real data).

Trained once, seeded, on the first 1,437 images, and kept with the other 360 as an
evaluation set in the demo team's folder (not committed: see .gitignore), so the demo's
int8, pruning and k-means runs show real quality changes.
Run as `python -m runner.demo [CACHE_DIR]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT_CACHE = Path("submissions/demo/data")  # the team's own folder: see MCV207
TRAIN = 1437
EPOCHS = 40


def build(cache: Path = DEFAULT_CACHE) -> tuple[Path, Path]:
    """(model folder, evaluation .jsonl); trains only when they are not cached yet."""
    model_dir, data = cache / "digits-vit", cache / "digits-test.jsonl"
    if (model_dir / "model.safetensors").is_file() and data.is_file():
        return model_dir, data
    import numpy as np
    import torch
    import transformers
    from sklearn.datasets import load_digits
    from transformers import ViTConfig, ViTForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    transformers.logging.disable_progress_bar()
    digits = load_digits()
    images, labels = digits.images.astype(np.int64), digits.target.astype(np.int64)
    torch.manual_seed(0)
    config = ViTConfig(
        image_size=8,
        patch_size=2,
        num_channels=3,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
    )
    config.id2label = {i: str(i) for i in range(10)}  # ten classes: the digits
    config.label2id = {str(i): i for i in range(10)}
    model = ViTForImageClassification(config)
    pixels = torch.from_numpy(images[:TRAIN] / 16.0).float().unsqueeze(1).repeat(1, 3, 1, 1)
    targets = torch.from_numpy(labels[:TRAIN])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(TRAIN, generator=generator)
        for start in range(0, TRAIN, 64):
            batch = order[start : start + 64]
            loss = model(pixel_values=pixels[batch], labels=targets[batch]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if (epoch + 1) % 10 == 0:
            print(
                f"training the demo model: epoch {epoch + 1}/{EPOCHS}, loss {loss.item():.3f}",
                file=sys.stderr,
            )
    model.eval()
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(model_dir)
    ViTImageProcessorPil(
        size={"height": 8, "width": 8}, rescale_factor=1 / 16, do_normalize=False
    ).save_pretrained(model_dir)
    with data.open("w", encoding="utf-8") as handle:
        for image, label in zip(images[TRAIN:], labels[TRAIN:], strict=True):
            handle.write(json.dumps({"image": image.tolist(), "label": int(label)}) + "\n")
    return model_dir, data


if __name__ == "__main__":
    folder, rows = build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CACHE)
    print(f"demo model: {folder}\nevaluation rows: {rows}")
