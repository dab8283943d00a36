"""Tiny models for every task, built from config objects with random weights and tokenizers
made offline, saved as a hub snapshot would be (safetensors, config, tokenizer files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "a",
    "dog",
    "ran",
    "to",
    "is",
    "big",
    "john",
    "lives",
    "in",
    "paris",
    "mary",
    "smith",
    "went",
    "london",
    "anna",
    "visited",
    "new",
    "york",
    "bob",
    "and",
    "met",
    "great",
    "good",
    "film",
    "bad",
    "boring",
    "fun",
    "terrible",
    "plot",
    "acting",
    "story",
    "die",
    "katze",
    "sass",
    "ein",
    "hund",
    "lief",
    "der",
    "eine",
    "matte",
    "grosser",
]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "</s>", "<|startoftranscript|>"]
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def tokenizer(cls_sep: bool = False) -> Any:
    """A lower-casing word-level fast tokenizer over WORDS. With `cls_sep` it is BERT's:
    `[CLS] a [SEP]`, and `input_ids, token_type_ids, attention_mask` in that order, which
    is not the order `BertModel.forward` takes them in."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece()
    if cls_sep:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B [SEP]",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        eos_token="</s>",
        additional_special_tokens=["<|startoftranscript|>"],
        model_input_names=(
            ["input_ids", "token_type_ids", "attention_mask"]
            if cls_sep
            else ["input_ids", "attention_mask"]
        ),
    )


VOCAB = len(SPECIALS) + len(WORDS)


def bert(num_labels: int, labels: list[str], token: bool, hidden: int = 64, layers: int = 2) -> Any:
    from transformers import BertConfig, BertForSequenceClassification, BertForTokenClassification

    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        intermediate_size=4 * hidden,
        max_position_embeddings=64,
        num_labels=num_labels,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    cls = BertForTokenClassification if token else BertForSequenceClassification
    return cls(config)


def save(model: Any, folder: Path, *processors: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    for processor in processors:
        processor.save_pretrained(folder)
    return folder


def build_all(root: Path) -> dict[str, Path]:
    """Every tiny model under `root`, seeded, keyed by task name."""
    import torch
    from transformers import (
        GenerationConfig,
        GPT2Config,
        GPT2LMHeadModel,
        T5Config,
        T5ForConditionalGeneration,
        ViTConfig,
        ViTForImageClassification,
        Wav2Vec2Config,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    torch.manual_seed(0)
    out: dict[str, Path] = {}
    out["token-classification"] = save(
        bert(5, NER_LABELS, True), root / "bert-ner", tokenizer(True)
    )
    out["text-classification"] = save(
        bert(2, ["negative", "positive"], False, hidden=128, layers=3),
        root / "bert-sst",
        tokenizer(True),
    )
    vit = ViTConfig(
        image_size=8,
        patch_size=2,
        num_channels=3,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        num_labels=10,
    )
    out["image-classification"] = save(
        ViTForImageClassification(vit),
        root / "vit-digits",
        ViTImageProcessorPil(
            size={"height": 8, "width": 8}, rescale_factor=1 / 16, do_normalize=False
        ),
    )
    gpt = GPT2Config(
        vocab_size=VOCAB,
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=5,
        eos_token_id=5,
    )
    out["causal-lm"] = save(GPT2LMHeadModel(gpt), root / "gpt2", tokenizer())
    t5 = T5Config(
        vocab_size=VOCAB,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=1,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=5,
    )
    seq2seq = T5ForConditionalGeneration(t5)
    seq2seq.generation_config = GenerationConfig(
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=5
    )
    out["translation"] = save(seq2seq, root / "t5", tokenizer())
    whisper = WhisperConfig(
        vocab_size=VOCAB,
        num_mel_bins=80,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        d_model=32,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=1500,
        max_target_positions=64,
        pad_token_id=0,
        bos_token_id=5,
        eos_token_id=5,
        decoder_start_token_id=6,
    )
    model = WhisperForConditionalGeneration(whisper)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=6, eos_token_id=5, pad_token_id=0
    )
    out["automatic-speech-recognition"] = save(
        model, root / "whisper", tokenizer(), WhisperFeatureExtractor()
    )
    ctc = Wav2Vec2Config(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_feat_extract_layers=2,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
    )
    out["ctc"] = save(
        Wav2Vec2ForCTC(ctc),
        root / "wav2vec2-ctc",
        tokenizer(),
        Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000),
    )
    return out
