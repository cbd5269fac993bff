#!/usr/bin/env bash
# make coverage: gcov build, tests, fuzz corpora replayed, one lcov report, floors checked.
#
#   coverage/run.sh [--build DIR] [--html DIR] [--fuzz DIR] [--jobs N] [--no-floor]
#
#   --build DIR   gcov build directory (default build-cov)
#   --html DIR    also copy the HTML report to DIR (make coverage passes build/coverage)
#   --fuzz DIR    where the libFuzzer targets and fuzz/corpus are (default fuzz)
#   --jobs N      parallel build and test jobs (default nproc)
#   --no-floor    measure and report only, do not compare with coverage/floor.txt
#
# Steps: configure DIR with coverage/instrument.cmake (--coverage on every hosted target,
# sanitizers off, -O0), build, zero the counters, run ctest without the baremetal,
# differential and fuzz labels, replay each fuzz corpus through a gcc --coverage build of
# its target and coverage/replay-main.c, capture with lcov, keep hv/common, hv/arch/sim,
# sim and tools, write DIR/coverage-html, print a table, compare with coverage/floor.txt.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-cov html_copy="" fuzz=$top/fuzz jobs=$(nproc) floor=1
# Paths given on the command line are relative to the current directory.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
while [ $# -gt 0 ]; do
  case $1 in
  --build) build=$(abs "$2"); shift 2 ;;
  --html) html_copy=$(abs "$2"); shift 2 ;;
  --fuzz) fuzz=$(abs "$2"); shift 2 ;;
  --jobs) jobs=$2; shift 2 ;;
  --no-floor) floor=0; shift ;;
  *) echo "usage: coverage/run.sh [--build DIR] [--html DIR] [--fuzz DIR] [--jobs N] [--no-floor]" >&2
     exit 2 ;;
  esac
done
cd "$top"
mkdir -p "$build"
start=$(date +%s)
say() { echo "coverage: $*"; }

for tool in lcov genhtml gcov; do
  command -v "$tool" >/dev/null || { echo "coverage: $tool not found (make deps installs lcov)" >&2; exit 2; }
done

# 1. Build. The CMake hook instruments hosted targets only (the bare-metal kernel cannot
#    link libgcov); CMakeLists.txt is not touched.
say "building in $build"
cmake -S "$top" -B "$build" -G Ninja -DHVSIM_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_PROJECT_INCLUDE="$top/coverage/instrument.cmake" >"$build/coverage-configure.log" ||
  { cat "$build/coverage-configure.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" >"$build/coverage-build.log" ||
  { tail -40 "$build/coverage-build.log" >&2; exit 1; }

# 2. Fresh counters, then the tests. coverage/path puts a gcc first on PATH that adds
#    --coverage, for test scripts that link build-cov's libraries themselves (sim/selftest).
lcov --quiet --zerocounters --directory "$build"
say "running ctest (without labels baremetal, differential, fuzz)"
# A failing test still leaves its counters: the report is made, and the run fails at the end.
failed_tests=""
if ! (cd "$build" && PATH="$top/coverage/path:$PATH" \
  ctest -LE '^(baremetal|differential|fuzz)$' -j "$jobs" --output-on-failure \
  >"$build/coverage-ctest.log" 2>&1); then
  failed_tests=$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (.*)$/\1/p' "$build/coverage-ctest.log" |
    tr '\n' ' ')
  say "warning: tests failed: ${failed_tests:-see log} (output: $build/coverage-ctest.log)"
fi
say "$(grep -E 'tests passed' "$build/coverage-ctest.log" || echo "ctest printed no summary")"

