#!/usr/bin/env bash
# What a user of the installed library does (STYLE.md, "Consumers"):
# install the build into a temporary prefix, build examples/capture_to_file.c
# against it once with pkg-config and once with find_package(kmemsnap) and the
# kmemsnap::kmemsnap target, run both on a fixture tree and verify the blobs
# with the CLI.
#
# Environment (set by ctest): KMEMSNAP (the CLI), KMEMSNAP_BUILD_DIR,
# KMEMSNAP_SOURCE_DIR, KMEMSNAP_FIXTURES.
set -euo pipefail

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
src=$KMEMSNAP_SOURCE_DIR/examples/capture_to_file.c
root=$KMEMSNAP_FIXTURES/trees/modern
failures=0

fail()
{
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# A sanitized library has undefined __asan_* references: its users must be
# built with the same runtime.
san=()
if grep -q '^KMEMSNAP_SANITIZE:BOOL=ON$' "$KMEMSNAP_BUILD_DIR/CMakeCache.txt"; then
	san=("-fsanitize=address,undefined")
fi

if ! cmake --install "$KMEMSNAP_BUILD_DIR" --prefix "$prefix" \
	>"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "FAIL: cmake --install $KMEMSNAP_BUILD_DIR"
	exit 1
fi
pc=$(find "$prefix" -name kmemsnap.pc)
[[ -n $pc ]] || { fail "no kmemsnap.pc installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
for f in include/kmemsnap/kmemsnap.h include/kmemsnap/version.h \
	 share/kmemsnap/kmemsnap.proto; do
	[[ -f $prefix/$f ]] || fail "$f not installed"
done
[[ -f $libdir/cmake/kmemsnap/kmemsnapConfig.cmake ]] ||
	fail "kmemsnapConfig.cmake not installed in $libdir/cmake/kmemsnap"

# Runs a built example on the fixture tree and verifies its blob.
check_program()
{
	local how=$1 exe=$2
	local blob=$tmp/$how.kms

	# The program must use the installed library, not the build tree's.
	# (ldd's output is kept whole: grep -q in a pipe would stop reading
	# early, and ldd's SIGPIPE fail the pipeline.)
	local libs
	libs=$(LD_LIBRARY_PATH=$libdir ldd "$exe" 2>&1) || true
	[[ $libs == *"libkmemsnap.so.0 => $libdir/"* ]] ||
		fail "$how: $exe does not load libkmemsnap from $libdir"
	if ! LD_LIBRARY_PATH=$libdir "$exe" --root "$root" "$blob"; then
		fail "$how: capture_to_file failed"
		return
	fi
	# verify prints "FILE: ok (N bytes, format v1, snapshot of HOST at
	# TIME)"; the fixture's proc/sys/kernel/hostname is fedora-ws.
	if ! "$KMEMSNAP" verify "$blob" >"$tmp/verify.txt"; then
		fail "$how: kmemsnap verify rejects $blob"
	elif ! grep -qF ": ok (" "$tmp/verify.txt" ||
	     ! grep -qF "snapshot of fedora-ws at" "$tmp/verify.txt"; then
		fail "$how: not a snapshot of the fixture: $(cat "$tmp/verify.txt")"
	fi
}

# --- pkg-config ------------------------------------------------------------

# The .pc file records the configure-time prefix; --define-variable moves it
# to where `cmake --install --prefix` put the files, as for any relocated
# pkg-config package.
mkdir "$tmp/pc"
flags=$(PKG_CONFIG_PATH=$libdir/pkgconfig \
	pkg-config --define-variable=prefix="$prefix" --cflags --libs kmemsnap)
[[ $flags == *"-I$prefix/include"* ]] ||
	fail "pkg-config --cflags does not point into the prefix: $flags"
# shellcheck disable=SC2086 # $flags is a list of options
if cc -std=c11 -Wall -Wextra -Werror "${san[@]}" "$src" -o "$tmp/pc/capture_to_file" \
	$flags; then
	check_program pkg-config "$tmp/pc/capture_to_file"
else
	fail "building with pkg-config flags: $flags"
fi

# --- CMake package -----------------------------------------------------------

mkdir "$tmp/cmake"
cat >"$tmp/cmake/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(kmemsnap 0.1 REQUIRED)
add_executable(capture_to_file "$src")
target_link_libraries(capture_to_file PRIVATE kmemsnap::kmemsnap)
CMAKE
if cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_FLAGS="-Wall -Wextra -Werror ${san[*]}" \
	-DCMAKE_EXE_LINKER_FLAGS="${san[*]}" >"$tmp/cmake.log" &&
   cmake --build "$tmp/cmake/build" >>"$tmp/cmake.log"; then
	grep -qxF "kmemsnap_DIR:PATH=$libdir/cmake/kmemsnap" \
		"$tmp/cmake/build/CMakeCache.txt" ||
		fail "find_package did not pick the package in $libdir"
	check_program cmake "$tmp/cmake/build/capture_to_file"
else
	cat "$tmp/cmake.log"
	fail "building with find_package(kmemsnap)"
fi

[[ $failures -eq 0 ]] || exit 1
echo "ok: installed into a prefix, built with pkg-config and CMake, both verified"
