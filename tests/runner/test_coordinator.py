"""The coordinator against hostile workers, and its pure parts (frames, rounds, audits).

A hostile worker is the real worker with one thing changed, started in its place for
the compressed run (the original's worker stays ours). Whatever it does, no number in
the record is its word: the run fails with the reason, or its numbers are the honest
model's.
"""

from __future__ import annotations

import dataclasses
import io
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runner import protocol, timing
from runner.sandbox.base import Plain, Request, Session
from tests.runner.test_reproduce import FAST, read_record, text_manifest

HOSTILE = {
    # Answers an input it has seen from a cache, without running the model.
    "cache": """
        real = Worker.answer
        seen = {}
        def answer(self, frame):
            if frame.header.get("op") != "time":
                return real(self, frame)
            key = b"".join(a.tobytes() for a in frame.arrays.values())
            if key not in seen:
                seen[key] = real(self, frame)
            return seen[key]
        Worker.answer = answer
    """,
    # Times fast by answering the timed queries with a constant.
    "timed-differently": """
        real = Worker.answer
        def answer(self, frame):
            if frame.header.get("op") == "time":
                return {"prediction": "negative-and-fast"}, {}
            return real(self, frame)
        Worker.answer = answer
    """,
    # Writes a reply of its own before each real one.
    "foreign-frame": """
        def send(self, header, arrays=None):
            if "prediction" in header:
                protocol.write(self.out, protocol.encode({**header, "n": 1}, arrays))
            protocol.write(self.out, protocol.encode(header, arrays))
        Channel.send = send
    """,
    # Gone at the first query.
    "exit-early": """
        def answer(self, frame):
            os._exit(0)
        Worker.answer = answer
    """,
    # Stops its own clocks: the coordinator's are not in this process.
    "clock": """
        import time
        time.perf_counter = lambda: 0.0
        time.monotonic = lambda: 0.0
        time.time = lambda: 0.0
    """,
}
WRAPPER = """
import os, sys
from runner import protocol
from runner.worker import Channel, Worker, main
{body}
sys.exit(main(sys.argv[1]))
"""


class Hostile(Plain):
    """Plain child processes; the compressed run's worker is a hostile one."""

    def __init__(self, script: Path) -> None:
        self.script = script

    def start(self, request: Request) -> Session:
        argv = request.argv
        job = Path(argv[-1]).read_text() if argv[1:3] == ["-m", "runner.worker"] else ""
        if job and '"run_index": 0' not in job:
            argv = [argv[0], str(self.script), argv[-1]]
        return super().start(dataclasses.replace(request, argv=argv))


