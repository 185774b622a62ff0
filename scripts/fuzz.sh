#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted bytes (fuzz/fuzz_targets), each for a bounded
# time, and prints the executions per target. Needs the nightly toolchain and cargo-fuzz
# (both installed here on first use). Each target starts from its kept inputs
# (fuzz/regressions/<target>/) and its own growing corpus (fuzz/corpus/, not committed).
# A crash stops the script with the input saved under fuzz/artifacts/<target>/: fix the
# parser and keep the input in fuzz/regressions/<target>/ (named crash-* or timeout-*), where the normal
# test suite replays it (fuzz-checks/tests/regressions.rs).
#
#   scripts/fuzz.sh              every target for FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh checkpoint   one target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

targets=("$@")
# By default every target there is (the regression test keeps them and the checks in step).
if ((${#targets[@]} == 0)); then
  for file in fuzz/fuzz_targets/*.rs; do targets+=("$(basename "$file" .rs)"); done
fi
echo "| target | executions | seconds | executions/s |"
echo "|---|---|---|---|"
for target in "${targets[@]}"; do
  log=$(mktemp)
  # Overflow checks stay on for Castmill's own parsers. Audio decoding is fuzzed as users run
  # it (release): symphonia has arithmetic overflows on crafted headers that only a checked
  # build turns into panics, which the decoder contains (kept as crash-* inputs), but which
  # libFuzzer's panic hook would report again and again before anything new is found.
  mode=()
  [[ $target == audio_decode ]] && mode=(-O)
  (cd fuzz && mkdir -p "corpus/$target" && cargo +nightly fuzz run "${mode[@]}" "$target" "corpus/$target" "regressions/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1 || {
    tail -n 40 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  }
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -1)
  echo "| $target | ${runs:-?} | $seconds | $(( ${runs:-0} / seconds )) |"
  rm -f "$log"
done
