#!/usr/bin/env bash
# Build every fuzz target the OSS-Fuzz / ClusterFuzzLite way: $CC, $CFLAGS, $LIB_FUZZING_ENGINE, $OUT.
#
# Defaults when unset (a local libFuzzer build with ASan and UBSan):
#   CC=clang
#   CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined"
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer
#   OUT=build-fuzz
# OSS-Fuzz puts its coverage flags into CFLAGS itself; with the local default
# engine we add -fsanitize=fuzzer-no-link so libFuzzer sees the edges of every
# object, not only of the one linked with -fsanitize=fuzzer.
#
# Writes to $OUT: hypercall_fuzzer, elf_fuzzer, scenario_fuzzer, their
# dictionaries (<name>.dict), libFuzzer options (<name>.options, from
# fuzz/<name>.options) and, when `zip` is installed, seed corpora
# (<name>_seed_corpus.zip), as OSS-Fuzz expects them. Objects go to
# $OUT/obj and are rebuilt only when a source, a header, the flags or this
# script changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/fuzz/build.sh"
CC=${CC:-clang}
CFLAGS=${CFLAGS:--O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
OUT=${OUT:-$ROOT/build-fuzz}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
OBJ="$OUT/obj"
mkdir -p "$OBJ"

# One build at a time per OUT (ctest runs the fuzz tests in parallel, each may build).
if command -v flock >/dev/null 2>&1 && [ -z "${FUZZ_BUILD_LOCKED:-}" ]; then
  export FUZZ_BUILD_LOCKED=1
  exec flock "$OUT/.build.lock" "$0" "$@"
fi

accepts() { "$CC" "$@" -x c -c /dev/null -o /dev/null 2>/dev/null; }

# Everything the fuzzer should learn from: the code under test and the targets.
# shellcheck disable=SC2206 # CFLAGS is a list of words by convention
cov=($CFLAGS)
if [ "$LIB_FUZZING_ENGINE" = "-fsanitize=fuzzer" ] && [[ " $CFLAGS " != *fuzzer* ]]; then
  cov+=(-fsanitize=fuzzer-no-link)
fi
cov+=(-std=c11 -D_POSIX_C_SOURCE=200809L -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter)

# The same sanitizers without coverage, for code whose branches are no signal:
# the fake machine and the checkers run after every step (their loops would
# otherwise count as "new behaviour" and flood the comparison tables).
nocov=()
for f in "${cov[@]}"; do
  case $f in
  -fsanitize=fuzzer-no-link | -fsanitize-coverage=*) ;;
  *) nocov+=("$f") ;;
  esac
done
if accepts -fsanitize=fuzzer-no-link -fno-sanitize=fuzzer-no-link; then
  nocov+=(-fno-sanitize=fuzzer-no-link) # also when CFLAGS spells it inside a list
fi

harness=("${cov[@]}")
if accepts -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp; then
  harness+=(-fno-sanitize-coverage=trace-cmp)
fi