def hostile_run(mode: str, tiny_models: dict[str, Path], root: Path) -> Any:
    from runner.execute import Settings, reproduce
    from runner.trackers.latency import LatencySettings
    from validator.manifest.schema import Manifest

    script = root / f"hostile-{mode}.py"
    script.write_text(WRAPPER.format(body=textwrap.dedent(HOSTILE[mode])))
    runs = [{"label": "Оригинал", "method": "original"}, {"label": "x", "method": "dynamic-int8"}]
    path = text_manifest(root, tiny_models["text-classification"], runs, samples=8)
    import yaml

    manifest = Manifest.model_validate(yaml.safe_load(path.read_text()))
    settings = Settings(
        threads=1,
        timeout_s=120,
        latency=LatencySettings(warmup=1, min_iterations=40, min_seconds=0),
    )
    record = reproduce(path, manifest, "0" * 64, None, settings, lambda *a: None, Hostile(script))
    return {r.label: r for r in record.runs}


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("cache", "caches answers"),
        ("timed-differently", "the timed model is not the scored one"),
        ("foreign-frame", "did not answer the request it followed"),
        ("exit-early", "exited with code 0"),
    ],
)
def test_a_hostile_worker_changes_no_number(
    mode: str, says: str, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    runs = hostile_run(mode, tiny_models, tmp_path)
    assert runs["Оригинал"].status == "ok", runs["Оригинал"].error
    run = runs["x"]
    assert run.status == "failed", run
    assert says in (run.error or ""), run.error
    assert run.cpu is None
    assert run.speedup is None
    assert run.memory is None


def test_a_worker_that_stops_its_own_clock_is_timed_all_the_same(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    runs = hostile_run("clock", tiny_models, tmp_path)
    run, original = runs["x"], runs["Оригинал"]
    assert run.status == "ok", run.error
    assert run.cpu is not None
    assert original.cpu is not None
    assert run.cpu.clock == "coordinator"
    assert run.cpu.ms.median > 0.05 * original.cpu.ms.median
    assert run.speedup is not None
    assert run.speedup.paired_with == "Оригинал"


def test_an_honest_run_records_its_audits_and_interval(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    from validator.cli import main

    runs = [{"label": "Оригинал", "method": "original"}, {"label": "i8", "method": "dynamic-int8"}]
    path = text_manifest(tmp_path, tiny_models["text-classification"], runs, samples=8)
    out = tmp_path / "out"
    assert main(["reproduce", str(path), "--out", str(out), "--sandbox", "none", *FAST]) == 0
    original, int8 = read_record(out).runs
    for run in (original, int8):
        assert run.cpu is not None
        assert run.cpu.ci_low is not None
        assert run.cpu.ci_high is not None
        assert run.cpu.ci_low <= run.cpu.ms.median <= run.cpu.ci_high
        assert run.cpu.pipe_ms is not None
        assert len(run.audits) == 2
    assert original.cpu is not None
    assert original.cpu.timing == "alone"
    assert int8.speedup is not None
    assert int8.speedup.ci_low <= int8.speedup.value <= int8.speedup.ci_high
    assert int8.cpu is not None
    assert int8.cpu.timing == "interleaved"


def test_frames_round_trip_and_refuse_what_the_protocol_does_not_allow() -> None:
    arrays = {"a": np.arange(6, dtype=np.int64).reshape(2, 3), "b": np.ones(2, np.float32)}
    frame = protocol.read(io.BytesIO(protocol.encode({"op": "x", "n": 5}, arrays)))
    assert frame.header == {"op": "x", "n": 5}
    assert np.array_equal(frame.arrays["a"], arrays["a"])
    bad = [
        b"JUNK" + protocol.encode({})[4:],  # not our magic
        protocol.encode({"op": "x"}, {"a": np.ones(4)})[:-3],  # cut short
        protocol.PREFIX.pack(protocol.MAGIC, 2**30, 0),  # a header over the cap
    ]
    head = b'{"arrays":[["a","object",[1]]]}'
    bad.append(protocol.PREFIX.pack(protocol.MAGIC, len(head), 0) + head)  # a pickled dtype
    head = b'{"arrays":[["a","float32",[100]]]}'
    bad.append(protocol.PREFIX.pack(protocol.MAGIC, len(head), 4) + head + b"\0" * 4)  # short
    for data in bad:
        with pytest.raises(protocol.ProtocolError):
            protocol.read(io.BytesIO(data))
    packed = protocol.pack({"x": [np.float32(1.5), np.zeros((2, 2), np.int8)]})
    assert protocol.unpack(packed)["x"][1].shape == (2, 2)
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack({"__array__": ["object", [1], "AAAA"]})


def rounds(a: list[float], b: list[float], samples: list[int] | None = None) -> timing.Rounds:
    samples = samples or [i % 4 for i in range(len(a))]
    seen: set[int] = set()
    fresh = []
    for index in samples:
        fresh.append(index not in seen)
        seen.add(index)
    times = [[[x] * timing.PER_ROUND, [y] * timing.PER_ROUND] for x, y in zip(a, b, strict=True)]
    firsts = [[x, y] for x, y in zip(a, b, strict=True)]
    return timing.Rounds(samples, times, fresh, 1.0, firsts)


def test_speedup_interval_drift_and_cache_from_rounds() -> None:
    rng = np.random.default_rng(1)
    a = list(2.0 * (1 + 0.05 * rng.standard_normal(60)))
    b = list(1.0 * (1 + 0.05 * rng.standard_normal(60)))
    ratio = timing.speedup(rounds(a, b))
    assert ratio is not None
    value, low, high = ratio
    assert low <= value <= high
    assert low > 1.8
    assert high < 2.2
    slowing = [1.0 + i / 60 for i in range(60)]  # the machine slows down over the rounds
    assert timing.drift(rounds(slowing, b), 0) > 0.3
    assert abs(timing.drift(rounds(a, b), 0)) < 0.1
    cached = rounds(a, b)
    for first, fresh in zip(cached.firsts, cached.fresh, strict=True):
        first[1] = 1.0 if fresh else 0.01
    assert timing.cache_finding(cached, 1) is not None
    assert timing.cache_finding(rounds(a, b), 1) is None


def test_no_speedup_where_the_echo_took_a_rounds_whole_time() -> None:
    """A model about as fast as the channel: a round whose corrected median is 0 (the
    echo's median was above it) resolves no ratio, rather than dividing by zero."""
    a, b = [0.05, 0.0, 0.04, 0.05], [0.03, 0.02, 0.03, 0.02]
    assert timing.speedup(rounds(a, b)) is None
    assert timing.speedup(rounds(b, a)) is None
    assert timing.speedup(rounds([0.05] * 4, [0.02] * 4)) is not None


def test_latency_verdicts_follow_the_measured_interval() -> None:
    from validator.compare import policy
    from validator.config import Tolerance

    tol = Tolerance()
    assert policy.judge_latency_interval(1.1, 1.0, 0.05, 0.02, tol).verdict == "ok"
    grey = policy.judge_latency_interval(1.6, 1.0, 0.05, 0.02, tol)
    assert (grey.verdict, grey.cause) == ("unverifiable", "latency-unresolved")
    assert policy.judge_latency_interval(2.5, 1.0, 0.05, 0.02, tol).verdict == "mismatch"
    assert policy.judge_latency_interval(1000, 1.0, 0.05, 0.0, tol).cause == "latency-units"
    same = policy.judge_speedup_interval(4.0, 2.0, 1.9, 2.1, 50, True, tol)
    assert (same.verdict, same.cause) == ("mismatch", "speedup")
    other = policy.judge_speedup_interval(3.0, 2.0, 1.9, 2.1, 50, False, tol)
    assert (other.verdict, other.cause) == ("unverifiable", "speedup-other-hardware")
    assert policy.judge_speedup_interval(2.2, 2.0, 1.9, 2.1, 50, True, tol).verdict == "ok"
    copied = policy.judge_speedup_interval(1.0, 4.0, 3.8, 4.2, 50, True, tol)
    assert copied.verdict == "mismatch"
    flipped = policy.judge_speedup_interval(2.0, 0.5, 0.45, 0.55, 50, True, tol)
    assert flipped.cause == "speedup-direction"


def test_plain_sessions_end_and_report() -> None:
    request = Request(
        [sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read())"],
        [],
        Path("/tmp"),
        "cpu",
        1,
        __import__("runner.sandbox.limits", fromlist=["Limits"]).Limits(),
        30,
    )
    session = Plain().start(request)
    session.stdin.write(b"ping")
    outcome = session.finish(wait_s=10)
    assert outcome.returncode == 0
    assert session.stdout.read() == b"ping"


def test_the_coordinator_polls_only_a_plain_pipe_and_only_with_a_cpu_to_spare() -> None:
    """A stream with its own buffer (docker's demultiplexed socket) has no fd to poll."""
    import io
    import os
    from types import SimpleNamespace

    from runner.coordinator import AWAKE_S, Worker

    reader, writer = os.pipe()
    pipe = os.fdopen(reader, "rb")
    try:
        for stdout, spare, wanted in ((pipe, 1, AWAKE_S), (pipe, 0, 0.0), (io.BytesIO(), 1, 0.0)):
            worker = Worker(SimpleNamespace(stdout=stdout), "r", print, 60)  # type: ignore[arg-type]
            worker.awake(spare)
            assert worker.spin_s == wanted
            worker._stop.set()
    finally:
        pipe.close()
        os.close(writer)


def test_a_timed_reply_is_timed_until_its_last_byte_is_in() -> None:
    """The clock stops once the whole reply has arrived and before it is decoded: a reply
    trickled out (its first bytes sent at once, the rest after the work) is not timed
    at its first byte."""
    import os
    import threading
    from types import SimpleNamespace

    from runner.coordinator import Worker, nonce

    data = protocol.encode({"op": "time", "n": nonce()})
    reply = protocol.encode({"prediction": "7", "n": protocol.read(io.BytesIO(data)).header["n"]})
    reader, writer = os.pipe()
    pipe = os.fdopen(reader, "rb")

    def trickle() -> None:
        os.write(writer, reply[:8])
        threading.Event().wait(0.2)
        os.write(writer, reply[8:])

    worker = Worker(SimpleNamespace(stdin=io.BytesIO(), stdout=pipe), "r", print, 60)  # type: ignore[arg-type]
    try:
        for spare in (1, 0):  # polling for the reply and sleeping in read() alike
            worker.awake(spare)
            sender = threading.Thread(target=trickle)
            sender.start()
            elapsed, frame = worker.timed(data)
            sender.join()
            assert frame.header["prediction"] == "7"
            assert elapsed >= 200
    finally:
        worker._stop.set()
        pipe.close()
        os.close(writer)
