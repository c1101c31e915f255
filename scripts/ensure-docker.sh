#!/usr/bin/env bash
# Ensures a Docker engine answers on /var/run/docker.sock (Debian): installs docker.io and
# docker-compose when missing and starts dockerd in the background; used by the container test.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
SOCK=/var/run/docker.sock

ready() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ready; then echo "Docker engine $(docker version --format '{{.Server.Version}}') is running" >&2; exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq docker.io docker-compose >/dev/null
fi
if [ ! -S "$SOCK" ] || ! ready; then
  # A machine whose processes were stopped (e.g. between sessions) keeps dockerd's and containerd's
  # pid files, and dockerd refuses to start over them: remove those whose process is gone (or a zombie).
  alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
  for f in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$f" ] && ! alive "$(cat "$f" 2>/dev/null)"; then $SUDO rm -f "$f"; fi
  done
  if [ ! -f /var/run/docker.pid ]; then $SUDO rm -f "$SOCK"; fi
  # Started detached from this shell so it outlives the test run; its log is /var/log/dockerd.log.
  $SUDO sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
fi
for _ in $(seq 1 300); do
  if ready; then echo "Docker engine $(docker version --format '{{.Server.Version}}') started" >&2; exit 0; fi
  sleep 0.2
done
echo "the Docker engine did not start (see /var/log/dockerd.log)" >&2
tail -n 20 /var/log/dockerd.log >&2 || true
exit 1
