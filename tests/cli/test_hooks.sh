#!/usr/bin/env bash
# The hooks (hooks/README.md), run as the kernel, systemd and earlyoom run
# them, from the build tree, pointed at the built kmemsnap through
# KMEMSNAP_BIN and at a temporary store:
# - kmemsnap-core as core_pattern pipe: a 300 KiB fake core on stdin reaches
#   the next handler (KMEMSNAP_CORE_NEXT, set in a config file) byte for
#   byte with the arguments after "--"; the store gains one crash snapshot
#   whose detail names the pid, comm, thread and signal; a second dump
#   within KMEMSNAP_CORE_MIN_GAP stores nothing but still forwards its core;
#   MIN_GAP=0 stores again; a held lock skips; KMEMSNAP_CORE_DIR receives
#   the core, up to KMEMSNAP_CORE_DIR_MAX_FILES; the comm comes from
#   /proc/PID/comm when the pattern has no %e;
# - kmemsnap-core --systemd-coredump: the detail names the processes whose
#   status says "CoreDumping: 1" (a fake /proc);
# - kmemsnap-oom-hook with earlyoom's EARLYOOM_* variables: a pressure
#   snapshot whose detail names the pid, comm and uid, "about to kill" while
#   the victim lives and "killed" after; the rate limit;
# - kmemsnap-oom-hook --oomd-prekill: the Varlink call on stdin, the reply
#   {"parameters":{}} and a NUL on stdout, the cgroup in the detail;
# - `systemd-analyze verify` of the generated units (and the drop-in on a
#   stand-in template) when systemd-analyze exists.
#
# Environment (set by ctest): KMEMSNAP, KMEMSNAP_BUILD_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/data/common.sh" || exit 1
need jq cmp

hooks=$KMEMSNAP_BUILD_DIR/hooks
core_hook=$hooks/coredump/kmemsnap-core
oom_hook=$hooks/oom-daemons/kmemsnap-oom-hook
for f in "$core_hook" "$oom_hook"; do
	[[ -x $f ]] || { echo "FAIL: $f is not built"; exit 1; }
done

export KMEMSNAP_BIN=$KMEMSNAP KMEMSNAP_HOOK_LOG=stderr
export KMEMSNAP_CORE_LOCK=$TMP/core.lock
export KMEMSNAP_CORE_CONF=$TMP/core.conf KMEMSNAP_OOM_HOOK_CONF=$TMP/none

# ls_field STORE TRIGGER FILTER: FILTER over that trigger's entries of
# `kmemsnap ls --json STORE`, one line each.
ls_field()
{
	"$KMEMSNAP" ls --json "$1" |
		jq -r --arg t "$2" ".entries[] | select(.trigger == \$t) | $3"
}

count()
{
	if [[ -d $1 ]]; then
		"$KMEMSNAP" ls --json "$1" |
			jq --arg t "$2" '[.entries[] | select(.trigger == $t)] | length'
	else
		echo 0
	fi
}

# --- kmemsnap-core: the core_pattern pipe -----------------------------------

store=$TMP/store
head -c 307200 /dev/urandom >"$TMP/core"
# The next handler saves its arguments and standard input.
cat >"$TMP/next" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"\$NEXT_OUT.args"
cat >"\$NEXT_OUT.core"
EOF
chmod +x "$TMP/next"
cat >"$KMEMSNAP_CORE_CONF" <<EOF
KMEMSNAP_STORE='$store'
KMEMSNAP_CORE_NEXT='$TMP/next'
EOF

# core_dump OUT ARGS...: one dump of the fake core; the next handler's
# files are OUT.args and OUT.core, the hook's stderr OUT.err.
core_dump()
{
	local out=$1
	shift
	NEXT_OUT=$out run "$out.out" "$out.err" "$core_hook" "$@" <"$TMP/core"
}

NEXT_OUT=$TMP/d1 run "$TMP/d1.out" "$TMP/d1.err" "$core_hook" \
	4242 4243 11 1700000000 my worker -- 4242 0 0 11 1700000000 x host \
	<"$TMP/core"
check_eq "core_pattern: exit status of the next handler" "$rc" 0
check "core_pattern: the core reaches the next handler intact" \
	cmp -s "$TMP/core" "$TMP/d1.core"
check_eq "core_pattern: the arguments after -- reach it" \
	"$(tr '\n' ' ' <"$TMP/d1.args")" "4242 0 0 11 1700000000 x host "
check_eq "core_pattern: one crash snapshot" "$(count "$store" TRIGGER_CRASH)" 1
check_eq "core_pattern: its detail" \
	"$(ls_field "$store" TRIGGER_CRASH .triggerDetail)" \
	"core dump: pid 4242 (my worker) thread 4243 signal 11 (SIGSEGV)"

# A second dump at once: rate limited, the core still goes on.
core_dump "$TMP/d2" 4300 4300 6 1700000001 again -- a b
check "rate limit: the core still reaches the next handler" \
	cmp -s "$TMP/core" "$TMP/d2.core"
