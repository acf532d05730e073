#!/bin/bash
# kmemsnap capture under injected I/O faults. tests/faults/faultinject.c,
# loaded with LD_PRELOAD, counts the file calls a clean capture makes
# (open, openat, read, pread, write, fsync, fdatasync, rename, renameat,
# close); then, for each kind of call and each fault that call can suffer,
# the capture is run once per call number 1..count with that one call
# failing (EIO; ENOSPC too for write), cut short (one byte moved) or
# interrupted (EINTR). Two targets: the fixture tree "modern" (--root),
# whose snapshot is the same on every run, so a faulted run's snapshot can
# be compared with the clean one field by field; and this machine (/),
# where the kernel's own files answer (reads of procfs cut to one byte).
# The capture of / runs in a new pid namespace with its own /proc
# (unshare --pid --mount-proc): the kernel's files are this machine's, but
# /proc lists one process, so the number of calls does not grow with the
# machine's processes nor change between runs. EINTR is tried on the
# fixture only: the retry loops are the same code whatever the file.
#
# Every run must:
#   - not crash: exit status below 128, no sanitizer report;
#   - leave no temporary file (.FILE.PID.N.tmp) behind;
#   - when a source (a file below the root) was faulted: exit 0 with a new
#     FILE that `kmemsnap verify` accepts, in which a short or interrupted
#     read or a failed close changed nothing, and a failed open or read is
#     marked where it hit: its section's status says UNAVAILABLE or
#     TRUNCATED or counts more skipped lines, or an errno field appears
#     (slabinfoErrno, a mount's statfsErrno), or, for the header's files,
#     the field is absent; nothing else differs (an open that fails on a
#     file that does not exist may change nothing at all);
#   - when the output was faulted (the temp file, its directory, the
#     rename): exit 0 with a new good FILE only for a short or interrupted
#     write or a failed close of the directory; else exit 1 with
#     "kmemsnap: FILE: ..." and FILE still the previous good snapshot, byte
#     for byte. A failed fsync of the directory comes after the rename: the
#     new, complete snapshot is in place, the error says it may not be
#     durable;
#   - when the root directory cannot be opened: exit 1 naming the root.
#
# The runs are shared among min(nproc, 4) workers. The line before the
# summary gives the number of faults injected. KMEMSNAP_FAULT_STRIDE=N
# tries only call numbers 1, 1 + N, ... and the last (a sanitizer build
# uses 3).
source "$(dirname "$0")/data/common.sh"
need jq cmp

K=$KMEMSNAP
SHIM=${KMEMSNAP_BUILD_DIR:-}/tests/faultinject.so
if [ ! -f "$SHIM" ]; then
	echo "SKIP: $SHIM is not built (KMEMSNAP_BUILD_DIR unset?)"
	exit 77
fi
# AddressSanitizer wants to come first in the list of libraries; the shim
# is loaded before it and only forwards calls, so the check is waived. A
# sanitizer build runs several times slower: there every third call number
# is tried (and the last), unless KMEMSNAP_FAULT_STRIDE says otherwise.
stride=1
if ldd "$K" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	stride=3
fi
stride=${KMEMSNAP_FAULT_STRIDE:-$stride}

# The shim names a file by the path it was opened by, below the path of
# its directory's descriptor: given resolved paths, the names are these.
FIXTURE=$(cd -P "$KMEMSNAP_FIXTURES/trees/modern" && pwd)
TMP=$(cd -P "$TMP" && pwd)
RUNS=$TMP/runs
mkdir "$RUNS"

# The faults each kind of call can suffer (faultinject.c: err=, short,
# eintr). Nothing retries an open, fsync or close, so EINTR there is one
# more error like EIO and is not tried.
modes_of() {
	local target=$1 call=$2 eintr=
	[ "$target" == fixture ] && eintr=eintr
	case $call in
	read | pread) echo "err=EIO short $eintr" ;;
	write) echo "err=EIO err=ENOSPC short $eintr" ;;
	*) echo "err=EIO" ;;
	esac
}

# Volatile fields go before snapshots are compared: times, and the statfs
# figures of the fixture's mount points, which are directories of the
# disk the test writes to (the section orders mounts by them).
cat >"$TMP/norm.jq" <<'EOF'
def norm: walk(if type == "object" then
		del(.durationNs, .sizeBytes, .usedBytes, .inodes, .inodesUsed)
	else . end)
	| del(.header.realtimeNs, .header.boottimeNs, .header.captureDurationNs)
	| if .shmem.mounts then .shmem.mounts |= sort_by(.mountPoint) else . end;
