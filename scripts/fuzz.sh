#!/usr/bin/env bash
# Bounded fuzzing of the parsers and the PATCH engine with cargo-fuzz (libFuzzer), on the stable
# toolchain (no sanitizer: Rust's own checks catch what these targets can get wrong). Each target runs
# FUZZ_SECONDS (default 45) from the seeds in fuzz/seeds/; a crash fails the run and leaves its input
# in fuzz/artifacts/TARGET/, which then becomes a regression test next to the code.
#
#   scripts/fuzz.sh [TARGET...]                     (default: every target)
#   FUZZ_SECONDS=3600 scripts/fuzz.sh patch_engine  (a longer run)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-45}

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(filter_parser patch_path patch_engine mapping_loader)
cargo fuzz build -s none
for target in "${targets[@]}"; do
  corpus="target/fuzz-corpus/$target"
  log="target/fuzz-$target.log"
  mkdir -p "$corpus"
  if ! cargo fuzz run -s none "$target" "$corpus" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -max_len=4096 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $target crashed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  echo "fuzz $target: $(grep -E '^Done' "$log" || echo 'no summary')"
done
