"""The Docker backend: the bubblewrap contract, enforced by an engine instead.

No network (`network_mode="none"`), a read-only root filesystem, the run's scratch folder
and /tmp as size-capped tmpfs, every capability dropped, no-new-privileges, uid 65534,
pids/memory/CPU limits from the container's cgroup (the whole tree), the GPU through a
device request, the engine's own /proc. The image is the runner image from this
repository's `Dockerfile`; with `host_python` the runner's own interpreter, system
folders and the /etc allow-list are bound read-only into it instead (passwd and group
synthetic), so any image with nothing in it will do (that is how the tests run it
against an engine with no registry). No bind is ever made of a path `bind_refusal`
refuses.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
from runner.sandbox.base import (
    KEPT_LINES,
    NOBODY,
    STDERR_TAIL,
    SYSTEM,
    Outcome,
    Output,
    Request,
    ScratchWatch,
    Session,
    check_binds,
    environment,
    etc_files,
    host_python,
    interpreter_paths,
    project_packages,
    synthetic_etc,
    toolchain_parts,
    tree_pids,
)
from runner.sandbox.limits import GIB
from runner.sandbox.registry import DEFAULT_IMAGE

HOST_SYSTEM = tuple(s for s in SYSTEM if s != "/sbin")  # the engine mounts its init there
TMP_BYTES = 2 * GIB
CONTROL_TIMEOUT_S = 60
IMAGE_TOOLCHAINS = "/opt/toolchains"  # <name>/bin/python in the runner image (Dockerfile)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:600]


def _engine_errors() -> tuple[type[BaseException], ...]:
    import docker.errors
    import requests.exceptions

    return (docker.errors.DockerException, requests.exceptions.RequestException, OSError)


def check_readable(path: Path) -> None:
    """The run is uid 65534 with no capabilities: what it must read must be world-readable."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise RunnerError(f"--sandbox docker: cannot bind {path}: {exc.strerror}") from None
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & need != need:
        raise RunnerError(
            f"--sandbox docker: {path} is not readable by the sandbox's user (uid {NOBODY}); "
            f"make it world-readable (chmod -R o+rX {path}) or use --sandbox bwrap; "
            "nothing was run"
        )


def check(image: str) -> tuple[bool, str]:
    """(an engine answers, what it has), for `mcv doctor`."""
    try:
        import docker
    except ImportError:
        return False, "docker SDK not installed"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as exc:  # the SDK raises many kinds when no engine answers
        return False, f"no engine: {_first_line(exc)[:120]}"
    try:
        client.images.get(image)
        found = f"image {image} present"
    except Exception:  # ImageNotFound, or an engine that stopped answering
        found = f"no image {image} (docker build -t {image} .)"
    return True, f"engine {version}; {found}"


