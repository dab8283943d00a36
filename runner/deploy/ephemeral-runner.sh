#!/usr/bin/env bash
# One job, then gone: register an ephemeral runner, run it, let systemd start the next.
# Needs RUNNER_URL (https://github.com/<org>/<repo>) and a registration token from
# /etc/mcv-runner/token (fetched by the course staff's automation; never the PR's).
set -euo pipefail
cd /opt/actions-runner
./config.sh --unattended --ephemeral --replace --labels gpu --name "gpu-$(hostname)-$$" \
  --runnergroup mcv-reproduce --url "$RUNNER_URL" --token "$(cat /etc/mcv-runner/token)" \
  --work /opt/actions-runner/_work
exec ./run.sh
