#!/usr/bin/env bash
# Makes hicache-l1-gpu/<build folder>/bundle (hicache-l1-gpu/target/bundle by default; HICACHE_BUILD_DIR
# or -Dhicache.build.dir names another build folder): everything the GPU machine needs to run this
# module's GPU tests and benchmark without Java or Maven there:
#   jre/        a jlinked Java 25 runtime (~45 MB; java.xml for the JUnit XML reports, jdk.jfr for the
#               engine's JFR events)
#   lib/        hicache-l1-gpu.jar (with the nvcc-built JNI library inside), hicache-api.jar,
#               hicache-core.jar and hicache-core-tests.jar (the engine and its property harness, for
#               the engine's tests on CudaDevicePool), the test dependencies, junit-platform-console-standalone
#   test-classes/  this module's compiled tests (GPU tests, the engine's contract suites on CudaDevicePool,
#               PinnedHostPoolDouble, TransferBenchmark); first on the class path, before hicache-core-tests.jar
#               hicache-l2-host.jar, hicache-l3-local.jar and Chronicle Map's jars (the copy calibration)
#   torch_copy_baseline.py  the same-run PyTorch baseline (copied from ../shared/bench: only the
#               repository travels to the device machine)
#   conversation_slice.jsonl  the copy calibration's slice of ../shared/traces/conversation_trace.jsonl
#   chronicle.jvmopts  Chronicle Map's JVM flags (the parent pom's hicache.chronicle.jvmArgs)
#   run.sh      on the GPU machine: nvidia-smi, the GPU tests (console launcher), the benchmark main,
#               the copy calibration (CopyCalibration; HICACHE_CAL_HUGEPAGES=N reserves 2 MiB pages
#               first, HICACHE_CAL_L3_DIR names the L3's folder, HICACHE_CAL_WATCH="spin spin block" replays
#               three times), the torch baseline; writes into the
#               folder given as $1 (default $OUT). HICACHE_TESTS=0, HICACHE_BENCH=0, HICACHE_CAL=0 skip a step.
# With jdk.compiler (Chronicle compiles at run time) the bundle is about 65 MB: over the device machine's
# 64 MiB, so carry it packed (tar cf - bundle | xz -2: about 43 MB) and unpack it there.
# Every jar comes from this build's own folders (a reactor build, nothing installed into ~/.m2).
# Usage (here, with nvcc): hicache-l1-gpu/bundle.sh [-Dhicache.build.dir=NAME] ; then carry the
# bundle folder it prints to the device and run  bash <that folder>/run.sh "$OUT"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/tools/java25.sh"
java25_select || exit 2
export JAVA_HOME="$JAVA25_HOME"
build="${HICACHE_BUILD_DIR:-target}"
for a in "$@"; do
  case "$a" in
    -Dhicache.build.dir=*) build="${a#-Dhicache.build.dir=}" ;;
    *) echo "bundle.sh: unknown argument $a (only -Dhicache.build.dir=NAME)" >&2; exit 64 ;;
  esac
