#!/usr/bin/env bash
# Corpora and runs of the fuzz targets (tests/fuzz/CMakeLists.txt):
#
#   fuzz.sh seeds  NAME DIR               write NAME's seed inputs into DIR
#   fuzz.sh replay NAME BIN WORKDIR       run BIN (built with replay.c)
#                                         once over the seeds and the kept
#                                         regressions
#   fuzz.sh run    NAME BIN WORKDIR SECS  fuzz with the libFuzzer BIN
#   fuzz.sh all    WORKDIR NAME...        fuzz every NAME (WORKDIR/fuzz_NAME)
#                                         for $FUZZ_SECONDS (default 60),
#                                         $FUZZ_JOBS (default 2) at a time
#
# Seeds are the files of tests/fixtures (samples/<kind>/ and trees/*/),
# composed into the input each target reads (fuzz.h: parts separated by
# NUL); they are written anew for each run, never kept in git twice. The
# blob seeds are snapshots of the fixture trees taken with the CLI, the
# pstore_blobs seeds two of them composed into pmsg zones.
#
# WORKDIR holds, per target: corpus/NAME (what libFuzzer found; it grows
# from run to run), seeds/NAME, replay/NAME, artifacts/NAME (crash-*,
# leak-*, timeout-* inputs) and logs/NAME.log.
#
# Environment: KMEMSNAP_SOURCE_DIR (the source tree; default: found from
# this script), KMEMSNAP (the kmemsnap CLI, for the blob seeds).
set -uo pipefail

