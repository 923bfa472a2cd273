package dev.hicache.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceRecord;
import dev.hicache.simulator.virtualtime.TieredSimulation;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Page keys by serial name the same pages as SGLang's keys over the synthesized tokens
 * (docs/design.md#page-keys-and-hashing): two pages share a serial key exactly when they share a
 * token key.
 */
class SerialPageKeysTest {
  private static final int B = MooncakeTraceReader.MOONCAKE_BLOCK_SIZE;

  /** One request's pages keyed both ways. */
  private record Keyed(PageKey[] bySerial, PageKey[] byTokens) {}

  private static Keyed keyed(TraceRecord rec, int ps, PageKey seed, SerialPageKeys serial, PageHasher hasher) {
    int[] tokens = new int[rec.inputLength()];
    TraceTokens.fill(rec, ps, B, tokens);
    long[] serials = TraceTokens.serials(rec, ps, B);
    return new Keyed(serial.pageKeys(seed, serials, serials.length), TieredSimulation.pageKeys(hasher, seed, tokens));
  }

  private static TraceRecord record(int inputLength, long... hashIds) {
    return new TraceRecord().set(0, inputLength, 1, hashIds, 1);
  }

  /**
   * Random traces: requests of a few hash ids drawn from a small pool (so that ids repeat, after
   * the same and after other prefixes), any prompt length (partial blocks and pages), every page
   * size that divides a block, in the default namespace or one of two others. Over all pages of
   * all requests, pairwise: equal serial keys iff equal token keys.
   */
  @Test
  void serialKeys_areEqualExactlyWhenTokenKeysAre() {
    qt().withExamples(200).forAll(longs().all(), integers().between(0, 9), integers().between(1, 6))
        .checkAssert((seed, pageSizeLog2, pool) -> {
          int ps = 1 << pageSizeLog2; // 1..512
          Random rnd = new Random(seed);
          SerialPageKeys serial = new SerialPageKeys(ps);
          PageHasher hasher = new PageHasher(ps);
          PageKey[] seeds = {null, Namespace.seed("tenant-0", null), Namespace.seed("tenant-1", null)};
          // Pairwise equality both ways is the same as a bijection between the two sets of keys.
          Map<PageKey, PageKey> tokenOfSerial = new HashMap<>(), serialOfToken = new HashMap<>();
          int pages = 0;
          for (int req = 0; req < 25; req++) {
            int blocks = 1 + rnd.nextInt(4);
            long[] ids = new long[blocks];
            for (int b = 0; b < blocks; b++) ids[b] = rnd.nextInt(pool) + (rnd.nextInt(8) == 0 ? (1L << 40) : 0);
            if (ps == 1) for (int b = 0; b < blocks; b++) ids[b] &= 0xFFFF; // one-token pages hold 32-bit serials
            int length = (blocks - 1) * B + 1 + rnd.nextInt(B);
            Keyed k = keyed(record(length, ids), ps, seeds[rnd.nextInt(seeds.length)], serial, hasher);
            assertThat(k.bySerial()).hasSameSizeAs(k.byTokens()).hasSize(length / ps);
            for (int p = 0; p < k.bySerial().length; p++, pages++) {
              PageKey s = k.bySerial()[p], t = k.byTokens()[p];
              assertThat(tokenOfSerial.computeIfAbsent(s, x -> t)).as("the token key of a page whose serial key is shared").isEqualTo(t);
              assertThat(serialOfToken.computeIfAbsent(t, x -> s)).as("the serial key of a page whose token key is shared").isEqualTo(s);
            }
          }
          assertThat(tokenOfSerial).hasSameSizeAs(serialOfToken);
          assertThat(pages).isPositive();
        });
  }

  /** The chain: a block after another prefix is another page; after the same prefix, the same page. */
  @Test
  void aKey_dependsOnEveryPageBeforeIt() {
    SerialPageKeys serial = new SerialPageKeys(64);
    PageHasher hasher = new PageHasher(64);
    Keyed a = keyed(record(2 * B, 1, 2), 64, null, serial, hasher);
    Keyed b = keyed(record(2 * B, 3, 2), 64, null, serial, hasher);
    Keyed c = keyed(record(3 * B, 1, 2, 5), 64, null, serial, hasher);
    for (int p = 8; p < 16; p++) {
      assertThat(b.bySerial()[p]).as("page %d of block 2 after block 3", p).isNotEqualTo(a.bySerial()[p]);
      assertThat(b.byTokens()[p]).isNotEqualTo(a.byTokens()[p]);
    }
    for (int p = 0; p < 16; p++) assertThat(c.bySerial()[p]).isEqualTo(a.bySerial()[p]);
    // The first page of a prompt: no prior in the default namespace, the namespace's seed otherwise.
    PageKey ns = Namespace.seed("tenant-0", null);
    Keyed d = keyed(record(2 * B, 1, 2), 64, ns, serial, hasher);
    for (int p = 0; p < 16; p++) assertThat(d.bySerial()[p]).isNotEqualTo(a.bySerial()[p]);
    assertThat(keyed(record(2 * B, 1, 2), 64, Namespace.seed("tenant-0", null), serial, hasher).bySerial())
        .containsExactly(d.bySerial());
  }

  /** The message is the documented one: prior key, serial (8 bytes) and page size (4 bytes), big-endian. */
  @Test
  void aKey_isSha256OfPriorSerialAndPageSize() throws Exception {
    SerialPageKeys serial = new SerialPageKeys(64);
    long s = 0x0102030405060708L;
    PageKey first = serial.key(null, s);
    assertThat(first).isEqualTo(PageKey.ofDigest(sha(ByteBuffer.allocate(12).putLong(s).putInt(64).array())));
    PageKey second = serial.key(first, 7);
    assertThat(second).isEqualTo(PageKey.ofDigest(sha(ByteBuffer.allocate(44).put(first.bytes()).putLong(7).putInt(64).array())));
    assertThat(new SerialPageKeys(32).key(null, s)).as("the page size is part of the page").isNotEqualTo(first);
  }

  private static byte[] sha(byte[] message) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(message);
  }

  @Test
  void serialsOfFullPagesOnly() {
    // 2.5 blocks at page size 128: 4 + 4 + 2 full pages, a partial one left out.
    long[] serials = TraceTokens.serials(record(2 * B + 300, 5, 9, 11), 128, B);
    assertThat(serials).containsExactly(20, 21, 22, 23, 36, 37, 38, 39, 44, 45);
  }

  @Test
  void badArguments_areRefused() {
    assertThatThrownBy(() -> new SerialPageKeys(0)).hasMessageContaining("page size");
    assertThatThrownBy(() -> new SerialPageKeys(64).pageKeys(null, new long[2], 3)).hasMessageContaining("3 pages");
    Request q = new Request();
    q.tokens = new int[3 * 64];
    q.pageSerials = new long[2];
    assertThatThrownBy(() -> new PromptPageKeys(64).of(q)).hasMessageContaining("2 page serials")
        .hasMessageContaining("3 full pages");
  }

  /** Without serials a request is keyed by its tokens (SGLang's keys), with them by serial. */
  @Test
  void promptKeys_followTheRequest() {
    TraceRecord rec = record(B + 100, 4, 6);
    int[] tokens = new int[rec.inputLength()];
    TraceTokens.fill(rec, 64, B, tokens);
    Request q = new Request();
    q.tokens = tokens;
    PromptPageKeys keys = new PromptPageKeys(64);
    assertThat(keys.of(q)).containsExactly(TieredSimulation.pageKeys(new PageHasher(64), tokens));
    q.pageSerials = TraceTokens.serials(rec, 64, B);
    q.namespace = Namespace.ofSglang(null, "tenant-3");
    List<PageKey> expected = new ArrayList<>(List.of(new SerialPageKeys(64).pageKeys(q.namespace.seed(), q.pageSerials, 9)));
    assertThat(keys.of(q)).containsExactlyElementsOf(expected);
  }
}