done
case "$build" in ""|*/*|.|..) echo "bundle.sh: the build folder must be a plain name, got '$build'" >&2; exit 64 ;; esac
out="$root/hicache-l1-gpu/$build/bundle"
cd "$root"

if [ -e "$out" ] || [ -L "$out" ]; then
  [ -d "$out" ] && [ ! -L "$out" ] || { echo "bundle.sh: $out exists and is not a folder; not touching it" >&2; exit 1; }
  rm -rf "$out"
fi
# -Pcuda-native builds the JNI library (NVCC=/path/to/nvcc picks the compiler); -Pgpu-bundle copies the test
# dependencies and the JUnit console into $out/lib.
./mvnw -q -B -pl hicache-l1-gpu -am -Dhicache.build.dir="$build" -DskipTests -Pcuda-native,gpu-bundle package
test -f "hicache-l1-gpu/$build/classes/native/linux-x86_64/libhicache_cuda.so" \
  || { echo "bundle.sh: no native library was built (is nvcc at /usr/local/cuda/bin/nvcc, or NVCC set?)" >&2; exit 1; }
cp "hicache-l1-gpu/$build/hicache-l1-gpu-"*[0-9T].jar "$out/lib/hicache-l1-gpu.jar"
cp "hicache-api/$build/hicache-api-"*[0-9T].jar "$out/lib/hicache-api.jar"
cp "hicache-core/$build/hicache-core-"*[0-9T].jar "$out/lib/hicache-core.jar"
cp "hicache-core/$build/hicache-core-"*-tests.jar "$out/lib/hicache-core-tests.jar"
cp "hicache-l2-host/$build/hicache-l2-host-"*[0-9T].jar "$out/lib/hicache-l2-host.jar"
cp "hicache-l3-local/$build/hicache-l3-local-"*[0-9T].jar "$out/lib/hicache-l3-local.jar"
# Chronicle Map's JVM flags (the parent pom's hicache.chronicle.jvmArgs), for the copy calibration's embedded L3.
sed -n 's:.*<hicache.chronicle.jvmArgs>\(.*\)</hicache.chronicle.jvmArgs>.*:\1:p' pom.xml | head -1 > "$out/chronicle.jvmopts"
test -s "$out/chronicle.jvmopts" || { echo "bundle.sh: no hicache.chronicle.jvmArgs in pom.xml" >&2; exit 1; }

cp -r "hicache-l1-gpu/$build/test-classes" "$out/test-classes"
if [ -f "$root/../shared/bench/torch_copy_baseline.py" ]; then
  cp "$root/../shared/bench/torch_copy_baseline.py" "$out/"
fi

# Chronicle Map (the embedded L3 of the copy calibration) compiles classes at run time (javac's module and the
# compiler API) and names a javax.naming exception.
chronicle_modules=jdk.compiler,java.compiler,java.naming
# The copy calibration replays a slice of the conversation trace (read from ../shared, never committed): its
# lines travel in the bundle.
if [ -f "$root/../shared/traces/conversation_trace.jsonl" ]; then
  jars="$(ls "$out"/lib/*.jar | grep -v console-standalone | paste -sd:)"
  "$JAVA_HOME/bin/java" $(cat "$out/chronicle.jvmopts") -cp "hicache-l1-gpu/$build/test-classes:$jars" dev.hicache.l1.CopyCalibration \
    --write-slice --trace "$root/../shared/traces/conversation_trace.jsonl" --out "$out/conversation_slice.jsonl"
fi
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging,java.management,jdk.management,java.xml,jdk.jfr,$chronicle_modules \
  --strip-debug --no-man-pages --no-header-files --compress zip-6 --output "$out/jre"
# What keeps the bundle under the device machine's 64 MiB: javac's ct.sym serves only --release (Chronicle never
# asks for it), and libjvm.so's symbol tables only debuggers.
rm -f "$out/jre/lib/ct.sym"
strip --strip-unneeded "$out/jre/lib/server/libjvm.so" 2>/dev/null || echo "bundle.sh: strip not found; the bundle is larger"

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: bash <bundle>/run.sh OUTDIR
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-${OUT:-/tmp/hicache-gpu-out}}"
mkdir -p "$out"
java="$here/jre/bin/java"
# hicache-core-tests.jar holds the engine's contract suites (EngineContract, ProductionShellContract) this module's tests extend.
cp="$here/lib/hicache-l1-gpu.jar:$here/lib/hicache-api.jar:$here/test-classes:$here/lib/hicache-core.jar:$here/lib/hicache-core-tests.jar:$here/lib/hicache-l2-host.jar:$here/lib/hicache-l3-local.jar"
# (matched on the file name: the bundle's own path may contain "hicache-")
for j in "$here"/lib/*.jar; do case "${j##*/}" in *console-standalone*|hicache-*) ;; *) cp="$cp:$j";; esac; done
{ nvidia-smi; nvidia-smi --query-gpu=name,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,pcie.link.width.max,driver_version --format=csv; } > "$out/nvidia-smi.txt" 2>&1
echo "== GPU tests"
[ "${HICACHE_TESTS:-1}" = 0 ] || timeout "${HICACHE_TEST_TIMEOUT:-300}" "$java" --enable-native-access=ALL-UNNAMED $(cat "$here/chronicle.jvmopts") -jar "$here"/lib/junit-platform-console-standalone-*.jar execute \
  --disable-banner --disable-ansi-colors --details=tree --include-engine=junit-jupiter --class-path "$cp" --scan-class-path "$here/test-classes" \
  --exclude-classname '.*CopyCalibrationDryRunTest' \
  --reports-dir "$out/junit" > "$out/tests.txt" 2>&1
echo "tests exit: $?"; tail -25 "$out/tests.txt"
echo "== benchmark"
[ "${HICACHE_BENCH:-1}" = 0 ] || timeout "${HICACHE_BENCH_TIMEOUT:-300}" "$java" -Xmx4g --enable-native-access=ALL-UNNAMED -cp "$cp" dev.hicache.l1.TransferBenchmark \
  --out "$out/bench.json" ${HICACHE_BENCH_ARGS:-} > "$out/bench.txt" 2>&1
echo "benchmark exit: $?"
if [ -f "$here/conversation_slice.jsonl" ] && [ "${HICACHE_CAL:-1}" != 0 ]; then
  echo "== copy calibration"
  # L2 on reserved 2 MiB HugeTLB pages (root on the GPU machine): the host pool plus slack.
  if [ -n "${HICACHE_CAL_HUGEPAGES:-}" ]; then
    sysctl -w vm.nr_hugepages="$HICACHE_CAL_HUGEPAGES" >/dev/null 2>&1 || echo "could not reserve hugepages"
    grep -i huge /proc/meminfo > "$out/cal-meminfo.txt"
  fi
  l3dir="${HICACHE_CAL_L3_DIR:-/dev/shm/hicache-copycal-l3}"
  # One replay per word of HICACHE_CAL_WATCH (spin or block: how completions are watched), each on fresh
  # tiers, into cal, cal2, cal3, ...: a second spin replay is the same host's held-out check of a fit.
  n=0
  for watch in ${HICACHE_CAL_WATCH:-spin}; do
    n=$((n + 1)); name=cal; [ "$n" -gt 1 ] && name="cal$n"
    rm -rf "$l3dir"; mkdir -p "$l3dir"
    timeout "${HICACHE_CAL_TIMEOUT:-300}" "$java" -Xmx8g --enable-native-access=ALL-UNNAMED $(cat "$here/chronicle.jvmopts") \
      -cp "$cp" dev.hicache.l1.CopyCalibration --trace "$here/conversation_slice.jsonl" --out "$out/$name" \
      --l3-dir "$l3dir" --watch "$watch" ${HICACHE_CAL_ARGS:-} > "$out/$name.txt" 2>&1
    echo "calibration $name (--watch $watch) exit: $?"; tail -3 "$out/$name.txt"
    rm -rf "$l3dir"
  done
fi
if [ -f "$here/torch_copy_baseline.py" ]; then
  echo "== torch baseline"
  python3 "$here/torch_copy_baseline.py" > "$out/torch.json" 2>&1
  echo "torch exit: $?"
fi
RUN
chmod +x "$out/run.sh"
du -sh "$out" "$out"/*
echo "bundle.sh: made $out"
