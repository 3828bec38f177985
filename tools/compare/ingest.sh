#!/usr/bin/env bash
# The ingest benchmark (routeledger-bench --only ingest) of two commits, run alternately in one invocation on
# this machine, each built in a git worktree of its own under /tmp (AFTER "." is the working tree as it is).
#   tools/compare/ingest.sh BEFORE AFTER [ROUNDS]      e.g. tools/compare/ingest.sh 5e4ecc0 9889fc9 3
set -euo pipefail
before=${1:?usage: tools/compare/ingest.sh BEFORE AFTER [ROUNDS]}
after=${2:?usage: tools/compare/ingest.sh BEFORE AFTER [ROUNDS]}
rounds=${3:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)

tree() {  # REV: the folder to build REV in
  if [ "$1" = . ]; then echo "$repo"; return; fi
  local dir=/tmp/routeledger-compare-$(git -C "$repo" rev-parse --short "$1")
  [ -d "$dir" ] || git -C "$repo" worktree add -f "$dir" "$1" >/dev/null 2>&1
  echo "$dir"
}
build() {  # DIR: a release build of the harness there, its output in DIR/.build-release/harness.log (shown if it fails)
  mkdir -p "$1/.build-release"
  (cd "$1" && swift build -c release --scratch-path "$1/.build-release" --product routeledger-bench >"$1/.build-release/harness.log" 2>&1) \
    || { tail -20 "$1/.build-release/harness.log" >&2; exit 1; }
}
first=$(tree "$before"); second=$(tree "$after")
build "$first"
build "$second"
for round in $(seq "$rounds"); do
  for side in before after; do
    if [ $side = before ]; then dir=$first; else dir=$second; fi
    echo "== round $round, $side ($dir)"
    "$dir/.build-release/release/routeledger-bench" --only ingest --runs 5 | grep -E "^\| (baseline|parse \+ reconcile, nothing|whole)"
  done
done
