#!/usr/bin/env bash
# The ingest benchmark (routeledger-bench --only ingest) of two commits, run alternately in one invocation on
# this machine: BEFORE's harness built in a git worktree, the working tree's as it is.
#   tools/compare/ingest.sh REV [ROUNDS]      e.g. tools/compare/ingest.sh 5e4ecc0 3
set -euo pipefail
before=${1:?usage: tools/compare/ingest.sh REV [ROUNDS]}
rounds=${2:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tree=/tmp/routeledger-compare-$(git -C "$repo" rev-parse --short "$before")
[ -d "$tree" ] || git -C "$repo" worktree add -f "$tree" "$before" >/dev/null
(cd "$tree" && swift build -c release --scratch-path "$tree/.build-release" --product routeledger-bench >/dev/null)
(cd "$repo" && swift build -c release --scratch-path "$repo/.build-release" --product routeledger-bench >/dev/null)
for round in $(seq "$rounds"); do
  for side in before after; do
    if [ $side = before ]; then bench="$tree/.build-release/release/routeledger-bench"; else bench="$repo/.build-release/release/routeledger-bench"; fi
    echo "== round $round, $side"
    "$bench" --only ingest --runs 5 | grep -E "^\| (baseline|parse \+ reconcile, nothing|whole)"
  done
done
