"""Speech recognition, CTC (Wav2Vec2, GigaAM-CTC), seq2seq (Whisper) or a transducer with
its own code (GigaAM-RNNT): corpus WER/CER."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.errors import RunnerError
from runner.loading.data import row_file
from runner.tasks import decoding
from runner.tasks.base import Sample, Task, column, load_tokenizer

PROMPT_TOKENS = 4  # Whisper's decoder prompt: start, language, task, no-timestamps
RAW = "raw_audio"  # the waveform, where the model's own feature extractor featurises it


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV through the standard library; mono by averaging channels."""
    try:
        with wave.open(str(path), "rb") as handle:
            if handle.getsampwidth() != 2:
                raise RunnerError(f"{path}: only 16-bit PCM WAV is read")
            frames = handle.readframes(handle.getnframes())
            rate, channels = handle.getframerate(), handle.getnchannels()
    except (OSError, wave.Error, EOFError) as exc:
        raise RunnerError(f"{path}: cannot read audio: {exc}") from None
    audio = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    return audio.reshape(-1, channels).mean(axis=1), rate


def load_audio(value: Any, row: dict[str, Any]) -> tuple[np.ndarray, int]:
    if isinstance(value, str):
        return read_wav(row_file(row, value))
    if isinstance(value, dict) and "array" in value:
        return np.asarray(value["array"], dtype=np.float32), int(value["sampling_rate"])
    raise RunnerError("audio must be a .wav path or {array, sampling_rate}")


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return audio
    duration = len(audio) / rate
    grid = np.linspace(0, duration, round(duration * target), endpoint=False)
    return np.interp(grid, np.arange(len(audio)) / rate, audio).astype(np.float32)


