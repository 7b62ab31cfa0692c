#!/usr/bin/env bash
# Fails when the committed generated code differs from what proto/ generates (STYLE §10).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent gen
if [ -n "$(git status --porcelain -- libs/contracts/src/gen)" ]; then
  echo "generated code differs from proto/: run 'npm run gen' and commit libs/contracts/src/gen" >&2
  git status --porcelain -- libs/contracts/src/gen >&2
  git diff --stat -- libs/contracts/src/gen >&2
  exit 1
fi
echo "generated code matches proto/"