# 3. Fuzz corpora. Every .c file under the fuzz directory (outside corpus/) that defines
#    LLVMFuzzerTestOneInput is a target; the other .c files there without a main() are
#    helpers (fuzz/fuzz_arch.c, the fuzzers' fake machine). Each target is compiled with
#    gcc --coverage and linked with replay-main.c and one group of archives, from which the
#    linker takes only what the target needs: the helpers, tests/unit/support (test
#    images), build-cov's tools and core libraries; if that does not link, the same with
#    the simulated machine instead of tests/unit/support. Its corpus is corpus/NAME, or
#    NAME without a fuzz_ prefix or _fuzz suffix (fuzz/fuzz_elf.c: corpus/elf). A target
#    that does not build with gcc, or crashes on its corpus, is reported, not fatal.
replay_fuzz() {
  local out="$build/fuzz-replay"
  rm -rf "$out" # no stale objects of a target that is gone
  if [ ! -d "$fuzz" ]; then
    say "no $fuzz directory: no fuzz corpora replayed"
    return
  fi
  local targets=() helpers=() f
  while IFS= read -r f; do
    if grep -q 'LLVMFuzzerTestOneInput' "$f"; then
      targets+=("$f")
    elif ! grep -qE '^[a-z ]*int[[:space:]]+main[[:space:]]*\(' "$f"; then
      helpers+=("$f")
    fi
  done < <(find "$fuzz" -path "$fuzz/corpus" -prune -o -name '*.c' -print | sort)
  if [ ${#targets[@]} -eq 0 ]; then
    say "no fuzz targets (LLVMFuzzerTestOneInput) in $fuzz yet: no corpora replayed"
    return
  fi
  if [ ! -d "$fuzz/corpus" ]; then
    say "no $fuzz/corpus directory: no fuzz corpora replayed"
    return
  fi
  mkdir -p "$out/helpers" "$out/support"
  local cflags=(-std=gnu11 -O0 -g --coverage -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    -D_POSIX_C_SOURCE=200809L -Wno-unused-parameter -I"$top/hv/include" -I"$top/sim"
    -I"$top/tools/lib" -I"$top/tests/unit/support" -I"$fuzz")
  local s obj
  # archive DIR NAME SOURCES...: compile each source into DIR, collect them in DIR/NAME.
  archive() {
    local dir=$1 lib=$2 objs=()
    shift 2
    for s in "$@"; do
      obj="$dir/$(basename "$s" .c).o"
      if gcc "${cflags[@]}" -c "$s" -o "$obj" 2>>"$out/build.log"; then
        objs+=("$obj")
      else
        say "warning: ${s#"$top"/} does not build with gcc (see $out/build.log)"
      fi
    done
    rm -f "$dir/$lib"
    ar rcs "$dir/$lib" "${objs[@]}"
  }
  gcc "${cflags[@]}" -c "$top/coverage/replay-main.c" -o "$out/replay-main.o"
  archive "$out/helpers" libhelpers.a "${helpers[@]}"
  archive "$out/support" libsupport.a "$top"/tests/unit/support/*.c
  # The uninstrumented copies of core files that the targets call for their own checks
  # (fuzz/oracle-sources.txt; fuzz/build.sh makes them the same way): without --coverage,
  # every defined global renamed fz_oracle_*, added to the helpers.
  local oracle_flags=() f2 base
  for f2 in "${cflags[@]}"; do [ "$f2" = --coverage ] || oracle_flags+=("$f2"); done
  if [ -f "$fuzz/oracle-sources.txt" ]; then
    mkdir -p "$out/oracle"
    while IFS= read -r s; do
      case $s in '#'* | '') continue ;; esac
      base=$(basename "$s" .c)
      obj="$out/oracle/$base.o"
      if gcc "${oracle_flags[@]}" -fno-builtin -c "$top/$s" -o "$obj.raw" 2>>"$out/build.log"; then
        nm -g --defined-only "$obj.raw" | awk 'NF == 3 { print $3 " fz_oracle_" $3 }' >"$obj.syms"
        objcopy --redefine-syms="$obj.syms" "$obj.raw" "$obj"
        ar rs "$out/helpers/libhelpers.a" "$obj" 2>>"$out/build.log"
      else
        say "warning: $s does not build with gcc (see $out/build.log)"
      fi
    done <"$fuzz/oracle-sources.txt"
  fi
  # shellcheck disable=SC2207
  local pkg=($(pkg-config --libs unicorn capstone))
  local t name corpus c log ok with
  for t in "${targets[@]}"; do
    name=$(basename "$t" .c)
    corpus=""
    for c in "$name" "${name#fuzz_}" "${name#fuzz-}" "${name%_fuzz}" "${name%-fuzz}"; do
      if [ -d "$fuzz/corpus/$c" ]; then corpus="$fuzz/corpus/$c"; break; fi
    done
    if [ -z "$corpus" ]; then
      say "fuzz target $name: no corpus directory $fuzz/corpus/${name#fuzz_}, skipped"
      continue
    fi
    mkdir -p "$out/$name"
    obj="$out/$name/$name.o"
    if ! gcc "${cflags[@]}" -c "$t" -o "$obj" 2>>"$out/build.log"; then
      say "warning: fuzz target $name does not build with gcc (see $out/build.log), skipped"
      continue
    fi
    ok=0
    for with in "the unit tests' support" "the simulated machine"; do
      if [ "$with" = "the unit tests' support" ]; then
        set -- "$out/support/libsupport.a" "$build/libhvsim_tools.a" "$build/libhvcore.a" \
          -Wl,--end-group -lcmocka
      else
        set -- "$build/libhvsim_tools.a" "$build/libhvsim_machine.a" "$build/libhvcore.a" \
          -Wl,--end-group "${pkg[@]}" -lcmocka
      fi
      if gcc --coverage -o "$out/$name/replay" "$obj" "$out/replay-main.o" \
        -Wl,--start-group "$out/helpers/libhelpers.a" "$@" 2>>"$out/build.log"; then
        ok=1
        break
      fi
    done
    if [ $ok -eq 0 ]; then
      say "warning: fuzz target $name does not link with gcc (see $out/build.log), skipped"
      continue
    fi
    log="$out/$name/replay.log"
    # exit inside the subshell: a crash is reported into the log, not on the terminal.
    if (cd "$out/$name" && ./replay "$corpus"; exit $?) >"$log" 2>&1; then
      say "fuzz target $name: $(tail -1 "$log" | sed 's/^replay: //') from ${corpus#"$top"/} (linked with $with)"
    else
      say "warning: fuzz target $name failed on its corpus (see $log):"
      tail -3 "$log" | sed 's/^/    /'
    fi
  done
}
replay_fuzz

# 4. One capture. The --initial pass adds zero counts for instrumented files no test ran.
info="$build/coverage.info"
lcov_q=(lcov --quiet --rc lcov_branch_coverage=0)
"${lcov_q[@]}" --capture --initial --directory "$build" --base-directory "$top" \
  --output-file "$build/coverage-base.info" 2>"$build/coverage-lcov.log"
"${lcov_q[@]}" --capture --directory "$build" --base-directory "$top" \
  --output-file "$build/coverage-run.info" 2>>"$build/coverage-lcov.log"
"${lcov_q[@]}" --add-tracefile "$build/coverage-base.info" \
  --add-tracefile "$build/coverage-run.info" --output-file "$build/coverage-all.info"
"${lcov_q[@]}" --extract "$build/coverage-all.info" "$top/hv/common/*" "$top/hv/arch/sim/*" \
  "$top/sim/*" "$top/tools/*" --output-file "$info.tmp"
"${lcov_q[@]}" --remove "$info.tmp" "$top/sim/selftest/*" --output-file "$info"
rm -f "$info.tmp"

html="$build/coverage-html"
rm -rf "$html"
genhtml --quiet --rc lcov_branch_coverage=0 --prefix "$top" --title "hvsim coverage" \
  --output-directory "$html" "$info" >/dev/null
if [ -n "$html_copy" ]; then
  rm -rf "$html_copy"
  mkdir -p "$html_copy"
  cp -r "$html"/. "$html_copy"/
fi

# 5. The table: line and function coverage per area, from lcov --extract and --summary.
# summary AREA_PATTERN -> "LINE_PCT LINES_HIT LINES FN_PCT FNS_HIT FNS" (pct "-" if none)
summary() {
  local part="$build/coverage-part.info"
  if ! "${lcov_q[@]}" --extract "$info" "$1" --output-file "$part" 2>/dev/null ||
    [ ! -s "$part" ]; then
    echo "- 0 0 - 0 0"
    return
  fi
  lcov --rc lcov_branch_coverage=0 --summary "$part" 2>&1 | awk '
    function get(s,  a) { if (!match(s, /[0-9.]+% \([0-9]+ of [0-9]+/)) return "- 0 0"
      split(substr(s, RSTART, RLENGTH), a, /[^0-9.]+/); return a[1] " " a[2] " " a[3] }
    /lines\.*:/ { l = get($0) } /functions\.*:/ { f = get($0) }
    END { print (l ? l : "- 0 0"), (f ? f : "- 0 0") }'
  rm -f "$part"
}

declare -A line_pct
printf '\n%-12s %22s %22s\n' area lines functions
printf '%-12s %22s %22s\n' ------------ ---------------------- ----------------------
for area in hv/common hv/arch/sim sim tools all; do
  if [ "$area" = all ]; then pattern="*"; else pattern="$top/$area/*"; fi
  read -r lp lh lf fp fh ff < <(summary "$pattern")
  line_pct[$area]=$lp
  printf '%-12s %7s%% %13s %7s%% %13s\n' "$area" "$lp" "($lh/$lf)" "$fp" "($fh/$ff)"
done
echo
say "report: $html/index.html${html_copy:+ (copy: $html_copy/index.html)}"

# 6. Floors: coverage/floor.txt lists "AREA MIN_LINE_PERCENT" lines.
status=0
if [ $floor -eq 1 ]; then
  while read -r area min _; do
    case $area in '' | '#'*) continue ;; esac
    got=${line_pct[$area]:-}
    if [ -z "$got" ] || [ "$got" = - ]; then
      echo "coverage: FAIL: no line coverage measured for $area (floor $min%)" >&2
      status=1
    elif awk -v g="$got" -v m="$min" 'BEGIN { exit !(g + 0 < m + 0) }'; then
      echo "coverage: FAIL: $area line coverage $got% is below its floor of $min% (coverage/floor.txt)" >&2
      status=1
    else
      say "$area line coverage $got% >= floor $min%"
    fi
  done <"$top/coverage/floor.txt"
fi
if [ -n "$failed_tests" ]; then
  echo "coverage: FAIL: tests failed: $failed_tests(see $build/coverage-ctest.log)" >&2
  status=1
fi
say "done in $(($(date +%s) - start)) s"
exit $status
