#!/usr/bin/env bash
# Create the compose stack's secrets once (never committed; deploy/compose/.gitignore):
#   secrets/postgres_password  the database password (compose secret of the postgres service)
#   secrets/database.env       DATABASE_URL with that password (env_file of every app container)
#   secrets/api-keys.json      API key hashes (compose secret, API_KEYS_FILE of the apps)
#   secrets/admin.key          the plain admin API key, for you (never mounted anywhere)
# Usage: deploy/compose/make-secrets.sh [DIR]   (default: deploy/compose/secrets)
# Existing files are kept, so running it again changes nothing.
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")" && pwd)/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

if [[ ! -s "$dir/postgres_password" ]]; then
  python3 -c 'import secrets; print(secrets.token_hex(24))' >"$dir/postgres_password"
fi
if [[ ! -s "$dir/database.env" ]]; then
  printf 'DATABASE_URL=postgresql://backoffice:%s@postgres:5432/postgres\n' \
    "$(cat "$dir/postgres_password")" >"$dir/database.env"
fi
if [[ ! -s "$dir/api-keys.json" ]]; then
  python3 - "$dir" <<'PY'
import hashlib, json, pathlib, secrets, sys
out = pathlib.Path(sys.argv[1])
key = "bo-admin-" + secrets.token_urlsafe(24)
entries = [{"name": "admin", "key_sha256": hashlib.sha256(key.encode()).hexdigest(),
            "roles": ["admin"], "customers": []}]
(out / "api-keys.json").write_text(json.dumps(entries, indent=2) + "\n")
(out / "admin.key").write_text(key + "\n")
PY
fi
# Bind-mounted into containers whose processes run as uid 10001: readable, but only inside
# the 0700 directory on this machine.
chmod 644 "$dir/api-keys.json"
echo "secrets in $dir (admin API key: $dir/admin.key)"
