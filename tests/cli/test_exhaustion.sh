#!/bin/bash
# Capture under real memory exhaustion. A memory cgroup is made below this
# test's own cgroup; tests/faults/oom_victim_capture joins it, creates a
# recorder (its buffers mmap'd, mlock'd and touched) that also records
# that cgroup, captures once and says "ready". The cgroup's usage then is
# the recorder's footprint; its limit is set MARGIN above it (swap
# included) and a second process, oom_score_adj 1000, joins and allocates
# until the kernel's OOM killer kills it, while the recorder keeps
# capturing to one new file after another. Checked:
#   - the allocator was SIGKILLed and the cgroup counts an OOM kill;
#   - the recorder survived (exit 0, it saw the kill) and no capture
#     failed;
#   - every file it wrote is a complete snapshot (kmemsnap verify);
#   - at least one was taken during the pressure: it shows the cgroup
#     above 90 % of its limit and the allocator alive in the processes;
#   - the last one, taken after the kill, records the kill in the
#     cgroup's events.
# The recorder asks for oom_score_adj -1000; without CAP_SYS_RESOURCE
# (a container) it keeps its own: then the margin keeps the kernel's
# choice on the allocator, and a sleeping decoy with oom_score_adj 1000
# takes the kill the kernel can aim at the recorder just after the
# allocator's (docs/RELIABILITY.md, "Capture under memory exhaustion", has
# the smallest limit that works and why).
#
# cgroup v2 when /sys/fs/cgroup is a cgroup2 mount with the memory
# controller, else the v1 memory hierarchy. Skips (77) when no memory
# cgroup can be made. MARGIN_KB overrides the margin (16 MiB).
source "$(dirname "$0")/data/common.sh"
need jq

K=$KMEMSNAP
PROG=${KMEMSNAP_BUILD_DIR:-}/tests/oom_victim_capture
margin=$((${MARGIN_KB:-16384} << 10))
name=kmemsnap-exh.$$
cg=
capturer=
hog=
decoy=

skip() {
	echo "SKIP: $*"
	exit 77
}

[ -x "$PROG" ] || skip "$PROG is not built (KMEMSNAP_BUILD_DIR unset?)"

cleanup() {
	local pid
	[ -n "$hog" ] && kill -KILL "$(cat "$TMP/hog.pid" 2>/dev/null)" 2>/dev/null
	[ -n "$decoy" ] && kill -KILL "$(cat "$TMP/decoy.pid" 2>/dev/null)" 2>/dev/null
	for pid in $hog $decoy $capturer; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	exec 3>&- 2>/dev/null
	# The kernel removes a dead task from its cgroup asynchronously.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[[ -z $cg || ! -d $cg ]] && break
		rmdir "$cg" 2>/dev/null && break
		sleep 0.2
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# own: this process's cgroup as /proc/self/cgroup names it; base: the
# hierarchy's mount. The recorder names the cgroup by its path below base.
if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]] &&
	grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	version=2
	base=/sys/fs/cgroup
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	parent=$base${own%/}
	# A cgroup with processes cannot hand the controller down.
	grep -qw memory "$parent/cgroup.subtree_control" ||
		echo +memory >"$parent/cgroup.subtree_control" 2>/dev/null ||
		skip "cannot enable the memory controller below $parent"
	limit_files="memory.max memory.swap.max"
	usage_file=memory.current
	events_file=memory.events
else
	version=1
	base=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' \
		/proc/self/mounts)
	[ -n "$base" ] || skip "no cgroup2 memory controller and no v1 memory hierarchy"
	own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
	parent=$base${own%/}
	# memsw may not be below memory: set memory first when lowering.
	limit_files="memory.limit_in_bytes memory.memsw.limit_in_bytes"
	usage_file=memory.usage_in_bytes
	events_file=memory.oom_control
fi
mkdir "$parent/$name" 2>/dev/null ||
	skip "cannot create a memory cgroup in $parent (cgroup v$version)"
cg=$parent/$name
cgpath=${own%/}/$name
grep -q '^oom_kill ' "$cg/$events_file" ||
	skip "$cg/$events_file has no oom_kill counter (kernel older than 4.13)"

# set_limit BYTES: the memory limit, and the swap limit where the kernel
# has one (v1 memsw counts memory + swap: the same figure; v2 swap.max:
# no swap at all).
set_limit() {
	local f
	for f in $limit_files; do
		[ -e "$cg/$f" ] || continue
		if [ "$f" == memory.swap.max ]; then
			echo 0 >"$cg/$f"
		else
			echo "$1" >"$cg/$f"
		fi || return 1
	done
}

# The recorder joins the cgroup before it allocates, so its buffers are
# charged there; it reads "go" from a FIFO once the limit is set.
mkfifo "$TMP/go"
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" capture "$3" "$4" "$5"' \
	sh "$cg" "$PROG" "$TMP" "$cg/$events_file" "$cgpath" \
	<"$TMP/go" >"$TMP/capture.log" 2>&1 &
