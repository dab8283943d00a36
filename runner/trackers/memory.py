"""Peak memory: RSS sampled every ~10 ms from a side thread; VRAM from torch and NVML."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

MB = 2**20
INTERVAL_S = 0.01


@dataclass
class RssSampler:
    """Samples this process's resident set size until stopped; keeps the peak."""

    peak_bytes: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def current(self) -> int:
        import psutil

        return int(psutil.Process(os.getpid()).memory_info().rss)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.current())
            self.samples += 1
            self._stop.wait(INTERVAL_S)

    @contextmanager
    def track(self) -> Iterator[None]:
        self.peak_bytes, self.samples = self.current(), 1
        self._stop.clear()
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()
            self.peak_bytes = max(self.peak_bytes, self.current())


def release_memory() -> None:
    """Give freed heap back to the OS so the next RSS reading is not yesterday's peak."""
    import ctypes
    import gc

    gc.collect()
    with suppress(OSError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class VramTracker:
    """torch's own peak allocation, and what NVML says this process holds."""

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def reset(self) -> None:
        self.torch.cuda.synchronize()
        self.torch.cuda.reset_peak_memory_stats()

    def peak_allocated_mb(self) -> float:
        self.torch.cuda.synchronize()
        return float(self.torch.cuda.max_memory_allocated()) / MB

    def nvml_mb(self) -> float | None:
        """Memory NVML attributes to this process on the current GPU; None without NVML."""
        try:
            import pynvml
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(self.torch.cuda.current_device())
            for process in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                if process.pid == os.getpid() and process.usedGpuMemory:
                    return float(process.usedGpuMemory) / MB
            return None
        except pynvml.NVMLError:
            return None
        finally:
            with suppress(pynvml.NVMLError):
                pynvml.nvmlShutdown()
