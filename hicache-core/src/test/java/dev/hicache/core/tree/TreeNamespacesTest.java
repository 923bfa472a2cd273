package dev.hicache.core.tree;

import static dev.hicache.core.tree.HiRadixTreeTest.ids;
import static dev.hicache.core.tree.HiRadixTreeTest.seq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.WritePolicyKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Namespaces in the tree (docs/behaviour.md#namespaces): separate subtrees, their seeds, their roots, the quota. */
class TreeNamespacesTest {
  static final int PS = HiRadixTreeTest.PS;
  static final PageKey A = Namespace.seed("lora-a", null);
  static final PageKey B = Namespace.seed(null, "salt-b");
  static final PageKey DEFAULT = Namespace.seed("tenant-0", null);

  final ManualClock clock = new ManualClock();
  final List<int[]> freedDevice = new ArrayList<>();
  final DeviceEvictionHandler handler = new DeviceEvictionHandler() {
    @Override public void freeDevicePages(int[] pages) { freedDevice.add(pages); }

    @Override public boolean startWriteBack(TreeNode node) { return false; }
  };
  final List<int[]> freedHost = new ArrayList<>();
  HiRadixTree tree = new HiRadixTree(PS, EvictionPolicies.DEFAULT, clock, WritePolicyKind.WRITE_THROUGH,
      new PageHasher(PS), DEFAULT);

  @AfterEach
  void invariants() {
    tree.checkInvariants();
  }

  private TreeNode insert(PageKey ns, int[] tokens, int firstPage) {
    clock.advance();
    tree.insert(ns, tokens, tokens.length, ids(firstPage, tokens.length / PS), 0, false, null);
    return tree.matchPrefix(ns, tokens, tokens.length).lastDeviceNode();
  }

  @Test
  void identicalTokens_inTwoNamespaces_liveInSeparateSubtrees_keyedFromEachSeed() {
    int[] t = seq(1, 2, 3);
    insert(A, t, 10);
    assertThat(tree.matchPrefix(B, t, t.length).devicePages()).isEmpty();
    assertThat(tree.matchPrefix(null, t, t.length).devicePages()).isEmpty();
    assertThat(tree.matchPrefix(DEFAULT, t, t.length).devicePages()).isEmpty();
    assertThat(tree.matchPrefix(A, t, t.length).devicePages()).containsExactly(10, 11, 12);
    // The same tokens in B get pages of their own, not B's duplicates of A's.
    InsertResult ib = tree.insert(B, t, t.length, ids(20, 3), 0, false, null);
    assertThat(ib.devicePrefixPages()).isZero();
    TreeNode a = tree.matchPrefix(A, t, t.length).lastDeviceNode();
    TreeNode b = tree.matchPrefix(B, t, t.length).lastDeviceNode();
    assertThat(a.hashValue()).containsExactlyElementsOf(new PageHasher(PS).chain(A, t, 0, t.length));
    assertThat(b.hashValue()).containsExactlyElementsOf(new PageHasher(PS).chain(B, t, 0, t.length));
    assertThat(a.namespaceSeed()).isEqualTo(A);
    assertThat(b.namespaceSeed()).isEqualTo(B);
    assertThat(tree.namespaceCount()).isEqualTo(3);
    assertThat(tree.namespacePages(A, Tier.DEVICE)).isEqualTo(3);
    assertThat(tree.namespacePages(B, Tier.DEVICE)).isEqualTo(3);
    assertThat(tree.namespacePages(null, Tier.DEVICE)).isZero();
  }

  @Test
  void noNamespace_isTheDefaultOne_seededAsTheTreeSays() {
    int[] t = seq(4, 5);
    tree.insert(t, t.length, ids(0, 2), 0, false);
    assertThat(tree.matchPrefix(DEFAULT, t, t.length).devicePages()).containsExactly(0, 1);
    assertThat(tree.root().children()).singleElement().satisfies(n -> {
      assertThat(n.namespaceSeed()).isEqualTo(DEFAULT);
      assertThat(n.hashValue()).containsExactlyElementsOf(new PageHasher(PS).chain(DEFAULT, t, 0, t.length));
    });
    assertThat(tree.namespaceCount()).isEqualTo(1);
  }

  @Test
  void aNamespaceRoot_isMadeByAnInsert_andDroppedWhenItsSubtreeEmpties() {
    // A match alone keeps nothing.
    assertThat(tree.matchPrefix(A, seq(1), PS).lastDeviceNode().isRoot()).isTrue();
    assertThat(tree.namespaceCount()).isEqualTo(1);
    insert(A, seq(1, 2), 0);
    assertThat(tree.namespaceCount()).isEqualTo(2);
    assertThat(tree.roots()).hasSize(2);
    assertThat(tree.evictDevice(2, handler)).isEqualTo(2);
    assertThat(tree.namespaceCount()).isEqualTo(1);
    assertThat(tree.namespacePages(A, Tier.DEVICE)).isZero();
    // An empty insert keeps no root either.
    tree.insert(B, seq(1), 0, new int[0], 0, false, null);
    assertThat(tree.namespaceCount()).isEqualTo(1);
  }

  @Test
  void aPrefetchAnchoredOnAMatchedRoot_keepsIt_untilReleased() {
    MatchResult m = tree.matchPrefix(A, seq(1, 2), 2 * PS);
    TreeNode anchor = m.lastHostNode();
    tree.protectHost(anchor);
    assertThat(tree.namespaceCount()).isEqualTo(2);
    tree.checkInvariants();
    HostInsertResult r = tree.insertHostOnly(anchor, seq(1, 2), 0, 2 * PS, ids(40, 2),
        new PageHasher(PS).chain(A, seq(1, 2), 0, 2 * PS).toArray(new PageKey[0]));
    assertThat(r.matchedPages()).isZero();
    tree.releaseHost(anchor);
    assertThat(tree.matchPrefix(A, seq(1, 2), 2 * PS).hostHitPages()).isEqualTo(2);
    assertThat(tree.namespacePages(A, Tier.HOST)).isEqualTo(2);
    tree.evictHost(2, freedHost::add);
    assertThat(tree.namespaceCount()).isEqualTo(1);
  }

  @Test
  void anUnkeptMatchedRoot_isRefusedAsAnInsertAnchor() {
    TreeNode anchor = tree.matchPrefix(A, seq(1), PS).lastHostNode();
    assertThatThrownBy(() -> tree.insertHostOnly(anchor, seq(1), 0, PS, ids(0, 1),
        new PageKey[] {new PageHasher(PS).hashPage(A, seq(1), 0)}))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("protectHost");
  }

  @Test
  void withoutQuota_evictionIsOneOrderOverEveryNamespace() {
    insert(B, seq(9), 0);          // the oldest leaf
    insert(A, seq(1, 2, 3), 10);
    insert(A, seq(4, 5, 6), 20);
    tree.evictDevice(1, handler, A, 2);
    assertThat(tree.namespacePages(B, Tier.DEVICE)).isZero();
    assertThat(tree.namespacePages(A, Tier.DEVICE)).isEqualTo(6);
  }

  @Test
  void withQuota_aNamespaceOverIt_evictsItsOwnDevicePagesFirst_thenEveryones() {
    tree.namespaceQuota(4, 100);
    insert(B, seq(9), 0);          // the oldest leaf
    insert(A, seq(1, 2, 3), 10);
    insert(A, seq(4, 5, 6), 20);
    // A holds 6 pages and asks for 2: over its quota of 4, its own oldest leaf goes.
    assertThat(tree.evictDevice(1, handler, A, 2)).isEqualTo(3);
    assertThat(freedDevice).singleElement().satisfies(p -> assertThat(p).containsExactly(10, 11, 12));
    assertThat(tree.namespacePages(B, Tier.DEVICE)).isEqualTo(1);
    // B holds 1 page and asks for 1: within its quota, the one order applies (B's leaf is the oldest).
    tree.checkInvariants();
    assertThat(tree.evictDevice(1, handler, B, 1)).isEqualTo(1);
    assertThat(tree.namespacePages(B, Tier.DEVICE)).isZero();
    // Once A is back within its quota with what it asks for, the rest comes from the one order.
    insert(B, seq(8), 30);
    insert(A, seq(7), 40); // A: [4,5,6] (oldest) and [7], 4 pages; B: [8], 1 page
    // A's oldest leaf first (A at 3 + 1 asked is within 4 then), then the one order: B's [8].
    assertThat(tree.evictDevice(4, handler, A, 1)).isEqualTo(4);
    assertThat(tree.namespacePages(A, Tier.DEVICE)).isEqualTo(1);
    assertThat(tree.namespacePages(B, Tier.DEVICE)).isZero();
  }

  @Test
  void withQuota_aNamespaceOverIt_evictsItsOwnHostPagesFirst() {
    tree.namespaceQuota(100, 3);
    TreeNode b = insert(B, seq(9), 0);
    TreeNode a1 = insert(A, seq(1, 2), 10);
    TreeNode a2 = insert(A, seq(3, 4), 20);
    tree.setBackuped(b, ids(100, 1));
    tree.setBackuped(a1, ids(110, 2));
    tree.setBackuped(a2, ids(120, 2));
    tree.evictDevice(5, handler); // all host-only now, B's the oldest
    assertThat(tree.namespacePages(A, Tier.HOST)).isEqualTo(4);
    // A holds 4 host pages: over its quota of 3, its own leaves go first, in the policy's order.
    assertThat(tree.evictHost(1, freedHost::add, A, 1)).isEqualTo(2);
    assertThat(freedHost).singleElement().satisfies(p -> assertThat(p).containsExactly(110, 111));
    assertThat(tree.namespacePages(B, Tier.HOST)).isEqualTo(1);
    // Without the namespace (a global eviction), the one order: B's is the oldest.
    assertThat(tree.evictHost(1, freedHost::add)).isEqualTo(1);
    assertThat(tree.namespacePages(B, Tier.HOST)).isZero();
  }

  @Test
  void theQuota_isSetOnAnEmptyTree_withAtLeastOnePage() {
    assertThatThrownBy(() -> tree.namespaceQuota(0, 1)).isInstanceOf(IllegalArgumentException.class);
    insert(A, seq(1), 0);
    assertThatThrownBy(() -> tree.namespaceQuota(1, 1)).isInstanceOf(IllegalStateException.class);
  }
}
