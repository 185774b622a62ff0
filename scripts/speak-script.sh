#!/usr/bin/env bash
# speak-script.sh SCRIPT OUT.wav REF.txt: speaks a script of "voice|sentence" lines with
# espeak-ng, half a second of silence after each line, into one 16 kHz mono WAV, and writes
# the lines' text to REF.txt. Needs espeak-ng and sox (the set-up installs them). The speech
# fixtures and the benchmark's dialogue are made with it.
set -euo pipefail
script=$1 wav=$2 ref=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
parts=()
i=0
: > "$ref"
while IFS='|' read -r voice sentence; do
  [ -n "$voice" ] || continue
  espeak-ng -v "$voice" -s 130 -g 3 -w "$work/part-$i-raw.wav" "$sentence"
  sox -D "$work/part-$i-raw.wav" -r 16000 -c 1 -b 16 "$work/part-$i.wav" pad 0 0.5
  parts+=("$work/part-$i.wav")
  printf '%s\n' "$sentence" >> "$ref"
  i=$((i + 1))
done < "$script"
sox "${parts[@]}" "$wav"
