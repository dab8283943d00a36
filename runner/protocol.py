"""Frames between the coordinator and a worker: a JSON header and raw numpy arrays.

One frame: `MCV1`, the header's length and the arrays' total length (little-endian u32,
u64), the header (UTF-8 JSON, an object), then each array's bytes back to back. The
header lists the arrays as `[name, dtype, shape]`. Nothing is ever unpickled: a frame
from a worker (which may run a team's code) is JSON and bytes of allow-listed dtypes,
with every length capped before anything is read.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

MAGIC = b"MCV1"
PREFIX = struct.Struct("<4sIQ")
MAX_HEADER = 16 * 2**20
MAX_PAYLOAD = 2 * 2**30  # one causal LM's logits over a long sample fit; more is refused
DTYPES = frozenset(
    ["bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64"]
)


class ProtocolError(Exception):
    """A frame that is not one: cut short, too long, or not what the protocol allows."""


@dataclass
class Frame:
    header: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def encode(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """The frame's bytes: prepared once, so a timed send writes only."""
    arrays = arrays or {}
    specs, chunks = [], []
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.name not in DTYPES:
            raise ProtocolError(f"array {name!r} has dtype {array.dtype.name}, not allowed")
        specs.append([name, array.dtype.name, list(array.shape)])
        chunks.append(array.tobytes())
    head = json.dumps({**header, "arrays": specs}, separators=(",", ":")).encode()
    payload = b"".join(chunks)
    return PREFIX.pack(MAGIC, len(head), len(payload)) + head + payload


def _read_exactly(stream: BinaryIO, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise ProtocolError("the stream ended inside a frame" if chunks else "end of stream")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read(stream: BinaryIO, max_payload: int = MAX_PAYLOAD) -> Frame:
    """One frame from `stream`; ProtocolError for anything else."""
    return parse(*receive(stream, max_payload))


def receive(stream: BinaryIO, max_payload: int = MAX_PAYLOAD) -> tuple[bytes, bytes]:
    """One frame's header and payload bytes, whole, its lengths checked before they are
    read; nothing decoded yet (a timed reply's clock stops here, once all of it is in)."""
    magic, head_len, payload_len = PREFIX.unpack(_read_exactly(stream, PREFIX.size))
    if magic != MAGIC:
        raise ProtocolError("not a frame (bad magic): something else wrote into the channel")
    if head_len > MAX_HEADER or payload_len > max_payload:
        raise ProtocolError(f"a frame of {head_len + payload_len} bytes is over the cap")
    return _read_exactly(stream, head_len), _read_exactly(stream, payload_len)


def parse(head: bytes, body: bytes) -> Frame:
    """The frame `receive` read: its header decoded, its arrays views of the payload."""
    try:
        header = json.loads(head)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProtocolError("a frame's header is not JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays", []), list):
        raise ProtocolError("a frame's header is not an object with an `arrays` list")
    payload_len = len(body)
    payload = memoryview(body)
    arrays: dict[str, np.ndarray] = {}
    offset = 0
    for spec in header.pop("arrays", []):
        name, dtype, shape = _spec(spec)
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        nbytes = count * np.dtype(dtype).itemsize
        if offset + nbytes > payload_len:
            raise ProtocolError(f"array {name!r} runs past the frame's payload")
        arrays[name] = np.frombuffer(payload[offset : offset + nbytes], dtype=dtype).reshape(shape)
        offset += nbytes
    if offset != payload_len:
        raise ProtocolError("a frame's payload is longer than its arrays")
    return Frame(header, arrays)


def _spec(spec: Any) -> tuple[str, str, tuple[int, ...]]:
    ok = (
        isinstance(spec, list)
        and len(spec) == 3
        and isinstance(spec[0], str)
        and spec[1] in DTYPES
        and isinstance(spec[2], list)
        and all(isinstance(d, int) and 0 <= d < 2**40 for d in spec[2])
        and len(spec[2]) <= 8
    )
    if not ok:
        raise ProtocolError(f"a frame names an array it may not: {str(spec)[:80]}")
    return spec[0], spec[1], tuple(spec[2])


def write(stream: BinaryIO, data: bytes) -> None:
    stream.write(data)
    stream.flush()


def pack(value: Any) -> Any:
    """A JSON-able copy of `value`, numpy arrays and scalars included (base64 bytes)."""
    import base64

    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype.name not in DTYPES:
            raise ProtocolError(f"an array of dtype {array.dtype.name} is not allowed")
        data = base64.b64encode(array.tobytes()).decode()
        return {"__array__": [array.dtype.name, list(array.shape), data]}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): pack(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [pack(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ProtocolError(f"cannot send a {type(value).__name__}")


def unpack(value: Any) -> Any:
    """`pack`'s inverse; ProtocolError for an array spec it does not allow."""
    import base64
    import binascii

    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            spec = value["__array__"]
            if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[2], str)):
                raise ProtocolError("a packed array is malformed")
            _, dtype, shape = _spec(["array", spec[0], spec[1]])
            try:
                data = base64.b64decode(spec[2], validate=True)
            except (binascii.Error, ValueError):
                raise ProtocolError("a packed array's bytes are not base64") from None
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if len(data) != count * np.dtype(dtype).itemsize:
                raise ProtocolError("a packed array's bytes do not match its shape")
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        return {k: unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unpack(v) for v in value]
    return value