EOF

# The verdict on the snapshots of all runs that exited 0, in one jq: each
# input is {"meta": {...}, "snap": <show --json>}; prints "FAIL ..." lines.
cat >"$TMP/check.jq" <<'EOF'
def skipped: (.linesSkipped // "0") | tonumber;
# A section that says something went wrong, compared with the clean run's:
# a bad state, more skipped lines, or other errno fields (slabinfoErrno, a
# mount's statfsErrno, the status's errorNumber).
def errnos: [.. | objects | to_entries[]
	| select(.key | endswith("Errno") or . == "errorNumber") | .value];
def marked($clean):
	((.status.state // "") | test("UNAVAILABLE|TRUNCATED"))
	or ((.status | skipped) > ($clean.status | skipped))
	or (errnos != ($clean | errnos));
# Which part of the snapshot a path below the root feeds.
def part_of($rel):
	if $rel == "proc/meminfo" then "meminfo"
	elif ($rel | test("^(proc/slabinfo|sys/kernel/slab)")) then "slab"
	elif $rel == "proc/vmallocinfo" then "vmalloc"
	elif ($rel | test("^proc(/[0-9]+(/.*)?)?$")) then "processes"
	elif ($rel | test("^sys/kernel/debug")) then "kmemleak"
	elif ($rel | test("^proc/pressure/")) then "pressure"
	elif ($rel | test("^(proc/uptime|proc/sys/kernel/|sys/kernel/notes)")) then "header"
	else "shmem" end;	# mountinfo, sysvipc/shm and each mount's statfs
def header_field($rel):
	{ "proc/uptime": "uptimeMs",
	  "proc/sys/kernel/random/boot_id": "bootId",
	  "proc/sys/kernel/hostname": "hostname",
	  "proc/sys/kernel/osrelease": "kernelRelease",
	  "proc/sys/kernel/version": "kernelVersion",
	  "sys/kernel/notes": "kernelBuildId" }[$rel];
def states: [to_entries[] | select(.value | type == "object")
	| {(.key): .value.status.state}] | add;

# Fixture: every section that differs from the clean run is marked, the
# header only lost fields, and something shows the fault.
def check_marked_fixture($s; $c; $absent):
	if $s == $c then
		if $absent then empty
		else "the fault left no trace in the snapshot" end
	else
		[$c | keys[] | select(. != "header") as $k
		 | select(($s[$k] | del(.status)) != ($c[$k] | del(.status)))
		 | select(($s[$k] | marked($c[$k])) | not) | $k] as $unmarked
		| [$s.header | to_entries[] | select($c.header[.key] != .value)
			| .key] as $hdr
		| if ($unmarked | length) > 0 then
			"changed but not marked: \($unmarked | join(", "))"
		  elif ($hdr | length) > 0 then
			"header fields changed: \($hdr | join(", "))"
		  else empty end
	end;

# This machine: the part the faulted path feeds is marked.
def check_marked_live($s; $c; $rel):
	part_of($rel) as $part
	| if $part == "header" then
		if $s.header | has(header_field($rel)) then
			"header field \(header_field($rel)) still present"
		else empty end
	  elif ($s[$part] | marked($c[$part])) then empty
	  else "\($part) not marked: \($s[$part].status)" end;

.meta as $m
| (.snap | norm) as $s
| (if $m.target == "fixture" then $clean_fixture[0] else $clean_live[0] end
   | norm) as $c
| if $s == null then "FAIL \($m.what): show --json printed nothing"
  else
	(if $m.expect == "same" then
		if $m.target == "fixture" then
			if $s == $c then empty else "content differs from the clean run" end
		# Live figures move; the sections' states must not.
		elif ($s | states) == ($c | states) then empty
		else "section states differ: \($s | states) vs \($c | states)" end
	 elif $m.target == "fixture" then
		check_marked_fixture($s; $c; $m.expect == "absent")
	 elif $m.expect == "absent" then empty
	 else check_marked_live($s; $c; $m.rel) end)
	| "FAIL \($m.what): \(.)"
  end
EOF

# run_fault ID TARGET CALL MODE N: one capture with one fault. Checks what
# can be checked at once and prints "FAIL ..." lines for it; queues the
# snapshot of a run that exited 0 for check.jq. W is the worker's scratch
# directory; a "+" line in W/injected counts a fault that happened.
run_fault() {
	local id=$1 target=$2 call=$3 mode=$4 n=$5
	local out=$RUNS/$id.kms good=$TMP/good-$2.kms root_arg=() rootdir=
	local what="$target: $call #$n $mode" rc=0 err=""
	local lcall lnth lmode lpath="" kind=none rel="" expect=same

	if [ "$target" == fixture ]; then
		root_arg=(--root "$FIXTURE")
		rootdir=$FIXTURE
	fi
	cp "$good" "$out"
	: >"$W/log"
	in_target $target env KMEMSNAP_FAULT="call=$call,nth=$n,$mode" \
		KMEMSNAP_FAULT_LOG="$W/log" LD_PRELOAD="$SHIM" \
		"$K" capture "${root_arg[@]}" -o "$out" >/dev/null 2>"$W/err" ||
		rc=$?
	IFS= read -r -d '' err <"$W/err"

	if [ -s "$W/log" ]; then
		echo + >>"$W/injected"
		read -r lcall lnth lmode lpath <"$W/log"
		what="$what on $lpath"
		if [ "$lpath" == "$RUNS" ] || [[ $lpath == "$RUNS/"* ]]; then
			kind=sink
		elif [ "$lpath" == "${rootdir:-/}" ] && [ "$call" != close ]; then
			kind=root
		else
			kind=source
			rel=${lpath#"$rootdir"/}
			# A short or interrupted read is retried; a failed close
			# of a file that was read loses nothing.
			case $lmode:$call in
			short:* | eintr:read | eintr:pread | *:close) ;;
			*:open*) [ -e "$lpath" ] && expect=marked || expect=absent ;;
			*) expect=marked ;;
			esac
		fi
	fi

	if [ "$rc" -ge 128 ] || [[ $err == *Sanitizer* || $err == *"runtime error"* ||
		$err == *faultinject:* ]]; then
		echo "FAIL $what: crashed (exit $rc): $err"
		return
	fi
	if compgen -G "$RUNS/.$id.kms.*" >/dev/null; then
		echo "FAIL $what: temporary file left behind: $(cd "$RUNS" && echo ".$id.kms."*)"
		return
	fi

	case $kind:$rc in
	sink:1)
		if [[ $err != "kmemsnap: $out: "* ]]; then
			echo "FAIL $what: exit 1 without naming $out: $err"
		elif [ "$call" == fsync ] && [ "$lpath" == "$RUNS" ]; then
			# After the rename: the new snapshot must be whole.
			if cmp -s "$out" "$good" || ! "$K" verify -q "$out"; then
				echo "FAIL $what: not the new, complete snapshot"
			fi
		elif ! cmp -s "$out" "$good"; then
			echo "FAIL $what: exit 1 and $out is not the previous snapshot"
		fi
		return
		;;
	sink:0)
		case $lmode:$call in
		short:write | eintr:write | *:close) ;;
		*)
			echo "FAIL $what: the output failed but the capture says it succeeded"
			return
			;;
		esac
		;;
	root:1)
		if [[ $err != "kmemsnap: ${rootdir:-/}: cannot prepare the capture: "* ]]; then
			echo "FAIL $what: exit 1 without naming the root: $err"
		fi
		return
		;;
	source:0 | none:0) ;;
	*)
		echo "FAIL $what: exit $rc: $err"
		return
		;;
	esac

	if cmp -s "$out" "$good"; then
		echo "FAIL $what: exit 0 but $out was not replaced"
		return
	fi
	{
		printf '{"meta":{"what":"%s","target":"%s","expect":"%s","rel":"%s"},"snap":' \
			"$what" "$target" "$expect" "$rel"
		"$K" show --json "$out" 2>"$W/show.err" || printf null
		echo '}'
	} >"$RUNS/$id.json"
	if [ -s "$W/show.err" ]; then
		echo "FAIL $what: show --json: $(cat "$W/show.err")"
	fi
}

