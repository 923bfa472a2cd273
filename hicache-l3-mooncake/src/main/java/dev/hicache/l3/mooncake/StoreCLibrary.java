package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The raw Foreign Function and Memory binding to Mooncake Store's C ABI ({@code store_c.h},
 * docs/behaviour.md#mooncake-store): one downcall handle per exported function, all 19 resolved
 * when the library is opened, so that a missing symbol is a load error rather than a crash later.
 *
 * <p>Locating the library follows Mooncake's Rust binding ({@code ffi_dlopen.rs},
 * docs/behaviour.md#loading-the-library): the file named by {@value #LIBRARY_ENV}, else {@value
 * #DEFAULT_LIBRARY} through the system loader search path; opened lazily by the first store, at
 * most once per process; an explicit {@link #load(Path)} must come before that and fails
 * afterwards.
 *
 * <p>These methods pass raw pointers and return raw codes. Use {@link MooncakeStore}, which checks
 * arguments, owns the handle and maps codes to errors; this class is public for benchmarks and
 * for callers that need an exact C call.
 */
public final class StoreCLibrary {
  /** Environment variable naming the shared library (Mooncake's Rust binding reads the same). */
  public static final String LIBRARY_ENV = "MOONCAKE_STORE_LIBRARY";

  /** Default library name, resolved through the OS loader search path. */
  public static final String DEFAULT_LIBRARY = "libmooncake_store.so";

  /** How to obtain the library, appended to every load error. */
  static final String HOW_TO_OBTAIN =
      "libmooncake_store.so is built from Mooncake's sources by its build guide "
          + "(https://github.com/kvcache-ai/Mooncake/blob/main/docs/source/getting_started/build.md) "
          + "with -DWITH_STORE_C_SHARED=ON, target mooncake_store_c "
          + "(Linux; output build/mooncake-store/src/shared/libmooncake_store.so). Set "
          + LIBRARY_ENV + " to that file, or put its directory on the system library path (LD_LIBRARY_PATH).";

  /** {@code mooncake_replicate_config_t}: size 32, alignment 8 on 64-bit Linux (docs/behaviour.md#c-abi-conventions). */
  public static final StructLayout REPLICATE_CONFIG =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("replica_num"),
          JAVA_INT.withName("with_soft_pin"),
          JAVA_INT.withName("with_hard_pin"),
          ADDRESS.withName("preferred_segments"),
          JAVA_LONG.withName("preferred_segments_count"))
      .withName("mooncake_replicate_config");

  static final VarHandle RC_REPLICA_NUM = field("replica_num");
  static final VarHandle RC_SOFT_PIN = field("with_soft_pin");
  static final VarHandle RC_HARD_PIN = field("with_hard_pin");
  static final VarHandle RC_SEGMENTS = field("preferred_segments");
  static final VarHandle RC_SEGMENTS_COUNT = field("preferred_segments_count");

  private static VarHandle field(String name) {
    return REPLICATE_CONFIG.varHandle(MemoryLayout.PathElement.groupElement(name)).withInvokeExactBehavior();
  }

  // size_t and uint64_t are 64-bit on every platform Mooncake supports (x86-64 and aarch64 Linux).
  private static final MemoryLayout SIZE_T = JAVA_LONG;
  private static final MemoryLayout UINT64 = JAVA_LONG;
  private static final MemoryLayout INT64 = JAVA_LONG;

  /** Every exported function of store_c.h, with its C signature as a descriptor (docs/behaviour.md#store-functions). */
  public static final Map<String, FunctionDescriptor> FUNCTIONS = functions();

  private static Map<String, FunctionDescriptor> functions() {
    var m = new java.util.LinkedHashMap<String, FunctionDescriptor>();
    m.put("mooncake_store_create", FunctionDescriptor.of(ADDRESS));
    m.put("mooncake_store_destroy", FunctionDescriptor.ofVoid(ADDRESS));
    m.put("mooncake_store_setup",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, UINT64, UINT64, ADDRESS, ADDRESS, ADDRESS));
    m.put("mooncake_store_init_all", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, UINT64));
    m.put("mooncake_store_health_check", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    m.put("mooncake_store_put", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, SIZE_T, ADDRESS));
    m.put("mooncake_store_put_from", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, SIZE_T, ADDRESS));
    m.put("mooncake_store_batch_put_from",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, SIZE_T, ADDRESS, ADDRESS));
    m.put("mooncake_store_get_into", FunctionDescriptor.of(INT64, ADDRESS, ADDRESS, ADDRESS, SIZE_T));
    m.put("mooncake_store_batch_get_into",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, SIZE_T, ADDRESS));
    m.put("mooncake_store_is_exist", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    m.put("mooncake_store_batch_is_exist", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, SIZE_T, ADDRESS));
    m.put("mooncake_store_get_size", FunctionDescriptor.of(INT64, ADDRESS, ADDRESS));
    m.put("mooncake_store_get_hostname", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, SIZE_T));
    m.put("mooncake_store_remove", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    m.put("mooncake_store_remove_by_regex", FunctionDescriptor.of(INT64, ADDRESS, ADDRESS, JAVA_INT));
    m.put("mooncake_store_remove_all", FunctionDescriptor.of(INT64, ADDRESS, JAVA_INT));
    m.put("mooncake_store_register_buffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, SIZE_T));
    m.put("mooncake_store_unregister_buffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    return Collections.unmodifiableMap(m);
  }

  private static final Object INIT_LOCK = new Object();
  private static volatile StoreCLibrary loaded;

  private final String location;
  private final MethodHandle create, destroy, setup, initAll, healthCheck, put, putFrom, batchPutFrom,
      getInto, batchGetInto, isExist, batchIsExist, getSize, getHostname, remove, removeByRegex,
      removeAll, registerBuffer, unregisterBuffer;

  @SuppressWarnings("restricted") // binding native functions is this class's purpose
  private StoreCLibrary(String location, SymbolLookup lookup) {
    this.location = location;
    Linker linker = Linker.nativeLinker();
    List<String> missing = new ArrayList<>();
    var handles = new java.util.HashMap<String, MethodHandle>();
    for (var f : FUNCTIONS.entrySet()) {
      Optional<MemorySegment> sym = lookup.find(f.getKey());
      if (sym.isEmpty()) {
        missing.add(f.getKey());
      } else {
        handles.put(f.getKey(), linker.downcallHandle(sym.get(), f.getValue()));
      }
    }
    if (!missing.isEmpty()) {
      throw new MooncakeException.LibraryLoad("'" + location + "' is not a Mooncake Store C library: it lacks "
          + missing + " of store_c.h. " + HOW_TO_OBTAIN, null);
    }
    create = handles.get("mooncake_store_create");
    destroy = handles.get("mooncake_store_destroy");
    setup = handles.get("mooncake_store_setup");
    initAll = handles.get("mooncake_store_init_all");
    healthCheck = handles.get("mooncake_store_health_check");
    put = handles.get("mooncake_store_put");
    putFrom = handles.get("mooncake_store_put_from");
    batchPutFrom = handles.get("mooncake_store_batch_put_from");
    getInto = handles.get("mooncake_store_get_into");
    batchGetInto = handles.get("mooncake_store_batch_get_into");
    isExist = handles.get("mooncake_store_is_exist");
    batchIsExist = handles.get("mooncake_store_batch_is_exist");
    getSize = handles.get("mooncake_store_get_size");
    getHostname = handles.get("mooncake_store_get_hostname");
    remove = handles.get("mooncake_store_remove");
    removeByRegex = handles.get("mooncake_store_remove_by_regex");
    removeAll = handles.get("mooncake_store_remove_all");
    registerBuffer = handles.get("mooncake_store_register_buffer");
    unregisterBuffer = handles.get("mooncake_store_unregister_buffer");
  }

  /**
   * Opens a library without making it this process's Mooncake library: for tests and tools that
   * inspect a file. {@code nameOrPath} goes to the loader as given (a bare name is searched for).
   */
  @SuppressWarnings("restricted")
  static StoreCLibrary open(String nameOrPath, String origin) {
    SymbolLookup lookup;
    try {
      // Arena.global(): the library stays mapped for the life of the process, as Mooncake expects
      // (its atexit teardown and ResourceTracker live in it).
      lookup = SymbolLookup.libraryLookup(nameOrPath, Arena.global());
    } catch (IllegalArgumentException | IllegalCallerException e) {
      String why = nameOrPath.contains("/") && !Files.exists(Path.of(nameOrPath))
          ? "no such file" : String.valueOf(e.getMessage());
      throw new MooncakeException.LibraryLoad("cannot load the Mooncake Store C library '" + nameOrPath + "' ("
          + origin + "): " + why + ". " + HOW_TO_OBTAIN, e);
    }
    return new StoreCLibrary(nameOrPath, lookup);
  }

  /**
   * Loads the library from an explicit path. Must come before any store is created in this
   * process (and before any other load); afterwards it fails with {@link
   * MooncakeException.LibraryAlreadyLoaded}.
   */
  public static StoreCLibrary load(Path path) {
    synchronized (INIT_LOCK) {
      if (loaded != null) {
        throw new MooncakeException.LibraryAlreadyLoaded("the Mooncake library is already loaded from '"
            + loaded.location + "'; load(" + path + ") must be called before any MooncakeStore is created");
      }
      StoreCLibrary lib = open(path.toString(), "explicit path");
      loaded = lib;
      return lib;
    }
  }

  /** The process's library, loading it on first use from the environment (docs/behaviour.md#loading-the-library). */
  public static StoreCLibrary ensureLoaded() {
    return ensureLoaded(System.getenv());
  }

  /** As {@link #ensureLoaded()}, reading {@value #LIBRARY_ENV} from {@code env}. */
  public static StoreCLibrary ensureLoaded(Map<String, String> env) {
    StoreCLibrary lib = loaded;
    if (lib != null) return lib;
    synchronized (INIT_LOCK) {
      if (loaded == null) {
        String fromEnv = env.get(LIBRARY_ENV);
        if (fromEnv != null && !fromEnv.isEmpty()) {
          loaded = open(fromEnv, LIBRARY_ENV + "=" + fromEnv);
        } else {
          loaded = open(DEFAULT_LIBRARY, LIBRARY_ENV + " is not set; searched the system library path");
        }
      }
      return loaded;
    }
  }

  /** The library this process loaded, if any. */
  public static Optional<StoreCLibrary> current() {
    return Optional.ofNullable(loaded);
  }

  /** Where the library was loaded from (as given to the loader). */
  public String location() {
    return location;
  }

  /** The C symbols this binding resolved: all of {@link #FUNCTIONS}. */
  public List<String> boundFunctions() {
    return List.copyOf(FUNCTIONS.keySet());
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) return r;
    if (t instanceof Error e) throw e;
    return new IllegalStateException("downcall failed", t);
  }

  // ---- the raw calls, one per C function -------------------------------------------------------

  public MemorySegment create() {
    try {
      return (MemorySegment) create.invokeExact();
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public void destroy(MemorySegment store) {
    try {
      destroy.invokeExact(store);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int setup(MemorySegment store, MemorySegment localHostname, MemorySegment metadataServer,
      long globalSegmentSize, long localBufferSize, MemorySegment protocol, MemorySegment deviceName,
      MemorySegment masterServerAddr) {
    try {
      return (int) setup.invokeExact(store, localHostname, metadataServer, globalSegmentSize, localBufferSize,
          protocol, deviceName, masterServerAddr);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * {@code mooncake_store_init_all} is bound (it is exported, and a missing symbol must fail the
   * load) but deliberately not callable: it hard-codes etcd metadata and aborts the process in a
   * default build (docs/behaviour.md#store-functions).
   */
  boolean initAllBound() {
    return initAll != null;
  }

  public int healthCheck(MemorySegment store) {
    try {
      return (int) healthCheck.invokeExact(store);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int put(MemorySegment store, MemorySegment key, MemorySegment value, long size, MemorySegment config) {
    try {
      return (int) put.invokeExact(store, key, value, size, config);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int putFrom(MemorySegment store, MemorySegment key, MemorySegment buffer, long size, MemorySegment config) {
    try {
      return (int) putFrom.invokeExact(store, key, buffer, size, config);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int batchPutFrom(MemorySegment store, MemorySegment keys, MemorySegment buffers, MemorySegment sizes,
      long count, MemorySegment config, MemorySegment resultsOut) {
    try {
      return (int) batchPutFrom.invokeExact(store, keys, buffers, sizes, count, config, resultsOut);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public long getInto(MemorySegment store, MemorySegment key, MemorySegment buffer, long size) {
    try {
      return (long) getInto.invokeExact(store, key, buffer, size);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int batchGetInto(MemorySegment store, MemorySegment keys, MemorySegment buffers, MemorySegment sizes,
      long count, MemorySegment resultsOut) {
    try {
      return (int) batchGetInto.invokeExact(store, keys, buffers, sizes, count, resultsOut);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int isExist(MemorySegment store, MemorySegment key) {
    try {
      return (int) isExist.invokeExact(store, key);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int batchIsExist(MemorySegment store, MemorySegment keys, long count, MemorySegment resultsOut) {
    try {
      return (int) batchIsExist.invokeExact(store, keys, count, resultsOut);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public long getSize(MemorySegment store, MemorySegment key) {
    try {
      return (long) getSize.invokeExact(store, key);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int getHostname(MemorySegment store, MemorySegment bufOut, long bufLen) {
    try {
      return (int) getHostname.invokeExact(store, bufOut, bufLen);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int remove(MemorySegment store, MemorySegment key, int force) {
    try {
      return (int) remove.invokeExact(store, key, force);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public long removeByRegex(MemorySegment store, MemorySegment pattern, int force) {
    try {
      return (long) removeByRegex.invokeExact(store, pattern, force);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public long removeAll(MemorySegment store, int force) {
    try {
      return (long) removeAll.invokeExact(store, force);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int registerBuffer(MemorySegment store, MemorySegment buffer, long size) {
    try {
      return (int) registerBuffer.invokeExact(store, buffer, size);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public int unregisterBuffer(MemorySegment store, MemorySegment buffer) {
    try {
      return (int) unregisterBuffer.invokeExact(store, buffer);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
}
