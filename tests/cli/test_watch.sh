#!/usr/bin/env bash
# kmemsnap watch, for real:
# - usage errors, the baseline of a boot (taken once per boot even across
#   restarts), SIGTERM and SIGHUP, --notify's READY=1 and STOPPING=1;
# - a watched cgroup removed under the watcher: logged, no busy loop;
# - a real OOM kill in a memory cgroup below the test's own while the
#   watcher watches it: a snapshot with trigger oom lands in the store
#   within 1 s of the kill, naming the victim, carrying the kernel's report
#   and the lead-up samples, mirrored to a pmsg file within its bound; a
#   second kill inside the rate limit is dropped and logged;
# - a PSI trigger firing on real memory stall (a writer in a 16 MiB cgroup).
# Parts that this kernel or sandbox cannot do say why and are skipped.
. "$(dirname "$0")/data/common.sh"
. "$(dirname "$0")/data/memcg.sh"
need jq

watcher=
victim_job=
skipped=

stop_watcher()
{
	[[ -n $watcher ]] || return 0
	kill -TERM "$watcher" 2>/dev/null
	wait "$watcher"
	watcher_rc=$?
	watcher=
}

cleanup()
{
	[[ -n $victim_job ]] && kill -KILL "$victim_job" 2>/dev/null
	stop_watcher
	memcg_remove
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_watcher LOG ARGS...: runs the watcher in the background and waits
# until it says it is watching.
start_watcher()
{
	local log=$1 _
	shift
	"$KMEMSNAP" watch --no-mlock "$@" 2>"$log" &
	watcher=$!
	for _ in $(seq 100); do
		grep -q '^kmemsnap watch: ready' "$log" 2>/dev/null && return 0
		kill -0 "$watcher" 2>/dev/null || break
		sleep 0.05
	done
	sed 's/^/     | /' "$log"
	return 1
}

# wait_file GLOB SECONDS: waits for a file matching GLOB; prints it.
wait_file()
{
	local glob=$1 tries=$(($2 * 20)) f
	for _ in $(seq "$tries"); do
		for f in $glob; do
			[[ -e $f ]] && { echo "$f"; return 0; }
		done
		sleep 0.05
	done
	return 1
}

ns_now() { date +%s%N; }

# oom_victim [PIDFILE]: a child joins $memcg (writing its pid to PIDFILE)
# and becomes tail(1), which keeps a stream without newlines: it outgrows
# the limit and, alone in the cgroup, is the kernel's only choice
# (test_real_oom.sh). Waits for it; its exit status is in victim_status.
oom_victim()
{
	(head -c 1G /dev/zero |
		sh -c 'echo $$ >"$1/cgroup.procs" && { [ -z "$2" ] || echo $$ >"$2"; } && exec tail' \
			sh "$memcg" "${1:-}" >/dev/null) 2>/dev/null &
	victim_job=$!
	wait "$victim_job"
	victim_status=$?
	victim_job=
}

# jqe FILTER FILE: true when FILTER holds for FILE (jq -e, quietly).
jqe() { jq -e "$@" >/dev/null; }

# ---- usage -----------------------------------------------------------------
run "$TMP/out" "$TMP/err" "$KMEMSNAP" watch
check_eq "watch without --store is a usage error" "$rc" 2
check_grep "and says what is missing" "$TMP/err" -- '--store DIR is required'
run "$TMP/out" "$TMP/err" "$KMEMSNAP" watch --help
check_eq "watch --help exits 0" "$rc" 0
check_grep "--help documents the PSI trigger" "$TMP/out" 'some\|full STALL_US'
run "$TMP/out" "$TMP/err" "$KMEMSNAP" watch --store "$TMP/x" --psi "some 1 1" --no-psi
check_eq "--psi with --no-psi is a usage error" "$rc" 2

# ---- baseline, SIGTERM, restart, SIGHUP -------------------------------------
store=$TMP/base
check "the watcher starts" start_watcher "$TMP/base.log" --store "$store" \
	--no-psi --no-kmsg --no-pmsg --period 0 --baseline-delay 1
check_grep "the watcher says what it watches" "$TMP/base.log" \
	'^kmemsnap watch: watching a baseline in 1 s unless the store has one of this boot$'
base=$(wait_file "$store/*_baseline.kms" 5)
check "a baseline lands in an empty store" test -n "$base"
check_grep "the log names the stored baseline" "$TMP/base.log" \
	'^kmemsnap watch: baseline: stored .*_baseline\.kms in [0-9]+ ms'
stop_watcher
check_eq "SIGTERM stops the watcher with status 0" "$watcher_rc" 0

check "the watcher restarts" start_watcher "$TMP/base2.log" --store "$store" \
	--no-psi --no-kmsg --no-pmsg --period 0 --baseline-delay 1
sleep 1.6
check_eq "a restart in the same boot takes no second baseline" \
	"$(ls "$store" | grep -c '_baseline\.kms$')" 1
kill -HUP "$watcher"
for _ in $(seq 60); do
	grep -q '^kmemsnap watch: reopened' "$TMP/base2.log" && break
	sleep 0.05
done
check_grep "SIGHUP reopens the store" "$TMP/base2.log" "^kmemsnap watch: reopened $store\$"
check "and the watcher keeps running" kill -0 "$watcher"
# SIGHUP and SIGTERM before the watcher wakes up: the stop is not lost.
kill -HUP "$watcher"
kill -TERM "$watcher"
for _ in $(seq 40); do
	kill -0 "$watcher" 2>/dev/null || break
	sleep 0.05
done
check "SIGTERM right after SIGHUP still stops it" bash -c "! kill -0 $watcher 2>/dev/null"
stop_watcher
check_eq "with status 0" "$watcher_rc" 0
"$KMEMSNAP" show --json "$base" >"$TMP/base.json"
check_eq "the baseline's trigger" "$(jq -r .header.trigger "$TMP/base.json")" TRIGGER_BASELINE
check_eq "its event source" "$(jq -r .event.source "$TMP/base.json")" EVENT_SOURCE_BASELINE
check_eq "a scheduled snapshot carries no history" \
	"$(jq -r '.history // "none"' "$TMP/base.json")" none

# ---- Type=notify ------------------------------------------------------------------
notify_part()
{
	local listener=${KMEMSNAP_BUILD_DIR:-}/tests/notify_listener
	local sock=$TMP/notify.sock log=$TMP/notify.log lpid _

	[[ -x $listener ]] || { skipped+=" notify(no $listener)"; return; }
	"$listener" "$sock" 10 >"$TMP/notify.out" &
	lpid=$!
	for _ in $(seq 40); do [[ -S $sock ]] && break; sleep 0.05; done
	NOTIFY_SOCKET=$sock start_watcher "$log" --store "$TMP/notify" \
		--notify --no-psi --no-kmsg --no-pmsg --period 600 --no-baseline
	stop_watcher
	wait "$lpid"
	check_eq "--notify tells systemd READY=1, then STOPPING=1" \
		"$(tr '\n' ' ' <"$TMP/notify.out")" "READY=1 STOPPING=1 "
}
notify_part

# ---- a watched cgroup removed ---------------------------------------------------
removed_part()
{
	local log=$TMP/rm.log cg_dir ticks

	if ! memcg_make "kmemsnap-watch-rm.$$" $((64 << 20)); then
		skipped+=" removal($memcg_why)"
		return
	fi
	cg_dir=$memcg
	check "the watcher watches a cgroup that will go away" start_watcher "$log" \
		--store "$TMP/rm" --cgroup "$memcg_rel" --no-kmsg --no-pmsg \
		--period 0 --no-baseline || return
	memcg_remove
	memcg=
	for _ in $(seq 60); do
		grep -q 'no longer watched' "$log" && break
		sleep 0.05
	done
	check_grep "its removal is noticed and logged" "$log" \
		"^kmemsnap: $cg_dir/.*: no longer watched: its cgroup was removed"
	# A trigger of a removed cgroup would poll EPOLLERR for ever: count
	# the CPU the watcher uses in the second after the removal.
	ticks=$(awk '{ print $14 + $15 }' "/proc/$watcher/stat")
	sleep 1
	ticks=$(( $(awk '{ print $14 + $15 }' "/proc/$watcher/stat") - ticks ))
	check "and the watcher does not spin (${ticks} ticks of CPU in 1 s)" test "$ticks" -lt 10
	stop_watcher
}
removed_part

# ---- a real OOM kill ----------------------------------------------------------
oom_part()
{
	local store=$TMP/oom pmsg=$TMP/pmsg log=$TMP/oom.log victim
	local died snap waited json=$TMP/oom.json second

	if ! dd if=/dev/kmsg iflag=nonblock bs=8192 count=1 of=/dev/null 2>/dev/null; then
		skipped+=" oom(cannot read /dev/kmsg)"
		return
	fi
	if ! memcg_make "kmemsnap-watch.$$" $((32 << 20)); then
		skipped+=" oom($memcg_why)"
		return
	fi
	: >"$pmsg"
	check "the watcher watches $memcg_rel" start_watcher "$log" \
		--store "$store" --cgroup "$memcg_rel" --no-psi --period 0 \
		--no-baseline --sample-ms 200 --pmsg "$pmsg" --burst 1 --min-gap 600 ||
		return

	check_grep "the cgroup is watched" "$log" \
		"^kmemsnap watch: watching cgroup .*$memcg_rel/memory\.(oom_control|events) \((v1 eventfd|v2 inotify)\)\$"
	check_grep "the kernel log is watched" "$log" \
		"^kmemsnap watch: watching the kernel log's OOM reports"
	check_grep "the pmsg mirror is set up" "$log" \
		"^kmemsnap watch: watching pmsg mirror of OOM snapshots to $pmsg \(at most 32768 bytes\)\$"

	oom_victim "$TMP/victim"
	died=$(ns_now)
	victim=$(<"$TMP/victim")
	check_eq "the victim was SIGKILLed" "$victim_status" 137
	snap=$(wait_file "$store/*_oom.kms" 1)
	waited=$(( ($(ns_now) - died) / 1000000 ))
	check "an oom snapshot landed within 1 s of the kill (waited $waited ms)" \
		test -n "$snap"
	[[ -n $snap ]] || { sed 's/^/     | /' "$log"; return; }
	"$KMEMSNAP" show --json "$snap" >"$json"
	check_eq "trigger" "$(jq -r .header.trigger "$json")" TRIGGER_OOM
	check_eq "the event names the victim" "$(jq -r .event.victimPid "$json")" "$victim"
	check_eq "and its comm" "$(jq -r .event.victimComm "$json")" tail
	check_eq "the kernel's report is attached" \
		"$(jq -r .oomReport.killed.pid "$json")" "$victim"
	check "the capture is within 1 s of the report's first line" \
		jqe '((.header.uptimeMs | tonumber) * 1000 -
			(.oomReport.timestampUs | tonumber)) < 1000000' "$json"
	check "the event is the cgroup's or the kernel log's" \
		jqe '.event.source | IN("EVENT_SOURCE_OOM_CONTROL",
			"EVENT_SOURCE_MEMORY_EVENTS", "EVENT_SOURCE_KMSG")' "$json"
	check "the detail names the victim" \
		jqe ".header.triggerDetail | contains(\"killed pid $victim (tail)\")" "$json"
	check "the lead-up history is embedded" \
		jqe '(.history.samples | length) >= 1 and .history.intervalMs == 200' "$json"
	check "each sample has MemAvailable" \
		jqe '[.history.samples[] | has("memAvailableKb")] | all' "$json"
	"$KMEMSNAP" show "$snap" >"$TMP/oom.txt"
	check_grep "show prints the event" "$TMP/oom.txt" "^  killed +pid $victim \\(tail\\)"
	check_grep "and the lead-up" "$TMP/oom.txt" '^Lead-up: '

	check "the pmsg copy was written" test -s "$pmsg"
	check "within 32 KiB" test "$(stat -c %s "$pmsg")" -le 32768
	"$KMEMSNAP" show --json "$pmsg" >"$TMP/pmsg.json" 2>"$TMP/pmsg.err"
	check_eq "the pmsg copy decodes as the same oom snapshot" \
		"$(jq -r '.header.trigger + " " + (.event.victimPid | tostring)' "$TMP/pmsg.json")" \
		"TRIGGER_OOM $victim"

	# A second kill inside the rate limit (--burst 1, --min-gap 600).
	sleep 1
	oom_victim
	second=
	for _ in $(seq 20); do
		grep -q 'event dropped by the rate limit' "$log" && second=1 && break
		sleep 0.05
	done
	check "a second kill within the rate limit is dropped and logged" test -n "$second"
	check_eq "and stores nothing" "$(ls "$store" | grep -c '_oom\.kms$')" 1
	stop_watcher
}
oom_part