check_eq "rate limit: no second snapshot within KMEMSNAP_CORE_MIN_GAP" \
	"$(count "$store" TRIGGER_CRASH)" 1
check_grep "rate limit: the skip is logged" "$TMP/d2.err" \
	"skipped the snapshot of 'core dump: pid 4300 \(again\) signal 6 \(SIGABRT\)'.*crash snapshot is [0-9]+s old"

KMEMSNAP_CORE_MIN_GAP=0 core_dump "$TMP/d3" 4400 4400 7 1700000002 bus -- a
check_eq "KMEMSNAP_CORE_MIN_GAP=0: a snapshot every time" \
	"$(count "$store" TRIGGER_CRASH)" 2

# A dump while another holds the lock takes no snapshot.
if command -v flock >/dev/null; then
	# The holder becomes sleep itself: killing it frees the lock.
	(flock 9 && exec sleep 10) 9>>"$KMEMSNAP_CORE_LOCK" &
	holder=$!
	for _ in $(seq 50); do
		flock -n "$KMEMSNAP_CORE_LOCK" true || break
		sleep 0.1
	done
	KMEMSNAP_CORE_MIN_GAP=0 core_dump "$TMP/d4" 4500 4500 11 1700000003 busy -- a
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	check_eq "lock held: no snapshot" "$(count "$store" TRIGGER_CRASH)" 2
	check_grep "lock held: logged" "$TMP/d4.err" "another one is being taken"
	check "lock held: the core still goes on" cmp -s "$TMP/core" "$TMP/d4.core"
else
	echo "note: flock is not installed: the lock is not checked"
fi

# KMEMSNAP_CORE_DIR instead of a next handler; the comm from /proc/PID/comm.
proc=$TMP/proc
mkdir -p "$proc/4600" "$TMP/cores"
echo from-proc >"$proc/4600/comm"
cat >"$KMEMSNAP_CORE_CONF" <<EOF
KMEMSNAP_STORE='$TMP/store-dir'
KMEMSNAP_CORE_DIR='$TMP/cores'
KMEMSNAP_CORE_DIR_MAX_FILES=1
KMEMSNAP_CORE_PROC='$proc'
EOF
core_dump "$TMP/d5" 4600 4600 8 1700000004
check_eq "core dir: exit status" "$rc" 0
check "core dir: the core is written intact" \
	cmp -s "$TMP/core" "$TMP/cores/core.from-proc.4600.1700000004"
check_eq "core dir: the comm comes from /proc/PID/comm" \
	"$(ls_field "$TMP/store-dir" TRIGGER_CRASH .triggerDetail)" \
	"core dump: pid 4600 (from-proc) signal 8 (SIGFPE)"
KMEMSNAP_CORE_MIN_GAP=0 core_dump "$TMP/d6" 4601 4601 8 1700000005 two
check_eq "core dir: KMEMSNAP_CORE_DIR_MAX_FILES holds" \
	"$(find "$TMP/cores" -type f | wc -l)" 1
check_grep "core dir: the dropped core is logged" "$TMP/d6.err" \
	"dropped the core of pid 4601"

# --- kmemsnap-core --systemd-coredump --------------------------------------

mkdir -p "$proc/4700" "$proc/4701"
printf 'Name:\tcrasher\nCoreDumping:\t1\n' >"$proc/4700/status"
printf 'Name:\tbystander\nCoreDumping:\t0\n' >"$proc/4701/status"
cat >"$KMEMSNAP_CORE_CONF" <<EOF
KMEMSNAP_STORE='$TMP/store-sd'
KMEMSNAP_CORE_PROC='$proc'
EOF
run "$TMP/sd.out" "$TMP/sd.err" "$core_hook" --systemd-coredump 7-1234-0 \
	<"$TMP/core"
check_eq "systemd-coredump: exit status" "$rc" 0
check_eq "systemd-coredump: the detail names the dumping process" \
	"$(ls_field "$TMP/store-sd" TRIGGER_CRASH .triggerDetail)" \
	"core dump: pid 4700 (crasher) (systemd-coredump 7-1234-0)"

run "$TMP/bad.out" "$TMP/bad.err" "$core_hook" 12 </dev/null
check_eq "core_pattern: too few arguments is a usage error" "$rc" 2

# --- kmemsnap-oom-hook: earlyoom --------------------------------------------

export KMEMSNAP_STORE=$TMP/store-eo
sleep 30 &
victim=$!
EARLYOOM_PID=$victim EARLYOOM_UID=1000 EARLYOOM_NAME=$'big\nhog' \
	run "$TMP/eo.out" "$TMP/eo.err" "$oom_hook"
check_eq "earlyoom: exit status" "$rc" 0
check_eq "earlyoom: a pressure snapshot names the victim" \
	"$(ls_field "$KMEMSNAP_STORE" TRIGGER_PRESSURE .triggerDetail)" \
	"earlyoom: about to kill pid $victim (big?hog) uid 1000"
