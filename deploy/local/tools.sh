#!/usr/bin/env bash
# Tools the test suite needs beyond the virtual environment: promtool (tests/deploy checks the
# PrometheusRule alerts with it), from the Debian package "prometheus". Idempotent: does nothing
# when promtool is on the PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if command -v promtool >/dev/null; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  die "promtool is needed by tests/deploy: install Prometheus's promtool (https://prometheus.io/download/)"
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || die "promtool is needed by tests/deploy: apt-get install prometheus (as root)"
  SUDO="sudo"
fi
log "installing promtool (Debian package prometheus)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null || die "the prometheus package did not provide promtool"
