package dev.hicache.benchmarks.tree;

import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.Clock;
import dev.hicache.core.tree.DeviceEvictionHandler;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.InsertResult;
import dev.hicache.core.tree.TreeNode;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Insert on a tree of about one million cached pages (page size 64, 16 prompts of 8 pages, 2,048
 * conversations of 4 turns x 126 pages):
 * <ul>
 *   <li>{@link #reinsertExistingPath}: a finished request whose 512 pages are all cached already
 *       (walk, hit counts, duplicate prefix) - SGLang's cache_finished_req on a full hit;
 *   <li>{@link #insertNewRequestWithEviction}: a request of a shared prompt plus 16 new pages, then
 *       an eviction of 16 pages to stay at capacity (steady state of a full cache).
 * </ul>
 * Times are per request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class TreeInsertBenchmark {
  static final int PAGE_SIZE = 64;
  static final int NEW_PAGES = 16;

  ConversationTrees shape;
  HiRadixTree tree;
  int[][] paths;
  int[] pathIds;
  int[][] promptRequests;
  long stream = 1L << 40;
  int next;
  int nextPageId = Integer.MAX_VALUE / 2;
  final DeviceEvictionHandler handler = new DeviceEvictionHandler() {
    @Override public void freeDevicePages(int[] pages) {}

    @Override public boolean startWriteBack(TreeNode node) { return false; }
  };

  @Setup(Level.Trial)
  public void setUp() {
    shape = new ConversationTrees(PAGE_SIZE, 16, 128, 8, 4, 126);
    tree = shape.build(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_THROUGH_SELECTIVE, Clock.system());
    SplittableRandom rnd = new SplittableRandom(7);
    paths = new int[256][];
    for (int i = 0; i < paths.length; i++) paths[i] = shape.conversationTokens(rnd.nextInt(shape.conversations()));
    pathIds = new int[shape.pathPages()];
    promptRequests = new int[16][];
    for (int p = 0; p < 16; p++) {
      int[] t = new int[(8 + NEW_PAGES) * PAGE_SIZE];
      System.arraycopy(shape.conversationTokens(p), 0, t, 0, 8 * PAGE_SIZE);
      promptRequests[p] = t;
    }
  }

  @Benchmark
  public InsertResult reinsertExistingPath() {
    int[] t = paths[next++ & 255];
    return tree.insert(t, t.length, pathIds, 0, false);
  }

  @Benchmark
  public int insertNewRequestWithEviction() {
    int[] t = promptRequests[next++ & 15];
    long s = stream++;
    int[] ids = new int[8 + NEW_PAGES];
    for (int p = 0; p < NEW_PAGES; p++) {
      shape.fillPage(s, p, t, (8 + p) * PAGE_SIZE);
      ids[8 + p] = nextPageId++;
    }
    tree.insert(t, t.length, ids, 0, false);
    return tree.evictDevice(NEW_PAGES, handler);
  }
}
