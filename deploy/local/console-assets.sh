#!/usr/bin/env bash
# The console serves every asset itself: htmx (and axe-core for the accessibility tests) come
# from the npm registry at set-up, into a git-ignored folder the console serves. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
HTMX=2.0.11
AXE=4.14.1
VENDOR=services/console-service/src/console_service/static/vendor
CACHE=.local/console-assets
if [[ -f $VENDOR/htmx.min.js && -f $VENDOR/.versions && "$(cat "$VENDOR/.versions")" == "htmx $HTMX axe $AXE" ]]; then
  exit 0
fi
mkdir -p "$CACHE" "$VENDOR"
npm install --silent --no-audit --no-fund --no-save --prefix "$CACHE" "htmx.org@$HTMX" "axe-core@$AXE" >/dev/null
cp "$CACHE/node_modules/htmx.org/dist/htmx.min.js" "$VENDOR/htmx.min.js"
cp "$CACHE/node_modules/axe-core/axe.min.js" "$VENDOR/axe.min.js"
echo "htmx $HTMX axe $AXE" > "$VENDOR/.versions"
