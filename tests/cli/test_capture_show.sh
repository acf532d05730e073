#!/bin/bash
# kmemsnap capture, verify and show on this machine and on a fixture tree;
# the help texts; usage errors.
source "$(dirname "$0")/data/common.sh"
need jq

K=$KMEMSNAP
live=$TMP/live.kms
meminfo_total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
boot_id=$(cat /proc/sys/kernel/random/boot_id)
host=$(cat /proc/sys/kernel/hostname)

echo "# capture this machine"
run "$TMP/out" "$TMP/err" "$K" capture -o "$live"
check_eq "capture -o exits 0" "$rc" 0
check "capture -o prints nothing" test ! -s "$TMP/out" -a ! -s "$TMP/err"
check "capture -o wrote the file" test -s "$live"

run "$TMP/out" "$TMP/err" "$K" verify "$live"
check_eq "verify of the capture exits 0" "$rc" 0
check_grep "verify says ok with the file's size, format and host" "$TMP/out" \
	"^$live: ok \\($(stat -c %s "$live") bytes, format v1, snapshot of $host at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\\)$"
run "$TMP/out" "$TMP/err" "$K" verify -q "$live"
check "verify -q prints nothing for a good file" test "$rc" = 0 -a ! -s "$TMP/out"

echo "# show"
run "$TMP/show" "$TMP/err" "$K" show "$live"
check_eq "show exits 0" "$rc" 0
check_grep "show names this host" "$TMP/show" "^Snapshot of $host\$"
check_grep "show gives this boot id" "$TMP/show" "^  boot id +$boot_id\$"
check_grep "show has the section table" "$TMP/show" "^  SECTION +STATE +TIME +READ +SKIPPED +SOURCE"
check_grep "show lists meminfo as ok" "$TMP/show" "^  meminfo +ok "
check_grep "show prints MemTotal in human units" "$TMP/show" \
	"^  MemTotal +[0-9.]+ (MiB|GiB|TiB)\$"
check "show writes no colour into a file" bash -c "! grep -q $'\\e' '$TMP/show'"

echo "# show --json"
run "$TMP/json" "$TMP/err" "$K" show --json "$live"
check_eq "show --json exits 0" "$rc" 0
check "show --json is valid JSON" jq -e . "$TMP/json" >/dev/null
check_eq ".meminfo.memTotalKb is MemTotal of /proc/meminfo, as a string" \
	"$(jq -c .meminfo.memTotalKb "$TMP/json")" "\"$meminfo_total\""
check_eq ".header.bootId is this boot's id" "$(jq -r .header.bootId "$TMP/json")" "$boot_id"
check_eq ".header.hostname" "$(jq -r .header.hostname "$TMP/json")" "$host"
check_eq ".meminfo.status.state" "$(jq -r .meminfo.status.state "$TMP/json")" STATE_OK
check_eq ".header.trigger defaults to manual" "$(jq -r .header.trigger "$TMP/json")" TRIGGER_MANUAL
check_eq ".header.pageSizeBytes is a number" "$(jq -c .header.pageSizeBytes "$TMP/json")" "$(getconf PAGESIZE)"
check_eq ".header.root is absent for the live system" "$(jq -c '.header | has("root")' "$TMP/json")" false
check_eq ".header.libraryVersion matches --version" \
	"kmemsnap $(jq -r .header.libraryVersion "$TMP/json")" "$("$K" --version)"
run "$TMP/compact" "$TMP/err" "$K" show --compact "$live"
check_eq "--compact prints one line" "$(wc -l <"$TMP/compact")" 1
check_eq "--compact holds the same JSON" "$(jq -S . "$TMP/compact" | md5sum)" "$(jq -S . "$TMP/json" | md5sum)"
check_eq "show - reads standard input" \
	"$("$K" show --compact - <"$live" | md5sum)" "$(md5sum <"$TMP/compact")"

echo "# capture options"
if [ "$(jq -r .slab.status.state "$TMP/json")" == STATE_OK ]; then
	"$K" capture --slab-top 3 -o "$TMP/s3.kms"
	check_eq "--slab-top 3 keeps 3 caches" \
		"$("$K" show --json "$TMP/s3.kms" | jq '.slab.caches | length')" 3
	"$K" capture --slab-top 0 -o "$TMP/s0.kms"
	check_eq "--slab-top 0 keeps every cache" \
		"$("$K" show --json "$TMP/s0.kms" | jq '(.slab.caches | length) == .slab.cachesTotal')" true
	run "$TMP/show3" "$TMP/err" "$K" show --top 2 "$live"
	check_grep "show --top 2 cuts the slab table" "$TMP/show3" "^  \\.\\.\\. 2 of [0-9]+ caches shown\$"
else
	echo "skip --slab-top checks: the slab section is not available here"
fi
if [ "$(jq -r .processes.status.state "$TMP/json")" == STATE_OK ]; then
	"$K" capture --process-top 2 -o "$TMP/p2.kms"
	check_eq "--process-top 2 keeps 2 processes" \
		"$("$K" show --json "$TMP/p2.kms" | jq '.processes.top | length')" 2
fi
"$K" capture --trigger boot-collect --detail "after a panic" -o "$TMP/t.kms"
check_eq "--trigger and --detail are recorded" \
	"$("$K" show --json "$TMP/t.kms" | jq -c '[.header.trigger, .header.triggerDetail]')" \
	'["TRIGGER_BOOT_COLLECT","after a panic"]'

