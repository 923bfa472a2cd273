package dev.hicache.benchmarks.api;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
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
 * Page-key hashing ({@link PageHasher#hashPage}: encode the prior digest and the page's token ids
 * little-endian, SHA-256, wrap as a {@link PageKey}) against the raw JDK {@code MessageDigest}
 * SHA-256 of the same, already encoded bytes, in the same run. Goal: at least 0.9x the raw rate.
 *
 * <p>The chain pair hashes {@value #CHAIN} consecutive pages each chained from the previous key
 * (as the tree and the prefetch do); its raw side feeds the previous digest and the page's encoded
 * bytes to the digest, the same bytes. Scores are pages per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
public class PageHashBenchmark {
  @Param({"64"})
  public int pageSize;

  PageHasher hasher;
  PageKey prior;
  int[] tokens;
  MessageDigest sha;
  byte[] message;
  final byte[] digest = new byte[PageKey.BYTES];
  static final int CHAIN = 16;
  int[] chainTokens;
  byte[][] chainPages;

  @Setup
  public void setUp() throws NoSuchAlgorithmException, DigestException {
    hasher = new PageHasher(pageSize);
    SplittableRandom rnd = new SplittableRandom(1);
    tokens = new int[pageSize];
    for (int i = 0; i < pageSize; i++) tokens[i] = rnd.nextInt(1 << 18);
    byte[] priorBytes = new byte[PageKey.BYTES];
    for (int i = 0; i < priorBytes.length; i++) priorBytes[i] = (byte) rnd.nextInt();
    prior = PageKey.ofDigest(priorBytes);
    sha = MessageDigest.getInstance("SHA-256");
    message = new byte[PageKey.BYTES + 4 * pageSize];
    prior.writeTo(message, 0);
    for (int i = 0; i < pageSize; i++) {
      int t = tokens[i];
      int o = PageKey.BYTES + 4 * i;
      message[o] = (byte) t;
      message[o + 1] = (byte) (t >>> 8);
      message[o + 2] = (byte) (t >>> 16);
      message[o + 3] = (byte) (t >>> 24);
    }
    if (!hasher.hashPage(prior, tokens, 0).equals(PageKey.ofDigest(sha.digest(message)))) {
      throw new IllegalStateException("PageHasher and the raw digest disagree");
    }
    chainTokens = new int[CHAIN * pageSize];
    for (int i = 0; i < chainTokens.length; i++) chainTokens[i] = rnd.nextInt(1 << 18);
    chainPages = new byte[CHAIN][4 * pageSize];
    for (int p = 0; p < CHAIN; p++) {
      for (int i = 0; i < pageSize; i++) {
        int t = chainTokens[p * pageSize + i];
        chainPages[p][4 * i] = (byte) t;
        chainPages[p][4 * i + 1] = (byte) (t >>> 8);
        chainPages[p][4 * i + 2] = (byte) (t >>> 16);
        chainPages[p][4 * i + 3] = (byte) (t >>> 24);
      }
    }
    PageKey k = prior;
    for (int p = 0; p < CHAIN; p++) k = hasher.hashPage(k, chainTokens, p * pageSize);
    if (!k.equals(PageKey.ofDigest(rawChain().clone()))) throw new IllegalStateException("chains disagree");
  }

  @Benchmark
  @org.openjdk.jmh.annotations.OperationsPerInvocation(CHAIN)
  public PageKey pageHasherChain() {
    PageKey k = prior;
    for (int p = 0; p < CHAIN; p++) k = hasher.hashPage(k, chainTokens, p * pageSize);
    return k;
  }

  @Benchmark
  @org.openjdk.jmh.annotations.OperationsPerInvocation(CHAIN)
  public byte[] rawMessageDigestChain() throws DigestException {
    return rawChain();
  }

  private byte[] rawChain() throws DigestException {
    prior.writeTo(digest, 0);
    for (int p = 0; p < CHAIN; p++) {
      sha.update(digest, 0, PageKey.BYTES);
      sha.update(chainPages[p], 0, chainPages[p].length);
      sha.digest(digest, 0, PageKey.BYTES);
    }
    return digest;
  }

  @Benchmark
  public PageKey pageHasher() {
    return hasher.hashPage(prior, tokens, 0);
  }

  @Benchmark
  public byte[] rawMessageDigest() throws DigestException {
    sha.update(message, 0, message.length);
    sha.digest(digest, 0, PageKey.BYTES);
    return digest;
  }
}
