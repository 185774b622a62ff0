#!/usr/bin/env bash
# Benchmarks the worker (release build) on the speech fixtures and on long files made from
# them, and prints Markdown tables: real-time factor, word error rate, peak memory, control
# latencies and the cost of committing progress. Lengths: BENCH_LONG_MINUTES (60),
# BENCH_RSS_MINUTES ("10,120"), BENCH_REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --workspace --bins
exec "${CARGO_TARGET_DIR:-target}/release/castmill-bench" "$@"
