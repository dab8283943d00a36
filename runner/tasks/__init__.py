"""Task adapters, one module each, keyed by the manifest's `model.task`."""

from __future__ import annotations

from runner.tasks.base import Task
from runner.tasks.causal_lm import CausalLm
from runner.tasks.image_classification import ImageClassification
from runner.tasks.speech_recognition import SpeechRecognition
from runner.tasks.text_classification import TextClassification
from runner.tasks.token_classification import TokenClassification
from runner.tasks.translation import Translation

TASKS: dict[str, type[Task]] = {
    task.name: task
    for task in (
        TextClassification,
        TokenClassification,
        ImageClassification,
        SpeechRecognition,
        CausalLm,
        Translation,
    )
}
