# The runner image: what a course's GPU machine runs `mcv reproduce` in.
# Build: docker build -t mcv-runner .   Health: mcv doctor --require torch,cuda,bwrap,cgroup
# Run: as root at first; the entrypoint (runner/deploy/cgroup-delegate.sh) hands the
# `runner` user a cgroup subtree for the sandbox's per-run memory and process caps, then
# drops to it. bubblewrap inside needs user namespaces (e.g. --security-opt
# seccomp=unconfined) and a writable /sys/fs/cgroup (e.g. --cgroupns=private with a
# writable cgroup mount); without them `mcv doctor` says which is missing.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \
    HF_HOME=/cache/huggingface
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev \
      bubblewrap git ca-certificates build-essential \
 && rm -rf /var/lib/apt/lists/*

# A non-root user owns the virtual environment and the model cache (not under ~/.cache:
# the sandbox binds nothing under the home's hidden folders).
RUN useradd --create-home --uid 1000 runner && mkdir -p /cache && chown runner /cache
WORKDIR /opt/mcv
COPY --chown=runner pyproject.toml constraints.txt README.md ./
COPY --chown=runner validator ./validator
COPY --chown=runner runner ./runner
RUN python3 -m venv /opt/venv && chown -R runner /opt/venv
USER runner
ENV PATH=/opt/venv/bin:$PATH
# The CUDA build of torch 2.13.0 matches the constraints' `torch==2.13.0`; the GPU-only
# recipes' maintained libraries come with the `gpu` extra; TensorRT rides on
# onnxruntime-gpu's TensorRT provider (licence permitting; not installed by default).
RUN pip install --index-url https://download.pytorch.org/whl/cu128 torch==2.13.0 \
 && pip install -c constraints.txt '.[runner,gpu]' onnxruntime-gpu

# Every toolchain (docs/toolchains.md), built from the pins in runner/toolchains/ and
# linked as /opt/toolchains/NAME, where `mcv reproduce --sandbox docker` starts each run's
# worker; the reproduce workflow finds them through MCV_TOOLCHAINS.
ENV MCV_TOOLCHAINS=/opt/toolchains/cache
USER root
RUN mkdir -p /opt/toolchains && chown runner /opt/toolchains
USER runner
RUN mcv toolchains build --all --link /opt/toolchains && mcv toolchains list

USER root
HEALTHCHECK --interval=5m --timeout=60s CMD setpriv --reuid=runner --regid=runner \
    --init-groups mcv doctor --require torch,cuda,bwrap,cgroup || exit 1
ENTRYPOINT ["/opt/mcv/runner/deploy/cgroup-delegate.sh", "runner", "mcv"]
CMD ["doctor"]
