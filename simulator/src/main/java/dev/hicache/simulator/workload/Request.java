package dev.hicache.simulator.workload;

import dev.hicache.simulator.virtualtime.TieredSimulation;

/**
 * One request of a workload, reused by {@link Workload#next}: its arrival in virtual time, its
 * prompt token ids (exactly {@code tokens.length} tokens), its output length, and a group for
 * per-group reports (the round of a multi-turn conversation; 0 otherwise).
 */
public final class Request {
  public long arrivalNanos;
  public int[] tokens;
  public int outputTokens;
  public int group;
  /**
   * The output's token ids when the workload knows them (the multi-turn generator: the answer that
   * joins the client's history), else null. PD decode offload writes prompt + output to L3.
   */
  public int[] outputIds;
  /** Where it came from, for messages (a trace line, a client number). */
  public long origin;
  /**
   * The prompt's page keys when they were made before the engine takes the request (every full
   * page's, chained from the start: {@code TieredSimulation.pageKeys}, or by serial with {@link
   * #pageSerials}; {@link PromptPageKeys}), else null (the engine hashes).
   */
  public dev.hicache.api.PageKey[] pageKeys;
  /**
   * The request's namespace (docs/behaviour.md#namespaces; {@link NamespacedWorkload}), or null: the
   * cache's default one. {@link #pageKeys} are then chained from its seed.
   */
  public dev.hicache.api.Namespace namespace;
  /**
   * The serials of the prompt's full pages when the workload keys pages by serial ({@link
   * TraceWorkload} with {@code --page-keys serial}: {@link TraceTokens#serials}), else null: the
   * page keys are then {@link SerialPageKeys}' instead of SGLang's over the tokens.
   */
  public long[] pageSerials;
  /**
   * The router's key of the prompt (prefix affinity: a hash of its first tokens) when it was made
   * before the engine takes the request ({@link ReadAheadWorkload}, on its thread), else {@link
   * #routeKeyed} is false and the router hashes the prompt itself.
   */
  public long routeKey;
  /** Whether {@link #routeKey} holds the prompt's key. */
  public boolean routeKeyed;

  /** Makes this request a copy of {@code other}, field by field (arrays are shared, not copied). */
  public Request copyFrom(Request other) {
    arrivalNanos = other.arrivalNanos;
    tokens = other.tokens;
    outputTokens = other.outputTokens;
    group = other.group;
    outputIds = other.outputIds;
    origin = other.origin;
    pageKeys = other.pageKeys;
    namespace = other.namespace;
    pageSerials = other.pageSerials;
    routeKey = other.routeKey;
    routeKeyed = other.routeKeyed;
    return this;
  }
}
