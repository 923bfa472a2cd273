package dev.hicache.benchmarks.mooncake;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steps the binding's single {@code get_into}/{@code put_from} path adds to a bare downcall,
 * each alone, to see where its constant 0.05–0.18 µs per call goes (JMH's perfasm is not
 * available on the build VM). Each step is a copy of the binding's code on the same 84-character
 * SGLang-shaped key as {@link MooncakeLatencyFixture}; {@code guard*} compare the lifecycle guards.
 * Figures: docs/benchmarks.md ("Where the binding's constant goes").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MooncakeCallStepsBenchmark {
  private static final ThreadLocal<Object> LOCAL = ThreadLocal.withInitial(Object::new);
  private static final VarHandle IN_CALL;

  static {
    try {
      IN_CALL = MethodHandles.lookup().findVarHandle(MooncakeCallStepsBenchmark.class, "inCall", Object.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  volatile int state = 1;
  volatile boolean exclusive;
  volatile Object inCall;
  final String key = String.format("%064x_0_k", 7919L) + Long.toHexString(0x5DEECE66DL * 31);
  final MemorySegment block = Arena.ofAuto().allocate(16 << 10, 64);
  final byte[] bytes = new byte[4097];

  @Benchmark
  public int baseline() {
    return state;
  }

  /** The current guard: two volatile reads of the state and the read lock taken and released. */
  @Benchmark
  public int guardReadLock() {
    int s = state;
    lock.readLock().lock();
    try {
      return s + state;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** A per-thread in-call marker: a volatile store, one volatile read, a release store. */
  @Benchmark
  public int guardInCallMarker() {
    inCall = this;
    try {
      return exclusive ? 0 : state;
    } finally {
      IN_CALL.setRelease(this, (Object) null);
    }
  }

  @Benchmark
  public Object threadLocal() {
    return LOCAL.get();
  }

  /** The key check as it is: {@code charAt} per character. */
  @Benchmark
  public int checkKeyCharAt() {
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) return -1;
    }
    return key.length();
  }

  /** The key copy as it is: {@code setString} with UTF-8 and its NUL. */
  @Benchmark
  public MemorySegment copySetString() {
    block.setString(0, key, StandardCharsets.UTF_8);
    return block;
  }

  /** Both as one loop: each char checked and stored into a reused byte[], then one bulk copy. */
  @Benchmark
  public MemorySegment checkAndCopyFused() {
    int n = key.length();
    int bad = 0;
    for (int i = 0; i < n; i++) {
      char c = key.charAt(i);
      bad |= (c - 0x20) | (0x7e - c);
      bytes[i] = (byte) c;
    }
    if (bad < 0) return null;
    bytes[n] = 0;
    MemorySegment.copy(bytes, 0, block, ValueLayout.JAVA_BYTE, 0, n + 1);
    return block;
  }

  /** The check alone, branch-free (what the fused loop does per char). */
  @Benchmark
  public int checkKeyBranchFree() {
    int n = key.length();
    int bad = 0;
    for (int i = 0; i < n; i++) {
      char c = key.charAt(i);
      bad |= (c - 0x20) | (0x7e - c);
    }
    return bad < 0 ? -1 : n;
  }

  /** The new key path: {@code setString} first, then the copied bytes checked eight at a time. */
  @Benchmark
  public MemorySegment copyThenCheckWords() {
    int n = key.length();
    block.setString(0, key, StandardCharsets.UTF_8);
    if (block.get(ValueLayout.JAVA_BYTE, n) != 0) return null;
    long bad = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) bad |= badBytes(block.get(ValueLayout.JAVA_LONG_UNALIGNED, i));
    if (i < n) bad |= badBytes(block.get(ValueLayout.JAVA_LONG_UNALIGNED, n - 8));
    return bad == 0 ? block : null;
  }

  private static long badBytes(long x) {
    long highs = 0x8080_8080_8080_8080L, ones = 0x0101_0101_0101_0101L;
    long del = x ^ 0x7f7f_7f7f_7f7f_7f7fL, question = x ^ 0x3f3f_3f3f_3f3f_3f3fL;
    return (x & highs) | ((x - 0x2020_2020_2020_2020L) & ~x & highs) | ((del - ones) & ~del & highs)
        | ((question - ones) & ~question & highs);
  }
}