capturer=$!
exec 3>"$TMP/go"
for _ in $(seq 200); do
	grep -q '^ready$' "$TMP/capture.log" || ! kill -0 $capturer 2>/dev/null && break
	sleep 0.05
done
if ! grep -q '^ready$' "$TMP/capture.log"; then
	fail "the recorder did not get ready:"
	sed 's/^/     | /' "$TMP/capture.log"
	exit 1
fi
footprint=$(<"$cg/$usage_file")

# Without -1000 the recorder can still be chosen in one race: the killed
# allocator leaves the cgroup's task list before its memory is uncharged,
# and a charge in that window finds only the recorder to kill
# (mm/oom_kill.c: select_bad_process walks tasks, not charges). A sleeping
# process with oom_score_adj 1000 takes that kill instead; next to the
# allocator, which holds far more, it is never the first choice.
if grep -q 'note: oom_score_adj' "$TMP/capture.log"; then
	(sh -c 'echo 1000 >/proc/self/oom_score_adj && echo $$ >"$1/cgroup.procs" &&
		echo $$ >"$2" && exec sleep 120' sh "$cg" "$TMP/decoy.pid"
		exit $?) 2>/dev/null &
	decoy=$!
	for _ in $(seq 100); do
		[ -s "$TMP/decoy.pid" ] && break
		sleep 0.05
	done
	echo "note: the recorder keeps oom_score_adj 0 (no CAP_SYS_RESOURCE): a sleeping decoy with 1000 joins"
fi
limit=$((footprint + margin))
set_limit $limit || skip "cannot set a limit in $cg"
echo "cgroup v$version $cgpath: recorder footprint $footprint bytes, limit $limit"

# The allocator makes itself the kernel's choice before it joins, and
# writes its pid down. The subshell waits for it, so bash's "Killed"
# notice goes to the subshell's stderr, which is thrown away.
echo go >&3
(sh -c 'echo 1000 >/proc/self/oom_score_adj && echo $$ >"$1/cgroup.procs" &&
	echo $$ >"$2" && exec "$3" hog 64' sh "$cg" "$TMP/hog.pid" "$PROG"
	exit $?) 2>/dev/null &
hog=$!

for _ in $(seq 600); do
	kill -0 $capturer 2>/dev/null || break
	sleep 0.05
done
rc=0
if kill -0 $capturer 2>/dev/null; then
	fail "the recorder still runs after 30 s"
	sed 's/^/     | /' "$TMP/capture.log"
	exit 1
fi
wait $capturer || rc=$?
capturer=
hog_rc=0
if kill -0 $hog 2>/dev/null; then
	fail "the allocator was not killed"
	kill -KILL "$(cat "$TMP/hog.pid")"
fi
wait $hog || hog_rc=$?
hog=
hog_pid=$(cat "$TMP/hog.pid" 2>/dev/null)
[ -n "$hog_pid" ] || fail "the allocator could not join $cg"

check_eq "the allocator was SIGKILLed (exit status)" $hog_rc 137
kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/$events_file")
check "the cgroup counts an OOM kill ($kills)" test "${kills:-0}" -ge 1
check_eq "the recorder survived and saw the kill (exit status)" $rc 0
ok=$(grep -c '^[0-9]* ok$' "$TMP/capture.log")
failed=$(grep -c '^[0-9]* failed' "$TMP/capture.log")
check "$ok captures under the limit, none failed ($failed)" \
	test "$ok" -ge 1 -a "$failed" -eq 0
grep ' failed' "$TMP/capture.log" | head -5 | sed 's/^/     | /'

shopt -s nullglob
snaps=("$TMP"/snap-*.kms)
run "$TMP/out" "$TMP/err" "$K" verify -q "${snaps[@]}"
check "verify accepts all ${#snaps[@]} snapshots" test "$rc" -eq 0 -a ! -s "$TMP/err"

# Per snapshot: cgroup usage, whether the allocator is among the kept
# processes, and the cgroup's oom_kill count.
for f in "${snaps[@]}"; do
	"$K" show --json "$f" | jq -r --arg f "${f##*/}" --argjson hog "${hog_pid:-0}" '
		[$f, (.cgroups[0].usageBytes // "0"),
		 ([.processes.top[]? | select(.pid == $hog)] | length),
		 ([.cgroups[0].events[]? | select(.key == "oom_kill") | .value]
		  | first // "0")] | @tsv'
done >"$TMP/table"
pressed=$(awk -v lim=$limit '$2 >= 0.9 * lim && $3 == 1' "$TMP/table" | wc -l)
check "$pressed snapshots taken with the cgroup above 90 % of its limit and the allocator alive" \
	test "$pressed" -ge 1
awk -v lim=$limit '$2 >= 0.9 * lim && $3 == 1 { print "     | " $1 ": usage " $2 " of " lim; exit }' \
	"$TMP/table"
read -r last_file last_usage _ last_kills < <(tail -n 1 "$TMP/table")
check "the last snapshot, $last_file, records the OOM kill in the cgroup's events (oom_kill ${last_kills:-none}, usage $last_usage)" \
	test "${last_kills:-0}" -ge 1
finish
