#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The benchmark harness: builds what it needs, generates the synthetic
# trees, measures, prints a table and writes the figures as JSON.
# docs/PERFORMANCE.md says what each figure means and records results.
#
#   bench/run.sh [--build DIR] [--work DIR] [--out FILE] [--inputs LIST]
#                [--reps N] [--store N] [--seed N] [--no-check]
#
#   --build DIR    build directory (default: build-bench in the source tree)
#   --work DIR     where the trees, the store and caches go; kept and reused
#                  on the next run (default: a temporary directory, removed)
#   --out FILE     the JSON (default: DIR/bench-results.json of --build)
#   --inputs LIST  comma-separated among real, medium, large, small
#                  (default: real,medium,large); "small" checks the harness
#   --reps N       timed repetitions per input (default: 200 for real,
#                  60 for medium and small, 15 for large)
#   --store N      snapshots in the decode/analysis store (default 1000)
#   --seed N       generator seed (default 1)
#   --no-check     skip the strace comparison of floor and capture
#
# Needs jq and zstd; strace for the floor check, taskset to pin (optional).
# Not part of the test suite: figures depend on the machine and its load.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$src/build-bench
work=
out=
inputs=real,medium,large
reps=
store_n=1000
seed=1
check=1

usage()
{
	sed -n '8,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--inputs) inputs=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--store) store_n=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--no-check) check=0; shift ;;
	*) usage ;;
	esac
done
out=${out:-$build/bench-results.json}

for tool in jq zstd cmake; do
	command -v "$tool" >/dev/null ||
		{ echo "bench: $tool not found (apt-get install $tool)" >&2; exit 1; }
done

log() { echo "bench: $*" >&2; }

# ---- build ------------------------------------------------------------------

log "building in $build"
if [[ ! -f $build/CMakeCache.txt ]]; then
	cmake -S "$src" -B "$build" -DKMEMSNAP_BUILD_BENCH=ON >/dev/null
fi
if ! cmake --build "$build" -j"$(nproc)" --target kmemsnap-cli kmemsnap-bench \
	kmemsnap-floor kmemsnap-gen >"$build/bench-build.log" 2>&1; then
	cat "$build/bench-build.log" >&2
	exit 1
fi
kmemsnap=$build/cli/kmemsnap
bench=$build/bench/kmemsnap-bench
floor=$build/bench/kmemsnap-floor
gen=$build/bench/kmemsnap-gen

# "On one core": the timed runs stay on the last CPU.
pin=()
if command -v taskset >/dev/null; then
	pin=(taskset -c "$(($(nproc) - 1))")
fi

if [[ -z $work ]]; then
	work=$(mktemp -d /tmp/kmemsnap-bench.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

# ---- inputs -----------------------------------------------------------------

# What a generated tree depends on; a tree or cache with another stamp is
# made again.
gen_stamp()
{
	echo "$(sha256sum "$src/bench/gen.c" | cut -c1-16) $1 seed=$seed"
}

# Makes $work/<preset> unless it is there with the same stamp.
make_tree()
{
	local preset=$1 dir=$work/$1 stamp t0

	stamp=$(gen_stamp "$preset")
	if [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$stamp" ]]; then
		return
	fi
	rm -rf "$dir"
	log "generating $preset"
	t0=$(date +%s%N)
	"$gen" --preset "$preset" --seed "$seed" "$dir"
	echo "$(( ($(date +%s%N) - t0) / 1000000 ))" >"$dir/.gen-ms"
	echo "$stamp" >"$dir/.stamp"
}

root_of()
{
	if [[ $1 == real ]]; then echo /; else echo "$work/$1"; fi
}

default_reps()
{
	case $1 in
	real) echo 200 ;;
	large) echo 15 ;;
	*) echo 60 ;;
	esac
}

# zstd -19 of the raw source text, the bytes the floor reads, end to end.
# Cached for a generated tree (it takes minutes on "large").
raw_and_zstd()
{
	local input=$1 root cache raw z

	root=$(root_of "$input")
	cache=$work/$input.zstd19
	if [[ $input != real && -f $cache &&
	      $(head -1 "$cache") == "$(gen_stamp "$input")" ]]; then
		tail -1 "$cache"
		return
	fi
	log "$input: zstd -19 of the source text"
	z=$("$floor" --cat "$root" 2>"$work/raw.json" | zstd -19 -q -c | wc -c)
	raw=$(jq .bytes "$work/raw.json")
	if [[ $input != real ]]; then
		{ gen_stamp "$input"; echo "{\"raw_bytes\":$raw,\"zstd19_bytes\":$z}"; } >"$cache"
	fi
	echo "{\"raw_bytes\":$raw,\"zstd19_bytes\":$z}"
}

