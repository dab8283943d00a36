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
from runner.tasks.base import Sample, Task, column


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
        from transformers import AutoConfig, AutoFeatureExtractor, AutoTokenizer

        self.auto_class_for(AutoConfig.from_pretrained(self.folder))
        extractor = AutoFeatureExtractor.from_pretrained(self.folder, trust_remote_code=False)
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder, trust_remote_code=False)
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
        return out

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
            limit = getattr(self.config, "max_target_positions", None)  # start tokens fit too
            budget = min(self.max_new_tokens, limit - 4) if limit else self.max_new_tokens
            ids = backend.generate(sample.inputs, budget)
            text = self.tokenizer.decode(ids[0], skip_special_tokens=True)
        return " ".join(str(text).split())

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        if metric not in ("wer", "cer"):
            raise RunnerError(f"speech recognition is scored by wer or cer, not {metric}")
        return metrics.error_rate(predictions, [s.reference for s in samples], metric)
