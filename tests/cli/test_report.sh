#!/usr/bin/env bash
# kmemsnap report: one self-contained HTML file with SVG charts, hostile
# text from snapshots escaped, written atomically, and rendered by a real
# browser (Debian's chromium, when installed: scripts/deps.sh --test).
# The series (3 boots of 10 hourly snapshots, a leaking cache, a cache named
# <img/src=x>) is described in data/series.sh; the host name is hostile too.
source "$(dirname "$0")/data/common.sh"
source "$(dirname "$0")/data/series.sh"

make_series "$TMP/s" '<b>evil&host</b>'
html="$TMP/out/report.html"
mkdir "$TMP/out"

run "$TMP/stdout" "$TMP/err" "$KMEMSNAP" report -o "$html" "$TMP/s"
check_eq "report exits 0" "$rc" 0
check "the report is written" test -s "$html"
check_eq "nothing on stdout with -o" "$(wc -c <"$TMP/stdout")" 0
check_eq "no temporary file left" "$(ls -A "$TMP/out")" report.html

# Self-contained: nothing to fetch, nothing to run.
check_eq "no http:// or https://" "$(grep -c 'https\?://' "$html")" 0
check_eq "no script" "$(grep -ci '<script' "$html")" 0
check_eq "no element with a src attribute" "$(grep -Eio '<[a-z][^>]* src=' "$html" | wc -l)" 0
check_eq "no external style sheet" "$(grep -ci '<link' "$html")" 0
check_grep "inline style" "$html" "^<style>"

# The charts: the stacked accounting, and a line chart for slab caches,
# vmalloc callers and kmemleak backtraces.
check_eq "four SVG charts" "$(grep -o '<svg ' "$html" | wc -l)" 4
check_grep "stacked bands" "$html" "<polygon fill=\"#[0-9a-f]{6}\" points=\"[0-9.]+,[0-9.]+ "
check_grep "series lines" "$html" "<polyline fill=\"none\" stroke="
check_eq "a dashed rule between each pair of boots, in each chart" \
	"$(grep -o '<line class="reboot"' "$html" | wc -l)" 8
check_grep "boot labels with the id prefix" "$html" ">boot [0-9-]+ [0-9:]+ series1-</text>"
check_grep "the leaking cache, ranked first" "$html" "<tr><td>1</td><td>slab</td>.*<td>leak_cache</td></tr>"
check_grep "its rate in the legend" "$html" "<b>leak_cache</b> \+1000\.0 KiB/hour, restarted after 2 of 2 reboots"
check_grep "the vmalloc caller" "$html" "leaky_vm_alloc\+0x10/0x40 \[leakmod\] \(vmalloc\)"

# Hostile names are text, not markup.
check_grep "the hostile cache name, escaped" "$html" "&lt;img/src=x&gt;"
check_eq "and never raw" "$(grep -c '<img' "$html")" 0
check_grep "the hostile host name, escaped" "$html" "<h1>kmemsnap report: &lt;b&gt;evil&amp;host&lt;/b&gt;</h1>"
check_eq "no raw <b>evil" "$(grep -c '<b>evil' "$html")" 0

# The newest snapshot's findings: its remainder is 1025388 kB of 8000000,
# 12.8 %, over the 5 % of unaccounted_high.
check_grep "findings of the newest snapshot" "$html" "<h2>Findings of the newest snapshot</h2>"
check_grep "the newest is s23.kms (boot 2, step 9)" "$html" "<p><code>.*/s23\.kms</code></p>"
check_grep "its unaccounted finding" "$html" "<td>warning</td><td>memory no counter accounts for .* is 12\.8% of memory"

# Standard output without -o; a bad file is skipped, listed, exit 1.
printf 'not a snapshot' >"$TMP/s/bad.kms"
run "$TMP/stdout.html" "$TMP/err" "$KMEMSNAP" report "$TMP/s"
check_eq "a bad file: exit 1" "$rc" 1
check_grep "the bad file is named on stderr" "$TMP/err" "^kmemsnap: .*/bad\.kms: "
check_grep "and listed in the report" "$TMP/stdout.html" "<h2>Files skipped</h2>"
check_grep "the report is complete" "$TMP/stdout.html" "^</html>$"
rm "$TMP/s/bad.kms"
run "$TMP/out2" "$TMP/err" "$KMEMSNAP" report -o "$TMP/nodir/r.html" "$TMP/s"
check_eq "an output directory that does not exist: exit 1" "$rc" 1
run "$TMP/out2" "$TMP/err" "$KMEMSNAP" report
check_eq "no DIR is a usage error" "$rc" 2

# A real browser renders it.
chromium_run() { # OUT-OPTION URL
	timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$TMP/profile" --window-size=1200,1600 "$@"
}
if [ ! -x /usr/bin/chromium ]; then
	echo "SKIP: /usr/bin/chromium is not installed (scripts/deps.sh --test); the report is not rendered"
	finish
	exit
fi
printf '<!DOCTYPE html><html><body></body></html>\n' >"$TMP/out/blank.html"
chromium_run --screenshot="$TMP/blank.png" "file://$TMP/out/blank.html" >/dev/null 2>&1
chromium_run --screenshot="$TMP/shot.png" "file://$html" >/dev/null 2>&1
check "a screenshot is taken" test -s "$TMP/shot.png"
check_eq "it is a PNG" "$(od -An -c -N4 "$TMP/shot.png" | tr -d ' ')" '211PNG'
blank=$(stat -c %s "$TMP/blank.png")
shot=$(stat -c %s "$TMP/shot.png")
check "the render is not blank ($shot bytes, a blank page $blank)" \
	test "$shot" -gt $((blank * 4 + 20000))
chromium_run --dump-dom "file://$html" >"$TMP/dom.html" 2>/dev/null
check_eq "the browser built the four SVG elements" "$(grep -o '<svg ' "$TMP/dom.html" | wc -l)" 4
check_eq "with their bands" "$(grep -o '<polygon ' "$TMP/dom.html" | wc -l)" \
	"$(grep -o '<polygon ' "$html" | wc -l)"
check_eq "no img element came from a name" "$(grep -c '<img' "$TMP/dom.html")" 0

finish