# in_target TARGET COMMAND...: runs COMMAND, for the live target in a new
# pid namespace with its own /proc. The shim is loaded by `env`, inside,
# so only kmemsnap runs under it.
in_target() {
	local target=$1
	shift
	if [ "$target" == live ]; then
		unshare --pid --fork --mount-proc "$@"
	else
		"$@"
	fi
}

# A clean capture of TARGET under the shim: the call counts and the
# snapshot the faulted runs are compared with.
count_calls() {
	local target=$1 root_arg=()

	[ "$target" == fixture ] && root_arg=(--root "$FIXTURE")
	in_target $target env KMEMSNAP_FAULT_COUNT="$TMP/counts-$target" \
		LD_PRELOAD="$SHIM" "$K" capture "${root_arg[@]}" \
		-o "$TMP/good-$target.kms" &&
		"$K" show --json "$TMP/good-$target.kms" >"$TMP/clean-$target.json"
}

started=$SECONDS
: >"$TMP/jobs"
# check.jq reads both; a target that is not run has none.
echo null >"$TMP/clean-fixture.json"
echo null >"$TMP/clean-live.json"
targets=fixture
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	targets="fixture live"
else
	echo "note: cannot make a pid namespace (unshare --pid): / is not tried"
fi
for target in $targets; do
	if ! count_calls $target; then
		fail "$target: the clean capture under the shim failed"
		continue
	fi
	echo "$target: a clean capture makes $(tr '\n' ' ' <"$TMP/counts-$target")"
	[ "$stride" -eq 1 ] ||
		echo "$target: call numbers 1, $((1 + stride)), $((1 + 2 * stride)) ... and the last are tried"
	while read -r call count; do
		for mode in $(modes_of $target "$call"); do
			for ((n = 1; n <= count; n++)); do
				[ $(((n - 1) % stride)) -eq 0 ] || [ $n -eq "$count" ] &&
					echo "$target $call $mode $n" >>"$TMP/jobs"
			done
		done
	done <"$TMP/counts-$target"
