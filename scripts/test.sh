#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: unit tests, lit/FileCheck
# tests of the dialect and passes, CPU integration tests through mlir-runner,
# the mlir-opt plugin test, and a check that docs/ matches the .td sources.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== checking docs/ against the generated pass and dialect docs"
cmake --build build --target mlir-doc > /dev/null
for f in QEmbedPasses.md QEmbedConversionPasses.md QEmbed/QEmbedDialect.md; do
  if ! diff -u "docs/$(basename $f)" "build/docs/$f"; then
    echo "docs/$(basename $f) is stale: copy build/docs/$f over it" >&2
    exit 1
  fi
done

echo "== running the test suite"
/usr/lib/llvm-22/bin/lit -sv build/test
