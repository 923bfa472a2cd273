#!/usr/bin/env python3
"""Straightforward single-threaded replay of `./hicache simulate --l1-only` (stdlib only).

The baseline that issue 8 measures the JVM simulator against, and an independent check of its
numbers. Same semantics as the Java replay (docs/simulator.md, "The L1-only replay"):

- records in file order; the record index is the time;
- page k of a record is identified by (hash_ids[k*P // 512], (k*P % 512) // P);
- match over the first floor((input_length - 1) / P) pages; a match ending inside a node splits
  it, and the new prefix node and every fully traversed node are touched (access time = now)
  while the split-off remainder keeps its own access time;
  cached tokens = matched pages * P;
- lock the matched path, evict whole least-recently-used leaf nodes that nothing locks until the
  new pages fit, then insert all floor(input_length / P) full pages (only the longest prefix
  that fits when eviction cannot make room).

The tree is a page-granular radix tree keyed by page identities rather than token ids: an
identity stands for the page's tokens, so the tree's shape is the same as with token keys.

Usage: python3 tools/replay_l1.py [--page-size 64] [--capacity-tokens N|inf] [TRACE]
(TRACE defaults to Mooncake's conversation trace in ../shared/traces beside the repository root.)
"""
import heapq
import json
import sys
import time


class Node:
    __slots__ = ("key", "children", "parent", "access", "nid", "lock", "alive")

    def __init__(self, key, parent, access, nid):
        self.key = key            # list of page identities
        self.children = {}        # first page identity -> Node
        self.parent = parent
        self.access = access
        self.nid = nid
        self.lock = 0
        self.alive = True


class Tree:
    def __init__(self):
        self.next_id = 0
        self.root = self._new([], None, -1)
        self.root.lock = 1  # the root is never evicted
        self.pages = 0
        self.heap = []  # (access, nid, node) for leaves; stale entries are skipped on pop

    def _new(self, key, parent, now):
        n = Node(key, parent, now, self.next_id)
        self.next_id += 1
        return n

    def _leaf_candidate(self, node):
        heapq.heappush(self.heap, (node.access, node.nid, node))

    def _split(self, child, at, now):
        # The prefix becomes a new node between the parent and the child (SGLang's _split_node).
        mid = self._new(child.key[:at], child.parent, now)
        mid.lock = child.lock
        child.parent.children[child.key[0]] = mid
        child.key = child.key[at:]
        child.parent = mid
        mid.children[child.key[0]] = child
        return mid

    def match(self, pages, n, now):
        """Longest cached prefix of pages[:n]: (matched pages, last node)."""
        node = self.root
        node.access = now
        i = 0
        while i < n:
            child = node.children.get(pages[i])
            if child is None:
                break
            key = child.key
            k = len(key)
            j = 1
            lim = min(k, n - i)
            while j < lim and key[j] == pages[i + j]:
                j += 1
            if j < k:
                # The remainder keeps its access time: only the matched part was used now.
                node = self._split(child, j, now)
                i += j
                break
            child.access = now
            node = child
            i += k
            if not child.children:
                self._leaf_candidate(child)
        return i, node

    def lock_path(self, node, delta):
        while node is not None:
            node.lock += delta
            if delta < 0 and node.lock == 0 and not node.children:
                self._leaf_candidate(node)
            node = node.parent

    def evict(self, pages):
        """Evict whole unlocked leaves, least recently used first, until `pages` are freed."""
        freed = 0
        skipped = []
        heap = self.heap
        while freed < pages and heap:
            access, nid, node = heapq.heappop(heap)
            if not node.alive or node.children or node.access != access:
                continue
            if node.lock > 0:
                skipped.append((access, nid, node))
                continue
            node.alive = False
            freed += len(node.key)
            parent = node.parent
            del parent.children[node.key[0]]
            if not parent.children and parent is not self.root:
                heapq.heappush(heap, (parent.access, parent.nid, parent))
        for e in skipped:
            heapq.heappush(heap, e)
        self.pages -= freed
        return freed

    def insert_after(self, node, pages, start, end, now):
        """Adds pages[start:end] below `node`, which ends exactly at `start` (a matched node)."""
        i = start
        while i < end:
            node.access = now
            child = node.children.get(pages[i])
            if child is None:
                leaf = self._new(pages[i:end], node, now)
                node.children[pages[i]] = leaf
                self.pages += end - i
                self._leaf_candidate(leaf)
                return
            # Insert touches every node it walks into, a split one included (SGLang's insert).
            child.access = now
            key = child.key
            k = len(key)
            j = 1
            lim = min(k, end - i)
            while j < lim and key[j] == pages[i + j]:
                j += 1
            if j < k:
                node = self._split(child, j, now)
                self._leaf_candidate(child)
            else:
                node = child
                if not child.children:
                    self._leaf_candidate(child)
            i += j
        node.access = now
        if not node.children:
            self._leaf_candidate(node)

    def present_after(self, node, pages, start, end):
        """How many of pages[start:end] the tree already holds below `node` (no touching)."""
        i = start
        while i < end:
            child = node.children.get(pages[i])
            if child is None:
                break
            key = child.key
            j = 1
            lim = min(len(key), end - i)
            while j < lim and key[j] == pages[i + j]:
                j += 1
            i += j
            if j < len(key):
                break
            node = child
        return i - start


def replay(path, page_size=64, capacity_tokens=None):
    if 512 % page_size:
        raise SystemExit("--page-size must divide 512, got %d" % page_size)
    per_block = 512 // page_size
    cap_pages = None if capacity_tokens is None else capacity_tokens // page_size
    tree = Tree()
    requests = input_tokens = cached_tokens = 0
    with open(path, "rb") as f:
        for now, line in enumerate(f):
            rec = json.loads(line)
            length = rec["input_length"]
            ids = rec["hash_ids"]
            n = length // page_size
            m = (length - 1) // page_size
            pages = [h * per_block + s for h in ids for s in range(per_block)][:n]
            matched, node = tree.match(pages, m, now)
            requests += 1
            input_tokens += length
            cached_tokens += matched * page_size
            if n > matched:
                end = n
                if cap_pages is not None:
                    tree.lock_path(node, 1)
                    new = n - matched - tree.present_after(node, pages, matched, n)
                    over = tree.pages + new - cap_pages
                    if over > 0:
                        tree.evict(over)
                        room = cap_pages - tree.pages
                        if room < new:
                            end = matched + max(room, 0)
                    tree.lock_path(node, -1)
                if end > matched:
                    tree.insert_after(node, pages, matched, end, now)
    return requests, input_tokens, cached_tokens


def main(argv):
    page_size, capacity, trace = 64, None, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--page-size":
            page_size = int(args.pop(0))
        elif a == "--capacity-tokens":
            v = args.pop(0)
            capacity = None if v == "inf" else int(v)
        else:
            trace = a
    if trace is None:
        # Data handed to the project, never committed: ../shared beside the repository root.
        import os
        trace = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "traces",
                             "conversation_trace.jsonl")
        if not os.path.isfile(trace):
            sys.exit("replay_l1.py: no trace given and none at %s" % os.path.normpath(trace))
    t0 = time.perf_counter()
    requests, input_tokens, cached_tokens = replay(trace, page_size, capacity)
    wall = time.perf_counter() - t0
    print(json.dumps({"requests": requests, "input_tokens": input_tokens,
                      "cached_tokens": cached_tokens,
                      "token_hit_ratio": round(cached_tokens / input_tokens, 5),
                      "capacity_tokens": capacity,
                      "wall_seconds": round(wall, 3)}))


if __name__ == "__main__":
    main(sys.argv[1:])