kill "$victim"
wait "$victim" 2>/dev/null
EARLYOOM_PID=$victim EARLYOOM_NAME=big run "$TMP/eo2.out" "$TMP/eo2.err" "$oom_hook"
check_eq "earlyoom: rate limited within KMEMSNAP_OOM_HOOK_MIN_GAP" \
	"$(count "$KMEMSNAP_STORE" TRIGGER_PRESSURE)" 1
check_grep "earlyoom: the skip is logged" "$TMP/eo2.err" \
	"skipped the snapshot of 'earlyoom: killed pid $victim \(big\)'"
EARLYOOM_PID=$victim EARLYOOM_NAME=big KMEMSNAP_OOM_HOOK_MIN_GAP=0 \
	run "$TMP/eo3.out" "$TMP/eo3.err" "$oom_hook"
check_eq "earlyoom: after the kill (-N) the detail says killed" \
	"$(ls_field "$KMEMSNAP_STORE" TRIGGER_PRESSURE .triggerDetail | tail -n 1)" \
	"earlyoom: killed pid $victim (big)"
run "$TMP/eo4.out" "$TMP/eo4.err" env -u EARLYOOM_PID "$oom_hook"
check_eq "no EARLYOOM_PID and no option: usage error" "$rc" 2

# --- kmemsnap-oom-hook: systemd-oomd prekill --------------------------------

export KMEMSNAP_STORE=$TMP/store-oomd
printf '{"method":"io.systemd.oom.Prekill.Notify","parameters":{"cgroup":"/system.slice/db.service"}}\0' \
	>"$TMP/pk.in"
run "$TMP/pk.out" "$TMP/pk.err" "$oom_hook" --oomd-prekill <"$TMP/pk.in"
check_eq "oomd prekill: exit status" "$rc" 0
check_eq "oomd prekill: the Varlink reply" \
	"$(od -An -c "$TMP/pk.out" | tr -s ' \n' ' ')" \
	"$(printf '{"parameters":{}}\0' | od -An -c | tr -s ' \n' ' ')"
check_eq "oomd prekill: the detail names the cgroup" \
	"$(ls_field "$KMEMSNAP_STORE" TRIGGER_PRESSURE .triggerDetail)" \
	"systemd-oomd: about to kill cgroup /system.slice/db.service"
printf '{"method":"io.systemd.oom.Other"}\0' >"$TMP/pk2.in"
run "$TMP/pk2.out" "$TMP/pk2.err" "$oom_hook" --oomd-prekill <"$TMP/pk2.in"
check_grep "oomd prekill: another method is refused" "$TMP/pk2.out" \
	'"error":"org.varlink.service.MethodNotFound"'

# --- systemd-analyze verify -------------------------------------------------

# The units name installed paths; verify checks that their commands exist,
# so copies point at the build tree's. Documentation= man pages are not
# installed here: --man=no.
if ! command -v systemd-analyze >/dev/null; then
	echo "note: systemd-analyze is not installed: the units are not verified"
	finish
	exit
fi
units=$TMP/units
mkdir -p "$units/stand-in-coredump@.service.d"
for unit in "$hooks"/systemd/*.service \
	    "$hooks/oom-daemons/kmemsnap-oomd-prekill@.service" \
	    "$KMEMSNAP_SOURCE_DIR/hooks/oom-daemons/kmemsnap-oomd-prekill.socket"; do
	sed -e "s|^ExecStart=[^ ]*/kmemsnap-oom-hook |ExecStart=$oom_hook |" \
	    -e "s|^ExecStart=[^ ]*/kmemsnap |ExecStart=$KMEMSNAP |" \
	    -e "s|^Environment=KMEMSNAP_BIN=.*|Environment=KMEMSNAP_BIN=$KMEMSNAP|" \
	    "$unit" >"$units/${unit##*/}"
done
# The coredump drop-in on a stand-in for systemd-coredump@.service, which
# may not be installed.
printf '[Service]\nExecStart=/bin/true\n' >"$units/stand-in-coredump@.service"
sed "s|^ExecStartPre=-+[^ ]*|ExecStartPre=-+$core_hook|" \
	"$hooks/coredump/systemd-coredump-kmemsnap.conf" \
	>"$units/stand-in-coredump@.service.d/kmemsnap.conf"
(
	cd "$units" &&
	systemd-analyze verify --man=no kmemsnap-watch.service \
		kmemsnap-collect-boot.service kmemsnap-oomd-prekill.socket \
		kmemsnap-oomd-prekill@1.service stand-in-coredump@1.service
) >"$TMP/verify.out" 2>&1
vrc=$?
# Without a running systemd (a container), verify cannot load the targets
# the units are ordered against; only that is tolerated.
grep -v -E 'Unit (sysinit|sockets|multi-user|basic|shutdown)\.target not found|Failed to create .*/start: Unit .* not found|^$' \
	"$TMP/verify.out" >"$TMP/verify.rest"
if [[ -s $TMP/verify.rest ]]; then
	fail "systemd-analyze verify (exit $vrc) says:"
	sed 's/^/     | /' "$TMP/verify.out"
else
	pass "systemd-analyze verify of the units and the coredump drop-in"
fi
finish
