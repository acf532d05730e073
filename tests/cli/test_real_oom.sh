#!/usr/bin/env bash
# A real OOM kill, read back from the kernel log: a memory cgroup is made
# below this test's own cgroup with a 32 MiB limit, a child outgrows it
# until the kernel kills it, and `kmemsnap capture --kmsg` must embed that
# report: victim pid and comm, CONSTRAINT_MEMCG, the test cgroup as
# task_memcg and oom_memcg, and the 32 MiB limit.
#
# cgroup v2 when /sys/fs/cgroup is a cgroup2 mount with the memory
# controller, else the v1 memory hierarchy. Skips (77) only when no memory
# cgroup can be made or /dev/kmsg cannot be read.
#
# Environment (set by ctest): KMEMSNAP (the CLI).
set -uo pipefail
. "$(dirname "$0")/data/memcg.sh"

limit_bytes=$((32 << 20))
name=kmemsnap-oom.$$
tmp=$(mktemp -d)
cg=
job=

skip()
{
	echo "SKIP: $*"
	exit 77
}

fail()
{
	echo "FAIL: $*"
	exit 1
}

cleanup()
{
	if [[ -n $job ]] && kill -0 "$job" 2>/dev/null; then
		[[ -s $tmp/victim ]] && kill -KILL "$(<"$tmp/victim")" 2>/dev/null
		kill -KILL "$job" 2>/dev/null
		wait "$job" 2>/dev/null
	fi
	memcg_remove
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v jq >/dev/null || fail "jq is not installed (scripts/deps.sh --test)"

dd if=/dev/kmsg iflag=nonblock bs=8192 count=1 of=/dev/null 2>/dev/null ||
	skip "cannot read /dev/kmsg (not root, or kernel.dmesg_restrict)"

memcg_make "$name" "$limit_bytes" || skip "$memcg_why"
cg=$memcg
own=$memcg_own
version=$memcg_version
events_file=$memcg_events

# The child moves itself into the cgroup, writes its pid down and becomes
# tail(1), which keeps every byte of a stream without newlines: it outgrows
# 32 MiB and, alone in the cgroup, is the kernel's only choice of victim.
# The subshell keeps bash's "Killed"/"Broken pipe" job notices quiet.
(head -c 1G /dev/zero |
	sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >"$2" && exec tail' \
		sh "$cg" "$tmp/victim" >/dev/null) 2>/dev/null &
job=$!

for _ in $(seq 600); do
	kill -0 "$job" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$job" 2>/dev/null && fail "the child was not OOM-killed within 60 s"
wait "$job"
status=$?
[[ -s $tmp/victim ]] || fail "the child could not join $cg (status $status)"
victim=$(<"$tmp/victim")
[[ $status -eq 137 ]] || fail "pid $victim exited with status $status, not SIGKILL"
grep -Eq '^oom_kill [1-9]' "$cg/$events_file" ||
	fail "$cg/$events_file counts no OOM kill: $(tr '\n' ' ' <"$cg/$events_file")"

"$KMEMSNAP" capture --kmsg -o "$tmp/snap.kms" || fail "kmemsnap capture --kmsg failed"
"$KMEMSNAP" show --json "$tmp/snap.kms" >"$tmp/snap.json" ||
	fail "kmemsnap show --json failed"

# The kernel prints cgroup paths from the hierarchy's root; inside a cgroup
# namespace /proc/self/cgroup shows them from the namespace's root, so the
# path must end with the one this test knows.
want_path=${own%/}/$name
report=$(jq -c '.oomReport // empty | del(.text)' "$tmp/snap.json")
[[ -n $report ]] || fail "the snapshot holds no OOM report"

check()
{
	local what=$1 filter=$2 want=$3 got

	got=$(jq -r "$filter" <<<"$report")
	if [[ $got != "$want" ]]; then
		echo "report: $report"
		fail "$what is '$got', want '$want'"
	fi
}

check "killed pid" '.killed.pid' "$victim"
check "killed comm" '.killed.comm' tail
check "constraint" '.constraint' OOM_CONSTRAINT_MEMCG
check "task_memcg" ".taskMemcg | endswith(\"$want_path\")" true
check "oom_memcg" ".oomMemcg | endswith(\"$want_path\")" true
check "memcg limit" '.memcgUsageKb[] | select(.key == "memory.limit") | .value' \
	$((limit_bytes >> 10))
check "victim's task row" "[.tasks[] | select(.pid == $victim) | .name] | first" tail
check "report status" '.status.state' STATE_OK
echo "ok: pid $victim (tail) OOM-killed in $want_path (cgroup v$version) found by capture --kmsg"