# ---- the cgroup alone, without the kernel log ------------------------------------
# v1's eventfd fires when the group goes under OOM, before the kill; v2's
# memory.events counts oom and oom_kill. Either way the cgroup source alone
# must make the snapshot.
cgroup_only_part()
{
	local store=$TMP/cgonly log=$TMP/cgonly.log snap json=$TMP/cgonly.json

	[[ -n $memcg ]] || return # oom_part said why
	check "a watcher without the kernel log" start_watcher "$log" \
		--store "$store" --cgroup "$memcg_rel" --no-kmsg --no-psi \
		--no-pmsg --period 0 --no-baseline || return
	oom_victim
	snap=$(wait_file "$store/*_oom.kms" 1)
	check "the cgroup's own OOM notification made an oom snapshot" test -n "$snap"
	stop_watcher
	[[ -n $snap ]] || { sed 's/^/     | /' "$log"; return; }
	"$KMEMSNAP" show --json "$snap" >"$json"
	if ((memcg_version == 1)); then
		check_eq "its source" "$(jq -r .event.source "$json")" EVENT_SOURCE_OOM_CONTROL
	else
		check_eq "its source" "$(jq -r .event.source "$json")" EVENT_SOURCE_MEMORY_EVENTS
	fi
	check "the file that fired" jqe ".event.path | endswith(\"$memcg_rel/$memcg_events\")" "$json"
}
cgroup_only_part

