"""A tiny GigaAM-like CTC model that ships its own code, as GigaAM-CTC does on the hub.

config.json carries `auto_map` to `configuration_gigaam.py` and `modeling_gigaam.py` in
the folder: a strided conv encoder over the raw waveform, two linear layers and a CTC head
over a character vocabulary. The feature extractor (Wav2Vec2FeatureExtractor) and the
tokenizer (Wav2Vec2CTCTokenizer) are transformers' own, so the preparing step needs none
of the folder's code. Each module, when imported, appends `<module> <argv>` to a tripwire
file (unsandboxed; in the sandbox the write lands in its throwaway tmpfs, if anywhere) and
stops any process but a worker: a test sees who imported the code.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

CHARS = list("abcdefghijklmnopqrstuvwxyz'")
TRIPWIRE = """
import sys as _sys
try:
    with open({path!r}, "a", encoding="utf-8") as _log:
        _log.write(__name__.rpartition(".")[2] + " " + " ".join(_sys.argv) + "\\n")
except OSError:
    pass
if not _sys.argv[0].endswith("runner/worker.py"):
    raise SystemExit("the model's code was imported outside the worker: " + " ".join(_sys.argv))
"""
CONFIGURATION = """
from transformers import PretrainedConfig


class GigaAMConfig(PretrainedConfig):
    model_type = "gigaam-tiny"

    def __init__(self, vocab_size=30, hidden_size=32, conv_kernel=16, conv_stride=8,
                 pad_token_id=0, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.conv_kernel = conv_kernel
        self.conv_stride = conv_stride
        super().__init__(pad_token_id=pad_token_id, **kwargs)
"""
MODELING = """
import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import CausalLMOutput

from .configuration_gigaam import GigaAMConfig


class GigaAMForCTC(PreTrainedModel):
    config_class = GigaAMConfig
    main_input_name = "input_values"
    base_model_prefix = "gigaam"

    def __init__(self, config):
        super().__init__(config)
        hidden = config.hidden_size
        self.conv = nn.Conv1d(1, hidden, config.conv_kernel, stride=config.conv_stride)
        self.encoder = nn.Sequential(
            nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, hidden)
        )
        self.head = nn.Linear(hidden, config.vocab_size)
        self.post_init()

    def forward(self, input_values, attention_mask=None, **kwargs):
        features = self.conv(input_values.unsqueeze(1)).transpose(1, 2)
        return CausalLMOutput(logits=self.head(self.encoder(torch.relu(features))))
"""


def vocabulary() -> dict[str, int]:
    return {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate(CHARS)}}


def _classes(folder: Path) -> Any:
    """The folder's own classes, imported as a package (its modules import each other)."""
    package = "gigaam_build"
    build = folder.parent / f"{folder.name}-build" / package
    build.mkdir(parents=True, exist_ok=True)
    (build / "__init__.py").write_text("")
    (build / "configuration_gigaam.py").write_text(CONFIGURATION)
    (build / "modeling_gigaam.py").write_text(MODELING)
    sys.path.insert(0, str(build.parent))
    try:
        for name in [n for n in sys.modules if n.startswith(package)]:
            del sys.modules[name]
        return importlib.import_module(f"{package}.modeling_gigaam")
    finally:
        sys.path.remove(str(build.parent))


