#!/usr/bin/env bash
# `aft svc` for real with a compiled aft, for CI on Linux (systemd), macOS (launchd) and
# Windows (the Service Control Manager): install the service, check `status`, run a job through
# it with an API key (`aft start --wait`), check `aft doctor`, stop it (gracefully: its log
# says so), and uninstall it, keeping the data directory. Needs root through passwordless sudo,
# or an elevated shell on Windows. Usage: .ci/svc_check.sh PATH/TO/aft
set -euo pipefail
AFT="$1"
PORT=44582
WORK="$(mktemp -d)"
SUDO=(sudo)
case "$(uname -s)" in
  Linux) DATA=/var/lib/aft-ci ;;
  Darwin) DATA="/Library/Application Support/aft-ci" ;;
  MINGW* | MSYS* | CYGWIN*) DATA='C:\aft-ci'; SUDO=() ;;
  *) echo "unknown system $(uname -s)"; exit 1 ;;
esac
aft() { "${SUDO[@]}" "$AFT" --data "$DATA" "$@"; }

diagnose() {
  echo "--- diagnostics"
  aft svc status || true
  "${SUDO[@]}" cat "$DATA/logs/aft.log" || true
  case "$(uname -s)" in
    Linux) sudo journalctl -u aft --no-pager | tail -n 80 || true
      sudo cat /etc/systemd/system/aft.service || true ;;
    Darwin) sudo cat "$DATA/logs/launchd.log" || true
      sudo launchctl print system/aft.service || true ;;
    *) sc.exe qc aft || true; sc.exe query aft || true ;;
  esac
}
trap 'diagnose' ERR

echo 'Log.Info("hello from the installed service");' > "$WORK/hello.syncjs"
aft script add hello -f "$WORK/hello.syncjs"
KEY="$(aft apikey create ci)"

echo "--- aft svc install"
aft svc install --listen "127.0.0.1:$PORT"
for _ in $(seq 60); do
  curl -sk -o /dev/null "https://127.0.0.1:$PORT/v1/health" && break
  sleep 1
done
aft svc status
aft svc status --json | grep -q '"state": "running"'

echo "--- a job through the installed service"
"${SUDO[@]}" cat "$DATA/tls/ca.pem" > "$WORK/ca.pem"
out="$("$AFT" start -n hello -a "$KEY" --host "127.0.0.1:$PORT" --ca-cert "$WORK/ca.pem" --wait)"
echo "$out"
echo "$out" | grep -q "hello from the installed service"

echo "--- aft doctor"
aft doctor

echo "--- aft svc restart, stop"
aft svc restart
for _ in $(seq 60); do
  curl -sk -o /dev/null "https://127.0.0.1:$PORT/v1/health" && break
  sleep 1
done
aft svc status
aft svc stop
code=0
aft svc status || code=$?
[ "$code" = 3 ] || { echo "FAIL: status after stop exited $code, not 3"; diagnose; exit 1; }
if curl -sk -o /dev/null "https://127.0.0.1:$PORT/v1/health"; then
  echo "FAIL: the service still answers after aft svc stop"; exit 1
fi
# The stop was graceful: the service logged its stop request and its last line.
"${SUDO[@]}" grep -E "(SIGTERM|stop request from Windows): stopping" "$DATA/logs/aft.log"
"${SUDO[@]}" grep -q " stopped$" "$DATA/logs/aft.log"

echo "--- aft svc uninstall"
aft svc uninstall
code=0
out="$(aft svc status)" || code=$?
[ "$code" = 3 ] || { echo "FAIL: status after uninstall exited $code"; exit 1; }
echo "$out" | grep -q "not installed"
"${SUDO[@]}" test -f "$DATA/aft.db" || { echo "FAIL: uninstall removed the data directory"; exit 1; }
echo "ok: installed, ran a job, stopped gracefully and uninstalled the service"
