#!/usr/bin/env bash
# Benchmarks Castmill (release build) and writes the results into docs/PERFORMANCE.md, one
# block per section, each with the machine and the exact command that produced it.
#
#   scripts/bench.sh                      every section
#   BENCH_ONLY=compare,quantize scripts/bench.sh   some of them
#
#   BENCH_PROFILE=dev BENCH_ONLY=coverage scripts/bench.sh   accuracy only, on the test build
#
# Sections: commit, compare, coverage, levers, quantize, parallel, control, supervisor, embeddings, knowledge,
# speakers, app, memory, long. `compare` runs Castmill's worker, a bare whisper.cpp driver and faster-whisper
# (int8) side by side, on whisper tiny.en and base; faster-whisper is installed into a
# private virtual environment (~/.cache/castmill/bench-venv) and whisper base by the set-up
# (`--models base`) on first use. Lengths: BENCH_LONG_MINUTES (60),
# BENCH_RSS_MINUTES ("10,240"); repetitions: BENCH_REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_PROFILE=dev measures the test build instead (no release build needed): its word
# error rates, deletions and coverage are the release build's, its times are not.
profile=${BENCH_PROFILE:-release}
cargo build --profile "$profile" --workspace --bins
profile_dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
bench="${CARGO_TARGET_DIR:-target}/$profile_dir/castmill-bench"

sections=${BENCH_ONLY:-commit,compare,levers,quantize,parallel,control,supervisor,embeddings,knowledge,speakers,app,memory,long}

if [[ ",$sections," == *,compare,* && -z ${BENCH_FASTER_WHISPER_PYTHON:-} ]]; then
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/bench-venv"
  if ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
    echo "installing faster-whisper into $venv (for the comparison)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet faster-whisper
  fi
  export BENCH_FASTER_WHISPER_PYTHON="$venv/bin/python"
fi

# The comparison runs whisper base too; the set-up installs it on first use.
if [[ ",$sections," == *,compare,* ]] && ! "${CARGO_TARGET_DIR:-target}/$profile_dir/castmill" models list 2>/dev/null | grep -q '^base-q8_0 '; then
  echo "installing whisper base (for the comparison)" >&2
  scripts/setup.sh --deps --models base
fi

# The speakers section scores pyannote's real sample too: it comes in the pyannote-audio wheel.
if [[ ",$sections," == *,speakers,* ]]; then
  unpacked="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels/unpacked"
  if [[ ! -f $unpacked/pyannote/audio/sample/sample.rttm ]]; then
    echo "fetching pyannote's sample (the pyannote-audio wheel)" >&2
    wheels="${XDG_CACHE_HOME:-$HOME/.cache}/castmill/wheels"
    python3 -m pip download --quiet --no-deps --dest "$wheels" pyannote-audio==4.0.7
    python3 -m zipfile -e "$wheels/pyannote_audio-4.0.7-py3-none-any.whl" "$unpacked"
  fi
fi

simd=$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|avx512f|avx512_vnni' | sort -u | tr '\n' ' ')
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') (${simd% }), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
IFS=, read -ra wanted <<<"$sections"
for section in "${wanted[@]}"; do
  out=$(BENCH_ONLY=$section "$bench" | sed -n '/^## /,$p')
  printf '%s\n' "$out"
  # Replace the section's block in docs/PERFORMANCE.md (or add it at the end).
  BLOCK="$out" SECTION=$section MACHINE=$machine python3 - <<'EOF'
import os, re, datetime
path = "docs/PERFORMANCE.md"
section = os.environ["SECTION"]
# Every setting that shapes the numbers goes into the recorded command, so it reruns as is.
settings = "".join(f"{name}={os.environ[name]} " for name in ("BENCH_PROFILE", "BENCH_REPEATS", "BENCH_LONG_MINUTES", "BENCH_RSS_MINUTES") if os.environ.get(name))
start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
block = (f"{start}\n{os.environ['BLOCK'].strip()}\n\n"
         f"_Machine: {os.environ['MACHINE']}. Command: `{settings}BENCH_ONLY={section} scripts/bench.sh`. "
         f"Run on {datetime.date.today().isoformat()}._\n{end}")
text = open(path).read()
pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
open(path, "w").write(text)
EOF
done