done

workers=$(nproc)
[ "$workers" -gt 4 ] && workers=4
for ((w = 0; w < workers; w++)); do
	(
		W=$TMP/worker$w
		mkdir "$W"
		: >"$W/injected"
		awk -v w=$w -v n=$workers '(NR - 1) % n == w { print NR, $0 }' "$TMP/jobs" |
			while read -r id target call mode n; do
				run_fault "$id" "$target" "$call" "$mode" "$n"
			done >"$W/verdicts"
	) &
done
wait
runs=$(wc -l <"$TMP/jobs")
injected=$(cat "$TMP"/worker*/injected | wc -l)
cat "$TMP"/worker*/verdicts >"$TMP/verdicts"
if [ -s "$TMP/verdicts" ]; then
	while read -r line; do fail "${line#FAIL }"; done <"$TMP/verdicts"
else
	pass "$runs runs, each with one fault: no crash, no temporary file left, exit status and FILE as expected ($((SECONDS - started)) s)"
fi

# The snapshots of every run that exited 0: intact, and unchanged or
# marked where the fault hit.
shopt -s nullglob
kms=("$RUNS"/*.kms)
json=("$RUNS"/*.json)
check "faults were injected ($injected) in at least 9 runs out of 10 ($runs)" \
	test "$injected" -gt 0 -a $((injected * 10)) -ge $((runs * 9))
if [ ${#json[@]} -eq 0 ]; then
	fail "no run wrote a snapshot"
	finish
	exit
fi
run "$TMP/out" "$TMP/err" "$K" verify -q "${kms[@]}"
check "verify accepts all ${#kms[@]} snapshots written under a fault" \
	test "$rc" -eq 0 -a ! -s "$TMP/err"
head -20 "$TMP/err" | sed 's/^/     | /'
rc=0
jq -r --slurpfile clean_fixture "$TMP/clean-fixture.json" \
	--slurpfile clean_live "$TMP/clean-live.json" \
	-f <(cat "$TMP/norm.jq" "$TMP/check.jq") "${json[@]}" >"$TMP/verdicts" ||
	rc=$?
check_eq "check.jq ran over ${#json[@]} snapshots" "$rc" 0
if [ -s "$TMP/verdicts" ]; then
	while read -r line; do fail "${line#FAIL }"; done <"$TMP/verdicts"
else
	pass "each of them is unchanged, or marked where the fault hit"
fi

echo "faults injected: $injected in $runs runs ($((SECONDS - started)) s)"
finish
