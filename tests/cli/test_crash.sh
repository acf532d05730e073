#!/bin/bash
# The crash handler end to end: examples/crash_demo installs it and crashes
# in crash_here() (SIGSEGV, or SIGABRT with --abort); it must still die by
# its signal, leave a snapshot that verifies, and `kmemsnap show` must name
# crash_here from the demo's own symbol table, or from a debug file found
# by build id, and say "?" when the file on disk is not the one that ran.
source "$(dirname "$0")/data/common.sh"
need jq nm readelf

K=$KMEMSNAP
demo=${KMEMSNAP_BUILD_DIR:-}/examples/crash_demo
if [ ! -x "$demo" ]; then
	echo "SKIP: $demo is not built (KMEMSNAP_BUILD_EXAMPLES=OFF?)"
	exit 77
fi
root=$KMEMSNAP_FIXTURES/trees/modern

# crash OUT ERR ARGS...: runs the demo without core files, in $TMP; its
# exit status is in $rc. (The outer redirection silences bash's own
# "Segmentation fault" report.) In a KMEMSNAP_SANITIZE build,
# AddressSanitizer's own handlers would be the previous ones, which the
# crash handler rightly passes the signal on to: they report and exit 1.
crash() {
	local out=$1 err=$2
	shift 2
	rc=0
	{ (cd "$TMP" && ulimit -c 0 &&
	   ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_abort=0 \
	   exec "$@") >"$out" 2>"$err" || rc=$?; } 2>/dev/null
}

# The demo's build id as readelf prints it, and a function's address.
build_id() { readelf -n "$1" | sed -n 's/^ *Build ID: //p'; }
symbol_value() { nm "$1" | awk -v s="$2" '$3 == s { print $1 }'; }

echo "# SIGSEGV, capturing this machine"
snap=$TMP/segv.kms
crash "$TMP/out" "$TMP/err" "$demo" "$snap"
check_eq "the demo dies by SIGSEGV (128 + 11)" "$rc" 139
check "the snapshot was written" test -s "$snap"
run "$TMP/out" "$TMP/err" "$K" verify "$snap"
check_eq "verify accepts it" "$rc" 0

run "$TMP/show" "$TMP/err" "$K" show "$snap"
check_eq "show exits 0" "$rc" 0
check_grep "the header names the crash trigger" "$TMP/show" '^  trigger +crash: SIGSEGV$'
check_grep "the crash section is in the status table" "$TMP/show" '^  crash +ok '
check_grep "show has a crash section" "$TMP/show" '^Crash$'
check_grep "the signal by name and number" "$TMP/show" \
	'^  signal +SIGSEGV \(11: Segmentation fault\)$'
check_grep "the code" "$TMP/show" '^  code +SEGV_MAPERR \(1: address not mapped to object\)$'
check_grep "the fault address is NULL" "$TMP/show" '^  address +0x0$'
check_grep "frame 0 is crash_here in the demo" "$TMP/show" \
	'^    #0 +0x[0-9a-f]{16}  crash_here\+0x[0-9a-f]+ \(crash_demo\+0x[0-9a-f]+\)$'
check_grep "frame 1 is its caller, process_request" "$TMP/show" \
	'^    #1 +0x[0-9a-f]{16}  process_request\+0x[0-9a-f]+ \(crash_demo\+0x[0-9a-f]+\)$'
check_grep "frame 2 is main" "$TMP/show" \
	'^    #2 +0x[0-9a-f]{16}  main\+0x[0-9a-f]+ \(crash_demo\+0x[0-9a-f]+\)$'
check_grep "the demo's build id, as readelf reads it from the file" "$TMP/show" \
	"^    $demo  load 0x[0-9a-f]+  build id $(build_id "$demo")\$"
check_grep "its symbols come from the file itself" "$TMP/show" "^      symbols: $demo\$"

run "$TMP/json" "$TMP/err" "$K" show --json "$snap"
check_eq ".crash.signal" "$(jq .crash.signal "$TMP/json")" 11
check_eq ".crash.code is SEGV_MAPERR" "$(jq .crash.code "$TMP/json")" 1
check_eq ".crash.faultAddress" "$(jq -r .crash.faultAddress "$TMP/json")" 0
check_eq ".header.trigger" "$(jq -r .header.trigger "$TMP/json")" TRIGGER_CRASH
check_eq "frame 0's module is the demo" \
	"$(jq -r '.crash.modules[.crash.frames[0].module].path' "$TMP/json")" "$demo"
