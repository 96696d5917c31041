#!/usr/bin/env bash
# Lists fuzz targets as package:FuncName, one a line, for scripts/test.sh.
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  dir=./$(dirname "${f#./}")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s|^func |$dir:|"
done
