#!/usr/bin/env bash
# Fuzzes each report parser and the config loader, seeded with the real
# reports and configs in this repository.
#
#   fuzz/run.sh [SECONDS]     # per target; default 300
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). The toolchain is
# stable: RUSTC_BOOTSTRAP lets cargo-fuzz use the sanitizer flags it needs.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
export RUSTC_BOOTSTRAP=1
mkdir -p corpus/{lcov,cobertura,junit,sarif,config}
cp ../tests/fixtures/reports/lcov-* corpus/lcov/
cp ../tests/fixtures/reports/cobertura-* corpus/cobertura/
cp ../tests/fixtures/reports/junit-* corpus/junit/
cp ../tests/fixtures/reports/sarif-* corpus/sarif/
cp ../gates.toml ../gates.example.toml corpus/config/
for target in lcov cobertura junit sarif config; do
  echo "== $target: ${secs}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" -max_len=65536 2>&1 |
    grep -E '^(#[0-9]+.*DONE|Done|==[0-9]+==|SUMMARY|.*panicked)' || true
done
