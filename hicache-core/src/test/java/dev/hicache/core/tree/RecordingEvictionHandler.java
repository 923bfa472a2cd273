package dev.hicache.core.tree;

import java.util.ArrayList;
import java.util.List;

/** Test double for the controller's side of device eviction: records what the tree frees. */
final class RecordingEvictionHandler implements DeviceEvictionHandler {
  final List<int[]> freed = new ArrayList<>();
  final List<TreeNode> writeBacks = new ArrayList<>();
  /** Set by tests that exercise write_back; null refuses every write-back. */
  HiRadixTree backupInto;
  int nextHostPage = 1_000_000;

  @Override public void freeDevicePages(int[] pages) {
    freed.add(pages.clone());
  }

  @Override public boolean startWriteBack(TreeNode node) {
    if (backupInto == null) return false;
    int[] host = new int[node.pages()];
    for (int i = 0; i < host.length; i++) host[i] = nextHostPage++;
    backupInto.setBackuped(node, host);
    writeBacks.add(node);
    return true;
  }

  int freedPages() {
    int n = 0;
    for (int[] f : freed) n += f.length;
    return n;
  }
}
