"""Size of the deployable artifact: its bytes on disk (MB = 2^20 bytes), gzip, theoretical."""

from __future__ import annotations

import zlib
from pathlib import Path

from validator.verification import Size

MB = 2**20
CHUNK = 1 << 20


def gzip_bytes(paths: list[Path]) -> int:
    """Deflate size of the files back to back, streamed so a large model fits in memory."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                total += len(compressor.compress(chunk))
    return total + len(compressor.flush())


def measure(folder: Path, scheme: str, theoretical_bits: float, params: int, nonzero: int) -> Size:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    return Size(
        size_mb=size / MB,
        bytes=size,
        files=[p.relative_to(folder).as_posix() for p in files],
        params=params,
        nonzero_params=nonzero,
        gzip_mb=gzip_bytes(files) / MB,
        theoretical_mb=theoretical_bits / 8 / MB,
        scheme=scheme,
    )
