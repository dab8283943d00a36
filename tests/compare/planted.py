"""Honest manifests with their records, and single planted discrepancies around them.

`scenarios()` yields (name, manifest data, record, expected): `expected` maps each
reported cell (run label, metric) to True when it must be judged a mismatch. The honest
team measured on its own machine (other hardware than the runner), so its latencies are
scaled by a machine factor and only speed-ups carry over.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from validator.verification import (
    Fingerprint,
    Latency,
    Memory,
    Quality,
    RunRecord,
    Size,
    Spread,
    VerificationRecord,
)

SHA = "0" * 64
MACHINE = 0.6  # the team's CPU is faster than the runner's

# label, method, params, size MB, runner latency ms, ram MB, accuracy
TRUTH: list[tuple[str, str, dict[str, Any], float, float, float, float]] = [
    ("Оригинал", "original", {}, 420.0, 40.0, 900.0, 0.912),
    ("INT8 dynamic", "dynamic-int8", {}, 150.0, 20.0, 620.0, 0.905),
    (
        "Прунинг",
        "prune-unstructured",
        {"amount": 0.5, "storage": "theoretical"},
        215.0,
        39.0,
        905.0,
        0.890,
    ),
    ("K-means", "kmeans", {"clusters": 16, "storage": "codebook"}, 60.0, 41.0, 910.0, 0.880),
]


def spread(median: float, cv: float = 0.02, n: int = 120) -> Spread:
    return Spread(
        median=median,
        mean=median,
        p90=median * 1.03,
        p95=median * 1.05,
        iqr=median * 0.02,
        cv=cv,
        n=n,
    )


def record(
    samples: int, runs: list[tuple[str, str, float, float, float, float]], device: str = "cpu"
) -> VerificationRecord:
    built = []
    for label, method, size, latency, ram, quality in runs:
        built.append(
            RunRecord(
                label=label,
                method=method,
                status="ok",
                duration_s=3.0,
                size=Size(
                    size_mb=size,
                    bytes=int(size * 2**20),
                    files=["model.safetensors"],
                    params=1000,
                    nonzero_params=1000,
                    gzip_mb=size * 0.9,
                    theoretical_mb=size,
                    scheme="safetensors",
                ),
                cpu=Latency(
                    device="cpu",
                    ms=spread(latency),
                    cold_ms=latency * 3,
                    warmup=10,
                    threads=1,
                    clock="perf_counter",
                ),
                memory=Memory(ram_peak_mb=ram, ram_before_load_mb=300.0, samples=50),
                quality=Quality(
                    metric="accuracy",
                    value=quality,
                    samples=samples,
                    ci_low=quality - 0.02,
                    ci_high=quality + 0.02,
                    ci_method="wilson",
                    definition="share of samples right",
                ),
            )
        )
    return VerificationRecord(
        manifest_path="submissions/ml_masters/hw-2.yaml",
        manifest_sha256=SHA,
        created_at="2026-11-22T12:00:00+00:00",
        device=device,  # type: ignore[arg-type]
        fingerprint=Fingerprint(
            cpu_model="Intel(R) Xeon(R) CPU @ 2.20GHz",
            cores=2,
            threads=1,
            python="3.11.7",
            platform="Linux",
            versions={"torch": "2.13.0", "transformers": "5.23.0"},
        ),
        settings={"warmup": 10, "min_iterations": 100, "min_seconds": 2.0},
        runs=built,
    )


def honest(samples: int = 500) -> tuple[dict[str, Any], VerificationRecord]:
    runs = []
    for label, method, params, size, latency, ram, quality in TRUTH:
        run: dict[str, Any] = {
            "label": label,
            "method": method,
            "reported": {
                "size_mb": round(size * 1.01, 2),
                "cpu_ms": round(latency * MACHINE, 2),
                "ram_mb": round(ram * 1.1, 1),
                "quality": round(quality + 0.002, 4),
            },
            "hardware": {"cpu": "AMD Ryzen 7 5800X"},
        }
        if params:
            run["params"] = params
        runs.append(run)
    manifest = {
        "schema_version": 1,
        "team": "ml_masters",
        "homework": 2,
        "model": {
            "id": "dslim/bert-base-NER",
            "revision": "7b3f2c1",
            "task": "text-classification",
        },
        "evaluation": {
            "dataset": "imdb",
            "revision": "0123456789abcdef0123456789abcdef01234567",  # a made-up pin (MCV208)
            "split": "test",
            "samples": samples,
            "metric": "accuracy",
        },
        "runs": runs,
    }
    truth = [
        (label, method, size, latency, ram, quality)
        for label, method, _, size, latency, ram, quality in TRUTH
    ]
    return manifest, record(samples, truth)


def expected_clean(manifest: dict[str, Any]) -> dict[tuple[str, str], bool]:
    return {(run["label"], metric): False for run in manifest["runs"] for metric in run["reported"]}


# name, run index, metric, how to change the reported value, samples, mismatch expected
PLANTS: list[tuple[str, int, str, Any, int, bool]] = [
    ("size doubled", 1, "size_mb", lambda v: v * 2, 500, True),
    ("size +4% (inside)", 1, "size_mb", lambda v: 150.0 * 1.04, 500, False),
    ("size +6% (outside)", 1, "size_mb", lambda v: 150.0 * 1.06, 500, True),
    ("size in KB", 2, "size_mb", lambda v: v * 1024, 500, True),
    ("latency copied from baseline", 1, "cpu_ms", lambda v: 40.0 * MACHINE, 500, True),
    ("latency in seconds", 1, "cpu_ms", lambda v: v / 1000, 500, True),
    ("speed-up x1.2 of truth (inside)", 1, "cpu_ms", lambda v: v / 1.2, 500, False),
    ("speed-up x1.45 of truth (outside)", 1, "cpu_ms", lambda v: v / 1.45, 500, True),
    ("speed-up claimed x4, truth x2", 1, "cpu_ms", lambda v: 40.0 * MACHINE / 4, 500, True),
    ("quality +3 points at n=100", 1, "quality", lambda v: v + 0.03, 100, False),
    ("quality +3 points at n=10000", 1, "quality", lambda v: v + 0.03, 10000, True),
    ("quality +0.025 at n=500 (inside)", 2, "quality", lambda v: 0.890 + 0.025, 500, False),
    ("quality +0.029 at n=500 (outside)", 2, "quality", lambda v: 0.890 + 0.029, 500, True),
    ("quality as a percentage", 3, "quality", lambda v: 88.0, 500, True),
    ("RAM x3", 2, "ram_mb", lambda v: v * 3, 500, True),
    ("RAM +40% (inside)", 2, "ram_mb", lambda v: 905.0 * 1.4, 500, False),
    ("baseline latency in seconds", 0, "cpu_ms", lambda v: v / 1000, 500, True),
]


def scenarios() -> Iterator[
    tuple[str, dict[str, Any], VerificationRecord, dict[tuple[str, str], bool]]
]:
    for samples in (100, 500, 10000):
        manifest, truth = honest(samples)
        yield f"honest at n={samples}", manifest, truth, expected_clean(manifest)
    for name, index, metric, change, samples, mismatch in PLANTS:
        manifest, truth = honest(samples)
        planted = copy.deepcopy(manifest)
        run = planted["runs"][index]
        run["reported"][metric] = round(change(run["reported"][metric]), 6)
        expected = expected_clean(planted)
        label = run["label"]
        if index == 0 and metric == "cpu_ms":  # a wrong baseline skews every speed-up
            for other in planted["runs"][1:]:
                expected[(other["label"], "cpu_ms")] = mismatch
        else:
            expected[(label, metric)] = mismatch
        yield name, planted, truth, expected
