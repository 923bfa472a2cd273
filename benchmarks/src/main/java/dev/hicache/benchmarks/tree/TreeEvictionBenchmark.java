package dev.hicache.benchmarks.tree;

import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.EvictionCandidate;
import dev.hicache.core.tree.DeviceEvictionHandler;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.TreeNode;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One device eviction pass on a tree with 10,000 evictable device leaves (100 prompts x 100
 * conversations, 4 + 4 pages, page size 64).
 * <ul>
 *   <li>{@link #evictOneLeafThenReinsert}: {@code evictDevice} of one leaf (policy order, the leaf
 *       is deleted), then the same conversation is inserted again so the tree keeps 10,000 leaves;
 *   <li>{@link #reinsertOnly}: the re-insert part alone (walk of an existing path), to subtract;
 *   <li>{@link #baselineSglangHeapRebuild}: what SGLang does per pass - collect every device leaf
 *       and heapify them by the policy's key - and pop the first, without evicting.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TreeEvictionBenchmark {
  static final int PAGE_SIZE = 64;

  @Param({"lru", "lfu", "priority"})
  public String policy;

  ConversationTrees shape;
  HiRadixTree tree;
  int[][] conversations;
  final int[] freed = new int[4];
  int freedCount;
  int next;
  final DeviceEvictionHandler handler = new DeviceEvictionHandler() {
    @Override public void freeDevicePages(int[] pages) {
      System.arraycopy(pages, 0, freed, 0, pages.length);
      freedCount = pages.length;
    }

    @Override public boolean startWriteBack(TreeNode node) { return false; }
  };

  @Setup
  public void setUp() {
    shape = new ConversationTrees(PAGE_SIZE, 100, 100, 4, 1, 4);
    tree = shape.build(EvictionPolicies.byName(policy), WritePolicyKind.WRITE_THROUGH_SELECTIVE, Clock.system());
    conversations = new int[shape.conversations()][];
    for (int c = 0; c < conversations.length; c++) conversations[c] = shape.conversationTokens(c);
    if (tree.evictableDeviceLeaves() != 10_000) {
      throw new IllegalStateException("expected 10,000 device leaves, got " + tree.evictableDeviceLeaves());
    }
  }

  @Benchmark
  public int evictOneLeafThenReinsert() {
    int evicted = tree.evictDevice(4, handler);
    // Device page ids were handed out in order: conversation c's own pages are 8c+4 .. 8c+7.
    int c = freed[0] / 8;
    int[] ids = {8 * c, 8 * c + 1, 8 * c + 2, 8 * c + 3, freed[0], freed[1], freed[2], freed[3]};
    tree.insert(conversations[c], conversations[c].length, ids, 0, false);
    return evicted;
  }

  @Benchmark
  public Object reinsertOnly() {
    int c = next++ % conversations.length;
    int[] ids = {8 * c, 8 * c + 1, 8 * c + 2, 8 * c + 3, 8 * c + 4, 8 * c + 5, 8 * c + 6, 8 * c + 7};
    return tree.insert(conversations[c], conversations[c].length, ids, 0, false);
  }

  @Benchmark
  public TreeNode baselineSglangHeapRebuild() {
    Comparator<EvictionCandidate> order = tree.policy().order();
    PriorityQueue<TreeNode> heap = new PriorityQueue<>(order);
    ArrayDeque<TreeNode> stack = new ArrayDeque<>();
    stack.push(tree.root());
    while (!stack.isEmpty()) {
      TreeNode n = stack.pop();
      boolean deviceLeaf = !n.isRoot() && !n.evicted();
      for (TreeNode c : n.children()) {
        stack.push(c);
        if (!c.evicted()) deviceLeaf = false;
      }
      if (deviceLeaf && n.lockRef() == 0) heap.add(n);
    }
    return heap.poll();
  }
}
