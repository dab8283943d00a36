#!/usr/bin/env bash
# One command on a machine with one NVIDIA GPU and no internet: does mcv work there?
#
#   bash benchmarks/gpu_check.sh [--cpu-fallback] [--debs DIR] [--wheels DIR] [--out DIR]
#   bash benchmarks/gpu_check.sh --fetch   # beforehand, where Debian and PyPI are reachable
#
# Installs this checkout with `pip install --no-deps -e .` plus only what is missing (from
# --wheels DIR, offline), builds tiny models from configs (no hub), then:
#   - original/fp16/bf16 on CUDA in one process: CUDA-event latency, VRAM (torch, NVML);
#   - `mcv reproduce --device cuda --sandbox none` over original, fp16, bf16, dynamic-int8
#     and the `gpu` toolchain's bnb-int8/bnb-4bit (ok where bitsandbytes is installed);
#   - the same under bwrap, with /dev/nvidia* bound into the sandbox.
# bwrap missing: the bubblewrap .deb in --debs DIR (default benchmarks/debs) is unpacked
# into the output folder and used from there. The caller carries it and the small wheels
# (--wheels, default benchmarks/wheels: nvidia-ml-py for NVML; a bitsandbytes wheel for
# the `gpu` toolchain's bnb runs, if one fits): `--fetch` downloads both folders
# (`apt-get download bubblewrap`; pip wheels for Python 3.12 of pydantic, rich, psutil,
# nvidia-ml-py, pyyaml, setuptools and scipy: about 40 MB).
# Every step has a timeout and the whole stays under 8 minutes; a failed step is a row with
# its reason and the script goes on. It prints one table and exits 0.
# --cpu-fallback (or --dry-run): where there is no CUDA device, the GPU rows say so and the
# reproduce steps run on the CPU instead, to prove the script's own logic.
set -u

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="${TMPDIR:-/tmp}/mcv-gpu-check"
DEBS="$HERE/debs"
WHEELS="$HERE/wheels"
FALLBACK=0
FETCH=0
BUDGET_S=450 # of the 8 minutes: the rest is slack for the table and process exits
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu-fallback | --dry-run) FALLBACK=1 ;;
    --fetch) FETCH=1 ;;
    --debs) DEBS="$2"; shift ;;
    --wheels) WHEELS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

PY="${PYTHON:-python3}"
if [ "$FETCH" = 1 ]; then
  mkdir -p "$DEBS" "$WHEELS"
  (cd "$DEBS" && apt-get download bubblewrap) || echo "gpu_check.sh: apt-get download bubblewrap failed" >&2
  # For the lent machine's Python (3.12, x86_64), not this one's: what it may lack, with
  # the exact dependencies pydantic and rich pin; scipy alone (numpy comes with torch).
  local_pip=("$PY" -m pip download --only-binary=:all: --python-version 3.12 --dest "$WHEELS"
    --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64)
  "${local_pip[@]}" pydantic rich psutil nvidia-ml-py pyyaml setuptools &&
    "${local_pip[@]}" --no-deps scipy || echo "gpu_check.sh: pip download failed" >&2
  ls -l "$DEBS" "$WHEELS"
  exit 0
fi
export PY HERE OUT WHEELS DEBS FALLBACK
rm -rf "$OUT" && mkdir -p "$OUT/logs"
ROWS="$OUT/rows.tsv"
: >"$ROWS"
START=$(date +%s)

row() { printf 'row\t%s\t%s\t%s\n' "$1" "$2" "$(printf '%s' "$3" | tr '\t\n' '  ' | cut -c1-160)" >>"$ROWS"; }

left() { echo $((BUDGET_S - ($(date +%s) - START))); }

# step NAME SECONDS CMD...: run with a timeout (never past the budget; a function of this
# script runs in a child bash, exported); the rows it prints go to the table; failing, its
# last output line is the reason.
step() {
  local name="$1" limit="$2" log
  shift 2
  log="$OUT/logs/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_').log"
  local budget
  budget=$(left)
  [ "$budget" -lt "$limit" ] && limit="$budget"
  if [ "$limit" -le 5 ]; then
    row "$name" "skipped" "out of the 8-minute budget"
    return 1
  fi
  local began=$SECONDS code=0
  if [ "$(type -t "$1")" = function ]; then
    timeout --kill-after=10 "$limit" bash -c '"$@"' _ "$@" >"$log" 2>&1 || code=$?
  else
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1 || code=$?
  fi
  grep -a '^row	' "$log" >>"$ROWS"
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    row "$name" "timed out" "after ${limit} s; log: $log"
  elif [ "$code" -ne 0 ]; then
    row "$name" "failed" "exit $code: $(grep -av '^row	' "$log" | grep -a . | tail -n 1)"
  elif ! grep -qa '^row	' "$log"; then
    row "$name" "ok" "$((SECONDS - began)) s"
  fi
  return "$code"
}

cd "$REPO" || exit 0

# 1. What the machine has.
CUDA=$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
VERSIONS=$("$PY" -c 'import sys, torch, transformers; print(f"python {sys.version.split()[0]}, torch {torch.__version__} (CUDA {torch.version.cuda}), transformers {transformers.__version__}")' 2>&1 | tail -n 1)
row "environment" "info" "$VERSIONS"
if [ "$CUDA" = 1 ]; then
  row "CUDA device" "ok" "$("$PY" -c 'import torch; print(torch.cuda.get_device_name(0))' 2>&1 | tail -n 1)"
  DEVICE=cuda
else
  row "CUDA device" "missing" "no CUDA device"
  DEVICE=cpu
fi