# ---- a PSI trigger -------------------------------------------------------------
psi_part()
{
	local store=$TMP/psi log=$TMP/psi.log before after snap json=$TMP/psi.json

	if [[ ! -r /proc/pressure/memory ]]; then
		skipped+=" psi(no /proc/pressure/memory: kernel without PSI or psi=0)"
		return
	fi
	if [[ $(stat -fc %T "$TMP") == tmpfs ]]; then
		skipped+=" psi($TMP is tmpfs: a writer there fills memory, not the page cache)"
		return
	fi
	if [[ -z $memcg ]] && ! memcg_make "kmemsnap-watch.$$" $((16 << 20)); then
		skipped+=" psi($memcg_why)"
		return
	fi
	echo $((16 << 20)) >"$memcg/memory.limit_in_bytes" 2>/dev/null ||
		echo $((16 << 20)) >"$memcg/memory.max" 2>/dev/null
	if ! start_watcher "$log" --store "$store" --psi "some 5000 2000000" \
		--no-kmsg --no-pmsg --period 0 --no-baseline --sample-ms 200; then
		if grep -q 'cannot add the PSI trigger' "$log"; then
			skipped+=" psi(the kernel refused the trigger: $(grep -m1 PSI "$log"))"
		else
			fail "the watcher did not start with a PSI trigger"
		fi
		return
	fi
	check_grep "the PSI trigger is set" "$log" \
		'^kmemsnap watch: watching PSI trigger "some 5000 2000000" on /proc/pressure/memory$'
	before=$(sed -n 's/^some .*total=//p' /proc/pressure/memory)
	# Dirty page cache in a 16 MiB cgroup: reclaim waits for writeback,
	# which is memory stall.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=1M count=300 conv=fsync status=none' \
		sh "$memcg" "$TMP/dirty" 2>/dev/null
	snap=$(wait_file "$store/*_pressure.kms" 4)
	after=$(sed -n 's/^some .*total=//p' /proc/pressure/memory)
	rm -f "$TMP/dirty"
	stop_watcher
	# The trigger fires on 5 ms of stall in a 2 s window; the writer runs
	# for a second or two, so 100 ms of stall in all cannot miss it.
	if [[ -z $snap ]] && ((after - before < 100000)); then
		skipped+=" psi(no trigger fired on $((after - before)) us of memory stall; the test requires one from 100 ms on)"
		sed 's/^/     | /' "$log"
		return
	fi
	check "a PSI trigger fired a pressure snapshot ($(((after - before) / 1000)) ms stall)" \
		test -n "$snap"
	[[ -n $snap ]] || { sed 's/^/     | /' "$log"; return; }
	"$KMEMSNAP" show --json "$snap" >"$json"
	check_eq "trigger" "$(jq -r .header.trigger "$json")" TRIGGER_PRESSURE
	check_eq "event source" "$(jq -r .event.source "$json")" EVENT_SOURCE_PSI
	check_eq "the trigger that fired" "$(jq -r .event.psiTrigger "$json")" "some 5000 2000000"
	check_eq "the file it was set on" "$(jq -r .event.path "$json")" /proc/pressure/memory
	check "the lead-up history is embedded" jqe '(.history.samples | length) >= 1' "$json"
}
psi_part

[[ -n $skipped ]] && echo "skipped parts:$skipped"
# On a failure, the watchers' own words say what happened.
if ((failures > 0)); then
	for log in "$TMP"/*.log; do
		echo "---- $(basename "$log")"
		sed 's/^/     | /' "$log"
	done
fi
finish
