"""A task adapter turns dataset rows into model inputs, predictions into a quality score."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from runner.backends import Backend, Inputs
from runner.errors import RunnerError
from runner.metrics import Score


@dataclass
class Sample:
    inputs: Inputs  # exactly what the model takes, batch 1
    reference: Any
    aux: dict[str, Any] = field(default_factory=dict)  # what scoring needs besides


def column(row: dict[str, Any], role: str, columns: dict[str, str], *defaults: str) -> Any:
    """The value of a role (`text`, `label`) by the manifest's mapping or the usual names."""
    names = [columns[role]] if role in columns else list(defaults)
    for name in names:
        if name in row:
            return row[name]
    raise RunnerError(
        f"evaluation rows have no `{names[0]}` column (tried: {', '.join(names)};"
        f" columns: {', '.join(k for k in row if not k.startswith('_'))}); "
        f"map it with `evaluation.columns: {{{role}: <column>}}`"
    )


class Task(ABC):
    name: ClassVar[str]
    auto_class: ClassVar[str]  # transformers Auto class that loads the model

    def __init__(self, folder: Path, columns: dict[str, str] | None = None) -> None:
        self.generates = False  # whether predictions come from generate(), not one forward
        self.folder = folder
        self.columns = columns or {}
        self.config: Any = None
        self.decoding: Any = None  # a generating task's Decoding (runner/tasks/decoding.py)
        self.remote_code = False  # set by the worker only, where the course allows it

    def model_config(self) -> Any:
        """The model's config; a model's own code is imported only where `remote_code`."""
        from runner.loading.model import model_config

        return model_config(self.folder, self.remote_code)

    def auto_class_for(self, config: Any) -> str:
        return self.auto_class

    def load_model(self, folder: Path | None = None, dtype: Any = None) -> Any:
        """Weights from safetensors only; a model's own code only in the worker, where the
        course allows it (`remote_code`), and never for another folder (a recipe's output)."""
        import transformers

        from runner.loading.model import code_trusted, needs_remote_code

        own = folder is None or folder == self.folder  # never a recipe's output
        folder = folder or self.folder
        trusted = code_trusted(self.remote_code and own and needs_remote_code(folder))
        config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=trusted)
        self.config = self.config or config
        cls = getattr(transformers, self.auto_class_for(config))
        try:
            model = cls.from_pretrained(
                folder, use_safetensors=True, trust_remote_code=trusted, dtype=dtype
            )
        except (OSError, ValueError, KeyError) as exc:
            raise RunnerError(
                f"cannot load {folder} as {cls.__name__}: {str(exc).splitlines()[0][:300]}"
            ) from None
        return model.eval()

    def features(self, inputs: Inputs) -> Inputs:
        """What the model takes, from a sample's inputs as the coordinator sent them: those
        inputs, but where the model featurises its own raw input in the worker (speech
        with its own feature extractor: runner/tasks/speech_recognition.py)."""
        return inputs

    @abstractmethod
    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        """Inputs (batch 1, numpy) and references, in row order."""

    @abstractmethod
    def predict(self, backend: Backend, sample: Sample) -> Any: ...

    @abstractmethod
    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> Score: ...

    def serving_state(self) -> dict[str, Any]:
        """What a worker needs besides the samples' inputs to predict as `prepare` left this
        adapter: the decoding budget a generating task derived from the references."""
        if self.decoding is None:
            return {}
        return {
            "budget": [self.decoding.max_new_tokens, self.decoding.derived_from],
            "eos": list(self.decoding.eos_token_id),
            "overridden": dict(self.decoding.overridden),
        }

    def restore(self, state: dict[str, Any]) -> None:  # noqa: B027 - most need nothing
        """In a worker, which never runs `prepare` (it never sees references): load what
        `predict` needs, from the model folder and `serving_state()`."""

    def from_output(self, output: Any, sample: Sample) -> Any:
        """The prediction from the model's raw output, where the coordinator derives it
        itself (`scores_outputs`): a perplexity is never the worker's word."""
        raise NotImplementedError

    scores_outputs: ClassVar[bool] = False

    def timed_call(self, backend: Backend, sample: Sample) -> Any:
        """What one latency measurement times: the whole prediction of one sample."""
        return self.predict(backend, sample)


def load_tokenizer(folder: Path) -> Any:
    """The model's tokenizer. One saved by transformers 5 names its class
    `TokenizersBackend`, and its tokenizer_config.json a layout, that a worker of an older
    toolchain (transformers 4.57: Optimum's) does not read; there its tokenizer.json alone
    loads as a PreTrainedTokenizerFast (special tokens marked in it still decode as such)."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    try:
        return AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    except ValueError as exc:
        if "TokenizersBackend" not in str(exc) or not (folder / "tokenizer.json").is_file():
            raise
        return PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))


def predicted_label(config: Any, index: int) -> str:
    """The model's name for a class, lower-case; its index when it has only `LABEL_i`."""
    name = (getattr(config, "id2label", None) or {}).get(index)
    if name is None or str(name).upper().startswith("LABEL_"):
        return str(index)
    return str(name).lower()