# Flags changed since the last build (another CC or CFLAGS): start the objects again.
flags_now="$CC ${cov[*]} $LIB_FUZZING_ENGINE"
if [ ! -f "$OBJ/.flags" ] || [ "$(cat "$OBJ/.flags")" != "$flags_now" ]; then
  rm -f "$OBJ"/*.o "$OBJ"/*.d "$OBJ/.flags"
fi

# stale OBJ: does OBJ need building (missing, or older than this script or a dependency)?
stale() {
  local obj=$1 dep
  [ -f "$obj" ] && [ -f "$obj.d" ] || return 0
  [ "$SELF" -nt "$obj" ] && return 0
  # The depfile is "obj: a.c b.h \" lines; every word after the colon is a file.
  # shellcheck disable=SC2013 # words, not lines, are wanted
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d"); do
    [ "$dep" -nt "$obj" ] && return 0
  done
  return 1
}

# compile FLAGSET SRC OBJNAME EXTRA...: FLAGSET names an array (cov, harness or nocov).
compile() {
  local -n set=$1
  local src=$2 obj=$OBJ/$3
  shift 3
  stale "$obj" || return 0
  "$CC" "${set[@]}" "$@" -MMD -MF "$obj.d" -c "$src" -o "$obj"
}

inc_core=(-I "$ROOT/hv/include" -I "$ROOT/fuzz" -I "$ROOT/tests/unit/support")
core_objs=()
for src in "$ROOT"/hv/common/*.c; do
  base=$(basename "$src" .c)
  if [ "$base" = lib ]; then
    # The core's memset/memcpy/printf. Uninstrumented byte loops over whole
    # pages were most of the run time; without coverage and UBSan (and
    # -fno-builtin) the compiler makes them memset/memcpy calls, which ASan
    # still checks over the whole range.
    compile nocov "$src" core_lib.o "${inc_core[@]}" -fno-sanitize=undefined
  else
    compile cov "$src" "core_$base.o" "${inc_core[@]}" -fno-builtin # as CMakeLists.txt
  fi
  core_objs+=("$OBJ/core_$base.o")
done

# Second, uninstrumented copies of hv/common/mm.c and domain.c for what the
# hypercall target does itself rather than as the code under test: the
# mm_check_invariants it runs after steps, vcpu_runnable for its checks, and
# the guest's own memory accesses (copy_to_guest, mm_translate). Every global
# they define is renamed with the prefix fz_oracle_ (so they are separate
# copies with their own hv_mem, which the target keeps equal to the live one).
# Built into the core, these calls cost comparison callbacks and counted as
# coverage of the core although no input made the core run them.
# The list is fuzz/oracle-sources.txt (coverage/run.sh builds the same copies).
oracles=()
mapfile -t oracle_bases < <(sed -n 's#^hv/common/\(.*\)\.c$#\1#p' "$ROOT/fuzz/oracle-sources.txt")
for base in "${oracle_bases[@]}"; do
  oracle=$OBJ/oracle_$base.o
  if stale "$oracle"; then
    # -O2 and no UBSan halve its time; the unit tests run the same functions
    # with UBSan after every test.
    compile nocov "$ROOT/hv/common/$base.c" "oracle_${base}_raw.o" "${inc_core[@]}" -fno-builtin \
      -O2 -fno-sanitize=undefined
    nm -g --defined-only "$OBJ/oracle_${base}_raw.o" |
      awk 'NF == 3 { print $3 " fz_oracle_" $3 }' >"$OBJ/oracle_$base.syms"
    objcopy --redefine-syms="$OBJ/oracle_$base.syms" "$OBJ/oracle_${base}_raw.o" "$oracle"
    cp "$OBJ/oracle_${base}_raw.o.d" "$oracle.d"
  fi
  oracles+=("$oracle")
done

compile nocov "$ROOT/fuzz/fuzz_arch.c" fuzz_arch.o "${inc_core[@]}"
compile cov "$ROOT/tests/unit/support/test_image.c" test_image.o "${inc_core[@]}"

# The hypercall target's own copies of the core: the code that only runs at
# start-up there (the domain builder, the test image), only for the target's
# checks and restore, or never (no disk, no toolstack) is built without
# coverage instrumentation, listed in fuzz/hypercall-nocov.txt: its edges can
# never be an input's coverage, yet libFuzzer scans every counter of the binary
# after every input. The elf target, which fuzzes the builder, links the
# instrumented ones.
#
# The xenstore daemon keeps its tree, connections and watches in static
# variables (xenstore.c, xs_*.c); the hypercall target restores them after an
# input that wrote them (hc_machine.c). In its copies of those objects their
# zero-initialised data (.bss) is a section of its own, hc_xs_state, and a
# page of padding after the last one makes the section whole pages of its
# own (the linker names its ends __start_hc_xs_state and __stop_hc_xs_state).
nocov_list=$ROOT/fuzz/hypercall-nocov.txt
hc_cov=("${cov[@]}")
if accepts -fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist="$nocov_list"; then
  hc_cov+=(-fsanitize-coverage-ignorelist="$nocov_list")
fi
# hc_compile SRC OBJNAME EXTRA...: one of the hypercall target's copies (also stale with the list).
hc_compile() {
  [ "$nocov_list" -nt "$OBJ/$2" ] && rm -f "$OBJ/$2"
  compile hc_cov "$@"
}
hc_core_objs=()
for src in "$ROOT"/hv/common/*.c; do
  base=$(basename "$src" .c)
  case $base in
  lib) hc_core_objs+=("$OBJ/core_lib.o") ;;
  xenstore | xs_*)
    hc_compile "$src" "hc_$base.o" "${inc_core[@]}" -fno-builtin
    state=$OBJ/xsstate_$base.o
    if [ ! -f "$state" ] || [ "$OBJ/hc_$base.o" -nt "$state" ] || [ "$SELF" -nt "$state" ]; then
      objcopy --rename-section .bss=hc_xs_state --set-section-alignment hc_xs_state=4096 \
        "$OBJ/hc_$base.o" "$state"
    fi
    hc_core_objs+=("$state")
    ;;
  *)
    hc_compile "$src" "hc_$base.o" "${inc_core[@]}" -fno-builtin
    hc_core_objs+=("$OBJ/hc_$base.o")
    ;;
  esac
done
hc_compile "$ROOT/tests/unit/support/test_image.c" hc_test_image.o "${inc_core[@]}"
hc_core_objs+=("$OBJ/hc_test_image.o")
xs_pad=$OBJ/xsstate_zz_pad.o
if [ ! -f "$xs_pad" ] || [ "$SELF" -nt "$xs_pad" ]; then
  printf '%s\n' '.section hc_xs_state,"aw",@nobits' '.balign 4096' '.skip 4096' \
    '.section .note.GNU-stack,"",@progbits' |
    "$CC" -c -x assembler - -o "$xs_pad"
fi
hc_core_objs+=("$xs_pad")
compile cov "$ROOT/tools/lib/scenario.c" scenario.o -I "$ROOT/tools/lib"
# The targets themselves: their edges (which step kinds ran, how many frames
# a step reached) are some signal, but their comparisons, every byte of
# decoding and every checked word, are not. The hypercall target's decoder,
# checks and restore (fuzz_hypercall.c, hc_step.c, hc_machine.c) run around
# every step over the input, the core's structures and the target's own
# buffers, in bounds by construction: built with -O2 and without ASan and
# UBSan (their checks were a fifth of the target's time, the decoder's
# another twentieth); a buffer they hand the core to write is malloc'd, so
# ASan still guards its end. The fake machine keeps them.
compile nocov "$ROOT/fuzz/fuzz_hypercall.c" fuzz_hypercall.o "${inc_core[@]}" -O2 -fno-sanitize=address,undefined
compile nocov "$ROOT/fuzz/hc_machine.c" hc_machine.o "${inc_core[@]}" -O2 -fno-sanitize=address,undefined
compile nocov "$ROOT/fuzz/hc_step.c" hc_step.o "${inc_core[@]}" -O2 -fno-sanitize=address,undefined
compile nocov "$ROOT/fuzz/hc_plant.c" hc_plant.o "${inc_core[@]}"
compile harness "$ROOT/fuzz/fuzz_elf.c" fuzz_elf.o "${inc_core[@]}"
compile harness "$ROOT/fuzz/fuzz_scenario.c" fuzz_scenario.o -I "$ROOT/tools/lib"
echo "$flags_now" >"$OBJ/.flags"

# link NAME OBJS...: relinked when an object is newer than the binary.
link() {
  local bin=$OUT/$1 o relink=1
  shift
  if [ -f "$bin" ]; then
    relink=0
    for o in "$@"; do [ "$o" -nt "$bin" ] && relink=1; done
  fi
  if [ "$relink" = 1 ]; then
    # shellcheck disable=SC2086 # LIB_FUZZING_ENGINE may be several words
    "$CC" "${cov[@]}" "$@" $LIB_FUZZING_ENGINE -o "$bin"
  fi
}

machine=("$OBJ/fuzz_arch.o" "$OBJ/test_image.o" "${core_objs[@]}")
link hypercall_fuzzer "$OBJ/fuzz_hypercall.o" "$OBJ/hc_machine.o" "$OBJ/hc_step.o" "$OBJ/hc_plant.o" \
  "${oracles[@]}" "$OBJ/fuzz_arch.o" "${hc_core_objs[@]}"
link elf_fuzzer "$OBJ/fuzz_elf.o" "${machine[@]}"
link scenario_fuzzer "$OBJ/fuzz_scenario.o" "$OBJ/scenario.o"

for t in hypercall elf scenario; do
  if [ -f "$ROOT/fuzz/$t.dict" ]; then
    cp "$ROOT/fuzz/$t.dict" "$OUT/${t}_fuzzer.dict"
  fi
  if [ -f "$ROOT/fuzz/${t}_fuzzer.options" ]; then
    cp "$ROOT/fuzz/${t}_fuzzer.options" "$OUT/${t}_fuzzer.options"
  fi
  if command -v zip >/dev/null 2>&1 && [ -n "$(ls -A "$ROOT/fuzz/corpus/$t" 2>/dev/null)" ]; then
    rm -f "$OUT/${t}_fuzzer_seed_corpus.zip"
    (cd "$ROOT/fuzz/corpus/$t" && zip -q -r "$OUT/${t}_fuzzer_seed_corpus.zip" .)
  fi
done
echo "fuzz/build.sh: targets in $OUT"