SRC=${KMEMSNAP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIX=$SRC/tests/fixtures
REGRESSIONS=$SRC/tests/fuzz/regressions

usage()
{
	sed -n '2,11p' "$0" >&2
	exit 2
}

# join FILE...: the files' contents separated by NUL; a missing file is an
# empty part (an absent file to the target).
join()
{
	local first=1 f

	for f; do
		((first)) || printf '\0'
		first=0
		[[ -f $f ]] && cat "$f"
	done
	return 0
}

# copy DIR PREFIX FILE...: each FILE as DIR/PREFIX<n>.
copy()
{
	local dir=$1 prefix=$2 n=0 f
	shift 2

	for f; do
		[[ -f $f ]] || continue
		cp "$f" "$dir/$prefix$n"
		n=$((n + 1))
	done
}

# The tree a file is in: trees/<tree>/... -> <tree>.
tree_of()
{
	local rel=${1#"$FIX"/trees/}

	echo "${rel%%/*}"
}

# tree_files DIR PREFIX RELPATH: DIR/PREFIX<tree> for each tree holding
# RELPATH.
tree_files()
{
	local dir=$1 prefix=$2 rel=$3 f

	for f in "$FIX"/trees/*/"$rel"; do
		[[ -f $f ]] && cp "$f" "$dir/$prefix$(tree_of "$f")"
	done
	return 0
}

seeds_pid_status()
{
	local dir=$1 pid

	copy "$dir" sample- "$FIX"/samples/pid_status/*
	for pid in "$FIX"/trees/*/proc/[0-9]*/; do
		join "$pid/status" "$pid/oom_score" "$pid/oom_score_adj" \
			"$pid/cgroup" >"$dir/$(tree_of "$pid")-$(basename "$pid")"
	done
}

seeds_shmem()
{
	local dir=$1 tree

	for tree in "$FIX"/trees/*/; do
		[[ -f $tree/proc/self/mountinfo || -f $tree/proc/sysvipc/shm ]] ||
			continue
		join "$tree/proc/self/mountinfo" "$tree/proc/sysvipc/shm" \
			>"$dir/$(basename "$tree")"
	done
}

# fuzz_cgroup.c: stat, events, usage, limit, high or kmem, swap, pressure,
# cgroup.controllers.
seeds_cgroup()
{
	local dir=$1 v2 v1 n=0 f

	v2=$FIX/trees/cgroup-v2/sys/fs/cgroup/system.slice/db.service
	join "$v2/memory.stat" "$v2/memory.events" "$v2/memory.current" \
		"$v2/memory.max" "$v2/memory.high" "$v2/memory.swap.current" \
		"$v2/memory.pressure" \
		"$FIX/trees/cgroup-v2/sys/fs/cgroup/cgroup.controllers" \
		>"$dir/cgroup-v2"
	v1=$FIX/trees/el7/sys/fs/cgroup/memory/docker/abc123
	join "$v1/memory.stat" "$v1/memory.oom_control" \
		"$v1/memory.usage_in_bytes" "$v1/memory.limit_in_bytes" \
		"$v1/memory.kmem.usage_in_bytes" >"$dir/el7"
	for f in "$FIX"/samples/memory_events/*; do
		{
			printf '\0'
			cat "$f"
			printf '\0\0\0\0\0\0memory\n'
		} >"$dir/events-$n"
		n=$((n + 1))
	done
}

# fuzz_slab_sysfs.c: seven attributes of four caches; the fixture's caches
# fill the four in name order.
seeds_slab_sysfs()
{
	local dir=$1 cache attr parts=()

	for cache in "$FIX"/trees/sysfs-slab/sys/kernel/slab/*/; do
		[[ -L ${cache%/} ]] && continue
		for attr in objects total_objects slab_size objs_per_slab \
			aliases slabs order; do
			parts+=("$cache$attr")
		done
	done
	join "${parts[@]:0:28}" >"$dir/sysfs-slab"
	join "${parts[@]:28:28}" >"$dir/sysfs-slab-rest"
}

seeds_blob()
{
	local dir=$1 tree name

	if [[ -z ${KMEMSNAP:-} ]]; then
		echo "fuzz.sh: KMEMSNAP not set: no blob seeds" >&2
		return 0
	fi
	for tree in "$FIX"/trees/*/; do
		name=$(basename "$tree")
		"$KMEMSNAP" capture --root "$tree" -o "$dir/$name.kms" ||
			echo "fuzz.sh: cannot capture $tree" >&2
	done
	"$KMEMSNAP" capture --root "$FIX/trees/cgroup-v2" \
		--cgroup /system.slice/db.service -o "$dir/cgroup-v2-cg.kms"
	"$KMEMSNAP" capture --root "$FIX/trees/el7" --cgroup /docker/abc123 \
		--kmsg-file "$FIX/oom/kmsg_memcg_v1_6.18.txt" -o "$dir/el7-oom.kms"
	"$KMEMSNAP" capture --root "$FIX/trees/modern" \
		--kmsg-file "$FIX/oom/kmsg_global_6.11.txt" -o "$dir/modern-oom.kms"
	return 0
}

# pmsg zones as collect-boot reads them (docs/PSTORE.md): mirrored blobs
# back to back, the oldest cut by the ring, text around them. Two small
# captures, composed; a few KiB each.
seeds_pstore_blobs()
{
	local dir=$1 a=$1/a.kms b=$1/b.kms

	if [[ -z ${KMEMSNAP:-} ]]; then
		echo "fuzz.sh: KMEMSNAP not set: no pstore_blobs seeds" >&2
		return 0
	fi
	"$KMEMSNAP" capture --root "$FIX/trees/cgroup-v2" -o "$a" &&
		"$KMEMSNAP" capture --root "$FIX/trees/el7" -o "$b" || {
		echo "fuzz.sh: cannot capture the pstore_blobs seeds" >&2
		rm -f "$a" "$b"
		return 0
	}
	cp "$a" "$dir/alone"
	cat "$a" "$b" >"$dir/two"
	{
		printf 'kmemsnap: KMEMSNAP mirrored\n'
		cat "$a" "$b"
		printf 'trailing text\n'
	} >"$dir/text-around"
	{
		tail -c 300 "$a"
		cat "$b" "$a"
	} >"$dir/cut-start"
	{
		cat "$b"
		head -c 500 "$a"
	} >"$dir/cut-end"
	rm -f "$a" "$b"
}

seeds()
{
	local name=$1 dir=$2

	rm -rf "$dir"
	mkdir -p "$dir"
	case $name in
	meminfo)
		copy "$dir" sample- "$FIX"/samples/meminfo/*
		tree_files "$dir" tree- proc/meminfo ;;
	slabinfo)
		copy "$dir" sample- "$FIX"/samples/slabinfo/*
		tree_files "$dir" tree- proc/slabinfo ;;
	vmallocinfo)
		copy "$dir" sample- "$FIX"/samples/vmallocinfo/*
		tree_files "$dir" tree- proc/vmallocinfo ;;
	kmemleak)
		copy "$dir" sample- "$FIX"/samples/kmemleak/*
		tree_files "$dir" tree- sys/kernel/debug/kmemleak ;;
	pressure)
		copy "$dir" sample- "$FIX"/samples/pressure/* \
			"$FIX"/trees/*/sys/fs/cgroup/*/*/memory.pressure
		tree_files "$dir" tree- proc/pressure/memory ;;
	oom)
		copy "$dir" sample- "$FIX"/samples/oom_report/*
		copy "$dir" kmsg- "$FIX"/oom/*.txt ;;
	pid_status) seeds_pid_status "$dir" ;;
	shmem) seeds_shmem "$dir" ;;
	cgroup) seeds_cgroup "$dir" ;;
	slab_sysfs) seeds_slab_sysfs "$dir" ;;
	blob) seeds_blob "$dir" ;;
	pstore_blobs) seeds_pstore_blobs "$dir" ;;
	*)
		echo "fuzz.sh: no target named $name" >&2
		return 1 ;;
	esac
}

# Corpus directories of a run: what was found, the seeds, and the inputs
# that once crashed.
corpus_dirs()
{
	local name=$1 work=$2

	echo "$work/corpus/$name"
	echo "$work/seeds/$name"
	[[ -d $REGRESSIONS/$name ]] && echo "$REGRESSIONS/$name"
	return 0
}

# A blob's message must fit in an input for the mutator to frame it again;
# a pmsg zone holds several blobs.
max_len()
{
	[[ $1 == blob ]] && echo -max_len=262144
	[[ $1 == pstore_blobs ]] && echo -max_len=16384
	return 0
}

replay()
{
	local name=$1 bin=$2 work=$3 dirs

	dirs=("$work/replay/$name")
	seeds "$name" "$work/replay/$name" || return 1
	[[ -d $REGRESSIONS/$name ]] && dirs+=("$REGRESSIONS/$name")
	"$bin" "${dirs[@]}"
}

run()
{
	local name=$1 bin=$2 work=$3 secs=$4 log=$3/logs/$1.log
	local dirs rc runs files bytes start

	seeds "$name" "$work/seeds/$name" || return 1
	mkdir -p "$work/corpus/$name" "$work/artifacts/$name" "$work/logs"
	mapfile -t dirs < <(corpus_dirs "$name" "$work")
	# One process, no -jobs: ctest and `all` run targets side by side.
	start=$SECONDS
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$name/" \
		$(max_len "$name") "${dirs[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	files=$(find "$work/corpus/$name" -type f | wc -l)
	bytes=$(du -sb "$work/corpus/$name" | cut -f1)
	echo "fuzz $name: ${runs:-?} runs in $((SECONDS - start)) s," \
	     "corpus $files inputs ($bytes bytes), exit $rc"
	if [[ $rc -ne 0 ]]; then
		tail -n 80 "$log"
		echo "fuzz $name: inputs kept in $work/artifacts/$name/:"
		ls -l "$work/artifacts/$name/"
	fi
	return "$rc"
}

all()
{
	local work=$1 secs=${FUZZ_SECONDS:-60} jobs=${FUZZ_JOBS:-2}
	shift

	printf '%s\n' "$@" |
		xargs -P "$jobs" -I{} bash "$0" run {} "$work/fuzz_{}" "$work" "$secs"
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
seeds) [[ $# -eq 2 ]] || usage; seeds "$@" ;;
replay) [[ $# -eq 3 ]] || usage; replay "$@" ;;
run) [[ $# -eq 4 ]] || usage; run "$@" ;;
all) [[ $# -ge 2 ]] || usage; all "$@" ;;
*) usage ;;
esac
