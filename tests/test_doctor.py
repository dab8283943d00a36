from __future__ import annotations

import json
from typing import Any

import pytest


def test_doctor_reports_capabilities_and_recipes(cli: Any) -> None:
    pytest.importorskip("torch")
    code, out, _ = cli("doctor", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["capabilities"]["torch"]["ok"] is True
    assert document["recipes"]["original"] == "ok"
    if not document["capabilities"]["cuda"]["ok"]:
        assert document["recipes"]["gptq"] == "needs CUDA"
    assert document["recipes"]["custom"].startswith("sandbox only")


def test_doctor_fails_on_a_missing_requirement(cli: Any) -> None:
    pytest.importorskip("torch")
    code, _, _ = cli("doctor", "--require", "torch,cuda")
    import torch

    assert code == (0 if torch.cuda.is_available() else 1)
    assert cli("doctor", "--require", "warp-drive")[0] == 2
