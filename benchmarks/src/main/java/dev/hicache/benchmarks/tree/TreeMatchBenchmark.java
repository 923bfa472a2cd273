package dev.hicache.benchmarks.tree;

import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.Clock;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.MatchResult;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Match throughput in page-matches per second on a tree of about one million cached pages (page
 * size 64): each operation matches one whole conversation path of {@value #PATH_PAGES} pages.
 * {@code turnPages} sets how long the nodes are (126: four turns per conversation; 8: 63 short
 * turns, so child lookups dominate).
 *
 * <p>Baseline in the same run: {@link #baselineFlatCompare} compares the same query against a flat
 * copy of its tokens with {@code Arrays.mismatch}, the least any exact matcher must read.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@OperationsPerInvocation(TreeMatchBenchmark.PATH_PAGES)
public class TreeMatchBenchmark {
  static final int PAGE_SIZE = 64;
  static final int PATH_PAGES = 512;
  static final int QUERIES = 256;

  @Param({"126", "8"})
  public int turnPages;

  HiRadixTree tree;
  int[][] queries;
  int[][] flatCopies;
  int next;

  @Setup
  public void setUp() {
    int promptPages = 8;
    int turns = (PATH_PAGES - promptPages) / turnPages;
    if (promptPages + turns * turnPages != PATH_PAGES) throw new IllegalArgumentException("turnPages must divide 504");
    ConversationTrees shape = new ConversationTrees(PAGE_SIZE, 16, 128, promptPages, turns, turnPages);
    tree = shape.build(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_THROUGH_SELECTIVE, Clock.system());
    SplittableRandom rnd = new SplittableRandom(42);
    queries = new int[QUERIES][];
    flatCopies = new int[QUERIES][];
    for (int q = 0; q < QUERIES; q++) {
      queries[q] = shape.conversationTokens(rnd.nextInt(shape.conversations()));
      flatCopies[q] = queries[q].clone();
    }
    MatchResult m = tree.matchPrefix(queries[0], queries[0].length);
    if (m.devicePrefixPages() != PATH_PAGES) throw new IllegalStateException("query did not match its whole path");
    System.out.printf("%n[tree] %d cached pages, %d nodes, %d device leaves%n",
        tree.devicePages(), tree.nodeCount(), tree.evictableDeviceLeaves());
  }

  @Benchmark
  public MatchResult matchWholePath() {
    int[] q = queries[next++ & (QUERIES - 1)];
    return tree.matchPrefix(q, q.length);
  }

  @Benchmark
  public int baselineFlatCompare() {
    int i = next++ & (QUERIES - 1);
    int[] q = queries[i];
    return Arrays.mismatch(q, flatCopies[i]);
  }
}
