#!/usr/bin/env bash
# Fails when the committed codegen output differs from what codegen.yml generates now.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=test/__generated__/graphql.ts
backup=$(mktemp)
cp "$generated" "$backup"
npx graphql-codegen --config codegen.yml >/dev/null
if ! diff -q "$backup" "$generated" >/dev/null; then
  diff -u "$backup" "$generated" | head -40 || true
  cp "$backup" "$generated"
  echo "$generated is stale: run \`npm run schema:emit\` and commit the result." >&2
  exit 1
fi
echo "codegen output is up to date"