check_eq "the recorded build id is the file's" \
	"$(jq -r '.crash.modules[.crash.frames[0].module].buildId' "$TMP/json" |
	   base64 -d | od -An -tx1 | tr -d ' \n')" "$(build_id "$demo")"
# crash_here+OFF: OFF is frame 0's ELF address minus crash_here's, as nm
# prints it.
offset=$(jq -r '.crash.frames[0].offset' "$TMP/json")
start=$((16#$(symbol_value "$demo" crash_here)))
check_grep "crash_here's offset is the frame's address minus nm's value" \
	"$TMP/show" "  crash_here\\+0x$(printf %x $((offset - start))) "
check_eq "the snapshot's pid is the demo's thread" \
	"$(jq '.crash.pid == .crash.tid' "$TMP/json")" true

echo "# SIGABRT into a store, capturing a fixture tree"
crash "$TMP/out" "$TMP/err" "$demo" --abort --root "$root" --store "$TMP/store"
check_eq "the demo dies by SIGABRT (128 + 6)" "$rc" 134
stored=("$TMP"/store/*_crash.kms)
check_eq "one crash snapshot in the store" "${#stored[@]}" 1
run "$TMP/show" "$TMP/err" "$K" show "${stored[0]}"
check_eq "show exits 0" "$rc" 0
check_grep "SIGABRT" "$TMP/show" '^  signal +SIGABRT \(6: Aborted\)$'
check_grep "sent by tgkill (abort raises it)" "$TMP/show" '^  code +SI_TKILL \(-6: '
check_grep "abort() is in the backtrace" "$TMP/show" '^    #[0-9]+ +0x[0-9a-f]{16}  abort\+0x[0-9a-f]+ \(libc\.so\.6\+'
check_grep "crash_here is in the backtrace" "$TMP/show" '^    #[0-9]+ +0x[0-9a-f]{16}  crash_here\+0x'
run "$TMP/json" "$TMP/err" "$K" show --json "${stored[0]}"
check_eq ".crash.signal" "$(jq .crash.signal "$TMP/json")" 6
check_eq "no fault address for a sent signal" "$(jq '.crash | has("faultAddress")' "$TMP/json")" false

echo "# symbols from a debug file found by build id"
# A copy of the demo crashes; then the copy goes, and the same bytes are
# put where a debuginfo package would put them.
copy=$TMP/bin/crash_demo_copy
mkdir -p "$TMP/bin"
cp "$demo" "$copy"
crash "$TMP/out" "$TMP/err" "$copy" --root "$root" "$TMP/copy.kms"
check_eq "the copy dies by SIGSEGV" "$rc" 139
id=$(build_id "$copy")
debug=$TMP/debug/.build-id/${id:0:2}/${id:2}.debug
mkdir -p "$(dirname "$debug")"
mv "$copy" "$debug"
KMEMSNAP_DEBUG_DIR=$TMP/debug run "$TMP/show" "$TMP/err" "$K" show "$TMP/copy.kms"
check_grep "crash_here, named from the debug file" "$TMP/show" \
	'^    #0 +0x[0-9a-f]{16}  crash_here\+0x[0-9a-f]+ \(crash_demo_copy\+0x'
check_grep "the module says where its symbols came from" "$TMP/show" \
	"^      symbols: debug file $debug\$"

echo "# a different file at the recorded path"
cp "$(type -P true)" "$copy"
KMEMSNAP_DEBUG_DIR=$TMP/nowhere run "$TMP/show" "$TMP/err" "$K" show "$TMP/copy.kms"
check_eq "show still exits 0" "$rc" 0
check_grep "frame 0 is '?' with module and offset" "$TMP/show" \
	'^    #0 +0x[0-9a-f]{16}  \? \(crash_demo_copy\+0x[0-9a-f]+\)$'
check_grep "and the module says why" "$TMP/show" \
	"^      symbols: none: the file's build id differs, and no debug file $TMP/nowhere/\\.build-id/${id:0:2}/${id:2}\\.debug\$"

finish
