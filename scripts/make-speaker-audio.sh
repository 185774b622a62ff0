#!/usr/bin/env bash
# Makes the speaker fixtures in tests/fixtures/speakers from NAME.script ("voice|sentence"
# lines): each line spoken by espeak-ng, 0.6 s of silence between lines, one 16 kHz mono
# NAME.wav, and NAME.turns with each line's start and end in seconds and its speaker
# (numbered by first appearance), so the truth is known from how the audio is made.
# Needs espeak-ng and sox (the set-up installs them).
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/speakers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sox -n -r 16000 -c 1 -b 16 "$work/pause.wav" trim 0 0.6
for script in "$dir"/*.script; do
  name=$(basename "$script" .script)
  parts=() voices=() start=0
  : >"$dir/$name.turns"
  n=0
  while IFS='|' read -r voice sentence; do
    [[ -z $voice ]] && continue
    espeak-ng -v "$voice" -w "$work/raw.wav" "$sentence"
    sox "$work/raw.wav" -r 16000 -c 1 -b 16 "$work/line$n.wav"
    length=$(soxi -D "$work/line$n.wav")
    speaker=-1
    for i in "${!voices[@]}"; do [[ ${voices[$i]} == "$voice" ]] && speaker=$i; done
    if ((speaker < 0)); then voices+=("$voice"); speaker=$((${#voices[@]} - 1)); fi
    end=$(python3 -c "print(f'{$start + $length:.3f}')")
    printf '%s %s %d\n' "$start" "$end" "$speaker" >>"$dir/$name.turns"
    start=$(python3 -c "print(f'{$end + 0.6:.3f}')")
    ((n > 0)) && parts+=("$work/pause.wav")
    parts+=("$work/line$n.wav")
    n=$((n + 1))
  done <"$script"
  sox "${parts[@]}" "$dir/$name.wav"
done
