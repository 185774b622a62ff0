#!/usr/bin/env bash
# Screenshots of each screen of the desktop app, taken from the real window under a virtual
# X server and driven by its keyboard shortcuts: main, settings, running, results, recovery.
# Writes docs/screenshots/*.png. Needs the set-up (scripts/setup.sh --deps) for the model,
# Xvfb, xdotool and ImageMagick.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=$repo/docs/screenshots
mkdir -p "$out"

cargo build --release --bin castmill --bin batch-processor
castmill=${CARGO_TARGET_DIR:-$repo/target}/release/castmill
model=${CASTMILL_DATA_DIR:-$HOME/.local/share/castmill}/models/tiny.en.bin
[[ -f $model ]] || { echo "no model at $model: run scripts/setup.sh --deps" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  pkill -P $$ 2>/dev/null || true
  [[ -n ${xvfb:-} ]] && kill "$xvfb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A user of our own: home (outputs go to ~/Castmill), data folder with the model.
export HOME=$work/home CASTMILL_DATA_DIR=$work/data CASTMILL_LOG=warn,castmill::gui=debug
unset XDG_DATA_HOME XDG_CONFIG_HOME WAYLAND_DISPLAY CASTMILL_WORKER
mkdir -p "$HOME" "$CASTMILL_DATA_DIR/models"
ln -s "$(readlink -f "$model")" "$CASTMILL_DATA_DIR/models/tiny.en.bin"
[[ -f ${model%.bin}-q8_0.bin ]] && ln -s "$(readlink -f "${model%.bin}-q8_0.bin")" "$CASTMILL_DATA_DIR/models/tiny.en-q8_0.bin"
embeddings=$(dirname "$model")/all-MiniLM-L6-v2
[[ -d $embeddings ]] && ln -s "$(readlink -f "$embeddings")" "$CASTMILL_DATA_DIR/models/all-MiniLM-L6-v2"

Xvfb -displayfd 1 -screen 0 1280x900x24 -nolisten tcp >"$work/display" 2>/dev/null &
xvfb=$!
until [[ -s $work/display ]]; do sleep 0.1; done
export DISPLAY=:$(head -1 "$work/display")

log=$work/app.log
launch() {
  : >"$log"
  "$castmill" "$@" 2>"$log" &
  app=$!
  wait_log "window ready"
}
# Waits until the app's log has COUNT lines matching TEXT.
wait_log() {
  local text=$1 count=${2:-1}
  timeout 300 bash -c 'until (( $(grep -c -F -- "$1" "$2" || true) >= $3 )); do sleep 0.2; done' _ "$text" "$log" "$count" \
    || { echo "the app never logged: $text" >&2; cat "$log" >&2; exit 1; }
}
window() { xdotool search --sync --name '^Castmill$' | head -1; }
press() { xdotool search --sync --name '^Castmill$' windowfocus --sync key "$1"; }
# Lets the window paint what the last event changed before the picture is taken.
settle() { sleep 0.5; }
shot() {
  settle
  import -window "$(window)" "$out/$1.png"
  echo "wrote docs/screenshots/$1.png"
}

media=$repo/tests/fixtures/audio
launch "$repo/assets/sample/episode.mp3" "$media/bread.ogg" "$media/garden.mp3"
shot main
press ctrl+comma
shot settings
press ctrl+comma
press ctrl+Return
# After the first memory report, so every figure is on screen.
wait_log '"type":"memory"'
shot running
wait_log "job ended"
shot results
kill -TERM "$app"
wait "$app" || true

# An interrupted job: the app is killed mid-file; the next launch offers to recover it.
launch "$repo/assets/sample/episode.mp3" "$media/astronomy.mp3"
press ctrl+Return
wait_log '"type":"segment"' 2
kill -KILL "$app"
wait "$app" 2>/dev/null || true
for lock in "$CASTMILL_DATA_DIR"/jobs/*/lock; do flock -s "$lock" true; done
launch
wait_log "recovery dialog"
shot recovery
kill -TERM "$app"
wait "$app" || true
