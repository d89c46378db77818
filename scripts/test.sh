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
set +e
/usr/lib/llvm-22/bin/lit -sv build/test 2>&1 | tee build/lit.log
rc=${PIPESTATUS[0]}
set -e
passed=$(sed -n 's/^ *Passed: *\([0-9]*\).*/\1/p' build/lit.log)
failed=$(awk -F: '/^ *(Failed|Unresolved|Timed Out|Unexpectedly Passed): / {
  s += $2 } END { print s + 0 }' build/lit.log)
echo "${passed:-0} passed, ${failed} failed"
exit $rc
