#!/usr/bin/env bash
# Shared paths and helpers for the local stack scripts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${BACKOFFICE_LOCAL_DIR:-$ROOT/.local}"
# shellcheck source=versions.env
source "$ROOT/deploy/local/versions.env"
LOGS="$LOCAL/logs"
mkdir -p "$LOCAL" "$LOGS"

log() { printf '\033[1m[stack]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[stack] %s\033[0m\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
