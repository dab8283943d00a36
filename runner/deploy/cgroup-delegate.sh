#!/bin/sh
# As root, just before the runner starts: give the runner's user a cgroup subtree of its
# own (memory and pids controllers), where `mcv reproduce --sandbox bwrap` makes one
# cgroup per run, then start the command as that user inside it. On a cgroup v2 host
# with systemd, `Delegate=` + `DelegateSubgroup=` in the unit does this instead; this
# script is for cgroup v1 hosts and for containers (the Dockerfile's entrypoint).
# Where it cannot (a read-only /sys/fs/cgroup), it says so and starts the command anyway:
# the sandbox then refuses to start and names what to configure; nothing runs unsandboxed.
# Usage: cgroup-delegate.sh USER COMMAND [ARG...]
set -u
user=$1
shift
fs=/sys/fs/cgroup
own() { # this process's cgroup in the hierarchy holding controller $1 ("" for v2)
  awk -F: -v c="$1" '{ n = split($2, a, ","); if (c == "" && $1 == "0") print $3;
    for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup | head -n 1
}
delegate_v2() { # processes go to a leaf, so the subtree may give its children controllers
  top="$fs$(own '' | sed 's:/$::')"
  mkdir -p "$top/runner" || return 1
  for pid in $(cat "$top/cgroup.procs"); do
    echo "$pid" >"$top/runner/cgroup.procs" 2>/dev/null || true
  done
  echo "+memory +pids" >"$top/cgroup.subtree_control" || return 1
  chown "$user" "$top" "$top/cgroup.procs" "$top/cgroup.threads" \
    "$top/cgroup.subtree_control" || return 1
  chown -R "$user" "$top/runner"
}
delegate_v1() { # one folder per controller, owned by the user, with this process in it
  for controller in memory pids; do
    folder="$fs/$controller$(own "$controller" | sed 's:/$::')/mcv"
    mkdir -p "$folder" && chown -R "$user" "$folder" && echo $$ >"$folder/cgroup.procs" ||
      return 1
  done
}
if [ -f "$fs/cgroup.controllers" ]; then delegate_v2; else delegate_v1; fi ||
  echo "cgroup-delegate.sh: could not delegate a cgroup to $user here;" \
    "mcv doctor --require cgroup says what to configure" >&2
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups "$@"
