#!/usr/bin/env bash
# Makes the speech fixtures in tests/fixtures/audio from tests/fixtures/texts: each line of a
# text is "voice|sentence", spoken by espeak-ng, joined with short pauses into one clip of
# several speakers, then stored in every container the worker reads. The reference text of
# each clip is written next to it. Needs espeak-ng, sox and ffmpeg (the set-up installs them).
# With NAMEs, makes only those clips (texts/NAME.txt) and leaves the others as they are.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
texts="$here/tests/fixtures/texts"
out="$here/tests/fixtures/audio"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# speak SCRIPT OUT.wav REF.txt: one clip from "voice|sentence" lines, with pauses between.
speak() { "$here/scripts/speak-script.sh" "$@"; }

if [ $# -gt 0 ]; then
  only=("$@")
else
  only=()
  for text in "$texts"/*.txt; do only+=("$(basename "$text" .txt)"); done
fi
for name in "${only[@]}"; do
  text="$texts/$name.txt"
  speak "$text" "$out/$name.wav" "$out/$name.ref.txt"
  ffmpeg -loglevel error -y -i "$out/$name.wav" -c:a flac "$out/$name.flac"
  ffmpeg -loglevel error -y -i "$out/$name.wav" -c:a libmp3lame -b:a 64k "$out/$name.mp3"
  ffmpeg -loglevel error -y -i "$out/$name.wav" -c:a libvorbis -q:a 3 "$out/$name.ogg"
  ffmpeg -loglevel error -y -i "$out/$name.wav" -c:a aac -b:a 64k "$out/$name.m4a"
done
[ $# -eq 0 ] || exit 0

# The sample episode the set-up transcribes, from assets/sample/script.txt.
sample="$here/assets/sample"
speak "$sample/script.txt" "$work/episode.wav" "$sample/episode.ref.txt"
ffmpeg -loglevel error -y -i "$work/episode.wav" -c:a libmp3lame -b:a 48k "$sample/episode.mp3"

# An Opus stream in Ogg: a real audio file in a codec the worker does not decode.
ffmpeg -loglevel error -y -i "$out/bread.wav" -t 2 -c:a libopus "$out/unsupported-opus.ogg"
ls -la "$out"
