// The JNI library behind dev.hicache.l1: CUDA memory, streams, events, host registration and the
// KV transfer paths between the layer-first device pool and a host buffer in any layout.
//
// Every buffer is described by an affine "side": byte offset of item (kv, layer, page, token-in-page)
//   = kv * skv + layer * slayer + page * spage + tok * stok
// The Java side derives these strides from the api's LayoutDescriptor (and checks them against it),
// so no layout logic lives here beyond that one formula.
//
// cudart is linked statically: the only run-time dependency is the driver (libcuda.so.1), which the
// static runtime loads lazily, so loading this library never fails on a machine without a GPU.

#include <jni.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

namespace {

const char* kExceptionClass = "dev/hicache/l1/CudaException";

// Throws dev.hicache.l1.CudaException(code, call) and returns true when err is not cudaSuccess.
bool throwIf(JNIEnv* env, cudaError_t err, const char* call) {
  if (err == cudaSuccess) return false;
  jclass cls = env->FindClass(kExceptionClass);
  if (cls == nullptr) return true;  // NoClassDefFoundError pending
  jmethodID ctor = env->GetMethodID(cls, "<init>", "(ILjava/lang/String;)V");
  if (ctor == nullptr) return true;
  jstring jcall = env->NewStringUTF(call);
  jobject ex = env->NewObject(cls, ctor, (jint)err, jcall);
  if (ex != nullptr) env->Throw((jthrowable)ex);
  return true;
}

void throwIllegalArgument(JNIEnv* env, const char* msg) {
  jclass cls = env->FindClass("java/lang/IllegalArgumentException");
  if (cls != nullptr) env->ThrowNew(cls, msg);
}

inline cudaStream_t S(jlong s) { return reinterpret_cast<cudaStream_t>(s); }
inline cudaEvent_t E(jlong e) { return reinterpret_cast<cudaEvent_t>(e); }
inline char* P(jlong p) { return reinterpret_cast<char*>(p); }

int g_sm_count = 0;
int g_blocks_per_sm = 4;
int g_unroll = 4;  // 16-byte loads in flight per lane before the first store (4 or 8)  // 64 registers x 256 threads: 4 blocks fill an SM's register file
int g_batch_ok = 1;  // cudaMemcpyBatchAsync usable (cleared after the first "not supported")

// ---------------------------------------------------------------------------------------------
// Gather/scatter kernel: one warp per item (one token's K or V in one layer), 16-byte (or
// narrower, when alignment forbids) loads and stores, several loads in flight per lane before the
// first store. Items are enumerated in the host side's address order, so consecutive warps touch
// consecutive host bytes and the PCIe requests stay sequential.

struct Side {
  char* base;
  long long skv, slayer, spage, stok;
};

constexpr int kMaxPagesPerLaunch = 1536;  // 12 KiB of page numbers in the kernel parameters

struct PageList {
  int n;
  int src[kMaxPagesPerLaunch];
  int dst[kMaxPagesPerLaunch];
};

template <typename V, int U>
__global__ void __launch_bounds__(256) copyItems(Side src, Side dst, const __grid_constant__ PageList pages, int parts,
                                                 int layer0, int nlayers, int ps, int vecPerItem, int tokInner) {
  const long long total = (long long)pages.n * parts * nlayers * ps;
  const int lane = threadIdx.x & 31;
  const long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const long long nwarps = ((long long)gridDim.x * blockDim.x) >> 5;
  for (long long it = warp; it < total; it += nwarps) {
    long long r = it;
    int a, b;  // inner indices in host order
    int inner1 = tokInner ? ps : nlayers;
    int inner0 = tokInner ? nlayers : ps;
    b = (int)(r % inner1); r /= inner1;
    a = (int)(r % inner0); r /= inner0;
    int kv = (int)(r % parts); r /= parts;
    int p = (int)r;
    int layer = layer0 + (tokInner ? a : b);
    int tok = tokInner ? b : a;
    const V* s = reinterpret_cast<const V*>(src.base + kv * src.skv + layer * src.slayer +
                                            (long long)pages.src[p] * src.spage + tok * src.stok);
    V* d = reinterpret_cast<V*>(dst.base + kv * dst.skv + layer * dst.slayer +
                                (long long)pages.dst[p] * dst.spage + tok * dst.stok);
    for (int v0 = 0; v0 < vecPerItem; v0 += 32 * U) {
      V buf[U];
#pragma unroll
      for (int u = 0; u < U; u++) {
        int v = v0 + u * 32 + lane;
        if (v < vecPerItem) buf[u] = __ldcs(s + v);
      }
#pragma unroll
      for (int u = 0; u < U; u++) {
        int v = v0 + u * 32 + lane;
        if (v < vecPerItem) __stcs(d + v, buf[u]);
      }
    }
  }
}

// uchar has no __ldcs overload that we want to rely on; plain loads for the 1-byte fallback.
template <int U>
__global__ void __launch_bounds__(256) copyItemsBytes(Side src, Side dst, const __grid_constant__ PageList pages, int parts,
                                                      int layer0, int nlayers, int ps, int itemBytes, int tokInner) {
  const long long total = (long long)pages.n * parts * nlayers * ps;
  const int lane = threadIdx.x & 31;
  const long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const long long nwarps = ((long long)gridDim.x * blockDim.x) >> 5;
  for (long long it = warp; it < total; it += nwarps) {
    long long r = it;
    int inner1 = tokInner ? ps : nlayers;
    int inner0 = tokInner ? nlayers : ps;
    int b = (int)(r % inner1); r /= inner1;
    int a = (int)(r % inner0); r /= inner0;
    int kv = (int)(r % parts); r /= parts;
    int p = (int)r;
    int layer = layer0 + (tokInner ? a : b);
    int tok = tokInner ? b : a;
    const unsigned char* s = reinterpret_cast<const unsigned char*>(
        src.base + kv * src.skv + layer * src.slayer + (long long)pages.src[p] * src.spage + tok * src.stok);
    unsigned char* d = reinterpret_cast<unsigned char*>(dst.base + kv * dst.skv + layer * dst.slayer +
                                                        (long long)pages.dst[p] * dst.spage + tok * dst.stok);
    for (int i = lane; i < itemBytes; i += 32) d[i] = s[i];
  }
}

int vectorWidth(const Side& a, const Side& b, long long item) {
  unsigned long long m = (unsigned long long)item | (unsigned long long)(uintptr_t)a.base |
                         (unsigned long long)(uintptr_t)b.base | (unsigned long long)a.skv |
                         (unsigned long long)a.slayer | (unsigned long long)a.spage | (unsigned long long)a.stok |
                         (unsigned long long)b.skv | (unsigned long long)b.slayer | (unsigned long long)b.spage |
                         (unsigned long long)b.stok;
  if ((m & 15) == 0) return 16;
  if ((m & 7) == 0) return 8;
  if ((m & 3) == 0) return 4;
  return 1;
}

cudaError_t launchCopy(const Side& src, const Side& dst, const int* srcPages, const int* dstPages, int n, int parts,
                       int layer0, int nlayers, int ps, long long item, int tokInner, cudaStream_t stream) {
  int vw = vectorWidth(src, dst, item);
  int sms = g_sm_count > 0 ? g_sm_count : 132;
  for (int off = 0; off < n; off += kMaxPagesPerLaunch) {
    PageList pl;
    pl.n = n - off < kMaxPagesPerLaunch ? n - off : kMaxPagesPerLaunch;
    memcpy(pl.src, srcPages + off, sizeof(int) * pl.n);
    memcpy(pl.dst, dstPages + off, sizeof(int) * pl.n);
    long long items = (long long)pl.n * parts * nlayers * ps;
    long long blocksNeeded = (items + 7) / 8;  // 8 warps per block
    long long maxBlocks = (long long)sms * g_blocks_per_sm;
    int blocks = (int)(blocksNeeded < maxBlocks ? blocksNeeded : maxBlocks);
    if (blocks < 1) blocks = 1;
    int vec = (int)(item / vw);
    switch (vw) {
      case 16:
        if (g_unroll == 8)
          copyItems<uint4, 8><<<blocks, 256, 0, stream>>>(src, dst, pl, parts, layer0, nlayers, ps, vec, tokInner);
        else
          copyItems<uint4, 4><<<blocks, 256, 0, stream>>>(src, dst, pl, parts, layer0, nlayers, ps, vec, tokInner);
        break;
      case 8: copyItems<uint2, 4><<<blocks, 256, 0, stream>>>(src, dst, pl, parts, layer0, nlayers, ps, vec, tokInner); break;
      case 4: copyItems<unsigned int, 4><<<blocks, 256, 0, stream>>>(src, dst, pl, parts, layer0, nlayers, ps, vec, tokInner); break;
      default: copyItemsBytes<4><<<blocks, 256, 0, stream>>>(src, dst, pl, parts, layer0, nlayers, ps, (int)item, tokInner); break;
    }
    cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  return cudaSuccess;
}

// The staged path's relayout by the copy engine instead of the kernel (device to device): one 2-D copy
// per (kv, page) of page-size runs, layer after layer. Needs both sides to hold each (kv, layer, page)
// as one run of ps * item bytes (layer_first device, page_first_direct staging); the Java side checks.
cudaError_t relayoutByCopyEngine(const Side& src, const Side& dst, const int* srcPages, const int* dstPages, int n,
                                 int parts, int nlayers, int ps, long long item, cudaStream_t stream) {
  const size_t run = (size_t)ps * (size_t)item;
  for (int j = 0; j < n; j++) {
    for (int kv = 0; kv < parts; kv++) {
      cudaError_t err = cudaMemcpy2DAsync(dst.base + kv * dst.skv + (long long)dstPages[j] * dst.spage, (size_t)dst.slayer,
                                          src.base + kv * src.skv + (long long)srcPages[j] * src.spage, (size_t)src.slayer,
                                          run, (size_t)nlayers, cudaMemcpyDeviceToDevice, stream);
      if (err != cudaSuccess) return err;
    }
  }
  return cudaSuccess;
}

bool readSide(JNIEnv* env, jlong base, jlongArray strides, Side* out) {
  if (env->GetArrayLength(strides) != 4) {
    throwIllegalArgument(env, "a side has 4 strides: kv, layer, page, token");
    return false;
  }
  jlong s[4];
  env->GetLongArrayRegion(strides, 0, 4, s);
  out->base = P(base);
  out->skv = s[0];
  out->slayer = s[1];
  out->spage = s[2];
  out->stok = s[3];
  return true;
}

// One batch of 1-D copies: cudaMemcpyBatchAsync where the driver has it, else one call each.
cudaError_t copyBatch(void** dsts, void** srcs, size_t* sizes, size_t n, cudaStream_t stream, bool batch,
                      const char** failedCall) {
  if (n == 0) return cudaSuccess;
  if (batch && g_batch_ok) {
    cudaMemcpyAttributes attr;
    memset(&attr, 0, sizeof(attr));
    attr.srcAccessOrder = cudaMemcpySrcAccessOrderStream;
    size_t idx = 0;
    cudaError_t err = cudaMemcpyBatchAsync(dsts, (const void* const*)srcs, sizes, n, &attr, &idx, 1, stream);
    if (err == cudaSuccess) return err;
    if (err != cudaErrorNotSupported && err != cudaErrorInvalidValue) {
      *failedCall = "cudaMemcpyBatchAsync";
      return err;
    }
    (void)cudaGetLastError();
    g_batch_ok = 0;  // fall through to single copies for good
  }
  for (size_t i = 0; i < n; i++) {
    cudaError_t err = cudaMemcpyAsync(dsts[i], srcs[i], sizes[i], cudaMemcpyDefault, stream);
    if (err != cudaSuccess) {
      *failedCall = "cudaMemcpyAsync";
      return err;
    }
  }
  return cudaSuccess;
}

}  // namespace

extern "C" {

// ---------------------------------------------------------------------------------------------
// Probe and errors

// out: [0] device count, [1] driver version, [2] runtime version, [3] libcuda.so.1 loadable (1/0),
//      [4] multiprocessors of device 0, [5] max pitch of device 0, [6] can use host pointer for
//      registered memory. Returns the cudaError of cudaGetDeviceCount (or -1 when libcuda.so.1 is absent).
JNIEXPORT jint JNICALL Java_dev_hicache_l1_CudaNative_probe(JNIEnv* env, jclass, jlongArray out) {
  jlong v[7] = {0, 0, 0, 0, 0, 0, 0};
  int rt = 0;
  cudaRuntimeGetVersion(&rt);
  v[2] = rt;
  void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    env->SetLongArrayRegion(out, 0, 7, v);
    return -1;
  }
  v[3] = 1;
  int drv = 0;
  cudaDriverGetVersion(&drv);
  v[1] = drv;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaSuccess && count > 0) {
    v[0] = count;
    int sms = 0, pitch = 0, hostPtr = 0;
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    cudaDeviceGetAttribute(&pitch, cudaDevAttrMaxPitch, 0);
    cudaDeviceGetAttribute(&hostPtr, cudaDevAttrCanUseHostPointerForRegisteredMem, 0);
    v[4] = sms;
    v[5] = pitch;
    v[6] = hostPtr;
    g_sm_count = sms;
  }
  env->SetLongArrayRegion(out, 0, 7, v);
  return (jint)err;
}

