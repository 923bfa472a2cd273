package dev.hicache.core.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.EvictionPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.MatchTouch;

class HiRadixTreeTest {
  static final int PS = 4;

  final ManualClock clock = new ManualClock();
  final RecordingEvictionHandler handler = new RecordingEvictionHandler();
  HiRadixTree tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_THROUGH_SELECTIVE);

  HiRadixTree newTree(EvictionPolicy policy, WritePolicyKind write) {
    return new HiRadixTree(PS, policy, clock, write, null, null);
  }

  @AfterEach
  void invariants() {
    tree.checkInvariants();
  }

  /** Tokens of the pages named by symbols: page s holds s*100, s*100+1, ... */
  static int[] seq(int... pageSymbols) {
    int[] t = new int[pageSymbols.length * PS];
    for (int p = 0; p < pageSymbols.length; p++) {
      for (int i = 0; i < PS; i++) t[p * PS + i] = pageSymbols[p] * 100 + i;
    }
    return t;
  }

  static int[] ids(int first, int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = first + i;
    return a;
  }

  InsertResult insert(int[] tokens, int firstPageId) {
    return tree.insert(tokens, tokens.length, ids(firstPageId, tokens.length / PS), 0, false);
  }

  @Test
  void matchPrefix_emptyTree_returnsRootAndNothing() {
    MatchResult m = tree.matchPrefix(seq(1, 2), 2 * PS);
    assertThat(m.devicePages()).isEmpty();
    assertThat(m.lastDeviceNode()).isSameAs(tree.root());
    assertThat(m.lastHostNode()).isSameAs(tree.root());
    assertThat(m.hostHitPages()).isZero();
  }

  @Test
  void matchPrefix_partialNode_splitsItAndReturnsTheMatchedDevicePages() {
    insert(seq(1, 2, 3), 10);
    MatchResult m = tree.matchPrefix(seq(1, 2, 9), 3 * PS);
    assertThat(m.devicePages()).containsExactly(10, 11);
    assertThat(tree.nodeCount()).isEqualTo(2);
    assertThat(m.lastDeviceNode().pages()).isEqualTo(2);
    assertThat(m.lastDeviceNode().children()).singleElement().satisfies(c -> {
      assertThat(c.value()).containsExactly(12);
      assertThat(c.key()).isEqualTo(seq(3));
    });
  }

  @Test
  void insert_byDefault_copiesTheSpan_soALaterChangeOfTheCallersArrayChangesNoKey() {
    int[] t = seq(1, 2, 3);
    tree.insert(t, t.length, ids(10, 3), 0, false);
    Arrays.fill(t, -7);
    assertThat(tree.root().children()).singleElement().satisfies(c -> assertThat(c.key()).isEqualTo(seq(1, 2, 3)));
    assertThat(tree.matchPrefix(seq(1, 2, 3), 3 * PS).devicePages()).containsExactly(10, 11, 12);
    tree.checkInvariants();
  }

  @Test
  void split_ofAViewNode_givesEachPartExactlyItsOwnTokens() {
    tree.tokensUnmodified();
    int[] t = seq(1, 2, 3, 4);
    tree.insert(t, 3 * PS, ids(10, 3), 0, false); // a view of the first three pages of t
    TreeNode lower = tree.root().children().iterator().next();
    MatchResult m = tree.matchPrefix(seq(1, 2, 9), 3 * PS); // splits after page 2
    TreeNode upper = m.lastDeviceNode();
    assertThat(upper.tokens()).isEqualTo(2 * PS);
    assertThat(upper.key()).isEqualTo(seq(1, 2));
    assertThat(lower.tokens()).isEqualTo(PS);
    assertThat(lower.key()).isEqualTo(seq(3));
    assertThat(lower.keyMismatch(PS, seq(1, 2, 3), 2 * PS)).isEqualTo(-1);
    assertThat(upper.keyMismatch(2 * PS, seq(1, 9), 0)).isEqualTo(PS);
    // key() handed out an array of the node's own: the inserted array is untouched and still matches.
    assertThat(t).isEqualTo(seq(1, 2, 3, 4));
    assertThat(tree.matchPrefix(seq(1, 2, 3), 3 * PS).devicePages()).containsExactly(10, 11, 12);
    tree.checkInvariants();
  }

  @Test
  void insert_withViews_copiesASpanOfLessThanHalfTheArray() {
    tree.tokensUnmodified();
    insert(seq(1, 2, 3), 10);
    int[] t = seq(1, 2, 3, 4);
    tree.insert(t, t.length, ids(20, 4), 0, false); // one new page of four: a copy
    Arrays.fill(t, -7);
    assertThat(tree.matchPrefix(seq(1, 2, 3, 4), 4 * PS).devicePages()).containsExactly(10, 11, 12, 23);
    tree.checkInvariants();
  }

  @Test
  void matchPrefix_unalignedLength_usesOnlyFullPages() {
    insert(seq(1, 2, 3), 10);
    MatchResult m = tree.matchPrefix(seq(1, 2, 3), 3 * PS - 1);
    assertThat(m.devicePages()).containsExactly(10, 11);
  }

  @Test
  void matchPrefix_mismatchInsideAPage_matchesOnlyWholePages() {
    insert(seq(1, 2), 10);
    int[] q = seq(1, 2);
    q[PS + PS - 1] = -7; // last token of the second page differs
    assertThat(tree.matchPrefix(q, q.length).devicePages()).containsExactly(10);
  }

  @Test
  void matchPrefix_tokensAreUnsigned_matchesIdsAboveTwoToThe31() {
    int[] t = {-1, -2, 0x8000_0000, 5};
    tree.insert(t, 4, new int[] {7}, 0, false);
    assertThat(tree.matchPrefix(t.clone(), 4).devicePages()).containsExactly(7);
  }

  @Test
  void matchPrefix_fullMatch_touchesTraversedNodes() {
    insert(seq(1, 2), 10);
    clock.now = 50;
    MatchResult m = tree.matchPrefix(seq(1, 2), 2 * PS);
    assertThat(m.lastDeviceNode().lastAccessTime()).isEqualTo(50);
  }

  @Test
  void matchPrefix_traversedTouch_touchesTheSplitRemainderToo() {
    insert(seq(1, 2, 3), 10);
    clock.now = 50;
    MatchResult m = tree.matchPrefix(seq(1), PS);
    TreeNode remainder = m.lastDeviceNode().children().iterator().next();
    assertThat(remainder.lastAccessTime()).isEqualTo(50);
  }

  @Test
  void matchPrefix_matchedOnlyTouch_leavesTheSplitRemaindersTime() {
    tree = new HiRadixTree(PS, EvictionPolicies.DEFAULT, clock, WritePolicyKind.WRITE_THROUGH, null, null,
        MatchTouch.MATCHED_ONLY);
    clock.now = 5;
    insert(seq(1, 2, 3), 10);
    clock.now = 50;
    MatchResult m = tree.matchPrefix(seq(1), PS);
    assertThat(m.lastDeviceNode().lastAccessTime()).isEqualTo(50);
    TreeNode remainder = m.lastDeviceNode().children().iterator().next();
    assertThat(remainder.lastAccessTime()).isEqualTo(5);
  }

  @Test
  void matchPrefix_lengthBeyondTokens_throws() {
    assertThatThrownBy(() -> tree.matchPrefix(seq(1), PS + 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void insert_existingPrefix_reportsDevicePrefixPages() {
    assertThat(insert(seq(1, 2), 10).devicePrefixPages()).isZero();
    InsertResult r = insert(seq(1, 2, 3, 4), 20);
    assertThat(r.devicePrefixPages()).isEqualTo(2);
    assertThat(tree.matchPrefix(seq(1, 2, 3, 4), 4 * PS).devicePages()).containsExactly(10, 11, 22, 23);
    assertThat(tree.devicePages()).isEqualTo(4);
  }

  @Test
  void insert_evictedNode_reattachesDevicePagesWithoutCountingThemAsPrefix() {
    insert(seq(1, 2), 10);
    tree.setBackuped(tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode(), ids(500, 2));
    assertThat(tree.evictDevice(2, handler)).isEqualTo(2);
    assertThat(tree.matchPrefix(seq(1, 2), 2 * PS).hostHitPages()).isEqualTo(2);

    InsertResult again = insert(seq(1, 2), 30);
    assertThat(again.devicePrefixPages()).isZero();
    MatchResult m = tree.matchPrefix(seq(1, 2), 2 * PS);
    assertThat(m.devicePages()).containsExactly(30, 31);
    assertThat(m.lastDeviceNode().hostValue()).containsExactly(500, 501);
  }

  @Test
  void insert_writeThroughSelective_needsBackupFromTheSecondHit() {
    assertThat(insert(seq(1, 2), 10).needBackup()).isEmpty();
    InsertResult second = insert(seq(1, 2), 20);
    assertThat(second.needBackup()).singleElement().satisfies(n -> assertThat(n.value()).containsExactly(10, 11));
  }

  @Test
  void insert_writeThrough_needsBackupAtOnceAncestorsFirst() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_THROUGH);
    InsertResult a = insert(seq(1, 2), 10);
    assertThat(a.needBackup()).hasSize(1);
    InsertResult b = insert(seq(1, 2, 3), 20);
    assertThat(b.needBackup()).extracting(TreeNode::pages).containsExactly(2, 1);
  }

  @Test
  void insert_chunked_countsNoHits() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_THROUGH);
    InsertResult r = tree.insert(seq(1, 2), 2 * PS, ids(10, 2), 0, true);
    assertThat(r.needBackup()).isEmpty();
    assertThat(tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode().hitCount()).isZero();
  }

  @Test
  void insert_writeBack_neverNeedsBackup() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_BACK);
    insert(seq(1, 2), 10);
    assertThat(insert(seq(1, 2), 20).needBackup()).isEmpty();
  }

  @Test
  void insert_priority_raisesEveryNodeOnThePathToTheMaximum() {
    tree.insert(seq(1, 2), 2 * PS, ids(10, 2), 3, false);
    tree.insert(seq(1, 2, 3), 3 * PS, ids(20, 3), 7, false);
    tree.insert(seq(1, 2), 2 * PS, ids(30, 2), 1, false);
    MatchResult m = tree.matchPrefix(seq(1, 2, 3), 3 * PS);
    assertThat(m.lastDeviceNode().priority()).isEqualTo(7);
    assertThat(m.lastDeviceNode().parent().priority()).isEqualTo(7);
  }

  @Test
  void insert_badArguments_throwBeforeChangingAnything() {
    assertThatThrownBy(() -> tree.insert(seq(1, 2), PS + 1, ids(0, 1), 0, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tree.insert(seq(1, 2), 2 * PS, ids(0, 1), 0, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("device pages");
    assertThat(tree.nodeCount()).isZero();
  }

  @Test
  void evictDevice_userPolicyWithoutIdTieBreak_stillEvictsEveryLeaf() {
    EvictionPolicy byPriorityOnly = new EvictionPolicy() {
      @Override public String flagName() { return "by-priority-only"; }

      @Override public java.util.Comparator<dev.hicache.api.spi.EvictionCandidate> order() {
        return java.util.Comparator.comparingInt(dev.hicache.api.spi.EvictionCandidate::priority);
      }
    };
    tree = newTree(byPriorityOnly, WritePolicyKind.WRITE_THROUGH_SELECTIVE);
    for (int s = 1; s <= 5; s++) insert(seq(s), s * 10);
    assertThat(tree.evictableDeviceLeaves()).isEqualTo(5);
    assertThat(tree.evictDevice(5, handler)).isEqualTo(5);
    assertThat(tree.nodeCount()).isZero();
  }

  @Test
  void evictDevice_backupedLeaf_becomesHostOnlyAndKeepsItsSubtree() {
    insert(seq(1, 2), 10);
    insert(seq(1, 2, 3), 20);
    TreeNode upper = tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode();
    TreeNode leaf = tree.matchPrefix(seq(1, 2, 3), 3 * PS).lastDeviceNode();
    tree.setBackuped(upper, ids(500, 2));
    tree.setBackuped(leaf, ids(600, 1));
    assertThat(tree.evictDevice(3, handler)).isEqualTo(3);
    assertThat(handler.freed).extracting(Arrays::toString).containsExactly("[22]", "[10, 11]");
    MatchResult m = tree.matchPrefix(seq(1, 2, 3), 3 * PS);
    assertThat(m.devicePages()).isEmpty();
    assertThat(m.hostHitPages()).isEqualTo(3);
    assertThat(m.lastHostNode()).isSameAs(leaf);
    assertThat(m.lastDeviceNode()).isSameAs(tree.root());
    assertThat(tree.nodeCount()).isEqualTo(2);
  }

  @Test
  void evictDevice_notBackuped_deletesTheNode() {
    insert(seq(1, 2), 10);
    assertThat(tree.evictDevice(1, handler)).isEqualTo(2);
    assertThat(tree.nodeCount()).isZero();
    assertThat(tree.devicePages()).isZero();
    assertThat(handler.freed).singleElement().isEqualTo(new int[] {10, 11});
  }

  @Test
  void evictDevice_lockedLeaf_isNeverEvicted() {
    insert(seq(1), 10);
    insert(seq(2), 20);
    TreeNode locked = tree.matchPrefix(seq(1), PS).lastDeviceNode();
    assertThat(tree.incLockRef(locked)).isEqualTo(-1);
    assertThat(tree.protectedDevicePages()).isEqualTo(1);
    assertThat(tree.evictDevice(10, handler)).isEqualTo(1);
    assertThat(tree.matchPrefix(seq(1), PS).devicePages()).containsExactly(10);
    assertThat(tree.decLockRef(locked)).isEqualTo(1);
    assertThat(tree.evictDevice(10, handler)).isEqualTo(1);
    assertThat(tree.devicePages()).isZero();
  }

  @Test
  void evictDevice_lru_evictsTheLeastRecentlyUsedLeafFirst() {
    insert(seq(1), 10);
    clock.advance();
    insert(seq(2), 20);
    clock.advance();
    insert(seq(3), 30);
    clock.advance();
    tree.matchPrefix(seq(1), PS);
    tree.evictDevice(1, handler);
    assertThat(handler.freed).singleElement().isEqualTo(new int[] {20});
  }

  @Test
  void evictDevice_parentBecomesALeaf_isEvictedInTheSamePass() {
    insert(seq(1, 2), 10);
    insert(seq(1, 2, 3), 20);
    tree.matchPrefix(seq(1, 2), 2 * PS);
    assertThat(tree.evictDevice(3, handler)).isEqualTo(3);
    assertThat(tree.nodeCount()).isZero();
  }

  @Test
  void evictDevice_lockedDescendant_protectsTheWholePath() {
    insert(seq(1, 2, 3), 10);
    TreeNode n = tree.matchPrefix(seq(1, 2, 3), 3 * PS).lastDeviceNode();
    tree.incLockRef(n);
    assertThat(tree.evictDevice(3, handler)).isZero();
    assertThat(tree.evictableDevicePages()).isZero();
  }

  @Test
  void evictDevice_writeBack_keepsTheNodePendingUntilTheAck() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_BACK);
    handler.backupInto = tree;
    insert(seq(1, 2), 10);
    assertThat(tree.evictDevice(2, handler)).isEqualTo(2);
    TreeNode n = handler.writeBacks.get(0);
    assertThat(n.writeBackPending()).isTrue();
    assertThat(tree.pendingWriteBackPages()).isEqualTo(2);
    assertThat(handler.freed).isEmpty();
    assertThat(tree.matchPrefix(seq(1, 2), 2 * PS).devicePages()).containsExactly(10, 11);
    tree.checkInvariants();

    assertThat(tree.evictBackuped(n, handler)).isTrue();
    assertThat(handler.freed).singleElement().isEqualTo(new int[] {10, 11});
    assertThat(tree.matchPrefix(seq(1, 2), 2 * PS).hostHitPages()).isEqualTo(2);
    assertThat(tree.pendingWriteBackPages()).isZero();
  }

  @Test
  void evictBackuped_lockedMeanwhile_callsTheEvictionOff() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_BACK);
    handler.backupInto = tree;
    insert(seq(1, 2), 10);
    tree.evictDevice(2, handler);
    TreeNode n = handler.writeBacks.get(0);
    tree.incLockRef(n);
    assertThat(n.writeBackPending()).isFalse();
    assertThat(tree.evictBackuped(n, handler)).isFalse();
    assertThat(handler.freed).isEmpty();
    assertThat(n.value()).containsExactly(10, 11);
    assertThat(n.backuped()).isTrue();
  }

  @Test
  void evictDevice_writeBackCalledOffButCopyInFlight_keepsThePagesUntilTheAck() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_BACK);
    handler.backupInto = tree;
    insert(seq(1, 2), 10);
    tree.evictDevice(2, handler);
    TreeNode n = handler.writeBacks.get(0);
    tree.incLockRef(n);
    tree.decLockRef(n); // the eviction is called off, the copy still reads pages 10 and 11
    assertThat(n.writeBackInFlight()).isTrue();
    assertThat(tree.evictDevice(2, handler)).isZero();
    assertThat(tree.evictDeviceNode(n, handler)).isZero();
    assertThat(handler.freed).isEmpty();
    assertThat(tree.evictBackuped(n, handler)).isFalse(); // the ack
    assertThat(tree.evictDevice(2, handler)).isEqualTo(2);
    assertThat(handler.freed).singleElement().isEqualTo(new int[] {10, 11});
  }

  @Test
  void evictBackuped_splitWhilePending_freesOnlyTheLowerPart() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_BACK);
    handler.backupInto = tree;
    insert(seq(1, 2), 10);
    tree.evictDevice(2, handler);
    TreeNode n = handler.writeBacks.get(0);
    tree.matchPrefix(seq(1), PS);
    assertThat(tree.pendingWriteBackPages()).isEqualTo(1);
    assertThat(tree.evictBackuped(n, handler)).isTrue();
    assertThat(handler.freed).singleElement().isEqualTo(new int[] {11});
    assertThat(tree.matchPrefix(seq(1, 2), 2 * PS).devicePages()).containsExactly(10);
  }

  @Test
  void evictDevice_writeBackRefused_deletesTheNode() {
    tree = newTree(EvictionPolicies.DEFAULT, WritePolicyKind.WRITE_BACK);
    insert(seq(1, 2), 10);
    assertThat(tree.evictDevice(2, handler)).isEqualTo(2);
    assertThat(tree.nodeCount()).isZero();
  }

  @Test
  void evictDevice_notBackupedWithHostOnlyChildren_isKept() {
    insert(seq(1), 10);
    TreeNode parent = tree.matchPrefix(seq(1), PS).lastDeviceNode();
    tree.insertHostOnly(parent, seq(1, 2), PS, PS, new int[] {700}, null);
    assertThat(tree.evictDevice(1, handler)).isZero();
    assertThat(tree.matchPrefix(seq(1, 2), 2 * PS).hostHitPages()).isEqualTo(1);
  }

  @Test
  void evictDeviceNode_backupedUnlockedLeaf_becomesHostOnlyOutOfOrder() {
    insert(seq(1), 10);
    insert(seq(2), 20);
    TreeNode newest = tree.matchPrefix(seq(2), PS).lastDeviceNode();
    tree.setBackuped(newest, new int[] {500});
    assertThat(tree.evictDeviceNode(newest, handler)).isEqualTo(1);
    assertThat(handler.freed).singleElement().isEqualTo(new int[] {20});
    assertThat(newest.evicted()).isTrue();
    assertThat(tree.matchPrefix(seq(1), PS).devicePages()).containsExactly(10);
  }

  @Test
  void evictDeviceNode_lockedNotBackupedOrWithDeviceChild_changesNothing() {
    insert(seq(1, 2), 10);
    insert(seq(1, 2, 3), 20);
    TreeNode upper = tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode();
    TreeNode leaf = tree.matchPrefix(seq(1, 2, 3), 3 * PS).lastDeviceNode();
    assertThat(tree.evictDeviceNode(leaf, handler)).isZero(); // not backuped
    tree.setBackuped(upper, ids(500, 2));
    tree.setBackuped(leaf, new int[] {600});
    assertThat(tree.evictDeviceNode(upper, handler)).isZero(); // device child
    tree.incLockRef(leaf);
    assertThat(tree.evictDeviceNode(leaf, handler)).isZero(); // locked
    assertThat(handler.freed).isEmpty();
    tree.decLockRef(leaf);
    assertThat(tree.evictDeviceNode(leaf, handler)).isEqualTo(1);
    assertThat(tree.evictDeviceNode(upper, handler)).isEqualTo(2);
    assertThat(tree.devicePages()).isZero();
  }

  @Test
  void evictHost_hostOnlyLeaf_isRemovedAndItsParentFollows() {
    insert(seq(1, 2), 10);
    TreeNode n = tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode();
    tree.setBackuped(n, ids(500, 2));
    tree.matchPrefix(seq(1), PS); // split: two backuped nodes
    tree.evictDevice(2, handler);
    List<int[]> freedHost = new ArrayList<>();
    assertThat(tree.evictHost(2, freedHost::add)).isEqualTo(2);
    assertThat(freedHost).extracting(Arrays::toString).containsExactly("[501]", "[500]");
    assertThat(tree.nodeCount()).isZero();
    assertThat(tree.hostPages()).isZero();
  }

  @Test
  void evictHost_protectedOrDeviceResident_isKept() {
    insert(seq(1), 10);
    insert(seq(2), 20);
    TreeNode a = tree.matchPrefix(seq(1), PS).lastDeviceNode();
    TreeNode b = tree.matchPrefix(seq(2), PS).lastDeviceNode();
    tree.setBackuped(a, new int[] {500});
    tree.setBackuped(b, new int[] {600});
    tree.evictDevice(1, handler); // a leaves the device
    tree.protectHost(a);
    assertThat(tree.evictHost(10, p -> {})).isZero();
    tree.releaseHost(a);
    assertThat(tree.evictHost(10, p -> {})).isEqualTo(1);
    assertThat(tree.matchPrefix(seq(2), PS).devicePages()).containsExactly(20);
  }

  @Test
  void decLockRef_atZero_throwsAndChangesNothing() {
    insert(seq(1, 2), 10);
    TreeNode n = tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode();
    assertThatThrownBy(() -> tree.decLockRef(n)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lock_ref 0");
    assertThat(n.lockRef()).isZero();
  }

  @Test
  void releaseHost_atZero_throws() {
    assertThatThrownBy(() -> tree.releaseHost(tree.root())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void removedNode_passedBack_throws() {
    insert(seq(1), 10);
    TreeNode n = tree.matchPrefix(seq(1), PS).lastDeviceNode();
    tree.evictDevice(1, handler);
    assertThat(n.removed()).isTrue();
    assertThatThrownBy(() -> tree.incLockRef(n)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("evicted");
  }

  @Test
  void loadBack_evictedChain_getsDevicePagesTopDown() {
    insert(seq(1, 2), 10);
    insert(seq(1, 2, 3), 20);
    TreeNode upper = tree.matchPrefix(seq(1, 2), 2 * PS).lastDeviceNode();
    TreeNode leaf = tree.matchPrefix(seq(1, 2, 3), 3 * PS).lastDeviceNode();
    tree.setBackuped(upper, ids(500, 2));
    tree.setBackuped(leaf, ids(600, 1));
    tree.evictDevice(3, handler);
    MatchResult m = tree.matchPrefix(seq(1, 2, 3), 3 * PS);
    List<TreeNode> chain = tree.evictedChain(m.lastHostNode());
    assertThat(chain).containsExactly(upper, leaf);
    tree.attachDevicePages(chain, ids(40, 3));
    assertThat(tree.matchPrefix(seq(1, 2, 3), 3 * PS).devicePages()).containsExactly(40, 41, 42);
    assertThat(tree.evictedChain(leaf)).isEmpty();
  }

  @Test
  void attachDevicePages_wrongPageCount_throwsBeforeChangingAnything() {
    insert(seq(1), 10);
    TreeNode n = tree.matchPrefix(seq(1), PS).lastDeviceNode();
    tree.setBackuped(n, new int[] {500});
    tree.evictDevice(1, handler);
    List<TreeNode> chain = tree.evictedChain(n);
    assertThatThrownBy(() -> tree.attachDevicePages(chain, ids(1, 2))).isInstanceOf(IllegalArgumentException.class);
    assertThat(n.evicted()).isTrue();
  }

  @Test
  void insertHostOnly_belowAPrioritisedNode_takesItsParentsPriority() {
    tree.insert(seq(1), PS, new int[] {10}, 7, false);
    TreeNode parent = tree.matchPrefix(seq(1), PS).lastDeviceNode();
    HostInsertResult r = tree.insertHostOnly(parent, seq(1, 2), PS, PS, new int[] {700}, null);
    assertThat(r.last().priority()).isEqualTo(7);
    HostInsertResult underRoot = tree.insertHostOnly(tree.root(), seq(3), 0, PS, new int[] {701}, null);
    assertThat(underRoot.last().priority()).isZero();
  }

  @Test
  void insertHostOnly_existingPrefix_reportsMatchedPagesAndAddsTheRest() {
    insert(seq(1, 2), 10);
    HostInsertResult r = tree.insertHostOnly(tree.root(), seq(1, 2, 3, 4), 0, 4 * PS, ids(700, 4), null);
    assertThat(r.matchedPages()).isEqualTo(2);
    assertThat(r.last().hostValue()).containsExactly(702, 703);
    assertThat(r.last().evicted()).isTrue();
    MatchResult m = tree.matchPrefix(seq(1, 2, 3, 4), 4 * PS);
    assertThat(m.devicePages()).containsExactly(10, 11);
    assertThat(m.hostHitPages()).isEqualTo(2);
    assertThat(m.lastHostNode()).isSameAs(r.last());
  }

  @Test
  void hashValues_splitAndSeededChain_chainFromTheParentAndTheSeed() {
    PageHasher hasher = new PageHasher(PS);
    PageKey seed = dev.hicache.api.Namespace.seed("lora-7", null);
    tree = new HiRadixTree(PS, EvictionPolicies.DEFAULT, clock, WritePolicyKind.WRITE_THROUGH, hasher, seed);
    insert(seq(1, 2), 10);
    insert(seq(1, 2, 3), 20);
    tree.matchPrefix(seq(1), PS); // split without recomputation
    TreeNode leaf = tree.matchPrefix(seq(1, 2, 3), 3 * PS).lastDeviceNode();
    List<PageKey> expected = hasher.chain(seed, seq(1, 2, 3), 0, 3 * PS);
    assertThat(tree.prefixHashValues(leaf)).isEqualTo(expected);
    assertThat(leaf.lastHashValue()).isEqualTo(expected.get(2));
  }

  @Test
  void manyChildren_addLookUpAndRemove_keepEveryChildFindable() {
    for (int s = 1; s <= 300; s++) insert(seq(s), s * 10);
    tree.checkInvariants();
    // evict every other one by touching the rest
    clock.advance();
    for (int s = 2; s <= 300; s += 2) tree.matchPrefix(seq(s), PS);
    assertThat(tree.evictDevice(150, handler)).isEqualTo(150);
    tree.checkInvariants();
    for (int s = 1; s <= 300; s++) {
      assertThat(tree.matchPrefix(seq(s), PS).devicePages()).hasSize(s % 2 == 0 ? 1 : 0);
    }
  }
}
