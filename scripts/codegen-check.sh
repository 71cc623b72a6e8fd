#!/usr/bin/env bash
# Fails when the committed codegen output (codegen.yml: the tests' typed documents and the
# dashboard's client preset) differs from what codegen generates now.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=(test/__generated__ dashboard/src/gql)
backup=$(mktemp -d)
trap 'rm -rf "$backup"' EXIT
for path in "${generated[@]}"; do
  mkdir -p "$backup/$path"
  cp -R "$path/." "$backup/$path/"
done
npx graphql-codegen --config codegen.yml >/dev/null
stale=()
for path in "${generated[@]}"; do
  if ! diff -r -q "$backup/$path" "$path" >/dev/null; then
    diff -r -u "$backup/$path" "$path" | head -40 || true
    stale+=("$path")
  fi
done
if [ ${#stale[@]} -gt 0 ]; then
  for path in "${generated[@]}"; do
    rm -rf "$path"
    mkdir -p "$path"
    cp -R "$backup/$path/." "$path/"
  done
  echo "${stale[*]} stale: run \`npm run schema:emit\` and commit the result." >&2
  exit 1
fi
echo "codegen output is up to date"
