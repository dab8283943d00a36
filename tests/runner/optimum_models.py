"""Tiny random-weight models of the classes issue 14 names that tiny_models.py lacks (Qwen2
and OPT causal LMs, a Marian translator), built and saved as the hub would."""

from __future__ import annotations

from pathlib import Path

from tests.runner.tiny_models import VOCAB, save, tokenizer


def build_extra(root: Path) -> dict[str, Path]:
    import torch
    from transformers import (
        GenerationConfig,
        MarianConfig,
        MarianMTModel,
        OPTConfig,
        OPTForCausalLM,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    torch.manual_seed(0)
    qwen = Qwen2Config(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        bos_token_id=5,
        eos_token_id=5,
    )
    opt = OPTConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        ffn_dim=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=64,
        word_embed_proj_dim=32,
        pad_token_id=0,
        bos_token_id=5,
        eos_token_id=5,
    )
    marian = MarianConfig(
        vocab_size=VOCAB,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=5,
        decoder_start_token_id=0,
        forced_eos_token_id=5,
    )
    translator = MarianMTModel(marian)
    translator.generation_config = GenerationConfig(
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=5
    )
    return {
        "qwen2": save(Qwen2ForCausalLM(qwen), root / "qwen2", tokenizer()),
        "opt": save(OPTForCausalLM(opt), root / "opt", tokenizer()),
        "marian": save(translator, root / "marian", tokenizer()),
    }
