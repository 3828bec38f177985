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
build() {  # DIR: a release build of the harness there, its output in DIR/.build-release/harness.log (shown if it fails)
  mkdir -p "$1/.build-release"
  (cd "$1" && swift build -c release --scratch-path "$1/.build-release" --product routeledger-bench >"$1/.build-release/harness.log" 2>&1) \
    || { tail -20 "$1/.build-release/harness.log" >&2; exit 1; }
}
build "$tree"
build "$repo"
for round in $(seq "$rounds"); do
  for side in before after; do
    if [ $side = before ]; then bench="$tree/.build-release/release/routeledger-bench"; else bench="$repo/.build-release/release/routeledger-bench"; fi
    echo "== round $round, $side"
    "$bench" --only ingest --runs 5 | grep -E "^\| (baseline|parse \+ reconcile, nothing|whole)"
  done
done
