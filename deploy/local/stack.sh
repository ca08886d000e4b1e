#!/usr/bin/env bash
# The local stack: PostgreSQL + Kafka (+ topics). Usage: stack.sh up [--no-topics]|down|status|logs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$ROOT/deploy/local"

case "${1:-}" in
  up)
    bash "$HERE/postgres.sh" start
    bash "$HERE/kafka.sh" start
    if [[ "${2:-}" != "--no-topics" ]]; then
      "$ROOT/.venv/bin/python" -m backoffice_platform.topics
    fi
    ;;
  down)
    bash "$HERE/kafka.sh" stop
    bash "$HERE/postgres.sh" stop
    ;;
  status)
    bash "$HERE/postgres.sh" status
    bash "$HERE/kafka.sh" status
    ;;
  logs)
    echo "== kafka ($LOGS/kafka.log)"; bash "$HERE/kafka.sh" logs | tail -n "${LINES:-40}"
    echo "== postgres ($LOGS/postgres.log)"; bash "$HERE/postgres.sh" logs | tail -n "${LINES:-40}"
    for f in "$LOGS"/*-service*.log; do [[ -f "$f" ]] && { echo "== $f"; tail -n "${LINES:-20}" "$f"; }; done
    ;;
  *) echo "usage: $0 up|down|status|logs" >&2; exit 2 ;;
esac
