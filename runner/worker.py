"""A worker: one run's model, built and then served over a pipe. Runs in the sandbox.

`python -m runner.worker JOB.json`. It loads the base model, applies the run's recipe
(ours, or a team's `custom` script), leaves the artifact in its scratch, then answers the
coordinator's frames (runner/protocol.py) on its stdin/stdout until told to quit:

- `build` (with the samples' inputs, for calibration) -> the artifact's path and stats;
- `predict` -> the prediction, and the raw output when asked (logits; generated ids);
- `time` -> the prediction, through the task's timed call;
- `echo` -> nothing, once the inputs are decoded: the channel's own cost, to take off.

It is never given references, labels or the record, and what it answers is only ever an
answer: the coordinator (runner/coordinator.py) keeps the clock, the references, the size
and memory readings. Stray prints (a library's, a team script's) go to stderr, never into
the channel: the channel's descriptors are private copies taken before anything runs.
"""

from __future__ import annotations

import json
import os
import random
import select
import sys
import time
import traceback
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

from runner import protocol
from runner.errors import RunnerError, Unsupported

SPIN_S = 0.002


LIBRARIES = (
    "torch", "transformers", "optimum", "optimum-onnx", "optimum-intel", "onnxruntime",
    "openvino", "timm", "torchvision", "gptqmodel", "bitsandbytes",
)  # fmt: skip


def library_versions() -> dict[str, str]:
    """The versions of the libraries this worker's environment (its toolchain) has."""
    from importlib import metadata

    found = {}
    for name in LIBRARIES:
        with suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


class Channel:
    """The worker's end: frames in on a private copy of stdin, out on one of stdout."""

    def __init__(self) -> None:
        named = os.environ.pop("MCV_CHANNEL", "")
        if named:  # the sandbox passed the channel apart from 0-2 (runner/sandbox/bwrap.py)
            reader, writer = (int(fd) for fd in named.split(","))
        else:
            reader, writer = os.dup(0), os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # nothing else reads the coordinator's frames
        os.close(null)
        os.dup2(2, 1)  # print() lands in stderr, not in a frame
        for fd in (reader, writer):
            os.set_inheritable(fd, False)  # a recipe's subprocess never gets the channel
        self.inp: BinaryIO = os.fdopen(reader, "rb", buffering=1 << 16)
        self.out: BinaryIO = os.fdopen(writer, "wb", buffering=1 << 16)

    def send(self, header: dict[str, Any], arrays: dict[str, Any] | None = None) -> None:
        protocol.write(self.out, protocol.encode(header, arrays))

    def phase(self, text: str) -> None:
        self.send({"phase": text})

    def receive(self) -> protocol.Frame:
        """The next frame. For a moment after a reply the worker polls for it instead of
        sleeping: in the timing rounds queries come back to back, and a worker woken from
        sleep for each (its caches cold) would time slower than its model runs."""
        deadline = time.perf_counter() + SPIN_S
        fd = self.inp.fileno()
        while time.perf_counter() < deadline:
            if select.select([fd], [], [], 0)[0]:
                break
        return protocol.read(self.inp, max_payload=protocol.MAX_PAYLOAD)


def no_dumping() -> None:
    """Make this process undumpable: another process of the same uid (a team script and
    whatever it left) can then neither ptrace it nor open its /proc files (fds, memory)."""
    import ctypes

    with suppress(OSError, AttributeError):  # not Linux: custom scripts are refused there
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0


