#!/usr/bin/env bash
# Makes the speech fixtures in tests/fixtures/audio from tests/fixtures/texts: each line of a
# text is "voice|sentence", spoken by espeak-ng, joined with short pauses into one clip of
# several speakers, then stored in every container the worker reads. The reference text of
# each clip is written next to it. Needs espeak-ng, sox and ffmpeg (the set-up installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
texts="$here/tests/fixtures/texts"
out="$here/tests/fixtures/audio"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for text in "$texts"/*.txt; do
  name=$(basename "$text" .txt)
  parts=()
  : > "$out/$name.ref.txt"
  i=0
  while IFS='|' read -r voice sentence; do
    [ -n "$voice" ] || continue
    espeak-ng -v "$voice" -s 130 -g 3 -w "$work/$name-$i-raw.wav" "$sentence"
    sox -D "$work/$name-$i-raw.wav" -r 16000 -c 1 -b 16 "$work/$name-$i.wav" pad 0 0.5
    parts+=("$work/$name-$i.wav")
    printf '%s\n' "$sentence" >> "$out/$name.ref.txt"
    i=$((i + 1))
  done < "$text"
  sox "${parts[@]}" "$work/$name.wav"
  cp "$work/$name.wav" "$out/$name.wav"
  ffmpeg -loglevel error -y -i "$work/$name.wav" -c:a flac "$out/$name.flac"
  ffmpeg -loglevel error -y -i "$work/$name.wav" -c:a libmp3lame -b:a 64k "$out/$name.mp3"
  ffmpeg -loglevel error -y -i "$work/$name.wav" -c:a libvorbis -q:a 3 "$out/$name.ogg"
  ffmpeg -loglevel error -y -i "$work/$name.wav" -c:a aac -b:a 64k "$out/$name.m4a"
done
# The sample episode the set-up transcribes, from assets/sample/script.txt.
sample="$here/assets/sample"
parts=()
: > "$sample/episode.ref.txt"
i=0
while IFS='|' read -r voice sentence; do
  [ -n "$voice" ] || continue
  espeak-ng -v "$voice" -s 130 -g 3 -w "$work/sample-$i-raw.wav" "$sentence"
  sox -D "$work/sample-$i-raw.wav" -r 16000 -c 1 -b 16 "$work/sample-$i.wav" pad 0 0.6
  parts+=("$work/sample-$i.wav")
  printf '%s\n' "$sentence" >> "$sample/episode.ref.txt"
  i=$((i + 1))
done < "$sample/script.txt"
sox "${parts[@]}" "$work/episode.wav"
ffmpeg -loglevel error -y -i "$work/episode.wav" -c:a libmp3lame -b:a 48k "$sample/episode.mp3"

# An Opus stream in Ogg: a real audio file in a codec the worker does not decode.
ffmpeg -loglevel error -y -i "$out/bread.wav" -t 2 -c:a libopus "$out/unsupported-opus.ogg"
ls -la "$out"