# The largest max RSS of three `kmemsnap capture` runs, in KiB.
capture_rss()
{
	local root=$1 best=0 kb _

	for _ in 1 2 3; do
		kb=$("$bench" run -- "$kmemsnap" capture --root "$root" \
			-o "$work/rss.kms" | jq .maxrss_kb)
		((kb > best)) && best=$kb
	done
	echo "$best"
}

measure()
{
	local input=$1 root n floor_ok=null timing alloc rss sizes gen_ms=null

	root=$(root_of "$input")
	n=${reps:-$(default_reps "$input")}
	if [[ $input != real ]]; then
		make_tree "$input"
		gen_ms=$(<"$root/.gen-ms")
	fi
	if [[ $check == 1 && $input != real ]] && command -v strace >/dev/null; then
		log "$input: checking the floor against the capture (strace)"
		if "$src/bench/check_floor.sh" "$kmemsnap" "$floor" "$root" >"$work/check.txt"; then
			floor_ok=true
		else
			floor_ok=false
			cat "$work/check.txt" >&2
		fi
	fi
	log "$input: timing capture and floor, $n repetitions each"
	timing=$("${pin[@]}" "$bench" time "$root" "$n")
	log "$input: heap, RSS, sizes"
	alloc=$("$bench" alloc "$root" 3)
	rss=$(capture_rss "$root")
	sizes=$(raw_and_zstd "$input")
	jq -n --argjson t "$timing" --argjson a "$alloc" --argjson s "$sizes" \
		--argjson rss "$rss" --argjson ok "$floor_ok" \
		--argjson gen "$gen_ms" --arg root "$root" \
		'{root: $root, generate_ms: $gen, floor_matches_capture: $ok,
		  time: $t, alloc: $a, maxrss_kb: $rss} + $s'
}

# ---- the store: decode and analysis ------------------------------------------

# N snapshots of "medium", slab caches growing, five minutes apart.
make_store()
{
	local stamp tree=$work/store-tree dir=$work/store

	stamp="$(gen_stamp medium) n=$store_n lib=$(sha256sum "$bench" | cut -c1-16)"
	if [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$stamp" ]]; then
		return
	fi
	rm -rf "$tree" "$dir"
	mkdir -p "$dir"
	log "store: $store_n snapshots of medium"
	"$gen" --preset medium --seed "$seed" "$tree"
	"$bench" store "$tree" "$store_n" "$dir" "$gen" medium "$seed" >"$work/store.json"
	echo "$stamp" >"$dir/.stamp"
}

has_command()
{
	"$kmemsnap" help "$1" >/dev/null 2>&1
}

# The median of three runs of "$@" (JSON of kmemsnap-bench run).
run3()
{
	local a b c

	a=$("$bench" run -- "$@")
	b=$("$bench" run -- "$@")
	c=$("$bench" run -- "$@")
	jq -s 'sort_by(.ns) | .[1]' <<<"$a $b $c"
}

store_figures()
{
	local dir=$work/store show base diff=null timeline=null

	make_store
	log "store: show --json, diff, timeline"
	base=$("$bench" run --each "$dir" -- "$kmemsnap" --version)
	show=$("$bench" run --each "$dir" -- "$kmemsnap" show --json)
	if has_command diff; then
		diff=$("$bench" run --pairs "$dir" -- "$kmemsnap" diff)
	fi
	if has_command timeline; then
		timeline=$(run3 "$kmemsnap" timeline "$dir")
	fi
	jq -n --argjson st "$(<"$work/store.json")" --argjson base "$base" \
		--argjson show "$show" --argjson diff "$diff" \
		--argjson tl "$timeline" \
		'{snapshots: $st.snapshots, store_bytes: $st.bytes,
		  process_start: $base, show_json: $show, diff: $diff,
		  timeline: $tl}'
}

# ---- the machine -------------------------------------------------------------

machine()
{
	local commit dirty="" type

	commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$src" diff --quiet HEAD 2>/dev/null || dirty="+changes"
	# The top CMakeLists.txt picks RelWithDebInfo when the cache has none.
	type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
	jq -n --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
		--arg nproc "$(nproc)" --arg kernel "$(uname -r)" \
		--arg mem "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
		--arg cc "$(cc --version | head -1)" \
		--arg type "${type:-RelWithDebInfo}" \
		--arg commit "$commit$dirty" --arg date "$(date -u +%FT%TZ)" \
		--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		'{cpu: $cpu, nproc: ($nproc | tonumber), kernel: $kernel,
		  mem_total_kb: ($mem | tonumber), compiler: $cc,
		  build_type: $type, commit: $commit, date: $date,
		  loadavg_before: $load}'
}

# ---- run ---------------------------------------------------------------------

results=$(jq -n --argjson m "$(machine)" '{machine: $m, inputs: {}}')
IFS=, read -r -a list <<<"$inputs"
for input in "${list[@]}"; do
	case $input in
	real | small | medium | large) ;;
	*) echo "bench: unknown input '$input'" >&2; exit 2 ;;
	esac
	results=$(jq --arg k "$input" --argjson v "$(measure "$input")" \
		'.inputs[$k] = $v' <<<"$results")