class Worker:
    def __init__(self, job: dict[str, Any], channel: Channel) -> None:
        from runner.harness import quiet, run_of
        from runner.tasks import TASKS

        quiet()
        import numpy as np
        import torch

        self.job, self.channel = job, channel
        self.run = run_of(job)
        torch.set_num_threads(int(job["threads"]))
        torch.manual_seed(0)
        random.seed(0)
        np.random.seed(0)
        self.task = TASKS[job["task"]](Path(job["model_dir"]), dict(job["columns"]))
        # Fetching refused the model unless the course allows its code and it is pinned;
        # this sandboxed process is the only one that imports it.
        self.task.remote_code = bool(job.get("remote_code"))
        self.backend: Any = None
        self.recording: Any = None

    def build(self, frame: protocol.Frame) -> dict[str, Any]:
        from runner.backends import Recording
        from runner.recipes import RECIPES, RecipeContext
        from runner.tasks.base import Sample
        from runner.trackers.memory import release_memory

        recipe = RECIPES[self.run.method]()
        samples = [
            Sample(s["inputs"], None, s["aux"]) for s in protocol.unpack(frame.header["samples"])
        ]
        ctx = RecipeContext(
            self.task,
            self.run.params,
            samples,
            Path(self.job["work_dir"]),
            self.job["device"],
            int(self.job["threads"]),
            Path(self.job["manifest_dir"]),
            bool(self.job["allow_custom"]),
        )
        recipe.preflight(ctx)
        self.channel.phase(f"building `{self.run.method}`")
        self.task.restore(self.job.get("state") or {})
        ctx.samples = [  # what the model takes (a waveform featurised by its own code)
            Sample(self.task.features(s.inputs), None, s.aux) for s in ctx.samples
        ]
        built = recipe.build(ctx)
        del ctx, samples
        release_memory()
        self.backend = built.backend
        self.recording = Recording(built.backend)
        return {
            "built": True,
            "artifact": str(built.artifact),
            "scheme": built.scheme,
            "theoretical_bits": float(built.theoretical_bits),
            "params": int(built.params),
            "nonzero_params": int(built.nonzero_params),
            "generates": bool(self.task.generates),
            "versions": library_versions(),
        }

    def answer(self, frame: protocol.Frame) -> tuple[dict[str, Any], dict[str, Any]]:
        import numpy as np

        from runner.backends import Generated
        from runner.tasks.base import Sample

        op = frame.header.get("op")
        sample = Sample(frame.arrays, None, protocol.unpack(frame.header.get("aux") or {}))
        if op == "echo":
            return {}, {}
        if self.recording is None:
            raise RunnerError("asked to predict before the model was built")
        if op == "time":
            return {"prediction": protocol.pack(self.task.timed_call(self.backend, sample))}, {}
        prediction = self.task.predict(self.recording, sample)
        header: dict[str, Any] = {"prediction": protocol.pack(prediction)}
        arrays: dict[str, Any] = {}
        last = self.recording.last
        if isinstance(last, Generated):
            header["new_tokens"] = int(last.new_tokens)
            if frame.header.get("outputs"):
                arrays["ids"] = np.asarray(last.ids)
        elif isinstance(last, np.ndarray) and frame.header.get("outputs"):
            arrays["logits"] = np.asarray(last, dtype=np.float32)
        return header, arrays

    def serve(self) -> None:
        while True:
            try:
                frame = self.channel.receive()
            except protocol.ProtocolError:
                return  # the coordinator closed the channel: nothing more to answer
            op = frame.header.get("op")
            if op == "quit":
                return
            try:
                if op == "build":
                    header, arrays = self.build(frame), dict[str, Any]()
                else:
                    header, arrays = self.answer(frame)
            except Unsupported as exc:
                header, arrays = {"error": str(exc), "status": "unsupported"}, {}
            except RunnerError as exc:
                header, arrays = {"error": str(exc), "status": "failed"}, {}
            except MemoryError:
                header, arrays = {"error": "out of memory", "status": "failed"}, {}
            except Exception as exc:  # a bug or a library failure: its kind and where
                where = traceback.format_exc(limit=4).strip().splitlines()[-1]
                text = f"{type(exc).__name__}: {exc}"[:500] + f" ({where})"[:300]
                header, arrays = {"error": text, "status": "failed"}, {}
            self.channel.send({**header, "n": frame.header.get("n")}, arrays)


def main(path: str) -> int:
    channel = Channel()
    no_dumping()
    try:
        job = json.loads(Path(path).read_text(encoding="utf-8"))
        channel.phase("loading libraries")
        worker = Worker(job, channel)
    except Exception as exc:  # before the loop: one error frame, then out
        channel.send({"error": f"the worker did not start: {type(exc).__name__}: {exc}"[:500]})
        return 1
    channel.send({"ready": True})
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
