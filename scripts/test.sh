#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the missing test packages,
# then builds and tests three trees with warnings as errors:
#
#   build-asan/  AddressSanitizer + UBSan (run first)
#   build-fuzz/  clang with the libFuzzer targets: only their short runs
#                (ctest label "fuzz", tests/fuzz/CMakeLists.txt)
#   build/       the normal build (run last)
#
# Exits non-zero if any fails. The last line printed is the sum of the
# ctest runs, "N passed, N failed"; a tree that does not build (or missing
# packages) counts as one failure there. BUILD_DIR, ASAN_BUILD_DIR and
# FUZZ_BUILD_DIR override the three directories.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
# Leaks fail a test; any sanitizer report aborts with a stack trace.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

total_passed=0
total_failed=0
total_skipped=0
status=0
# Extra ctest arguments of the next suite (the fuzz suite's label).
ctest_args=()

# Adds the counts of one ctest log to the totals. ctest ends with
# "X% tests passed, Y tests failed out of Z" and lists skipped tests as
# "  N - name (Skipped)" under "The following tests did not run:".
count_results()
{
	local log=$1
	local line failed total skipped

	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' \
		"$log" | tail -n 1)
	if [[ -z $line ]]; then
		echo "test.sh: no ctest summary in $log" >&2
		total_failed=$((total_failed + 1))
		return
	fi
	failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
	total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
	skipped=$(grep -cE '^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled)\)$' "$log")
	total_passed=$((total_passed + total - failed - skipped))
	total_failed=$((total_failed + failed))
	total_skipped=$((total_skipped + skipped))
}

# suite NAME DIR [CMAKE_ARGS...]: configure, build and test one tree.
suite()
{
	local name=$1 dir=$2
	shift 2

	echo "== $name: building $dir"
	if ! cmake -S . -B "$dir" -DKMEMSNAP_WERROR=ON "$@" ||
	   ! cmake --build "$dir" -j"$(nproc)"; then
		echo "== $name: build failed"
		total_failed=$((total_failed + 1))
		status=1
		return
	fi
	echo "== $name: testing $dir"
	ctest --test-dir "$dir" --output-on-failure -j2 "${ctest_args[@]}" 2>&1 |
		tee "$dir/ctest.log"
	[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
	count_results "$dir/ctest.log"
}

start=$SECONDS
if ! ./scripts/deps.sh --test; then
	echo "test.sh: cannot install the test packages"
	echo "0 passed, 1 failed"
	exit 1
fi
suite asan "$ASAN_BUILD_DIR" -DKMEMSNAP_SANITIZE=ON
ctest_args=(-L '^fuzz$')
suite fuzz "$FUZZ_BUILD_DIR" -DCMAKE_C_COMPILER=clang -DKMEMSNAP_FUZZ=ON
ctest_args=()
suite normal "$BUILD_DIR" -DKMEMSNAP_SANITIZE=OFF

echo "test.sh: ASan, fuzz and normal suites done in $((SECONDS - start)) s," \
     "$total_skipped skipped"
echo "$total_passed passed, $total_failed failed"
[[ $status -eq 0 && $total_failed -eq 0 ]]