# 2. The project, without touching what is installed; then only what is missing.
install_project() {
  local pip=("$PY" -m pip install --no-input --disable-pip-version-check)
  # The build needs setuptools>=75: the installed one, else the carried wheel (isolated).
  local status=ok how="pip install --no-deps -e ." offline=(--no-index --find-links "$WHEELS")
  "${pip[@]}" --no-deps --no-build-isolation -e . ||
    "${pip[@]}" --no-deps "${offline[@]}" -e . ||
    "${pip[@]}" --no-deps "${offline[@]}" --break-system-packages -e . ||
    { status=failed; how="pip install --no-deps -e . failed (logs/install.log)"; }
  local missing
  missing=$("$PY" "$HERE/gpu_check.py" missing) || return 1
  if ! "$PY" -c 'import bitsandbytes' 2>/dev/null && ls "$WHEELS"/bitsandbytes-*.whl >/dev/null 2>&1; then
    missing="$missing bitsandbytes"  # the `gpu` toolchain's, where its wheel was carried
  fi
  if [ -z "$missing" ]; then
    echo "row	install	$status	$how; nothing else missing"
    return 0
  fi
  local pkg
  for pkg in $missing; do  # one by one: a wheel not carried fails only its own package
    [ -d "$WHEELS" ] || break
    "${pip[@]}" --no-index --find-links "$WHEELS" --no-deps "$pkg" ||
      "${pip[@]}" --no-index --find-links "$WHEELS" --no-deps --break-system-packages "$pkg"
  done
  local still
  still=$(for pkg in $missing; do "$PY" -m pip show -q "$pkg" >/dev/null 2>&1 || printf '%s ' "$pkg"; done)
  echo "row	install	$status	$how; was missing: $missing; from $WHEELS; still missing: ${still:-none}"
}
export -f install_project
step "install" 90 install_project

if ! problem=$( (cd / && "$PY" -c 'import validator.cli, runner.worker') 2>&1); then
  export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"  # unsandboxed runs still import it
  row "project importable" "failed" "$(printf '%s' "$problem" | tail -n 1); PYTHONPATH=$REPO from here on"
fi

# 3. Tiny models from configs.
step "build tiny models" 60 "$PY" "$HERE/gpu_check.py" build "$OUT/course"
MANIFEST="$OUT/course/submissions/t/hw-2.yaml"

# 4. In one process, original/fp16/bf16 on CUDA.
step "direct CUDA timings" 90 "$PY" "$HERE/gpu_check.py" direct "$OUT/course" "$DEVICE"

# 5. mcv reproduce, unsandboxed and under bwrap.
export DEVICE MANIFEST
reproduce() {  # SANDBOX NAME
  local out="$OUT/record-$1"
  if [ "$DEVICE" != cuda ] && [ "$FALLBACK" != 1 ]; then
    echo "row	$2	skipped	no CUDA device (--cpu-fallback runs it on the CPU)"
    return 0
  fi
  local runs=()  # on a CPU, two runs: the fallback proves the steps, not the numbers
  [ "$DEVICE" = cuda ] || runs=(--run original --run dynamic-int8)
  "$PY" -m validator reproduce "$MANIFEST" --out "$out" --device "$DEVICE" --sandbox "$1" \
    --min-iterations 10 --min-seconds 0 --warmup 2 --timeout 100 --threads 2 "${runs[@]}" \
    >"$out.log" 2>&1
  local code=$?
  cat "$out.log"
  if [ ! -f "$out/verification.json" ]; then  # it stopped before any run: say why
    echo "row	$2	failed	exit $code: $(grep -a . "$out.log" | tail -n 1)"
    return 0
  fi
  "$PY" "$HERE/gpu_check.py" record "$out/verification.json" "$2"
  [ "$code" -le 1 ]  # 1: some run failed or is unsupported, which its row says
}
export -f reproduce
LABEL="reproduce --device $DEVICE"
[ "$DEVICE" = cuda ] || LABEL="reproduce (no CUDA device$([ "$FALLBACK" = 1 ] && echo ': CPU fallback'))"
step "$LABEL, no sandbox" 120 reproduce none "$LABEL, no sandbox"

find_bwrap() {
  if command -v bwrap >/dev/null && [ -z "${MCV_GPU_CHECK_USE_DEB:-}" ]; then  # the env: to test
    echo "row	bubblewrap	ok	$(command -v bwrap) ($(bwrap --version 2>&1 | head -n 1))"
    return 0
  fi
  local deb
  deb=$(ls "$DEBS"/bubblewrap_*.deb 2>/dev/null | head -n 1)
  if [ -z "$deb" ]; then
    echo "no bwrap and no bubblewrap_*.deb in $DEBS (apt-get download bubblewrap; carry it)"
    return 1
  fi
  dpkg-deb -x "$deb" "$OUT/bwrap-root" || return 1
  echo "row	bubblewrap	ok	unpacked $(basename "$deb") into $OUT/bwrap-root"
}
export -f find_bwrap
if step "bubblewrap" 20 find_bwrap; then
  [ -x "$OUT/bwrap-root/usr/bin/bwrap" ] && export PATH="$OUT/bwrap-root/usr/bin:$PATH"
  row "bubblewrap in use" "info" "$(command -v bwrap)"
  nodes=$(ls /dev/nvidia* 2>/dev/null | tr '\n' ' ')
  row "GPU device nodes bound" "info" "${nodes:-none (no /dev/nvidia*)}"
  step "$LABEL, bwrap" 120 reproduce bwrap "$LABEL, bwrap"
fi

row "total" "info" "$(($(date +%s) - START)) s of the 480 s allowed; logs in $OUT/logs"
"$PY" "$HERE/gpu_check.py" table "$ROWS" 2>/dev/null || column -t -s $'\t' "$ROWS"
exit 0
