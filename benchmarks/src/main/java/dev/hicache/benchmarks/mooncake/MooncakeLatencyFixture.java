package dev.hicache.benchmarks.mooncake;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.hicache.l3.mooncake.MooncakeStore;
import dev.hicache.l3.mooncake.StoreCLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * What the single-call latency benchmarks share: a {@link MooncakeStore} client, a second raw
 * handle of the same cluster for the bare downcalls, {@value #KEYS} stored 4 KiB objects to read,
 * {@value #KEYS} absent keys to put, and a registered region holding the value and two read
 * targets. Keys have SGLang's shape (64 hex digits, the TP rank, the part) and exist both as Java
 * strings (for the binding) and as C strings marshalled once (for the bare downcalls).
 */
final class MooncakeLatencyFixture implements AutoCloseable {
  static final int KEYS = 256;
  static final long VALUE = 4096;

  final Arena arena = Arena.ofShared();
  final StoreCLibrary lib;
  final MooncakeStore client;
  final MemorySegment handle;
  /** The value every put writes; the target of the binding's reads; the target of the bare reads. */
  final MemorySegment value, target, rawTarget;
  final String[] getKeys = new String[KEYS], putKeys = new String[KEYS];
  final MemorySegment[] rawGetKeys = new MemorySegment[KEYS], rawPutKeys = new MemorySegment[KEYS];

  MooncakeLatencyFixture() {
    lib = MooncakeBenchmarkStore.library();
    client = MooncakeBenchmarkStore.client(lib, 256L << 20);
    handle = MooncakeBenchmarkStore.rawHandle(lib, arena);
    MemorySegment region = arena.allocate(3 * VALUE, 4096);
    value = region.asSlice(0, VALUE);
    target = region.asSlice(VALUE, VALUE);
    rawTarget = region.asSlice(2 * VALUE, VALUE);
    var rnd = new SplittableRandom(5);
    for (long o = 0; o < VALUE; o += 8) value.set(JAVA_LONG, o, rnd.nextLong());
    client.registerBuffer(region);
    if (lib.registerBuffer(handle, region, region.byteSize()) != 0) throw new IllegalStateException("raw register failed");
    String run = Long.toHexString(rnd.nextLong());
    for (int i = 0; i < KEYS; i++) {
      getKeys[i] = String.format("%064x_0_k", (long) i * 7919 + 1).replace(' ', '0') + run;
      putKeys[i] = String.format("%064x_0_v", (long) i * 104729 + 3).replace(' ', '0') + run;
      rawGetKeys[i] = arena.allocateFrom(getKeys[i]);
      rawPutKeys[i] = arena.allocateFrom(putKeys[i]);
      client.putFrom(getKeys[i], value, null);
    }
    if (client.getInto(getKeys[0], target) != VALUE || target.mismatch(value) != -1
        || lib.getInto(handle, rawGetKeys[1], rawTarget, VALUE) != VALUE || rawTarget.mismatch(value) != -1) {
      throw new IllegalStateException("the benchmark objects did not read back");
    }
  }

  @Override public void close() {
    for (String k : getKeys) client.remove(k, true);
    lib.destroy(handle);
    client.close();
    arena.close();
  }
}
