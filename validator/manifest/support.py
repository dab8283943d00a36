"""Which methods each task can be reproduced with on this course's runners.

One table, read by `mcv check` (a manifest the runner cannot reproduce fails before it is
approved, naming what to use instead) and by every recipe's preflight (the same refusal,
the same words, at run time). It holds only what the task alone decides; what depends on
the model (a CNN has no Linear layer for dynamic-int8; a CTC speech model does not
generate) is found when the model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    why: str  # what cannot be done, and why
    instead: str  # the methods to use instead


_GENERATES = "the model generates its output token by token (generate())"

GAPS: dict[tuple[str, str], Gap] = {
    ("torchscript", "translation"): Gap(
        f"TorchScript cannot trace generation: {_GENERATES}", "onnx, fp16 or dynamic-int8"
    ),
    ("static-int8", "translation"): Gap(
        f"ORTQuantizer's static calibration takes single-forward graphs: {_GENERATES}",
        "onnx-int8 or dynamic-int8",
    ),
    **{
        (method, task): Gap(
            f"`{method}` (GPTQModel) quantizes decoder language models, not {task} models",
            "dynamic-int8, static-int8, onnx-int8 or bnb-int8",
        )
        for method in ("gptq", "awq")
        for task in (
            "text-classification",
            "token-classification",
            "image-classification",
            "automatic-speech-recognition",
            "translation",
        )
    },
}


def gap(method: str, task: str) -> Gap | None:
    """Why `method` cannot reproduce a `task` model on this course's runners, or None."""
    return GAPS.get((method, task))


def refusal(method: str, task: str) -> str | None:
    """The sentence both `mcv check` and the run say, or None."""
    found = gap(method, task)
    if found is None:
        return None
    return f"`{method}` is not supported for {task}: {found.why}; use {found.instead}"
