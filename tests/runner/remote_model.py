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
