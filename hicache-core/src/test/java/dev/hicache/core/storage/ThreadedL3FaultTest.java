package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.Clock;
import dev.hicache.core.pool.OffHeapHostPool;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.TreeNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The production path under faults: real lane threads ({@link ThreadedL3Port}), the real clock,
 * a store that errors and corrupts bytes behind {@link FaultTolerantL3Store}. No lane dies, no
 * request fails, no wrong page reaches the tree, and closing returns every page.
 */
class ThreadedL3FaultTest {
  static final int PS = PrefetchRig.PAGE_SIZE;

  @Test void erroringAndCorruptingStore_onRealThreads_neverServesWrongBytes() throws Exception {
    MapL3StoreDouble backing = new MapL3StoreDouble();
    SplittableRandom r = new SplittableRandom(7);
    int n = 60;
    int[][] prompts = new int[n][];
    for (int i = 0; i < n; i++) {
      prompts[i] = PrefetchRig.tokens(r.nextLong(), (8 + r.nextInt(200)) * PS + 1);
      PrefetchRig.seedL3(backing, null, prompts[i], r.nextInt(prompts[i].length / PS + 1));
    }
    FaultInjectingL3StoreDouble faulty = new FaultInjectingL3StoreDouble(backing, 11);
    faulty.set(FaultInjectingL3StoreDouble.Mode.CORRUPT, 0.05);
    FaultTolerantL3Store store = FaultTolerantL3Store.builder(faulty, Clock.system()).backoffNanos(0, 0).build();
    HiRadixTree tree = new HiRadixTree(PS, EvictionPolicies.byName("lru"), Clock.system(), WritePolicyKind.WRITE_THROUGH,
        new PageHasher(PS), null);
    long wrong = 0;
    int admitted = 0;
    try (OffHeapHostPool pool = new OffHeapHostPool(PrefetchRig.SHAPE, MemLayout.PAGE_FIRST, 16_384 * PS)) {
      TreeHostPages host = new TreeHostPages(tree, pool);
      StorageController sc = StorageController.builder(tree, host, new ThreadedL3Port(new L3PageIo(store, pool, PS, null)))
          .config(HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build())
          .build();
      List<Integer> waiting = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (i == n / 2) faulty.set(FaultInjectingL3StoreDouble.Mode.ERRORS, 0.3);
        sc.prefetch(i, prompts[i], prompts[i].length - 1);
        waiting.add(i);
        sc.tick();
      }
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!waiting.isEmpty()) {
        if (System.nanoTime() > deadline) throw new AssertionError(waiting.size() + " requests never admitted");
        sc.tick();
        for (var it = waiting.iterator(); it.hasNext(); ) {
          int i = it.next();
          if (sc.checkProgress(i)) {
            it.remove();
            admitted++;
          }
        }
        Thread.sleep(0, 200_000);
      }
      wrong = wrongPages(tree, pool);
      sc.checkInvariants();
      host.checkInvariants();
      sc.close();
      assertThat(host.prefetchOwnedPages()).isZero();
      System.out.printf("[l3-faults threaded] requests %d admitted %d failed 0, ops tried %d, faults injected %d, "
          + "wrong pages served %d, pages in the tree %d%n", n, admitted, faulty.operationsTried, faulty.faultsInjected, wrong, tree.hostPages());
    }
    assertThat(admitted).isEqualTo(n);
    assertThat(wrong).isZero();
    assertThat(faulty.faultsInjected).isPositive();
  }

  private static long wrongPages(HiRadixTree tree, OffHeapHostPool pool) {
    long wrong = 0;
    ArrayDeque<TreeNode> stack = new ArrayDeque<>(tree.root().children());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment got = arena.allocate(pool.pageBytes());
      MemorySegment want = arena.allocate(pool.pageBytes());
      while (!stack.isEmpty()) {
        TreeNode node = stack.pop();
        stack.addAll(node.children());
        PageKey[] keys = node.hashValue();
        int[] hv = node.hostValue();
        for (int i = 0; hv != null && i < hv.length; i++) {
          pool.readPage(hv[i] * PS, got);
          PrefetchRig.fill(want, keys[i]);
          if (got.mismatch(want) != -1) wrong++;
        }
      }
    }
    return wrong;
  }
}
