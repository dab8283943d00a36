"""Renderers: findings in, text out. Pure: each takes the findings and a stream."""

from validator.output import github, json_v1, text

RENDERERS = {"text": text.render, "json": json_v1.render, "github": github.render}

__all__ = ["RENDERERS"]
