# Shell helpers shared by the test suite, the demo and the benchmarks.

# Builds and starts b24-portal on a free port with the given extra flags.
# Sets PORTAL_URL and PORTAL_PID (and APP_ORIGIN with --app-listen); the portal is
# stopped when the shell exits.
start_portal() {
  cargo build -q -p b24-portal
  local out
  out=$(mktemp)
  target/debug/b24-portal --listen 127.0.0.1:0 "$@" >"$out" 2>&1 &
  PORTAL_PID=$!
  trap 'kill $PORTAL_PID 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    PORTAL_URL=$(sed -n 's/^b24-portal listening on \(http:[^ ]*\)$/\1/p' "$out")
    [ -n "$PORTAL_URL" ] && break
    kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$out"; echo "b24-portal did not start"; return 1; }
    sleep 0.1
  done
  [ -n "$PORTAL_URL" ] || { cat "$out"; echo "b24-portal printed no address"; return 1; }
  for _ in $(seq 20); do
    grep -q '^portal page: ' "$out" && break
    sleep 0.05
  done
  APP_ORIGIN=$(sed -n 's/^app origin: \(http:[^ ]*\)$/\1/p' "$out")
  echo "b24-portal at $PORTAL_URL (pid $PORTAL_PID)"
}
