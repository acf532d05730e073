#!/bin/bash
# The CLI under valgrind memcheck: no invalid access, no use of
# uninitialised memory, no definite or indirect leak
# (--errors-for-leak-kinds=definite,indirect, --error-exitcode=99), and
# each run exits 0.
#
#   - capture of several fixture trees (one with --cgroup, one with
#     --kmsg-file) and of this machine;
#   - every other command in `kmemsnap --help` whose usage takes snapshot
#     files (FILE, FILE..., OLD NEW, DIR | FILE...), read from its --help
#     when the test runs, so a command added later is covered: once plain
#     and, when it has them, with --json and --format json;
#   - collect-boot on pstore fixture trees, and watch for three seconds of
#     timers and samples, stopped by SIGTERM.
#
# Skips (77) without valgrind, and in a sanitizer build: valgrind and
# AddressSanitizer do not mix. The runs are shared among min(nproc, 4)
# workers.
source "$(dirname "$0")/data/common.sh"

K=$KMEMSNAP
need valgrind
if grep -qs '^KMEMSNAP_SANITIZE:BOOL=ON' "${KMEMSNAP_BUILD_DIR:-}/CMakeCache.txt" ||
	ldd "$K" 2>/dev/null | grep -q libasan; then
	echo "SKIP: sanitizer build: valgrind and AddressSanitizer do not mix"
	exit 77
fi

T=$KMEMSNAP_FIXTURES/trees
S=$TMP/snaps
mkdir "$S"
started=$SECONDS

# One line per run: NAME<TAB>ARGS... (words, split on blanks; fixture paths
# have none).
jobs=$TMP/jobs
{
	printf 'capture-modern\tcapture --root %s -o %s\n' "$T/modern" "$S/modern.kms"
	printf 'capture-el7\tcapture --root %s -o %s\n' "$T/el7" "$S/el7.kms"
	printf 'capture-sysfs-slab\tcapture --root %s -o %s\n' "$T/sysfs-slab" "$S/sysfs-slab.kms"
	printf 'capture-kmemleak\tcapture --root %s -o %s\n' "$T/kmemleak-new" "$S/kmemleak.kms"
	printf 'capture-cgroup\tcapture --root %s --cgroup /system.slice/db.service -o %s\n' \
		"$T/cgroup-v2" "$S/cgroup.kms"
	printf 'capture-oom\tcapture --root %s --kmsg-file %s -o %s\n' \
		"$T/modern" "$KMEMSNAP_FIXTURES/oom/kmsg_global_6.11.txt" "$S/oom.kms"
	printf 'capture-live\tcapture -o %s\n' "$S/live.kms"
} >"$jobs"

# vg_run NAME ARGS...: one run under memcheck; prints "FAIL ..." or nothing.
vg_run() {
	local name=$1 rc=0
	shift
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--log-file="$TMP/vg.$name" "$K" "$@" >/dev/null 2>"$TMP/err.$name" || rc=$?
	if [ "$rc" -eq 99 ] || [ -s "$TMP/vg.$name" ]; then
		echo "FAIL $name: valgrind reports (exit $rc):"
		sed 's/^/     | /' "$TMP/vg.$name" | head -40
	elif [ "$rc" -ne 0 ]; then
		echo "FAIL $name: exit $rc: $(head -3 "$TMP/err.$name")"
	fi
}

# run_jobs FILE: runs every line of FILE under vg_run, in parallel.
run_jobs() {
	local workers w
	workers=$(nproc)
	[ "$workers" -gt 4 ] && workers=4
	for ((w = 0; w < workers; w++)); do
		awk -v w=$w -v n=$workers '(NR - 1) % n == w' "$1" |
			while IFS=$'\t' read -r name args; do
				# shellcheck disable=SC2086 # words, on purpose
				vg_run "$name" $args
			done >"$TMP/verdicts.$w" &
	done
	wait
	cat "$TMP"/verdicts.* >>"$TMP/verdicts"
	rm -f "$TMP"/verdicts.*
}

