#!/usr/bin/env bash
# Builds what the container image runs, in the same way in the Dockerfile and in CI (.ci/run, which
# has no Docker engine): install everything, compile, and assemble <out> with production
# dependencies only. Run from anywhere; it works in the project root.
# Usage: scripts/build-release.sh <out-dir>
set -euo pipefail
out=${1:?usage: scripts/build-release.sh <out-dir>}
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npm run build

rm -rf "$out"
mkdir -p "$out"
cp -R dist package.json package-lock.json openapi.yaml "$out"/
# Production dependencies only, exactly as locked; no install scripts (none is needed at run time).
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund)
echo "release assembled in $out"