done
if [[ $store_n -gt 0 ]]; then
	results=$(jq --argjson v "$(store_figures)" '.store = $v' <<<"$results")
fi

# The issue's targets, each true, false, or null when not measured.
results=$(jq '
  def inp(k): .inputs[k] // null;
  . + {targets: {
    real_ratio_le_1_15: (inp("real") | if . then .time.ratio.median <= 1.15 else null end),
    large_ge_1000_MB_s: (inp("large") | if . then
        (.time.source_bytes / .time.capture_ns.median * 1000) >= 1000 else null end),
    blob_le_third_of_zstd19: ([.inputs[] | .time.blob_bytes * 3 <= .zstd19_bytes] | all),
    large_rss_le_8MiB: (inp("large") | if . then .maxrss_kb <= 8192 else null end),
    large_rss_le_110pct_medium: (if inp("large") and inp("medium") then
        inp("large").maxrss_kb <= 1.10 * inp("medium").maxrss_kb else null end),
    zero_heap_after_recorder: ([.inputs[] | .alloc.heap_calls == 0] | all),
    timeline_1000_lt_1s: (if .store.timeline and .store.snapshots >= 1000 then
        .store.timeline.ns < 1000000000 else null end)
  }}' <<<"$results")

mkdir -p "$(dirname "$out")"
echo "$results" >"$out"

# ---- the table ---------------------------------------------------------------

defs='
  def ms: . / 1e6 | . * 100 | round / 100;
  def mb: . / 1e6 | . * 10 | round / 10;
  def kb: . / 1024 | . * 10 | round / 10;
  def r2: . * 100 | round / 100;'
table() { column -t -s $'\t' -o '  '; }

jq -r "$defs"'
  "machine: \(.machine.cpu), \(.machine.nproc) CPUs, \(.machine.mem_total_kb / 1048576 | r2) GiB, Linux \(.machine.kernel), \(.machine.build_type) build, commit \(.machine.commit), load \(.machine.loadavg_before)\n"' "$out"
jq -r "$defs"'
  (["input", "source MB", "floor ms", "capture ms", "capture/floor (p10-p90)",
    "capture MB/s", "floor MB/s", "blob KiB", "zstd-19 KiB", "blob/zstd",
    "max RSS KiB", "heap calls", "arena KiB", "truncated", "floor=capture"] | @tsv),
  (.inputs | to_entries[] | .key as $k | .value as $v | $v.time as $t |
   [$k, ($t.source_bytes | mb), ($t.floor_ns.median | ms),
    ($t.capture_ns.median | ms),
    "\($t.ratio.median | r2) (\($t.ratio.p10 | r2)-\($t.ratio.p90 | r2))",
    ($t.source_bytes / $t.capture_ns.median * 1000 | round),
    ($t.source_bytes / $t.floor_ns.median * 1000 | round),
    ($t.blob_bytes | kb), ($v.zstd19_bytes | kb),
    ($t.blob_bytes / $v.zstd19_bytes | . * 1000 | round / 1000), $v.maxrss_kb,
    $v.alloc.heap_calls, ($t.arena_used | kb), $t.truncated,
    ($v.floor_matches_capture | if . == null then "n/a" else tostring end)] | @tsv)' "$out" | table
echo
echo "median time per part, capture / floor, ms (the capture's header part also packs and compresses):"
jq -r "$defs"'
  (["input"] + (.inputs | to_entries[0].value.time.parts | keys_unsorted) | @tsv),
  (.inputs | to_entries[] | [.key] + [.value.time.parts | to_entries[] |
     "\(.value.capture_ns | ms) / \(.value.floor_ns | ms)"] | @tsv)' "$out" | table
echo
jq -r "$defs"'
  if .store then
    "store: \(.store.snapshots) snapshots of medium, \(.store.store_bytes | mb) MB",
    "  per snapshot, each a process of its own: show --json \(.store.show_json.per_run_ns | ms) ms, diff of consecutive pairs \(if .store.diff then "\(.store.diff.per_run_ns | ms) ms" else "n/a (no diff command)" end); starting kmemsnap alone \(.store.process_start.per_run_ns | ms) ms",
    "  timeline of all of them, one process: \(if .store.timeline then "\(.store.timeline.ns | ms) ms, \(.store.timeline.ns / .store.snapshots / 1000 | r2) us per snapshot, max RSS \(.store.timeline.maxrss_kb) KiB" else "n/a (no timeline command)" end)",
    ""
  else empty end,
  "targets:",
  (.targets | to_entries[] |
   "  \(.key): \(if .value == null then "not measured" elif .value then "met" else "MISSED" end)")' "$out"
echo
echo "JSON: $out"
