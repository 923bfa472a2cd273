package dev.hicache.core.sim;

/**
 * Which nodes a match that ends inside a node touches (sets {@code last_access_time = now}).
 *
 * <p>SGLang's {@code _match_prefix_helper} touches the child before it splits it, so the split-off
 * remainder (not matched) is touched too. The simulator's {@code --l1-only} semantics ("matched
 * nodes are touched", the reference replay of docs/behaviour.md#traces-and-reference-values) leave
 * the remainder's time alone.
 */
public enum MatchTouch {
  /** SGLang: every traversed node, including the unmatched remainder of a split node. */
  TRAVERSED,
  /** Only nodes whose whole span was matched (the remainder of a split keeps its old time). */
  MATCHED_ONLY
}
