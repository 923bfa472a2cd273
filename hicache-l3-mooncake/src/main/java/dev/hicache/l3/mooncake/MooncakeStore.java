package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One Mooncake Store client: a {@code mooncake_store_t} handle with every function of store_c.h
 * (docs/behaviour.md#mooncake-store), made safe for the JVM.
 *
 * <ul>
 *   <li><b>Signals.</b> The library blocks SIGINT, SIGTERM, SIGHUP and SIGUSR1 in the thread that
 *       first creates a store when the process has no {@code Py_IsInitialized}
 *       (docs/behaviour.md#threads-and-signals), so {@code create} runs on a short-lived platform
 *       thread of its own and the mask dies with it; the caller's thread (possibly a virtual
 *       thread's carrier) keeps its mask.
 *   <li><b>Aborts.</b> {@code init_all} is never called; setup arguments are validated first
 *       ({@link SetupParams#validate}).
 *   <li><b>Lifecycle.</b> Setup, destroy and unregistering a buffer are exclusive, because the
 *       library does not guard them against concurrent operations: they take a read-write lock's
 *       write side, raise {@code exclusive} and wait until no thread's in-call marker names this
 *       store. Batch and other calls take the read side. The single zero-copy calls ({@code
 *       get_into}, {@code put_from}, {@code remove}) only write their thread's marker (a volatile
 *       write), read the flag and the state, and clear the marker afterwards (a release write);
 *       they fall back to the read side when the flag is up. This costs about half of the read
 *       lock's two atomic updates on the path the latency goal is measured on (docs/benchmarks.md,
 *       "Mooncake binding latency"). Setup runs at most once, with a deadline; destroy runs exactly
 *       once.
 *   <li><b>Zero copy.</b> {@code put_from}, {@code get_into} and their batch forms accept only
 *       native memory inside a region this client registered; over tcp the library would not
 *       check and could corrupt memory (docs/behaviour.md#registered-memory).
 *   <li><b>Errors.</b> Every failure is a {@link MooncakeException} (an {@code L3Exception}); a
 *       negative code becomes {@link MooncakeException.OperationFailed} with its {@link ErrorCode}.
 * </ul>
 *
 * <p>Batch methods return the library's per-key codes unchanged; they throw only when the call
 * as a whole failed. Batches with mismatched array lengths are refused; empty batches return at
 * once without calling the library.
 */
public final class MooncakeStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(MooncakeStore.class.getName());

  /** How long a failed setup's diagnosis waits for each server to accept a connection. */
  static final Duration DIAGNOSIS_TIMEOUT = Duration.ofSeconds(2);

  /** Mooncake's Rust binding reads hostnames into a buffer this large. */
  static final int HOSTNAME_BUFFER = 1024;

  private enum State { CREATED, SETTING_UP, READY, SETUP_FAILED, CLOSED }

  private final StoreCLibrary lib;
  private final MemorySegment handle;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** Registered regions: base address to size. */
  private final ConcurrentSkipListMap<Long, Long> registered = new ConcurrentSkipListMap<>();
  /**
   * The same regions as sorted {@code [base, end)} pairs, replaced whole on every change: every
   * zero-copy call checks its buffers against them, with no boxing or map walk.
   */
  private volatile long[] regions = new long[0];
  private final Object stateLock = new Object();
  /** Written under {@code stateLock}; read without it on every call. */
  private volatile State state = State.CREATED;
  /** Set when close() came while setup was still running past its deadline. */
  private boolean destroyAfterSetup;
  /**
   * Raised, under the write lock, while an exclusive operation waits for or runs without the
   * single calls; they see it and take the read lock instead (see the class comment).
   */
  private volatile boolean exclusive;

  private MooncakeStore(StoreCLibrary lib, MemorySegment handle) {
    this.lib = lib;
    this.handle = handle;
  }

  /** Creates a client with the process's library (loading it on first use). */
  public static MooncakeStore create() {
    return create(StoreCLibrary.ensureLoaded());
  }

  /** Creates a client with {@code lib}, on a dedicated platform thread (see class comment). */
  public static MooncakeStore create(StoreCLibrary lib) {
    MemorySegment h = onOwnThread("mooncake-store-create", lib::create);
    if (h.equals(MemorySegment.NULL)) {
      throw new MooncakeException.NullHandle("mooncake_store_create returned NULL (library " + lib.location() + ")");
    }
    return new MooncakeStore(lib, h);
  }

  private static <T> T onOwnThread(String name, java.util.function.Supplier<T> call) {
    var result = new CompletableFuture<T>();
    Thread t = Thread.ofPlatform().name(name).daemon(true).start(() -> {
      try {
        result.complete(call.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    try {
      T value = result.get();
      t.join();
      return value;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MooncakeException.Timeout(name + " was interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  public StoreCLibrary library() {
    return lib;
  }

  /** Calls setup with the process environment (for the {@code cxl} check). */
  public void setup(SetupParams params, Duration deadline) {
    setup(params, deadline, System.getenv());
  }

  /**
   * Validates {@code params} and calls {@code mooncake_store_setup} on a thread of its own, waiting
   * at most {@code deadline}: with an unreachable master the library retries for a long time
   * (docs/behaviour.md#observed-store-behaviour). Past the deadline this throws {@link
   * MooncakeException.Timeout}; the store then stays unusable and is destroyed once the call
   * returns, if it was closed meanwhile.
   */
  public void setup(SetupParams params, Duration deadline, Map<String, String> env) {
    params.validate(env);
    synchronized (stateLock) {
      switch (state) {
        case CREATED -> state = State.SETTING_UP;
        case CLOSED -> throw closed();
        default -> throw new MooncakeException.InvalidArgument(
            "setup may be called once per store (calling it twice is undefined in the library); state is " + state);
      }
    }
    var done = new CompletableFuture<Integer>();
    Thread.ofPlatform().name("mooncake-store-setup").daemon(true).start(() -> {
      int rc;
      lockExclusive();
      try (Arena arena = Arena.ofConfined()) {
        rc = lib.setup(handle, CStrings.utf8(arena, params.localHostname(), "local_hostname"),
            CStrings.utf8(arena, params.metadataServer(), "metadata_server"), params.globalSegmentSize(),
            params.localBufferSize(), CStrings.utf8(arena, params.protocol(), "protocol"),
            CStrings.utf8(arena, params.deviceName(), "device_name"),
            CStrings.utf8(arena, params.masterServerAddress(), "master_server_address"));
      } catch (Throwable e) {
        rc = ErrorCode.INTERNAL_ERROR.code();
        done.completeExceptionally(e);
      } finally {
        unlockExclusive();
      }
      boolean destroyNow;
      synchronized (stateLock) {
        destroyNow = destroyAfterSetup;
        if (!destroyNow) state = rc == 0 ? State.READY : State.SETUP_FAILED;
      }
      if (destroyNow) {
        lib.destroy(handle);
        LOG.log(System.Logger.Level.INFO, "Mooncake store closed while its setup ran; destroyed after setup returned");
      }
      done.complete(rc);
    });
    int rc;
    try {
      rc = done.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new MooncakeException.Timeout("Mooncake setup did not finish within " + deadline + " (the library retries "
          + "for about 90 s when a server is missing): " + SetupDiagnosis.describe(params, DIAGNOSIS_TIMEOUT));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MooncakeException.Timeout("Mooncake setup was interrupted");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
    if (rc != 0) {
      throw new MooncakeException.OperationFailed("mooncake_store_setup(local_hostname " + params.localHostname()
          + ") [" + SetupDiagnosis.describe(params, DIAGNOSIS_TIMEOUT) + "]", rc);
    }
  }

  /** Whether setup succeeded and the store is not closed. */
  public boolean isReady() {
    synchronized (stateLock) {
      return state == State.READY;
    }
  }

  /** The library's health codes (docs/behaviour.md#store-functions). */
  public enum Health {
    HEALTHY, NOT_INITIALIZED, MASTER_UNREACHABLE;
  }

  public Health healthCheck() {
    int rc;
    enter();
    try {
      rc = lib.healthCheck(handle);
    } finally {
      exit();
    }
    return switch (rc) {
      case 0 -> Health.HEALTHY;
      case 1 -> Health.NOT_INITIALIZED;
      case 2 -> Health.MASTER_UNREACHABLE;
      default -> throw new MooncakeException.OperationFailed("mooncake_store_health_check", rc);
    };
  }

  // ---- put ---------------------------------------------------------------------------------------

  /**
   * Copying put: the library stages {@code value} through its setup-time local buffer, so any
   * memory will do (a heap segment is first copied off-heap). A key that exists keeps its value.
   */
  public void put(String key, MemorySegment value, ReplicateConfig config) {
    CStrings.checkKey(key);
    int rc = read(() -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment v = value;
        if (!value.isNative()) v = arena.allocate(value.byteSize(), 8).copyFrom(value);
        return lib.put(handle, CStrings.utf8(arena, key, "key"), v, v.byteSize(), ReplicateConfig.toNative(config, arena));
      }
    });
    check("mooncake_store_put(" + key + ")", rc);
  }

  /** Zero-copy put of {@code buffer}, which must lie inside a registered region. */
  public void putFrom(String key, MemorySegment buffer, ReplicateConfig config) {
    if (config != null) CStrings.checkKey(key); // otherwise NativeScratch.key checks it as it copies it
    int rc;
    NativeScratch s = enterCall();
    try {
      requireRegistered(buffer, "put_from", key); // inside the guard: no unregister can come between
      if (config == null) {
        rc = lib.putFrom(handle, s.key(key), buffer, buffer.byteSize(), MemorySegment.NULL);
      } else {
        try (Arena arena = Arena.ofConfined()) {
          rc = lib.putFrom(handle, CStrings.utf8(arena, key, "key"), buffer, buffer.byteSize(),
              ReplicateConfig.toNative(config, arena));
        }
      }
    } finally {
      exitCall(s);
    }
    if (rc != 0) throw new MooncakeException.OperationFailed("mooncake_store_put_from(" + key + ")", rc);
  }

  /** Zero-copy batch put; per key 0 or a negative code. One config for all keys. */
  public int[] batchPutFrom(String[] keys, MemorySegment[] buffers, ReplicateConfig config) {
    checkLengths(keys, buffers);
    if (keys.length == 0) return new int[0];
    for (int i = 0; i < buffers.length; i++) requireRegistered(buffers[i], "batch_put_from", keys[i]);
    int n = keys.length;
    enter();
    try (Arena arena = config == null ? null : Arena.ofConfined()) {
      NativeScratch s = NativeScratch.begin();
      MemorySegment k = s.keys(keys);
      MemorySegment[] bs = s.buffersAndSizes(buffers);
      MemorySegment out = s.take(JAVA_INT.byteSize() * n);
      int rc = lib.batchPutFrom(handle, k, bs[0], bs[1], n,
          config == null ? MemorySegment.NULL : ReplicateConfig.toNative(config, arena), out);
      if (rc != 0) throw new MooncakeException.OperationFailed("mooncake_store_batch_put_from(" + n + " keys)", rc);
      return out.toArray(JAVA_INT);
    } finally {
      exit();
    }
  }

  // ---- get ---------------------------------------------------------------------------------------

  /**
   * Zero-copy read of the whole object into {@code buffer} (inside a registered region).
   *
   * @return the object's size, the bytes written
   */
  public long getInto(String key, MemorySegment buffer) {
    // The key is checked where it is copied (NativeScratch.key), before the call: once per call.
    long rc;
    NativeScratch s = enterCall();
    try {
      requireRegistered(buffer, "get_into", key); // inside the guard: no unregister can come between
      rc = lib.getInto(handle, s.key(key), buffer, buffer.byteSize());
    } finally {
      exitCall(s);
    }
    if (rc < 0) throw new MooncakeException.OperationFailed("mooncake_store_get_into(" + key + ")", rc);
    return rc;
  }

  /** Zero-copy batch read; per key the bytes read or a negative code. */
  public long[] batchGetInto(String[] keys, MemorySegment[] buffers) {
    checkLengths(keys, buffers);
    if (keys.length == 0) return new long[0];
    for (int i = 0; i < buffers.length; i++) requireRegistered(buffers[i], "batch_get_into", keys[i]);
    int n = keys.length;
    enter();
    try {
      NativeScratch s = NativeScratch.begin();
      MemorySegment k = s.keys(keys);
      MemorySegment[] bs = s.buffersAndSizes(buffers);
      MemorySegment out = s.take(JAVA_LONG.byteSize() * n);
      int rc = lib.batchGetInto(handle, k, bs[0], bs[1], n, out);
      if (rc != 0) throw new MooncakeException.OperationFailed("mooncake_store_batch_get_into(" + n + " keys)", rc);
      return out.toArray(JAVA_LONG);
    } finally {
      exit();
    }
  }

  /**
   * The whole object as a new off-heap segment of {@code arena}: {@code get_size}, then {@code
   * get_into} an exact-size segment registered for the duration of the read.
   */
  public MemorySegment get(String key, Arena arena) {
    long size = getSize(key);
    MemorySegment target = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
    if (size == 0) return target;
    registerBuffer(target);
    try {
      long n = getInto(key, target);
      return target.asSlice(0, n);
    } finally {
      unregisterBuffer(target);
    }
  }

  // ---- existence, size, hostname -----------------------------------------------------------------

  /** Whether a complete replica exists. Grants the key a read lease in the master (docs/behaviour.md#leases). */
  public boolean isExist(String key) {
    CStrings.checkKey(key);
    int rc = read(() -> {
      try (Arena arena = Arena.ofConfined()) {
        return lib.isExist(handle, CStrings.utf8(arena, key, "key"));
      }
    });
    return switch (rc) {
      case 1 -> true;
      case 0 -> false;
      default -> throw new MooncakeException.OperationFailed("mooncake_store_is_exist(" + key + ")", rc);
    };
  }

  /** Per key 1 (exists), 0 (absent) or a negative code. */
  public int[] batchIsExist(String[] keys) {
    if (keys == null) throw new MooncakeException.InvalidArgument("keys must not be null");
    if (keys.length == 0) return new int[0];
    int n = keys.length;
    enter();
    try {
      NativeScratch s = NativeScratch.begin();
      MemorySegment k = s.keys(keys);
      MemorySegment out = s.take(JAVA_INT.byteSize() * n);
      int rc = lib.batchIsExist(handle, k, n, out);
      if (rc != 0) throw new MooncakeException.OperationFailed("mooncake_store_batch_is_exist(" + n + " keys)", rc);
      return out.toArray(JAVA_INT);
    } finally {
      exit();
    }
  }

  /** The object's size in bytes. A missing key is {@code OperationFailed(OBJECT_NOT_FOUND)}. */
  public long getSize(String key) {
    CStrings.checkKey(key);
    long rc = read(() -> {
      try (Arena arena = Arena.ofConfined()) {
        return lib.getSize(handle, CStrings.utf8(arena, key, "key"));
      }
    });
    if (rc < 0) throw new MooncakeException.OperationFailed("mooncake_store_get_size(" + key + ")", rc);
    return rc;
  }

  /** The {@code host:port} this client registered under: its segment name. */
  public String hostname() {
    return read(() -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment buf = arena.allocate(HOSTNAME_BUFFER);
        int rc = lib.getHostname(handle, buf, HOSTNAME_BUFFER);
        check("mooncake_store_get_hostname", rc);
        return buf.getString(0);
      }
    });
  }

  // ---- remove ------------------------------------------------------------------------------------

  /**
   * Removes one object. Without {@code force} a leased object stays ({@code OBJECT_HAS_LEASE},
   * thrown); even with force an object still being written or replicated stays.
   *
   * @return true if removed, false if there was no such key
   */
  public boolean remove(String key, boolean force) {
    int rc;
    NativeScratch s = enterCall();
    try {
      rc = lib.remove(handle, s.key(key), force ? 1 : 0);
    } finally {
      exitCall(s);
    }
    if (rc == ErrorCode.OBJECT_NOT_FOUND.code()) return false;
    if (rc != 0) throw new MooncakeException.OperationFailed("mooncake_store_remove(" + key + ")", rc);
    return true;
  }

  /** Removes every key matching {@code pattern} (ECMAScript, unanchored search); returns how many. */
  public long removeByRegex(String pattern, boolean force) {
    long rc = read(() -> {
      try (Arena arena = Arena.ofConfined()) {
        return lib.removeByRegex(handle, CStrings.utf8(arena, pattern, "pattern"), force ? 1 : 0);
      }
    });
    if (rc < 0) throw new MooncakeException.OperationFailed("mooncake_store_remove_by_regex(" + pattern + ")", rc);
    return rc;
  }

  /** Removes every object (leased ones only with {@code force}); returns how many. */
  public long removeAll(boolean force) {
    long rc = read(() -> lib.removeAll(handle, force ? 1 : 0));
    if (rc < 0) throw new MooncakeException.OperationFailed("mooncake_store_remove_all", rc);
    return rc;
  }

  // ---- registration ------------------------------------------------------------------------------

  /**
   * Registers native memory for zero-copy calls (an RDMA memory region under rdma). The memory
   * must stay valid until {@link #unregisterBuffer}; register large regions once.
   */
  public void registerBuffer(MemorySegment buffer) {
    if (buffer == null || !buffer.isNative()) {
      throw new MooncakeException.InvalidArgument("only native (off-heap) memory can be registered with Mooncake"
          + ": the garbage collector moves heap arrays");
    }
    if (buffer.byteSize() == 0) throw new MooncakeException.InvalidArgument("cannot register an empty segment");
    long base = buffer.address();
    long end = base + buffer.byteSize();
    synchronized (registered) { // check and record as one step: two registrations must not overlap
      var below = registered.floorEntry(end - 1);
      if (below != null && below.getKey() + below.getValue() > base) {
        throw new MooncakeException.InvalidArgument(String.format(
            "memory [0x%x, 0x%x) overlaps the registered region [0x%x, 0x%x)", base, end, below.getKey(),
            below.getKey() + below.getValue()));
      }
      int rc = read(() -> lib.registerBuffer(handle, buffer, buffer.byteSize()));
      check(String.format("mooncake_store_register_buffer(0x%x, %d bytes)", base, buffer.byteSize()), rc);
      registered.put(base, buffer.byteSize());
      publishRegions();
    }
  }

  /**
   * Unregisters a region by its base. Waits for calls in flight (exclusive lock): the library must
   * not unregister memory that a transfer still uses. The registry's monitor is taken before the
   * exclusive lock, in the order {@link #registerBuffer} takes it before a call's read side: the
   * other way round, a registration holding the monitor and an unregistration holding the lock
   * waited for each other for ever ({@link #get(String, Arena)} does both, from any thread).
   */
  public void unregisterBuffer(MemorySegment buffer) {
    long base = buffer.address();
    requireOpen();
    synchronized (registered) {
      if (!registered.containsKey(base)) {
        throw new MooncakeException.InvalidArgument(String.format(
            "0x%x is not the base of a region registered with this store", base));
      }
      lockExclusive();
      try {
        requireOpen();
        int rc = lib.unregisterBuffer(handle, buffer);
        check(String.format("mooncake_store_unregister_buffer(0x%x)", base), rc);
        registered.remove(base);
        publishRegions();
      } finally {
        unlockExclusive();
      }
    }
  }

  /** Whether {@code [address, address+size)} lies inside one region this store registered. */
  public boolean isRegistered(MemorySegment segment) {
    if (!segment.isNative()) return false;
    long a = segment.address();
    long[] r = regions;
    int lo = 0, hi = r.length / 2 - 1, found = -1;
    while (lo <= hi) { // the last region whose base is <= a
      int mid = (lo + hi) >>> 1;
      if (r[2 * mid] <= a) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && a + segment.byteSize() <= r[2 * found + 1];
  }

  private void publishRegions() {
    synchronized (registered) {
      long[] r = new long[registered.size() * 2];
      int i = 0;
      for (var e : registered.entrySet()) {
        r[i++] = e.getKey();
        r[i++] = e.getKey() + e.getValue();
      }
      regions = r;
    }
  }

  /** Checks a zero-copy buffer; the error message is built only on failure (this runs on every call). */
  private void requireRegistered(MemorySegment segment, String operation, String key) {
    if (segment == null || segment.byteSize() != 0 && !isRegistered(segment)) {
      refuseUnregistered(segment, operation + "(" + key + ")");
    }
  }

  private static void refuseUnregistered(MemorySegment segment, String what) {
    if (segment == null) throw new MooncakeException.InvalidArgument(what + ": null buffer");
    if (!segment.isNative()) {
      throw new MooncakeException.InvalidArgument(what + ": zero-copy calls need registered off-heap memory, got a heap "
          + "segment (docs/behaviour.md#registered-memory: never heap arrays)");
    }
    throw new MooncakeException.InvalidArgument(String.format(
        "%s: memory [0x%x, +%d) is not inside a region registered with this store (register_buffer first: "
            + "over tcp the library does not check and would read or write arbitrary memory)", what,
        segment.address(), segment.byteSize()));
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Destroys the handle exactly once (a second destroy in C is a use-after-free); idempotent. */
  @Override public void close() {
    synchronized (stateLock) {
      if (state == State.CLOSED) return;
      if (state == State.SETTING_UP) {
        // Setup outlived its deadline and still holds the library: it destroys the handle on return.
        state = State.CLOSED;
        destroyAfterSetup = true;
        return;
      }
    }
    lockExclusive();
    try {
      synchronized (stateLock) {
        if (state == State.CLOSED) return;
        state = State.CLOSED;
      }
      lib.destroy(handle);
      registered.clear();
      publishRegions();
    } finally {
      unlockExclusive();
    }
  }

  private MooncakeException.NullHandle closed() {
    return new MooncakeException.NullHandle("this Mooncake store is closed");
  }

  private void requireOpen() {
    State s = state;
    if (s == State.CLOSED) throw closed();
    if (s == State.SETTING_UP) {
      throw new MooncakeException.Timeout("this Mooncake store's setup has not finished (it outlived its deadline)");
    }
  }

  /** Takes the lifecycle lock shared for one call; pair with {@link #exit()} in a finally block. */
  private void enter() {
    requireOpen(); // fail fast rather than queue behind a setup that outlived its deadline
    lifecycle.readLock().lock();
    try {
      requireOpen();
    } catch (RuntimeException e) {
      lifecycle.readLock().unlock();
      throw e;
    }
  }

  private void exit() {
    lifecycle.readLock().unlock();
  }

  /**
   * The single calls' guard: this thread's scratch, emptied, with its in-call marker naming this
   * store, or, while an exclusive operation is pending or the state forbids calls, with the read
   * lock held instead ({@link #enter()}). Pair with {@link #exitCall} in a finally block.
   */
  private NativeScratch enterCall() {
    NativeScratch s = NativeScratch.begin();
    s.enter(this);
    State st = state;
    if (!exclusive && st != State.CLOSED && st != State.SETTING_UP) return s;
    s.leave();
    enter();
    s.readLocked = true;
    return s;
  }

  private void exitCall(NativeScratch s) {
    if (s.readLocked) {
      s.readLocked = false;
      exit();
    } else {
      s.leave();
    }
  }

  /**
   * Takes the write lock (no read-side call is running or can start), raises {@code exclusive}
   * and waits until no thread is inside a single call of this store: a thread that wrote its
   * marker before the flag went up is seen here; one that writes it after sees the flag and
   * queues on the read lock.
   */
  private void lockExclusive() {
    lifecycle.writeLock().lock();
    exclusive = true;
    NativeScratch.forEach(s -> {
      for (int spins = 0; s.isIn(this); spins++) {
        if (spins < 1_000) Thread.onSpinWait();
        else LockSupport.parkNanos(10_000); // a real call can block for seconds (master down)
      }
    });
  }

  private void unlockExclusive() {
    exclusive = false;
    lifecycle.writeLock().unlock();
  }

  private <T> T read(java.util.function.Supplier<T> call) {
    enter();
    try {
      return call.get();
    } finally {
      exit();
    }
  }

  private static void check(String what, long rc) {
    if (rc != 0) throw new MooncakeException.OperationFailed(what, rc);
  }

  private static void checkLengths(String[] keys, MemorySegment[] buffers) {
    if (keys == null || buffers == null) throw new MooncakeException.InvalidArgument("keys and buffers must not be null");
    if (keys.length != buffers.length) {
      throw new MooncakeException.InvalidArgument(keys.length + " keys but " + buffers.length + " buffers");
    }
  }
}