def build_gigaam(folder: Path, tripwire: Path, prelude: str = "") -> Path:
    """The model folder; `prelude` runs first when the worker imports the modeling file."""
    import torch
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    modeling = _classes(folder)
    model = modeling.GigaAMForCTC(modeling.GigaAMConfig(vocab_size=len(vocabulary())))
    model.save_pretrained(folder)
    config = {
        **model.config.to_dict(),
        "architectures": ["GigaAMForCTC"],
        "auto_map": {
            "AutoConfig": "configuration_gigaam.GigaAMConfig",
            "AutoModelForCTC": "modeling_gigaam.GigaAMForCTC",
        },
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    wire = TRIPWIRE.format(path=str(tripwire))
    (folder / "configuration_gigaam.py").write_text(wire + CONFIGURATION)
    (folder / "modeling_gigaam.py").write_text(wire + prelude + MODELING)
    (folder / "vocab.json").write_text(json.dumps(vocabulary()))
    Wav2Vec2CTCTokenizer(  # type: ignore[no-untyped-call]
        str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|"
    ).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(  # type: ignore[no-untyped-call]
        feature_size=1, sampling_rate=16000, return_attention_mask=False
    ).save_pretrained(folder)
    return folder


# GigaAM as the hub ships it (waveletdeboshir/gigaam-ctc and gigaam-rnnt): one
# `gigaam_transformers.py` holding the config, the model, the feature extractor and the
# tokenizer, each named in its file's `auto_map`, used as the model card shows:
# `AutoProcessor` (its feature extractor) featurises the waveform into `input_features` and
# `input_lengths`; the RNNT model decodes with its own `generate(**features)`, the CTC one
# gives logits; the tokenizer decodes with `group_tokens=False` for the transducer's ids.
HUB_FILE = """
import numpy as np
import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel, ProcessorMixin, Wav2Vec2CTCTokenizer
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature
from transformers.modeling_outputs import CausalLMOutput


class GigaAMConfig(PretrainedConfig):
    model_type = "gigaam-hub-tiny"

    def __init__(self, vocab_size=30, feature_size=16, hidden_size=32, pred_hidden=16,
                 joint_hidden=16, max_symbols=3, **kwargs):
        self.vocab_size = vocab_size
        self.feature_size = feature_size
        self.hidden_size = hidden_size
        self.pred_hidden = pred_hidden
        self.joint_hidden = joint_hidden
        self.max_symbols = max_symbols
        super().__init__(**kwargs)


class GigaAMFeatureExtractor(SequenceFeatureExtractor):
    model_input_names = ["input_features", "input_lengths"]

    def __init__(self, feature_size=16, sampling_rate=16000, padding_value=0.0, hop_length=160,
                 win_length=400, **kwargs):
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate,
                         padding_value=padding_value, **kwargs)
        self.hop_length = hop_length
        self.win_length = win_length

    def __call__(self, raw_speech, sampling_rate=None, return_tensors=None, **kwargs):
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ValueError(f"expects {self.sampling_rate} Hz, got {sampling_rate}")
        wave = np.asarray(raw_speech, dtype=np.float32).reshape(-1)
        wave = np.pad(wave, (0, max(0, self.win_length - len(wave))))
        starts = range(0, len(wave) - self.win_length + 1, self.hop_length)
        frames = np.stack([wave[s:s + self.win_length] for s in starts])
        power = np.abs(np.fft.rfft(frames * np.hanning(self.win_length), axis=1)) ** 2
        bands = np.array_split(power, self.feature_size, axis=1)
        feats = np.log(np.stack([b.sum(axis=1) for b in bands]) + 1e-6).astype(np.float32)
        data = {"input_features": feats[None], "input_lengths": np.array([feats.shape[1]])}
        return BatchFeature(data, tensor_type=return_tensors)


class GigaAMTokenizer(Wav2Vec2CTCTokenizer):
    pass


class GigaAMProcessor(ProcessorMixin):
    attributes = ["feature_extractor", "tokenizer"]
    feature_extractor_class = "AutoFeatureExtractor"
    tokenizer_class = "AutoTokenizer"

    def __call__(self, audio, sampling_rate=None, return_tensors=None, **kwargs):
        return self.feature_extractor(
            audio, sampling_rate=sampling_rate, return_tensors=return_tensors
        )


class _Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.conv = nn.Conv1d(config.feature_size, config.hidden_size, 3, stride=2, padding=1)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, input_features, input_lengths):
        out = torch.relu(self.conv(input_features)).transpose(1, 2)
        return self.proj(out), (input_lengths + 1) // 2


class GigaAMCTCHF(PreTrainedModel):
    config_class = GigaAMConfig
    main_input_name = "input_features"

    def __init__(self, config):
        super().__init__(config)
        self.encoder = _Encoder(config)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def forward(self, input_features, input_lengths=None, **kwargs):
        encoded, _ = self.encoder(input_features, input_lengths)
        return CausalLMOutput(logits=self.head(encoded))


class GigaAMRNNTHF(PreTrainedModel):
    config_class = GigaAMConfig
    main_input_name = "input_features"

    def __init__(self, config):
        super().__init__(config)
        self.blank_id = config.vocab_size  # the last class, as GigaAM's
        self.encoder = _Encoder(config)
        self.embed = nn.Embedding(config.vocab_size + 1, config.pred_hidden)
        self.predictor = nn.LSTM(config.pred_hidden, config.pred_hidden, batch_first=True)
        self.joint_enc = nn.Linear(config.hidden_size, config.joint_hidden)
        self.joint_pred = nn.Linear(config.pred_hidden, config.joint_hidden)
        self.joint_out = nn.Linear(config.joint_hidden, config.vocab_size + 1)
        self.post_init()

    def _predict(self, token, state):
        out, state = self.predictor(self.embed(torch.tensor([[token]])), state)
        return self.joint_pred(out[:, 0]), state

    def forward(self, input_features, input_lengths=None, **kwargs):
        encoded, _ = self.encoder(input_features, input_lengths)
        return CausalLMOutput(logits=self.joint_enc(encoded))

    @torch.no_grad()
    def generate(self, input_features, input_lengths=None, **kwargs):
        if input_lengths is None:
            input_lengths = torch.tensor([input_features.shape[-1]])
        encoded, lengths = self.encoder(input_features, input_lengths)
        emitted, state = [], None
        pred, state = self._predict(self.blank_id, state)
        for t in range(int(lengths[0])):
            enc = self.joint_enc(encoded[:, t])
            for _ in range(self.config.max_symbols):
                token = int(self.joint_out(torch.relu(enc + pred)).argmax(-1)[0])
                if token == self.blank_id:
                    break
                emitted.append(token)
                pred, state = self._predict(token, state)
        return torch.tensor([emitted], dtype=torch.long)
"""


def build_gigaam_hub(folder: Path, tripwire: Path, kind: str = "rnnt", prelude: str = "") -> Path:
    """A tiny GigaAM-CTC or -RNNT laid out as the hub's: every class in the folder's code."""
    import torch

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    build = folder.parent / f"{folder.name}-build" / "gigaam_hub_build"
    build.mkdir(parents=True, exist_ok=True)
    (build / "__init__.py").write_text("")
    (build / "gigaam_transformers.py").write_text(HUB_FILE)
    sys.path.insert(0, str(build.parent))
    try:
        for name in [n for n in sys.modules if n.startswith("gigaam_hub_build")]:
            del sys.modules[name]
        code = importlib.import_module("gigaam_hub_build.gigaam_transformers")
    finally:
        sys.path.remove(str(build.parent))
    cls = code.GigaAMRNNTHF if kind == "rnnt" else code.GigaAMCTCHF
    model = cls(code.GigaAMConfig(vocab_size=len(vocabulary())))
    model.save_pretrained(folder)
    config = {
        **model.config.to_dict(),
        "architectures": [cls.__name__],
        "auto_map": {
            "AutoConfig": "gigaam_transformers.GigaAMConfig",
            "AutoModel": f"gigaam_transformers.{cls.__name__}",
        },
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    (folder / "gigaam_transformers.py").write_text(
        TRIPWIRE.format(path=str(tripwire)) + prelude + HUB_FILE
    )
    (folder / "vocab.json").write_text(json.dumps(vocabulary()))
    code.GigaAMTokenizer(
        str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|"
    ).save_pretrained(folder)
    code.GigaAMFeatureExtractor().save_pretrained(folder)
    for name, auto_map in (
        ("tokenizer_config.json", {"AutoTokenizer": ["gigaam_transformers.GigaAMTokenizer", None]}),
        (
            "preprocessor_config.json",
            {
                "AutoFeatureExtractor": "gigaam_transformers.GigaAMFeatureExtractor",
                "AutoProcessor": "gigaam_transformers.GigaAMProcessor",
            },
        ),
    ):
        data = json.loads((folder / name).read_text())
        data = {**data, "auto_map": auto_map, "processor_class": "GigaAMProcessor"}
        (folder / name).write_text(json.dumps(data, indent=2))
    return folder
