package dev.hicache.benchmarks.tree;

import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.api.spi.WritePolicy;
import dev.hicache.core.tree.HiRadixTree;

/**
 * Builds trees shaped like a multi-turn chat workload: {@code prompts} system prompts, each shared
 * by {@code conversationsPerPrompt} conversations that grow turn by turn (each turn inserted as a
 * request would be at finish, so every turn ends a node).
 */
final class ConversationTrees {
  final int pageSize;
  final int prompts;
  final int conversationsPerPrompt;
  final int promptPages;
  final int turns;
  final int turnPages;

  ConversationTrees(int pageSize, int prompts, int conversationsPerPrompt, int promptPages, int turns, int turnPages) {
    this.pageSize = pageSize;
    this.prompts = prompts;
    this.conversationsPerPrompt = conversationsPerPrompt;
    this.promptPages = promptPages;
    this.turns = turns;
    this.turnPages = turnPages;
  }

  int conversations() { return prompts * conversationsPerPrompt; }

  /** Pages of one conversation's full path (prompt included). */
  int pathPages() { return promptPages + turns * turnPages; }

  /** Distinct pages the tree holds once every conversation is in. */
  long cachedPages() { return (long) prompts * promptPages + (long) conversations() * turns * turnPages; }

  /** The full token path of conversation {@code c} (prompt, then its turns). */
  int[] conversationTokens(int c) {
    int[] t = new int[pathPages() * pageSize];
    int prompt = c % prompts;
    for (int p = 0; p < promptPages; p++) fillPage(1L + prompt, p, t, p * pageSize);
    for (int p = 0; p < turns * turnPages; p++) fillPage(1_000_000L + c, p, t, (promptPages + p) * pageSize);
    return t;
  }

  /** Pseudo-random token ids of page {@code page} of stream {@code stream}; streams never collide. */
  void fillPage(long stream, int page, int[] dst, int off) {
    long s = stream * 0x9E3779B97F4A7C15L + page * 0xC2B2AE3D27D4EB4FL;
    for (int i = 0; i < pageSize; i++) {
      s += 0x9E3779B97F4A7C15L;
      long z = (s ^ (s >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      dst[off + i] = (int) ((z ^ (z >>> 31)) & 0x3FFFF); // a 256 Ki vocabulary
    }
  }

  /** Inserts every conversation turn by turn; device page ids are a running counter. */
  HiRadixTree build(EvictionPolicy policy, WritePolicy writePolicy, Clock clock) {
    HiRadixTree tree = new HiRadixTree(pageSize, policy, clock, writePolicy, null, null);
    int nextPage = 0;
    for (int c = 0; c < conversations(); c++) {
      int[] t = conversationTokens(c);
      for (int turn = 1; turn <= turns; turn++) {
        int pages = promptPages + turn * turnPages;
        int[] ids = new int[pages];
        for (int i = 0; i < pages; i++) ids[i] = nextPage++;
        tree.insert(t, pages * pageSize, ids, 0, false);
      }
    }
    return tree;
  }
}
