#!/usr/bin/env bash
# Makes /work/main/bundle (git-ignored): everything the GPU machine needs to run this module's GPU
# tests and benchmark without Java or Maven there:
#   jre/        a jlinked Java 25 runtime (~45 MB; java.xml is in it for the JUnit XML reports)
#   lib/        hicache-l1-gpu.jar (with the nvcc-built JNI library inside), hicache-api.jar,
#               hicache-core.jar and hicache-core-tests.jar (the engine and its property harness, for
#               the engine's tests on CudaDevicePool), the test dependencies, junit-platform-console-standalone
#   test-classes/  this module's compiled tests (GPU tests, the engine's contract suites on CudaDevicePool,
#               PinnedHostPoolDouble, TransferBenchmark); first on the class path, before hicache-core-tests.jar
#   torch_copy_baseline.py  the same-run PyTorch baseline (copied from ../shared/bench: only the
#               repository travels to the device machine)
#   run.sh      on the GPU machine: nvidia-smi, the GPU tests (console launcher), the benchmark main,
#               the torch baseline; writes into the folder given as $1 (default $OUT)
# byte-buddy (assertj's proxy engine, 9 MB) is left out: plain assertThat needs none of it.
# Usage (here, with nvcc): hicache-l1-gpu/bundle.sh ; then carry "bundle" to the device and run
#   bash bundle/run.sh "$OUT"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
build="${HICACHE_BUILD_DIR:-target-gpu}"
out="$root/bundle"
junit_version=6.1.3
cd "$root"

# install (not package): the copy-dependencies step below resolves hicache-api and hicache-core (and its test-jar)
# from the local repository; the jars that go into the bundle are still taken from this build's folders.
./mvnw -q -B -pl hicache-l1-gpu -am -Dhicache.build.dir="$build" -DskipTests install
test -f "hicache-l1-gpu/$build/classes/native/linux-x86_64/libhicache_cuda.so" \
  || { echo "bundle.sh: no native library was built (is nvcc at /usr/local/cuda/bin/nvcc?)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/lib"
./mvnw -q -B -pl hicache-l1-gpu -Dhicache.build.dir="$build" dependency:copy-dependencies \
  -DincludeScope=test -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
  -DexcludeArtifactIds=hicache-api,hicache-core,byte-buddy -DoutputDirectory="$out/lib"
./mvnw -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version \
  -DoutputDirectory="$out/lib"
cp "hicache-l1-gpu/$build/hicache-l1-gpu-"*.jar "$out/lib/hicache-l1-gpu.jar"
cp "hicache-api/$build/hicache-api-"*[0-9T].jar "$out/lib/hicache-api.jar"
# hicache-core from this build (not the local repository, which may hold an older snapshot).
cp "hicache-core/$build/hicache-core-"*[0-9T].jar "$out/lib/hicache-core.jar"
cp "hicache-core/$build/hicache-core-"*-tests.jar "$out/lib/hicache-core-tests.jar"
cp -r "hicache-l1-gpu/$build/test-classes" "$out/test-classes"
if [ -f "$root/../shared/bench/torch_copy_baseline.py" ]; then
  cp "$root/../shared/bench/torch_copy_baseline.py" "$out/"
fi

"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging,java.management,jdk.management,java.xml \
  --strip-debug --no-man-pages --no-header-files --compress zip-6 --output "$out/jre"

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: bash bundle/run.sh OUTDIR
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-${OUT:-/tmp/hicache-gpu-out}}"
mkdir -p "$out"
java="$here/jre/bin/java"
# hicache-core-tests.jar holds the engine's contract suites (EngineContract, ProductionShellContract) this module's tests extend.
cp="$here/lib/hicache-l1-gpu.jar:$here/lib/hicache-api.jar:$here/test-classes:$here/lib/hicache-core.jar:$here/lib/hicache-core-tests.jar"
for j in "$here"/lib/*.jar; do case "$j" in *console-standalone*|*hicache-*) ;; *) cp="$cp:$j";; esac; done
{ nvidia-smi; nvidia-smi --query-gpu=name,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,pcie.link.width.max,driver_version --format=csv; } > "$out/nvidia-smi.txt" 2>&1
echo "== GPU tests"
timeout "${HICACHE_TEST_TIMEOUT:-300}" "$java" --enable-native-access=ALL-UNNAMED -jar "$here"/lib/junit-platform-console-standalone-*.jar execute \
  --disable-banner --disable-ansi-colors --details=tree --include-engine=junit-jupiter --class-path "$cp" --scan-class-path "$here/test-classes" \
  --reports-dir "$out/junit" > "$out/tests.txt" 2>&1
echo "tests exit: $?"; tail -25 "$out/tests.txt"
echo "== benchmark"
timeout "${HICACHE_BENCH_TIMEOUT:-300}" "$java" -Xmx4g --enable-native-access=ALL-UNNAMED -cp "$cp" dev.hicache.l1.TransferBenchmark \
  --out "$out/bench.json" ${HICACHE_BENCH_ARGS:-} > "$out/bench.txt" 2>&1
echo "benchmark exit: $?"
if [ -f "$here/torch_copy_baseline.py" ]; then
  echo "== torch baseline"
  python3 "$here/torch_copy_baseline.py" > "$out/torch.json" 2>&1
  echo "torch exit: $?"
fi
RUN
chmod +x "$out/run.sh"
du -sh "$out" "$out"/*
