#!/usr/bin/env bash
# `aft tls trust` end to end with a compiled aft, for CI on Linux, macOS and Windows (and in a
# Fedora container, for the Red Hat layout): trust the service's local CA, start `aft serve`,
# send seed 002's request without -k (curl; on Windows PowerShell's Invoke-RestMethod without
# -SkipCertificateCheck, as seed 001 shows it), untrust, and check it is refused again.
# Changes the machine's trust store (needs root, or passwordless sudo, or an administrator).
# Usage: .ci/tls_trust_check.sh PATH/TO/aft
set -euo pipefail
AFT="$1"
PORT=44581
WORK="$(mktemp -d)"
DATA="$WORK/data"
SERVE=""
windows=false
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) windows=true ;; esac

cleanup() {
  "$AFT" --data "$DATA" tls untrust || true
  [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null || true
}
trap cleanup EXIT

echo 'Log.Info("job_id=" + Params("job_id"));' > "$WORK/claim.syncjs"
ID="$("$AFT" --data "$DATA" script add Claim -f "$WORK/claim.syncjs")"
KEY="$("$AFT" --data "$DATA" apikey create ci)"
"$AFT" --data "$DATA" serve --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 60); do
  curl -sk -o /dev/null "https://127.0.0.1:$PORT/v1/health" && break
  sleep 1
done

# Prints the new job's status, or fails when the certificate is refused.
request() {
  if $windows; then
    pwsh -NoProfile -File .ci/tls_trust_check.ps1 -Port "$PORT" -Key "$KEY" -ScriptId "$ID"
  else
    # Seed 002's line, with only the port, the key and the script ID filled in.
    curl -s -X POST "https://127.0.0.1:$PORT/v1/jobs" \
      -H "X-API-Key: $KEY" \
      -H "Content-Type: application/json" \
      -d "{\"scriptId\":\"$ID\",\"params\":[{\"name\":\"job_id\",\"value\":\"abc-123\"}]}" |
      sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' | grep .
  fi
}

if request; then echo "FAIL: the service's certificate was trusted before aft tls trust"; exit 1; fi
"$AFT" --data "$DATA" tls trust
status="$(request)" || { echo "FAIL: refused after aft tls trust"; cat "$WORK/serve.log"; exit 1; }
[ "$status" = "queued" ] || { echo "FAIL: job status \"$status\""; exit 1; }
echo "ok: seed 002's request without -k got a queued job after aft tls trust"
"$AFT" --data "$DATA" tls untrust
if request; then echo "FAIL: still trusted after aft tls untrust"; exit 1; fi
echo "ok: refused again after aft tls untrust"