echo "# capture a fixture tree"
modern=$KMEMSNAP_FIXTURES/trees/modern
"$K" capture --root "$modern" -o "$TMP/modern.kms"
"$K" show --json "$TMP/modern.kms" >"$TMP/modern.json"
check_eq "--root: hostname of the tree" "$(jq -r .header.hostname "$TMP/modern.json")" fedora-ws
# tests/fixtures/trees/modern/proc/meminfo: "MemTotal: 32704840 kB"
check_eq "--root: memTotalKb of the tree" "$(jq -r .meminfo.memTotalKb "$TMP/modern.json")" 32704840
check_eq "--root: header.root is the tree" "$(jq -r .header.root "$TMP/modern.json")" "$modern"
"$K" show "$TMP/modern.kms" >"$TMP/modern.show"
check_grep "show says the root is not the live system" "$TMP/modern.show" \
	"^  root +$modern \\(not the live system\\)\$"
# 32704840 kB / 1048576 = 31.19 GiB
check_grep "show prints MemTotal 31.2 GiB" "$TMP/modern.show" "^  MemTotal +31\\.2 GiB\$"

echo "# capture to standard output"
"$K" capture | cat >"$TMP/pipe.kms"
check "capture | cat gives a valid snapshot" "$K" verify -q "$TMP/pipe.kms"
run "$TMP/out" "$TMP/err" "$K" capture -v -o "$TMP/v.kms"
check_grep "capture -v reports path, size and time on stderr" "$TMP/err" \
	"^kmemsnap: wrote $TMP/v.kms \\([0-9.]+ (B|KiB|MiB)\\) in [0-9.]+ (ns|us|ms|s)\$"
if command -v script >/dev/null; then
	# script(1) runs the command on a pseudo-terminal; -e returns its status.
	rc=0
	script -qec "$K capture" /dev/null >"$TMP/tty" 2>&1 || rc=$?
	check_eq "capture to a terminal exits 2" "$rc" 2
	check_grep "capture to a terminal says why" "$TMP/tty" "standard output is a terminal"
	script -qec "$K show $live" /dev/null >"$TMP/tty" 2>&1
	check "show colours a terminal" grep -q $'\e\\[' "$TMP/tty"
	NO_COLOR=1 script -qec "$K show $live" /dev/null >"$TMP/tty" 2>&1
	check "show does not colour a terminal under NO_COLOR" bash -c "! grep -q $'\\e\\[' '$TMP/tty'"
else
	echo "skip terminal checks: script (bsdutils) is not installed"
fi
"$K" show --color=always "$live" >"$TMP/always"
check "--color=always colours a file" grep -q $'\e\\[' "$TMP/always"

echo "# help"
run "$TMP/out" "$TMP/err" "$K" --help
check_eq "kmemsnap --help exits 0" "$rc" 0
for cmd in capture show verify help; do
	check_grep "kmemsnap --help lists $cmd" "$TMP/out" "^  $cmd "
done
check_grep "kmemsnap --help documents the exit status" "$TMP/out" "^  2  usage error"
check_grep "kmemsnap --version" <(
	"$K" --version) "^kmemsnap [0-9]+\\.[0-9]+\\.[0-9]+\$"
declare -A opts=(
	[capture]="--output --root --slab-top --process-top --trigger --detail --verbose"
	[show]="--json --compact --top --color"
	[verify]="--quiet"
)
for cmd in capture show verify; do
	run "$TMP/out" "$TMP/err" "$K" "$cmd" --help
	check_eq "$cmd --help exits 0" "$rc" 0
	for opt in ${opts[$cmd]}; do
		check_grep "$cmd --help mentions $opt" "$TMP/out" -- "$opt"
	done
	check_grep "$cmd --help documents the exit status" "$TMP/out" "^  1  failure"
	check_eq "help $cmd is $cmd --help" "$("$K" help "$cmd" | md5sum)" "$(md5sum <"$TMP/out")"
done

echo "# usage errors exit 2"
usage_error() {
	run "$TMP/out" "$TMP/err" "$K" "$@"
	check_eq "kmemsnap $* exits 2" "$rc" 2
	check "kmemsnap $* explains on stderr only" test -s "$TMP/err" -a ! -s "$TMP/out"
}
usage_error
usage_error frobnicate
usage_error --frobnicate
usage_error help frobnicate
usage_error capture --frobnicate
usage_error capture -o "$TMP/x.kms" extra
usage_error capture --slab-top -1 -o "$TMP/x.kms"
usage_error capture --slab-top 12x -o "$TMP/x.kms"
usage_error capture --process-top 0 -o "$TMP/x.kms"
usage_error capture --trigger sometimes -o "$TMP/x.kms"
usage_error show
usage_error show --frobnicate "$live"
usage_error show "$live" "$live"
usage_error show --top many "$live"
usage_error show --color=sometimes "$live"
usage_error verify
usage_error verify --frobnicate "$live"
run "$TMP/out" "$TMP/err" "$K" capture --trigger sometimes -o "$TMP/x.kms"
check_grep "a bad --trigger lists the triggers" "$TMP/err" \
	"'sometimes' is not one of: manual timer baseline pressure oom crash boot-collect"
run "$TMP/out" "$TMP/err" "$K" capture --root "$TMP/no-such-dir" -o "$TMP/x.kms"
check_eq "capture --root of a missing directory exits 1" "$rc" 1
check_grep "... and names it" "$TMP/err" "^kmemsnap: $TMP/no-such-dir: .*no such file or directory"

finish
