package dev.hicache.simulator.workload;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * SGLang's {@code benchmark/hicache/bench_multiturn.py} in virtual time
 * (docs/behaviour.md#multi-turn-workload, synthetic prompt mode): {@code clients} conversations of
 * {@code rounds} turns; turn r's prompt is the whole history (first prompt, then each earlier
 * output and follow-up question), so the reusable prefix grows every round. A sender pops one ready
 * request at a time (random or FIFO) while fewer than {@code maxParallel} are in flight, and waits
 * an exponential (poisson) or uniform gap after every pop attempt. A client's next turn is ready
 * when its previous one finished: the engine reports that through {@link #completed}, so the loop
 * is closed as in the benchmark. Groups are rounds (1-based).
 */
public final class MultiTurnWorkload implements Workload {
  /** Llama 3's vocabulary, bench_multiturn's default tokenizer. */
  static final int VOCAB = 128_256;

  public record Params(int clients, int rounds, int requestLength, int subQuestionLength, int outputLength,
      double requestRate, int maxParallel, String distribution, String readyQueuePolicy, long seed) {
    public Params {
      if (clients < 1) throw new IllegalArgumentException("--num-clients must be >= 1, got " + clients);
      if (rounds < 1) throw new IllegalArgumentException("--num-rounds must be >= 1, got " + rounds);
      if (requestLength < 1) throw new IllegalArgumentException("--request-length must be >= 1, got " + requestLength);
      if (subQuestionLength < 0) throw new IllegalArgumentException("--sub-question-input-length must be >= 0, got " + subQuestionLength);
      if (outputLength < 1) throw new IllegalArgumentException("--output-length must be >= 1, got " + outputLength);
      // Bounded so that arrival times (nanoseconds, summed) stay far from overflowing.
      if (!(requestRate >= 1e-3) || !(requestRate <= 1e9)) {
        throw new IllegalArgumentException("--request-rate must be between 0.001 and 1000000000 per second, got "
            + requestRate);
      }
      if (maxParallel < 1) throw new IllegalArgumentException("--max-parallel must be >= 1, got " + maxParallel);
      if (!distribution.equals("poisson") && !distribution.equals("uniform")) {
        throw new IllegalArgumentException("--distribution must be poisson or uniform, got '" + distribution + "'");
      }
      if (!readyQueuePolicy.equals("random") && !readyQueuePolicy.equals("fifo")) {
        throw new IllegalArgumentException("--ready-queue-policy must be random or fifo, got '" + readyQueuePolicy + "'");
      }
    }

    /** bench_multiturn's defaults. */
    public static Params defaults() {
      return new Params(256, 5, 512, 0, 64, 1.0, 128, "poisson", "random", 1);
    }
  }

  private record Ready(long readyAt, long seq, int client) {}

  private final Params p;
  private final SplittableRandom rnd;
  private final int[][] history;     // per client: the tokens so far
  private final int[] historyLen;
  private final int[] round;         // per client: turns sent
  private final int subLen;
  private final List<Integer> readyList = new ArrayList<>(); // ready now, in arrival order
  private final PriorityQueue<Ready> future =
      new PriorityQueue<>((a, b) -> a.readyAt != b.readyAt ? Long.compare(a.readyAt, b.readyAt) : Long.compare(a.seq, b.seq));
  private final PriorityQueue<Long> inFlight = new PriorityQueue<>();
  private final ArrayDeque<Long> sentUnfinished = new ArrayDeque<>();
  private long seq;
  private long now;
  private long sent;
  private final long total;

  public MultiTurnWorkload(Params p) {
    this.p = p;
    this.rnd = new SplittableRandom(p.seed());
    this.subLen = p.subQuestionLength() == 0 ? p.requestLength() : p.subQuestionLength();
    this.history = new int[p.clients()][];
    this.historyLen = new int[p.clients()];
    this.round = new int[p.clients()];
    int maxLen = p.requestLength() + (p.rounds() - 1) * (p.outputLength() + subLen);
    for (int c = 0; c < p.clients(); c++) {
      history[c] = new int[maxLen];
      // Synthetic prompt i: token j = (offset_i + i + j) mod vocab, offset random (SGLang's
      // synthetic mode).
      int offset = rnd.nextInt(VOCAB);
      for (int j = 0; j < p.requestLength(); j++) history[c][j] = (int) (((long) offset + c + j) % VOCAB);
      historyLen[c] = p.requestLength();
      readyList.add(c);
    }
    this.total = (long) p.clients() * p.rounds();
  }

  @Override public boolean next(Request r) {
    if (sent == total) return false;
    while (!attempt(r)) {
      // nothing went out at this attempt: the sender pops again after its gap
    }
    return true;
  }

  /** When the sender next tries to pop a ready turn; {@link Long#MAX_VALUE} once every turn was sent. */
  @Override public long nextAttemptNanos() {
    return sent == total ? Long.MAX_VALUE : now;
  }

  /** One pop attempt of the sender at {@link #nextAttemptNanos()}: true with {@code r} filled if a turn went out. */
  @Override public boolean attempt(Request r) {
    if (sent == total) return false;
    while (!future.isEmpty() && future.peek().readyAt() <= now) readyList.add(future.poll().client());
    while (!inFlight.isEmpty() && inFlight.peek() <= now) inFlight.poll();
    boolean canSend = inFlight.size() + sentUnfinished.size() < p.maxParallel() && !readyList.isEmpty();
    int client = -1;
    if (canSend) {
      int i = p.readyQueuePolicy().equals("fifo") ? 0 : rnd.nextInt(readyList.size());
      client = readyList.remove(i);
    }
    long sendAt = now;
    now += gapNanos(); // bench_multiturn sleeps after every pop attempt, even an empty one
    if (client < 0) {
      if (readyList.isEmpty() && inFlight.isEmpty() && sentUnfinished.isEmpty() && !future.isEmpty()) {
        now = Math.max(now, future.peek().readyAt()); // nothing to do until a turn is ready
      }
      return false;
    }
    round[client]++;
    r.arrivalNanos = sendAt;
    r.tokens = Arrays.copyOf(history[client], historyLen[client]);
    r.outputTokens = p.outputLength();
    r.outputIds = new int[p.outputLength()]; // what completed() appends to the history
    for (int j = 0; j < r.outputIds.length; j++) r.outputIds[j] = tokenOf(client, round[client], j, 0);
    r.group = round[client];
    r.origin = client;
    sentUnfinished.add(sendAt);
    sent++;
    return true;
  }

  @Override public void completed(Request r, long finishedAtNanos) {
    sentUnfinished.poll();
    inFlight.add(finishedAtNanos);
    int c = (int) r.origin;
    if (round[c] >= p.rounds()) return;
    // The answer (output_length generated tokens) and a fresh follow-up question join the history.
    int[] h = history[c];
    int len = historyLen[c];
    for (int j = 0; j < p.outputLength(); j++) h[len++] = tokenOf(c, round[c], j, 0);
    for (int j = 0; j < subLen; j++) h[len++] = tokenOf(c, round[c], j, 1);
    historyLen[c] = len;
    future.add(new Ready(finishedAtNanos, seq++, c));
  }

  /** A generated token: deterministic per (client, round, position, kind), spread over the vocabulary. */
  private int tokenOf(int client, int rnd, int j, int kind) {
    long z = p.seed() * 0x9E3779B97F4A7C15L + client * 0xBF58476D1CE4E5B9L + rnd * 0x94D049BB133111EBL + j * 31L + kind;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (int) Long.remainderUnsigned(z ^ (z >>> 31), VOCAB);
  }

  private long gapNanos() {
    double secs = p.distribution().equals("poisson")
        ? -Math.log(1 - rnd.nextDouble()) / p.requestRate()
        : rnd.nextDouble() * 2 / p.requestRate();
    return Math.round(secs * 1e9);
  }

  public long totalRequests() {
    return total;
  }

  @Override public String describe() {
    return String.format("bench_multiturn: %d clients x %d rounds, request %d + output %d + follow-up %d tokens,"
            + " rate %.2f/s (%s), max parallel %d, ready queue %s, seed %d", p.clients(), p.rounds(), p.requestLength(),
        p.outputLength(), subLen, p.requestRate(), p.distribution(), p.maxParallel(), p.readyQueuePolicy(), p.seed());
  }

  @Override public String groupName() {
    return "round";
  }
}