class SpeechRecognition(Task):
    name = "automatic-speech-recognition"
    auto_class = "AutoModelForSpeechSeq2Seq"

    featurise: dict[str, Any] | None = None  # set where the model featurises its own audio
    extractor: Any = None
    transducer = False

    def auto_class_for(self, config: Any) -> str:
        """transformers' CTC and seq2seq classes by their architecture; a model with its own
        code (`auto_map`) by the Auto class it maps: CTC where it maps one or its class
        says so (GigaAM's `GigaAMCTCHF`), seq2seq where it maps one, else a transducer
        loaded as AutoModel that decodes with its own `generate()` (GigaAM-RNNT, as its
        model card uses it: `model.generate(**features)`, then the tokenizer's
        `batch_decode(ids, group_tokens=False)`)."""
        architectures = [str(a) for a in getattr(config, "architectures", None) or []]
        auto_map = getattr(config, "auto_map", None)
        mapped = set(auto_map) if isinstance(auto_map, dict) else set()
        self.ctc = any(a.endswith("ForCTC") for a in architectures) or "AutoModelForCTC" in mapped
        if mapped and not self.ctc:
            self.ctc = any("CTC" in a.upper() for a in architectures)
        self.transducer = bool(mapped) and not self.ctc
        self.transducer = self.transducer and "AutoModelForSpeechSeq2Seq" not in mapped
        self.generates = not self.ctc
        if self.ctc:
            return "AutoModel" if mapped and "AutoModelForCTC" not in mapped else "AutoModelForCTC"
        return "AutoModel" if self.transducer else "AutoModelForSpeechSeq2Seq"

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoFeatureExtractor

        from runner.loading.model import declared_sampling_rate, own_preprocessing

        self.config = self.config or self.model_config()
        self.auto_class_for(self.config)
        own = own_preprocessing(self.folder)
        if own and self.generates and not self.transducer:
            raise RunnerError(
                f"model `{self.folder}`: a seq2seq model whose {own[0]} is its own code is not "
                "supported: its decoding budget is derived from the references with its "
                "tokenizer, and no model's code runs beside the references"
            )
        if own:  # its code featurises in the worker; here only the waveform, at its rate
            rate = declared_sampling_rate(self.folder)
            self.featurise = {"sampling_rate": rate}
        else:
            extractor = AutoFeatureExtractor.from_pretrained(self.folder, trust_remote_code=False)
            self.tokenizer = load_tokenizer(self.folder)
            rate = getattr(extractor, "sampling_rate", 16000)
        out = []
        for row in rows:
            audio, source_rate = load_audio(
                column(row, "audio", self.columns, "audio", "path"), row
            )
            waveform = resample(audio, source_rate, rate)
            if own:
                inputs = {RAW: np.asarray(waveform, dtype=np.float32)}
            else:
                features = extractor(waveform, sampling_rate=rate, return_tensors="np")
                inputs = {
                    k: np.asarray(v)
                    for k, v in features.items()
                    if k in ("input_features", "input_values", "attention_mask")
                }
            reference = str(column(row, "text", self.columns, "text", "sentence", "transcription"))
            out.append(Sample(inputs, reference))
        if self.generates and not self.transducer:
            self.decoding = self.decoding_for([s.reference for s in out])
        return out

    def serving_state(self) -> dict[str, Any]:
        state = super().serving_state()
        return {**state, "featurise": self.featurise} if self.featurise else state

    def restore(self, state: dict[str, Any]) -> None:
        self.config = self.config or self.model_config()
        self.auto_class_for(self.config)
        self.featurise = state.get("featurise")
        if self.featurise:
            self.extractor, self.tokenizer = self.own_preprocessing()
        else:
            self.tokenizer = load_tokenizer(self.folder)
        if self.generates and not self.transducer:
            budget = state["budget"]
            self.decoding = self.decoding_for([], (int(budget[0]), str(budget[1])))

    def own_preprocessing(self) -> tuple[Any, Any]:
        """The model's own feature extractor and tokenizer, in the worker: its processor's
        (`AutoProcessor`, as the model card loads them), else each by its Auto class."""
        import transformers

        from runner.loading.model import code_trusted, needs_remote_code

        trusted = code_trusted(self.remote_code and needs_remote_code(self.folder))
        try:
            processor = transformers.AutoProcessor.from_pretrained(
                self.folder, trust_remote_code=trusted
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            processor = None
        extractor = getattr(processor, "feature_extractor", None)
        tokenizer = getattr(processor, "tokenizer", None)
        try:
            if extractor is None:
                extractor = transformers.AutoFeatureExtractor.from_pretrained(
                    self.folder, trust_remote_code=trusted
                )
            if tokenizer is None:  # a tokenizer's truth is its length
                tokenizer = transformers.AutoTokenizer.from_pretrained(
                    self.folder, trust_remote_code=trusted
                )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RunnerError(
                f"model `{self.folder}`: its own feature extractor or tokenizer does not "
                f"load: {str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}"
            ) from None
        return extractor, tokenizer

    def features(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The model's inputs: as prepared, or featurised here by its own extractor."""
        if not self.featurise:
            return inputs
        if RAW not in inputs:
            raise RunnerError("the sample carries no waveform for the model's feature extractor")
        rate = int(self.featurise["sampling_rate"])
        out = self.extractor(inputs[RAW], sampling_rate=rate, return_tensors="np")
        names = list(getattr(self.extractor, "model_input_names", None) or out.keys())
        return {k: np.asarray(v) for k, v in out.items() if k in names}

    def decoding_for(
        self, references: list[str], budget: tuple[int, str] | None = None
    ) -> decoding.Decoding:
        """Whisper decodes one 30 s window without timestamps: tokens from
        `no_timestamps_token_id + 1` on are timestamps and are suppressed, so a segment never
        ends early and generate() never loops over the window again (each pass with a
        fresh budget)."""
        from transformers import GenerationConfig

        limit = getattr(self.config, "max_target_positions", None)
        try:
            base = GenerationConfig.from_pretrained(self.folder)
        except OSError:
            base = None
        no_timestamps = getattr(base, "no_timestamps_token_id", None)
        vocab = int(getattr(self.config, "vocab_size", 0) or 0)
        timestamps = list(range(no_timestamps + 1, vocab)) if no_timestamps is not None else []
        return decoding.setup(
            self.folder,
            self.config,
            self.tokenizer,
            references,
            limit - PROMPT_TOKENS if limit else None,
            suppress=timestamps,
            extra={"return_timestamps": False},
            budget=budget,
        )

    def predict(self, backend: Backend, sample: Sample) -> Any:
        inputs = self.features(sample.inputs)
        if self.transducer:  # its own greedy decoding; ids without blanks, not CTC-grouped
            ids = backend.generate(inputs, None).ids
            text = self.tokenizer.decode(
                [int(t) for t in np.asarray(ids).reshape(-1)],
                skip_special_tokens=True,
                group_tokens=False,
            )
        elif self.ctc and hasattr(self.tokenizer, "word_delimiter_token"):
            ids = backend.forward(inputs)[0].argmax(axis=-1)  # Wav2Vec2CTCTokenizer
            text = self.tokenizer.decode(ids.tolist())  # groups repeats and drops blanks itself
        elif self.ctc:
            ids = backend.forward(inputs)[0].argmax(axis=-1)
            collapsed = [int(t) for i, t in enumerate(ids) if i == 0 or t != ids[i - 1]]
            blank = self.tokenizer.pad_token_id
            text = self.tokenizer.decode(
                [t for t in collapsed if t != blank], skip_special_tokens=True
            )
        else:
            ids = backend.generate(inputs, self.decoding.config).ids
            text = self.tokenizer.decode(ids[0], skip_special_tokens=True)
        return " ".join(str(text).split())

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        if metric not in ("wer", "cer"):
            raise RunnerError(f"speech recognition is scored by wer or cer, not {metric}")
        return metrics.error_rate(predictions, [s.reference for s in samples], metric)