class Docker:
    """The backend object `mcv reproduce` holds; made only where an engine answers."""

    name = "docker"

    def __init__(self, image: str = DEFAULT_IMAGE, host_python: bool = False) -> None:
        try:
            import docker
        except ImportError:
            raise RunnerError(
                "--sandbox docker: the docker SDK is not installed (pip install "
                "'.[runner]'); nothing was run unsandboxed"
            ) from None
        self.errors = _engine_errors()
        try:
            self.control = docker.from_env(timeout=CONTROL_TIMEOUT_S)
            self.control.ping()
            # Log streams and waits may be silent for as long as a run takes.
            self.stream = docker.from_env(timeout=None)
        except self.errors as exc:
            raise RunnerError(
                f"--sandbox docker: no Docker engine answers ({_first_line(exc)}); start "
                "one or point DOCKER_HOST at it, or use --sandbox bwrap; nothing was run "
                "unsandboxed"
            ) from None
        try:
            config = self.control.images.get(image).attrs.get("Config") or {}
        except docker.errors.ImageNotFound:
            raise RunnerError(
                f"--sandbox docker: image `{image}` is not on this engine; build it from "
                f"this repository (docker build -t {image} .); nothing was run unsandboxed"
            ) from None
        except self.errors as exc:
            raise RunnerError(f"--sandbox docker: image `{image}`: {_first_line(exc)}") from None
        self.image = image
        self.host_python = host_python
        image_env = dict(e.partition("=")[::2] for e in config.get("Env") or [])
        self.path_env = image_env.get("PATH", "/usr/local/bin:/usr/bin:/bin")

    def python(self, toolchain: str = "core") -> str:
        if self.host_python:
            return host_python(toolchain)
        if toolchain == "core":
            return "python3"
        return f"{IMAGE_TOOLCHAINS}/{toolchain}/bin/python"  # the Dockerfile builds them there

    def options(self, request: Request, etc: Path | None = None) -> dict[str, Any]:
        """Everything the container is created with; no engine call, so tests can read it.
        `etc`: a folder for the synthetic passwd and group (host-python mode)."""
        from docker.types import DeviceRequest, LogConfig, Ulimit

        limits, scratch, threads = request.limits, request.scratch, request.threads
        env = environment(scratch, Path("/tmp"), threads)  # noqa: S108 - the container's tmpfs
        system: list[Path] = []
        synthetic: dict[str, Path] = {}
        if self.host_python:
            system = [Path(s) for s in HOST_SYSTEM if Path(s).exists()] + etc_files()
            if etc is not None:
                synthetic = synthetic_etc(etc, scratch)
        else:
            env["PATH"] = self.path_env
            parents = dict.fromkeys(str(p.parent) for p in project_packages())
            env["PYTHONPATH"] = os.pathsep.join(parents)
        mine = (interpreter_paths() if self.host_python else []) + project_packages()
        if self.host_python:
            venv, extra = toolchain_parts(request.toolchain)
            mine += venv
            env.update(extra)
        check_binds(self.name, request.read_only, mine)
        own = mine + [p.resolve() for p in request.read_only]
        for path in own:  # the system folders are world-readable; these must be too
            check_readable(path)
        volumes = {str(p): {"bind": str(p), "mode": "ro"} for p in system + own}
        volumes |= {str(out): {"bind": inside, "mode": "ro"} for inside, out in synthetic.items()}
        cpus = min(threads + 1, os.cpu_count() or 1)  # +1: the RSS sampler's thread
        return {
            "entrypoint": request.argv[:1],
            "command": request.argv[1:],
            "user": f"{NOBODY}:{NOBODY}",
            "working_dir": str(scratch),
            "environment": env,
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {
                "/tmp": f"rw,nosuid,nodev,size={TMP_BYTES}",  # noqa: S108
                str(scratch): (
                    f"rw,nosuid,nodev,size={limits.scratch_bytes},uid={NOBODY},gid={NOBODY},"
                    "mode=0700"
                ),
            },
            "volumes": volumes,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "pids_limit": limits.processes,
            "mem_limit": limits.memory_bytes,
            "memswap_limit": limits.memory_bytes,  # no swap on top
            "nano_cpus": int(cpus * 1e9),
            "ulimits": [
                Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds),
                Ulimit(name="fsize", soft=limits.file_bytes, hard=limits.file_bytes),
                Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
                Ulimit(name="core", soft=0, hard=0),
            ],
            "ipc_mode": "private",
            "hostname": "sandbox",
            "init": True,  # reaps what a fork bomb leaves behind
            "labels": {"org.mcv.run": "1"},
            # The engine's own copy of what the run prints, on the host's disk: capped.
            # The runner stops the run at output_bytes of stdout before this rotates.
            "log_config": LogConfig(
                type="json-file",
                config={"max-size": f"{2 * limits.output_bytes >> 20}m", "max-file": "1"},
            ),
            "device_requests": (
                [DeviceRequest(count=-1, capabilities=[["gpu"]])]
                if request.device == "cuda"
                else None
            ),
        }

    def start(self, request: Request) -> Session:
        """Start the request in a fresh container, its attached stdin and stdout the
        channel (the engine's stream, demultiplexed: stderr frames are kept apart)."""
        etc = tempfile.mkdtemp(prefix="mcv-etc-")
        errors = self.errors
        try:
            options = self.options(request, Path(etc))
            options["stdin_open"] = True
            container = self.control.containers.create(self.image, **options)
        except self.errors as exc:
            shutil.rmtree(etc, ignore_errors=True)
            raise RunnerError(
                f"--sandbox docker: the container was not created: {_first_line(exc)}"
            ) from None
        try:
            socket = self.stream.containers.get(container.id).attach_socket(
                params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            container.start()
            container.reload()
        except errors as exc:
            with suppress(*errors):
                container.remove(force=True)
            shutil.rmtree(etc, ignore_errors=True)
            raise RunnerError(
                f"--sandbox docker: the run did not start: {_first_line(exc)}"
            ) from None
        raw = getattr(socket, "_sock", socket)
        pid = int((container.attrs.get("State") or {}).get("Pid") or 0)
        watch = ScratchWatch(request.scratch, request.limits.scratch_bytes, lambda: [pid])
        stream = Demux(raw)
        process = _Attached(raw, stream, container, errors)

        def kill() -> None:
            with suppress(*errors):
                container.kill()

        def end(code: int | None) -> Outcome:
            state: dict[str, Any] = {}
            with suppress(*errors):
                container.reload()
                state = container.attrs.get("State") or {}
            reason = None
            if state.get("OOMKilled"):
                reason = (
                    "out of memory: the run's processes together reached its "
                    f"{request.limits.memory_bytes / GIB:g} GiB memory cap "
                    "(mcv reproduce --memory-limit)"
                )
            if watch.full():
                reason = watch.reason()
            with suppress(*errors):
                container.remove(force=True)
            with suppress(OSError):
                raw.close()
            shutil.rmtree(etc, ignore_errors=True)
            return Outcome(code, [], stream.stderr[-STDERR_TAIL:], reason)

        return Session(process, lambda: tree_pids(pid) if pid else [], end, kill)

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome:
        """Run the request in a fresh container; stdout lines go to `on_line` as they come."""
        with tempfile.TemporaryDirectory(prefix="mcv-etc-") as etc:
            try:
                options = self.options(request, Path(etc))
                container = self.control.containers.create(self.image, **options)
            except self.errors as exc:
                raise RunnerError(
                    f"--sandbox docker: the container was not created: {_first_line(exc)}"
                ) from None
            return self._run(container, request, on_line)

    def _run(self, container: Any, request: Request, on_line: Callable[[str], None]) -> Outcome:
        errors = self.errors
        output = Output(on_line, request.limits.output_bytes, lambda: None)
        try:
            container.start()
            streamed = self.stream.containers.get(container.id)
            container.reload()
            pid = int((container.attrs.get("State") or {}).get("Pid") or 0)
            watch = ScratchWatch(request.scratch, request.limits.scratch_bytes, lambda: [pid])

            def stop() -> None:
                with suppress(*errors):
                    container.kill()

            output.stop = stop

            def pump() -> None:
                with suppress(*errors):
                    for chunk in streamed.logs(stream=True, follow=True, stderr=False):
                        output.feed(chunk)
                output.finish()

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            code: int | None
            try:
                code = int(streamed.wait(timeout=request.timeout_s)["StatusCode"])
            except errors:  # the wait ran out: the run is past its timeout
                with suppress(*errors):
                    container.kill()
                code = None
            reader.join(timeout=10)
            container.reload()
            state = container.attrs.get("State") or {}
            stderr = container.logs(stdout=False, stderr=True, tail=KEPT_LINES)[-STDERR_TAIL:]
            reason = output.reason
            if code is not None and state.get("OOMKilled"):
                reason = (
                    "out of memory: the run's processes together reached its "
                    f"{request.limits.memory_bytes / GIB:g} GiB memory cap "
                    "(mcv reproduce --memory-limit)"
                )
            if watch.full():
                reason = watch.reason()
            if code is not None and code > 128:  # killed by a signal, as the shell reports it
                code = 128 - code
            return Outcome(code, output.lines, stderr.decode("utf-8", errors="replace"), reason)
        except errors as exc:
            raise RunnerError(
                f"--sandbox docker: the engine failed the run: {_first_line(exc)}"
            ) from None
        finally:
            with suppress(*errors):
                container.remove(force=True)


class Demux:
    """The engine's attach stream as a readable binary stream of the run's stdout: each
    frame is an 8-byte header (stream 1 stdout, 2 stderr; big-endian length) and data."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.stderr = ""

    def _fill(self) -> bool:
        header = self._exactly(8)
        if header is None:
            return False
        size = int.from_bytes(header[4:8], "big")
        data = self._exactly(size) or b""
        if header[0] == 2:
            self.stderr = (self.stderr + data.decode("utf-8", "replace"))[-STDERR_TAIL:]
        else:
            self.buffer += data
        return True

    def _exactly(self, count: int) -> bytes | None:
        chunks, left = [], count
        while left:
            try:
                chunk = self.sock.recv(min(left, 1 << 20))
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def read(self, count: int) -> bytes:
        while not self.buffer:
            if not self._fill():
                return b""
        out = bytes(self.buffer[:count])
        del self.buffer[:count]
        return out


class _Writer:
    def __init__(self, sock: Any) -> None:
        self.sock = sock

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        with suppress(OSError):
            import socket

            self.sock.shutdown(socket.SHUT_WR)


class _Attached:
    """What `Session` needs of a process: the channel's ends and a wait."""

    def __init__(self, sock: Any, stream: Demux, container: Any, errors: Any) -> None:
        self.stdin, self.stdout = _Writer(sock), stream
        self.container, self.errors = container, errors

    def wait(self, timeout: float | None = None) -> int:
        try:
            code = int(self.container.wait(timeout=timeout)["StatusCode"])
        except self.errors:
            raise TimeoutError from None
        return 128 - code if code > 128 else code