: >"$TMP/verdicts"
run_jobs "$jobs"
for f in modern el7 sysfs-slab kmemleak cgroup oom live; do
	check "capture ($f) wrote a snapshot that verifies" "$K" verify -q "$S/$f.kms"
done

# The usage of a command, without its optional [...] groups (innermost
# first, so "[--json [--compact]]" goes too): what is left after the
# command's name are its operands.
operands() {
	"$K" "$1" --help |
		awk 'NR == 1 { sub(/^usage: kmemsnap [a-z-]+/, "") } /^$/ { exit } { print }' |
		tr '\n' ' ' |
		sed -e ':a' -e 's/\[[^][]*\]//g' -e 'ta' | xargs
}

# The commands other than capture and help, as the main help lists them.
mapfile -t commands < <("$K" --help |
	awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
check "kmemsnap --help lists commands besides capture and help" test ${#commands[@]} -gt 2

: >"$jobs"
files=$(echo "$S"/*.kms)
covered=()
for cmd in "${commands[@]}"; do
	case $cmd in capture | help) continue ;; esac
	ops=$(operands "$cmd")
	case $ops in
	"OLD NEW") args="$S/modern.kms $S/oom.kms" ;;
	FILE) args=$S/modern.kms ;;
	*FILE*) args=$files ;; # FILE..., FILE|DIR..., DIR | FILE...
	*)
		echo "note: '$cmd' takes no snapshot file ($ops): not run"
		continue
		;;
	esac
	covered+=("$cmd")
	printf '%s\t%s %s\n' "$cmd" "$cmd" "$args" >>"$jobs"
	help=$("$K" "$cmd" --help)
	if grep -q -- '--json' <<<"$help"; then
		printf '%s-json\t%s --json %s\n' "$cmd" "$cmd" "$args" >>"$jobs"
	fi
	if grep -q -- '--format .*json' <<<"$help"; then
		printf '%s-format-json\t%s --format json %s\n' "$cmd" "$cmd" "$args" >>"$jobs"
	fi
	# A single-file command reads this machine's snapshot as well.
	if [ "$ops" == FILE ]; then
		printf '%s-live\t%s %s\n' "$cmd" "$cmd" "$S/live.kms" >>"$jobs"
	fi
done
# collect-boot takes a store, not snapshot files: a pstore fixture tree.
printf 'collect-boot\tcollect-boot --root %s --store %s --always\n' \
	"$KMEMSNAP_FIXTURES/pstore/ramoops" "$TMP/cb-store" >>"$jobs"
printf 'collect-boot-json\tcollect-boot --root %s --store %s --always --json\n' \
	"$KMEMSNAP_FIXTURES/pstore/efi-archived" "$TMP/cb-store2" >>"$jobs"
covered+=(collect-boot)
run_jobs "$jobs"
echo "commands run: capture ${covered[*]} ($(($(wc -l <"$jobs") + 7)) runs)"

# watch runs until a signal: three seconds of its timers (a baseline, a
# periodic snapshot, samples every 100 ms) on a fixture tree, then SIGTERM.
valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --log-file="$TMP/vg.watch" \
	"$K" watch --no-mlock --store "$TMP/watch-store" --root "$T/modern" \
	--no-psi --no-kmsg --no-pmsg --period 2 --baseline-delay 1 \
	--sample-ms 100 2>"$TMP/err.watch" &
vg_pid=$!
sleep 3.5
kill -TERM "$vg_pid"
rc=0
wait "$vg_pid" || rc=$?
if [ "$rc" -ne 0 ] || [ -s "$TMP/vg.watch" ]; then
	echo "FAIL watch: exit $rc:" >>"$TMP/verdicts"
	sed 's/^/     | /' "$TMP/vg.watch" "$TMP/err.watch" | head -40 >>"$TMP/verdicts"
fi
check "watch under memcheck stored its baseline and a periodic snapshot" \
	test "$(ls "$TMP/watch-store" | grep -cE '_(baseline|timer)\.kms$')" -ge 2

if [ -s "$TMP/verdicts" ]; then
	fail "valgrind runs:"
	cat "$TMP/verdicts"
else
	pass "every run is clean under memcheck and exits 0 ($((SECONDS - started)) s)"
fi
finish
