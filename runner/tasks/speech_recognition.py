"""Speech recognition, CTC (Wav2Vec2, GigaAM-CTC) or seq2seq (Whisper): corpus WER/CER."""

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

    def auto_class_for(self, config: Any) -> str:
        architectures = getattr(config, "architectures", None) or []
        self.ctc = any(a.endswith("ForCTC") for a in architectures)
        self.generates = not self.ctc
        return "AutoModelForCTC" if self.ctc else "AutoModelForSpeechSeq2Seq"

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoFeatureExtractor

        from runner.loading.model import check_preprocessing_code

        check_preprocessing_code(self.folder)
        self.config = self.config or self.model_config()
        self.auto_class_for(self.config)
        extractor = AutoFeatureExtractor.from_pretrained(self.folder, trust_remote_code=False)
        self.tokenizer = load_tokenizer(self.folder)
        rate = getattr(extractor, "sampling_rate", 16000)
        out = []
        for row in rows:
            audio, source_rate = load_audio(
                column(row, "audio", self.columns, "audio", "path"), row
            )
            features = extractor(
                resample(audio, source_rate, rate), sampling_rate=rate, return_tensors="np"
            )
            inputs = {
                k: np.asarray(v)
                for k, v in features.items()
                if k in ("input_features", "input_values", "attention_mask")
            }
            reference = str(column(row, "text", self.columns, "text", "sentence", "transcription"))
            out.append(Sample(inputs, reference))
        if self.generates:
            self.decoding = self.decoding_for([s.reference for s in out])
        return out

    def restore(self, state: dict[str, Any]) -> None:
        self.config = self.config or self.model_config()
        self.auto_class_for(self.config)
        self.tokenizer = load_tokenizer(self.folder)
        if self.generates:
            budget = state["budget"]
            self.decoding = self.decoding_for([], (int(budget[0]), str(budget[1])))

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
        if self.ctc and hasattr(self.tokenizer, "word_delimiter_token"):
            ids = backend.forward(sample.inputs)[0].argmax(axis=-1)  # Wav2Vec2CTCTokenizer
            text = self.tokenizer.decode(ids.tolist())  # groups repeats and drops blanks itself
        elif self.ctc:
            ids = backend.forward(sample.inputs)[0].argmax(axis=-1)
            collapsed = [int(t) for i, t in enumerate(ids) if i == 0 or t != ids[i - 1]]
            blank = self.tokenizer.pad_token_id
            text = self.tokenizer.decode(
                [t for t in collapsed if t != blank], skip_special_tokens=True
            )
        else:
            ids = backend.generate(sample.inputs, self.decoding.config).ids
            text = self.tokenizer.decode(ids[0], skip_special_tokens=True)
        return " ".join(str(text).split())

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        if metric not in ("wer", "cer"):
            raise RunnerError(f"speech recognition is scored by wer or cer, not {metric}")
        return metrics.error_rate(predictions, [s.reference for s in samples], metric)
