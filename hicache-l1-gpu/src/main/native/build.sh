#!/usr/bin/env bash
# Builds the JNI library with nvcc: sm_90 machine code plus compute_90 PTX (newer GPUs JIT it),
# cudart linked statically so that only the driver (libcuda.so.1) is needed at run time.
#   build.sh <output-dir> <java-home>
# Skips the build when the library is newer than every source (CI runs it on every verify).
set -euo pipefail
out="$1"
java_home="$2"
here="$(cd "$(dirname "$0")" && pwd)"
nvcc="${NVCC:-/usr/local/cuda/bin/nvcc}"
lib="$out/libhicache_cuda.so"
mkdir -p "$out"
if [ -f "$lib" ] && [ -z "$(find "$here" -newer "$lib" -type f -print -quit)" ]; then
  echo "hicache-l1-gpu: $lib is up to date"
  exit 0
fi
echo "hicache-l1-gpu: building $lib with $("$nvcc" --version | tail -1)"
"$nvcc" -O3 -std=c++17 -shared -Xcompiler -fPIC,-fvisibility=hidden -cudart static \
  -gencode arch=compute_90,code='[sm_90,compute_90]' \
  -I"$java_home/include" -I"$java_home/include/linux" \
  -Xptxas -warn-spills \
  -o "$lib.tmp" "$here/hicache_cuda.cu" -ldl -lpthread -lrt
mv "$lib.tmp" "$lib"
