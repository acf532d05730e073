#!/usr/bin/env bash
# examples/supervisor: the library's watcher in a program's own poll() loop.
# The supervisor runs tail(1) in a memory cgroup limited to 32 MiB below
# this test's own cgroup; fed an endless line of zeros, tail outgrows it and
# the kernel kills it. Checked: tail died of SIGKILL (the supervisor exits
# 137 and says so), its stderr logged the watcher's OOM event, the store
# holds exactly one snapshot with trigger oom whose detail and embedded
# kernel OOM report name tail's pid, whose cgroup section records the
# 32 MiB limit, and the cgroup is gone afterwards.
#
# Skips (77) when the examples are not built or no memory cgroup can be
# made here (the supervisor explains which).
#
# Environment (set by ctest): KMEMSNAP, KMEMSNAP_BUILD_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/data/common.sh" || exit 1
set -o pipefail

supervisor=$KMEMSNAP_BUILD_DIR/examples/supervisor
if [[ ! -x $supervisor ]]; then
	echo "SKIP: $supervisor is not built (KMEMSNAP_BUILD_EXAMPLES=OFF)"
	exit 77
fi
need jq

store=$TMP/store
name=kmemsnap-test-supervisor.$$

# tail keeps every byte of a stream without newlines; head runs outside the
# cgroup, in this test's. The supervisor's own stdout is unused.
set +o pipefail
head -c 1G /dev/zero |
	timeout 60 "$supervisor" --store "$store" --limit-mb 32 --name "$name" \
		-- tail >"$TMP/out" 2>"$TMP/err"
rc=${PIPESTATUS[1]}
set -o pipefail
sed 's/^/     | /' "$TMP/err"

if [[ $rc -eq 1 ]] &&
   grep -Eq 'no memory cgroup can be made|cannot enable the memory controller' \
	"$TMP/err"; then
	echo "SKIP: no memory cgroup can be made below this test's cgroup"
	exit 77
fi

check_eq "supervisor exit status (128 + SIGKILL)" "$rc" 137
check_grep "the command's end is reported" "$TMP/err" \
	'^supervisor: pid [0-9]+ was killed by signal 9 '
victim=$(sed -n 's/^supervisor: pid \([0-9]*\) was killed by signal 9 .*/\1/p' \
	"$TMP/err")
cgdir=$(sed -n 's/^supervisor: cgroup v[12] //p' "$TMP/err")
check_grep "the watcher's OOM event is logged" "$TMP/err" \
	"^supervisor: event: (memory\.events|memory\.oom_control|kmsg), trigger oom: .*: stored [^ ]+_oom\.kms"
check_grep "the stored OOM snapshot is reported" "$TMP/err" \
	"^supervisor: OOM snapshot stored: $store/[^ ]+_oom\.kms$"
if [[ -n $cgdir && -d $cgdir ]]; then
	fail "the supervisor left its cgroup $cgdir behind"
	rmdir "$cgdir" 2>/dev/null
else
	pass "the cgroup ${cgdir:-?} is removed"
fi

"$KMEMSNAP" ls --json "$store" >"$TMP/ls.json" 2>"$TMP/ls.err" ||
	fail "kmemsnap ls $store: $(cat "$TMP/ls.err")"
check_eq "one snapshot with trigger oom" \
	"$(jq '[.entries[] | select(.trigger == "TRIGGER_OOM")] | length' "$TMP/ls.json")" 1
detail=$(jq -r '.entries[] | select(.trigger == "TRIGGER_OOM") | .triggerDetail' \
	"$TMP/ls.json")
file=$(jq -r '.entries[] | select(.trigger == "TRIGGER_OOM") | .file' "$TMP/ls.json")
# Whichever source saw the OOM first (the cgroup's event or the kernel
# log's report) words the detail; both name the victim.
if [[ -n $victim && $detail == *"killed pid $victim (tail)"* ]]; then
	pass "the snapshot's detail names pid $victim (tail)"
else
	fail "the snapshot's detail is '$detail' (want: killed pid ${victim:-?} (tail))"
fi

# The kernel log's report is embedded when /dev/kmsg is readable here.
if dd if=/dev/kmsg iflag=nonblock bs=8192 count=1 of=/dev/null 2>/dev/null; then
	"$KMEMSNAP" show --json "$store/$file" >"$TMP/snap.json" ||
		fail "kmemsnap show --json $file"
	check_eq "the embedded OOM report's victim" \
		"$(jq -r '.oomReport.killed.pid // empty' "$TMP/snap.json")" "$victim"
	check_eq "the snapshot records the command's cgroup and its limit" \
		"$(jq -r --arg name "/$name" '[.cgroups[]? |
			select(.path | endswith($name)) | .maxBytes] | first' \
			"$TMP/snap.json")" $((32 << 20))
else
	echo "note: /dev/kmsg is not readable: the embedded report is not checked"
fi
finish