JNIEXPORT jstring JNICALL Java_dev_hicache_l1_CudaNative_errorName(JNIEnv* env, jclass, jint code) {
  return env->NewStringUTF(cudaGetErrorName((cudaError_t)code));
}

JNIEXPORT jstring JNICALL Java_dev_hicache_l1_CudaNative_errorString(JNIEnv* env, jclass, jint code) {
  return env->NewStringUTF(cudaGetErrorString((cudaError_t)code));
}

JNIEXPORT jstring JNICALL Java_dev_hicache_l1_CudaNative_deviceName(JNIEnv* env, jclass, jint dev) {
  cudaDeviceProp prop;
  if (throwIf(env, cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties")) return nullptr;
  char buf[300];
  snprintf(buf, sizeof(buf), "%s (sm_%d%d, %d SMs, %.1f GiB, PCI %04x:%02x:%02x)", prop.name, prop.major, prop.minor,
           prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0, prop.pciDomainID, prop.pciBusID,
           prop.pciDeviceID);
  return env->NewStringUTF(buf);
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_setDevice(JNIEnv* env, jclass, jint dev) {
  throwIf(env, cudaSetDevice(dev), "cudaSetDevice");
}

// ---------------------------------------------------------------------------------------------
// Memory

JNIEXPORT jlong JNICALL Java_dev_hicache_l1_CudaNative_malloc(JNIEnv* env, jclass, jlong bytes) {
  void* p = nullptr;
  if (throwIf(env, cudaMalloc(&p, (size_t)bytes), "cudaMalloc")) return 0;
  return (jlong)p;
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_free(JNIEnv* env, jclass, jlong ptr) {
  throwIf(env, cudaFree(P(ptr)), "cudaFree");
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_memset(JNIEnv* env, jclass, jlong ptr, jint value, jlong bytes) {
  throwIf(env, cudaMemset(P(ptr), value, (size_t)bytes), "cudaMemset");
}

// Synchronous copy in either direction (cudaMemcpyDefault: unified addressing tells which).
JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_memcpy(JNIEnv* env, jclass, jlong dst, jlong src, jlong bytes) {
  throwIf(env, cudaMemcpy(P(dst), P(src), (size_t)bytes, cudaMemcpyDefault), "cudaMemcpy");
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_memcpyAsync(JNIEnv* env, jclass, jlong dst, jlong src, jlong bytes,
                                                                  jlong stream) {
  throwIf(env, cudaMemcpyAsync(P(dst), P(src), (size_t)bytes, cudaMemcpyDefault, S(stream)), "cudaMemcpyAsync");
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_hostRegister(JNIEnv* env, jclass, jlong ptr, jlong bytes) {
  throwIf(env, cudaHostRegister(P(ptr), (size_t)bytes, cudaHostRegisterPortable | cudaHostRegisterMapped),
          "cudaHostRegister");
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_hostUnregister(JNIEnv* env, jclass, jlong ptr) {
  throwIf(env, cudaHostUnregister(P(ptr)), "cudaHostUnregister");
}

// The device address of registered (mapped) host memory; throws cudaErrorInvalidValue when the
// range is not registered.
JNIEXPORT jlong JNICALL Java_dev_hicache_l1_CudaNative_hostDevicePointer(JNIEnv* env, jclass, jlong ptr) {
  void* d = nullptr;
  cudaError_t err = cudaHostGetDevicePointer(&d, P(ptr), 0);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throwIf(env, err, "cudaHostGetDevicePointer");
    return 0;
  }
  return (jlong)d;
}

// ---------------------------------------------------------------------------------------------
// Streams and events

JNIEXPORT jlong JNICALL Java_dev_hicache_l1_CudaNative_streamCreate(JNIEnv* env, jclass) {
  cudaStream_t s = nullptr;
  if (throwIf(env, cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags")) return 0;
  return (jlong)s;
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_streamDestroy(JNIEnv* env, jclass, jlong s) {
  throwIf(env, cudaStreamDestroy(S(s)), "cudaStreamDestroy");
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_streamSynchronize(JNIEnv* env, jclass, jlong s) {
  throwIf(env, cudaStreamSynchronize(S(s)), "cudaStreamSynchronize");
}

// Events block the waiting thread (no spinning) and carry no timing.
JNIEXPORT jlong JNICALL Java_dev_hicache_l1_CudaNative_eventCreate(JNIEnv* env, jclass) {
  cudaEvent_t e = nullptr;
  if (throwIf(env, cudaEventCreateWithFlags(&e, cudaEventDisableTiming | cudaEventBlockingSync),
              "cudaEventCreateWithFlags"))
    return 0;
  return (jlong)e;
}

// Timed events: for measuring a transfer's device time (the copy calibration's benchmark main); the
// transfers themselves keep untimed events, which cost less to record.
JNIEXPORT jlong JNICALL Java_dev_hicache_l1_CudaNative_eventCreateTimed(JNIEnv* env, jclass) {
  cudaEvent_t e = nullptr;
  if (throwIf(env, cudaEventCreateWithFlags(&e, cudaEventDefault), "cudaEventCreateWithFlags")) return 0;
  return (jlong)e;
}

// Milliseconds between two completed timed events (cudaEventElapsedTime: about 0.5 us resolution).
JNIEXPORT jfloat JNICALL Java_dev_hicache_l1_CudaNative_eventElapsedMillis(JNIEnv* env, jclass, jlong start, jlong end) {
  float ms = 0;
  throwIf(env, cudaEventElapsedTime(&ms, E(start), E(end)), "cudaEventElapsedTime");
  return ms;
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_eventDestroy(JNIEnv* env, jclass, jlong e) {
  throwIf(env, cudaEventDestroy(E(e)), "cudaEventDestroy");
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_eventRecord(JNIEnv* env, jclass, jlong e, jlong s) {
  throwIf(env, cudaEventRecord(E(e), S(s)), "cudaEventRecord");
}

// Returns the cudaError of cudaEventQuery: 0 done, 600 (cudaErrorNotReady) pending, else a failure.
JNIEXPORT jint JNICALL Java_dev_hicache_l1_CudaNative_eventQuery(JNIEnv*, jclass, jlong e) {
  cudaError_t err = cudaEventQuery(E(e));
  if (err == cudaErrorNotReady) (void)cudaGetLastError();
  return (jint)err;
}

JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_eventSynchronize(JNIEnv* env, jclass, jlong e) {
  throwIf(env, cudaEventSynchronize(E(e)), "cudaEventSynchronize");
}

// ---------------------------------------------------------------------------------------------
// Copies

// runs: n triples (dstOffset, srcOffset, bytes) relative to dstBase / srcBase.
JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_copyRuns(JNIEnv* env, jclass, jlong dstBase, jlong srcBase,
                                                               jlongArray runs, jint n, jboolean batch, jlong stream) {
  if (n <= 0) return;
  jlong* r = env->GetLongArrayElements(runs, nullptr);
  if (r == nullptr) return;
  void** dsts = (void**)malloc(sizeof(void*) * n);
  void** srcs = (void**)malloc(sizeof(void*) * n);
  size_t* sizes = (size_t*)malloc(sizeof(size_t) * n);
  for (int i = 0; i < n; i++) {
    dsts[i] = P(dstBase) + r[3 * i];
    srcs[i] = P(srcBase) + r[3 * i + 1];
    sizes[i] = (size_t)r[3 * i + 2];
  }
  env->ReleaseLongArrayElements(runs, r, JNI_ABORT);
  const char* call = "copy";
  cudaError_t err = copyBatch(dsts, srcs, sizes, (size_t)n, S(stream), batch, &call);
  free(dsts);
  free(srcs);
  free(sizes);
  throwIf(env, err, call);
}

// runs: n sextuples (dstOffset, dstPitch, srcOffset, srcPitch, widthBytes, height).
JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_copyRuns2D(JNIEnv* env, jclass, jlong dstBase, jlong srcBase,
                                                                 jlongArray runs, jint n, jlong stream) {
  if (n <= 0) return;
  jlong* r = env->GetLongArrayElements(runs, nullptr);
  if (r == nullptr) return;
  cudaError_t err = cudaSuccess;
  for (int i = 0; i < n && err == cudaSuccess; i++) {
    const jlong* q = r + 6 * i;
    err = cudaMemcpy2DAsync(P(dstBase) + q[0], (size_t)q[1], P(srcBase) + q[2], (size_t)q[3], (size_t)q[4],
                            (size_t)q[5], cudaMemcpyDefault, S(stream));
  }
  env->ReleaseLongArrayElements(runs, r, JNI_ABORT);
  throwIf(env, err, "cudaMemcpy2DAsync");
}

// runs: n 9-tuples (dstOffset, dstPitch, dstRows, srcOffset, srcPitch, srcRows, widthBytes, height, depth): a
// 3-D copy whose slices lie pitch x rows apart on each side (e.g. the K and V parts of a page, all its layers).
JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_copyRuns3D(JNIEnv* env, jclass, jlong dstBase, jlong srcBase,
                                                                 jlongArray runs, jint n, jlong stream) {
  if (n <= 0) return;
  jlong* r = env->GetLongArrayElements(runs, nullptr);
  if (r == nullptr) return;
  cudaError_t err = cudaSuccess;
  for (int i = 0; i < n && err == cudaSuccess; i++) {
    const jlong* q = r + 9 * i;
    cudaMemcpy3DParms p;
    memset(&p, 0, sizeof(p));
    p.dstPtr = make_cudaPitchedPtr(P(dstBase) + q[0], (size_t)q[1], (size_t)q[6], (size_t)q[2]);
    p.srcPtr = make_cudaPitchedPtr(P(srcBase) + q[3], (size_t)q[4], (size_t)q[6], (size_t)q[5]);
    p.extent = make_cudaExtent((size_t)q[6], (size_t)q[7], (size_t)q[8]);
    p.kind = cudaMemcpyDefault;
    err = cudaMemcpy3DAsync(&p, S(stream));
  }
  env->ReleaseLongArrayElements(runs, r, JNI_ABORT);
  throwIf(env, err, "cudaMemcpy3DAsync");
}

// The warp-per-item gather/scatter between two sides (device memory or mapped host memory).
JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_kernelCopy(JNIEnv* env, jclass, jlong dstBase,
                                                                 jlongArray dstStrides, jlong srcBase,
                                                                 jlongArray srcStrides, jintArray dstPages,
                                                                 jintArray srcPages, jint n, jint parts, jint layer0,
                                                                 jint nlayers, jint ps, jlong item, jboolean tokInner,
                                                                 jlong stream) {
  Side dst, src;
  if (!readSide(env, dstBase, dstStrides, &dst) || !readSide(env, srcBase, srcStrides, &src)) return;
  if (n <= 0) return;
  jint* dp = env->GetIntArrayElements(dstPages, nullptr);
  jint* sp = env->GetIntArrayElements(srcPages, nullptr);
  cudaError_t err = launchCopy(src, dst, (const int*)sp, (const int*)dp, n, parts, layer0, nlayers, ps, item,
                               tokInner ? 1 : 0, S(stream));
  env->ReleaseIntArrayElements(dstPages, dp, JNI_ABORT);
  env->ReleaseIntArrayElements(srcPages, sp, JNI_ABORT);
  throwIf(env, err, "copyItems<<<>>>");
}

// Whole-page transfers through a device staging buffer: the copy engine moves each (kv, page)
// block of all layers (contiguous on the host in page_first and page_first_direct) at full PCIe
// rate, and the gather/scatter kernel converts layouts in device memory, chunk c's kernel
// overlapping chunk c+1's copy (two streams, a ring of staging slots).
//
// events: at least 2 * slots + 1 events owned by the caller, free for this call's use.
JNIEXPORT void JNICALL Java_dev_hicache_l1_CudaNative_stagedCopy(
    JNIEnv* env, jclass, jboolean toDevice, jlong devBase, jlongArray devStrides, jlong hostBase,
    jlongArray hostStrides, jintArray devPages, jintArray hostPages, jint n, jint parts, jint layers, jint ps,
    jlong item, jlong staging, jlong stagingBytes, jint slots, jlong mainStream, jlong auxStream,
    jlongArray events, jboolean copyEngine) {
  Side dev, host;
  if (!readSide(env, devBase, devStrides, &dev) || !readSide(env, hostBase, hostStrides, &host)) return;
  if (n <= 0) return;
  const long long block = (long long)layers * ps * item;  // one (kv, page) block of all layers
  const long long slotBytes = stagingBytes / slots;
  long long fit = slotBytes / (block * parts);
  const int perChunk = (int)(fit < kMaxPagesPerLaunch ? fit : kMaxPagesPerLaunch);
  if (perChunk < 1 || slots < 1 || slots > 32 || env->GetArrayLength(events) < 2 * slots + 1) {
    throwIllegalArgument(env, "staging buffer smaller than one page, or too few events");
    return;
  }
  jlong ev[65];
  int nev = env->GetArrayLength(events);
  if (nev > 65) nev = 65;
  env->GetLongArrayRegion(events, 0, nev, ev);
  cudaEvent_t evStart = E(ev[0]);
  cudaEvent_t* evCopy = reinterpret_cast<cudaEvent_t*>(ev + 1);           // slot filled/drained by the copy engine
  cudaEvent_t* evKernel = reinterpret_cast<cudaEvent_t*>(ev + 1 + slots);  // slot filled/drained by the kernel
  cudaStream_t ms = S(mainStream), as = S(auxStream);
  jint* dp = env->GetIntArrayElements(devPages, nullptr);
  jint* hp = env->GetIntArrayElements(hostPages, nullptr);
  int chunks = (n + perChunk - 1) / perChunk;
  int seq[kMaxPagesPerLaunch];
  for (int i = 0; i < kMaxPagesPerLaunch; i++) seq[i] = i;
  int cap = perChunk * parts;
  void** dsts = (void**)malloc(sizeof(void*) * cap);
  void** srcs = (void**)malloc(sizeof(void*) * cap);
  size_t* sizes = (size_t*)malloc(sizeof(size_t) * cap);
  cudaError_t err = cudaSuccess;
  const char* call = "stagedCopy";
  bool used[32] = {false};

  if (!toDevice) {
    err = cudaEventRecord(evStart, ms);
    if (err == cudaSuccess) err = cudaStreamWaitEvent(as, evStart, 0);
  }
  for (int c = 0; c < chunks && err == cudaSuccess; c++) {
    int s = c % slots;
    int first = c * perChunk;
    int cnt = n - first < perChunk ? n - first : perChunk;
    Side stage;
    stage.base = P(staging) + s * slotBytes;
    stage.skv = block;
    stage.spage = block * parts;
    stage.slayer = host.slayer;
    stage.stok = host.stok;
    int k = 0;
    for (int j = 0; j < cnt; j++) {
      for (int kv = 0; kv < parts; kv++) {
        char* h = host.base + kv * host.skv + (long long)hp[first + j] * host.spage;
        char* st = stage.base + (long long)(j * parts + kv) * block;
        dsts[k] = toDevice ? (void*)st : (void*)h;
        srcs[k] = toDevice ? (void*)h : (void*)st;
        sizes[k] = (size_t)block;
        k++;
      }
    }
    if (toDevice) {
      if (used[s]) err = cudaStreamWaitEvent(ms, evKernel[s], 0);
      if (err == cudaSuccess) err = copyBatch(dsts, srcs, sizes, k, ms, true, &call);
      if (err == cudaSuccess) err = cudaEventRecord(evCopy[s], ms);
      if (err == cudaSuccess) err = cudaStreamWaitEvent(as, evCopy[s], 0);
      if (err == cudaSuccess)
        err = copyEngine ? relayoutByCopyEngine(stage, dev, seq, (const int*)dp + first, cnt, parts, layers, ps, item, as)
                         : launchCopy(stage, dev, seq, (const int*)dp + first, cnt, parts, 0, layers, ps, item,
                                      host.stok < host.slayer ? 1 : 0, as);
      if (err == cudaSuccess) err = cudaEventRecord(evKernel[s], as);
    } else {
      if (used[s]) err = cudaStreamWaitEvent(as, evCopy[s], 0);
      if (err == cudaSuccess)
        err = copyEngine ? relayoutByCopyEngine(dev, stage, (const int*)dp + first, seq, cnt, parts, layers, ps, item, as)
                         : launchCopy(dev, stage, (const int*)dp + first, seq, cnt, parts, 0, layers, ps, item,
                                      host.stok < host.slayer ? 1 : 0, as);
      if (err == cudaSuccess) err = cudaEventRecord(evKernel[s], as);
      if (err == cudaSuccess) err = cudaStreamWaitEvent(ms, evKernel[s], 0);
      if (err == cudaSuccess) err = copyBatch(dsts, srcs, sizes, k, ms, true, &call);
      if (err == cudaSuccess) err = cudaEventRecord(evCopy[s], ms);
    }
    used[s] = true;
  }
  // The main stream carries the transfer's completion: make it wait for the last kernels.
  if (toDevice) {
    for (int s = 0; s < slots && err == cudaSuccess; s++)
      if (used[s]) err = cudaStreamWaitEvent(ms, evKernel[s], 0);
  }
  free(dsts);
  free(srcs);
  free(sizes);
  env->ReleaseIntArrayElements(devPages, dp, JNI_ABORT);
  env->ReleaseIntArrayElements(hostPages, hp, JNI_ABORT);
  throwIf(env, err, call);
}

// Loads in flight per lane of the 16-byte kernel (4 or 8; a tuning knob for benchmarks); returns the old value.
JNIEXPORT jint JNICALL Java_dev_hicache_l1_CudaNative_setUnroll(JNIEnv*, jclass, jint n) {
  int old = g_unroll;
  if (n == 4 || n == 8) g_unroll = n;
  return old;
}

// Blocks per SM of the gather/scatter grid (a tuning knob for benchmarks); returns the old value.
JNIEXPORT jint JNICALL Java_dev_hicache_l1_CudaNative_setBlocksPerSm(JNIEnv*, jclass, jint n) {
  int old = g_blocks_per_sm;
  if (n > 0) g_blocks_per_sm = n;
  return old;
}

JNIEXPORT jint JNICALL Java_dev_hicache_l1_CudaNative_maxPagesPerLaunch(JNIEnv*, jclass) {
  return kMaxPagesPerLaunch;
}

}  // extern "C"
