#!/usr/bin/env bash
# Proves a release built by scripts/build-release.sh runs as the image runs it, without Docker:
# production dependencies only, the Dockerfile's CMD starts it, its HEALTHCHECK passes, it takes
# a delivery, and SIGTERM stops it with exit code 0.
# Usage: scripts/check-release.sh <release-dir>
set -euo pipefail
release=$(cd "${1:?usage: scripts/check-release.sh <release-dir>}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)

fail() { echo "check-release: $*" >&2; exit 1; }

# Production dependencies only.
for dev in typescript vitest tsx aws-cdk-lib @types/node; do
  [ ! -e "$release/node_modules/$dev" ] || fail "development dependency $dev is in the release"
done
for dep in hono pino prom-client pg @electric-sql/pglite; do
  [ -e "$release/node_modules/$dep" ] || fail "dependency $dep is missing from the release"
done

# The image's CMD and HEALTHCHECK, read from the Dockerfile (exec form: a JSON array).
cmd_json=$(sed -n 's/^CMD \(\[.*\]\)$/\1/p' "$root/Dockerfile")
health_json=$(sed -n 's/^HEALTHCHECK .* CMD \(\[.*\]\)$/\1/p' "$root/Dockerfile")
[ -n "$cmd_json" ] && [ -n "$health_json" ] || fail "Dockerfile has no exec-form CMD or HEALTHCHECK"
mapfile -t cmd < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$cmd_json")
mapfile -t health < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$health_json")

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
data=$(mktemp -d)
log=$(mktemp)
cd "$release"
NODE_ENV=production PORT=$port HOST=127.0.0.1 ACCESS_KEY=release-check-key PGLITE_DIR="$data" SINK_URL= \
  "${cmd[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

healthy=
for _ in $(seq 1 60); do
  if PORT=$port "${health[@]}"; then healthy=yes; break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the service exited"; }
  sleep 0.5
done
[ -n "$healthy" ] || { cat "$log" >&2; fail "HEALTHCHECK did not pass"; }

status=$(node -e '
  const body = require("fs").readFileSync(process.argv[2], "utf8");
  fetch(`http://127.0.0.1:${process.argv[1]}/firehose`, { method: "POST", body, headers: {
    "content-type": "application/json", "x-amz-firehose-access-key": "release-check-key",
    "x-amz-firehose-request-id": JSON.parse(body).requestId } }).then((r) => console.log(r.status));
' "$port" "$root/examples/seed-delivery.json")
[ "$status" = 200 ] || { cat "$log" >&2; fail "a delivery was answered $status"; }
metrics=$(node -e 'fetch(`http://127.0.0.1:${process.argv[1]}/metrics`).then((r) => r.text()).then(console.log)' "$port")
grep -q '^cdc_records_total{table="table_testdrive",operation="insert",outcome="applied"} 1$' <<<"$metrics" || fail "/metrics does not count the delivery"

kill -TERM "$pid"
code=0
wait "$pid" || code=$?
trap 'rm -rf "$data"' EXIT
[ "$code" = 0 ] || { cat "$log" >&2; fail "SIGTERM exit code $code"; }
grep -q 'release-check-key' "$log" && fail "the access key appears in the logs"
echo "release checked: production dependencies only, CMD ${cmd[*]} serves, HEALTHCHECK passes, SIGTERM exits 0"
