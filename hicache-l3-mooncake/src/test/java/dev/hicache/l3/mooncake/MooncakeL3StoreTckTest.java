package dev.hicache.l3.mooncake;

import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.quicktheories.core.Gen;

/**
 * The L3 TCK against {@link MooncakeL3Store} over the C double. A Mooncake page has a fixed number
 * of objects (K and V for MHA, the latent for MLA: docs/behaviour.md#l3-object-keys), so the
 * generated pages have exactly that many parts; every buffer is carved from memory registered with
 * the store.
 */
class MooncakeL3StoreTckTest {
  static RegisteredSlabs slabs;

  @BeforeAll
  static void memory() {
    slabs = new RegisteredSlabs(8, 4 << 20);
    // Reads take a while, as real transfers do, so that whatever happens during a read (a remove,
    // a put) happens in the TCK's concurrent properties.
    MooncakeDouble.controls().readDelay(java.time.Duration.ofMillis(1));
  }

  @AfterAll
  static void free() {
    slabs.close();
  }

  abstract static class OnTheDouble extends L3StoreTck {
    abstract MooncakeL3Store.Options options();

    @Override protected L3Store newStore() {
      MooncakeStore client = MooncakeDouble.store(MooncakeDouble.freshMaster(), 256L << 20);
      client.registerBuffer(slabs.region());
      return new MooncakeL3Store(client, true, options(), null);
    }

    @Override protected Arena exampleArena() {
      return slabs.arena();
    }

    /** Zero-copy: batch_put_from and batch_get_into move registered memory only. */
    @Override protected boolean acceptsHeapBuffers() {
      return false;
    }

    @Override protected int maxParts() {
      return options().mla() ? 1 : 2;
    }

    /**
     * K and V are two Mooncake objects, and Mooncake has no multi-object atomicity (put-if-absent
     * per object, the conflict swallowed): two writers of different bytes under one page key can
     * leave K of one and V of the other (the TCK saw it: seed -8930231391662427713). The engine's
     * page trailer (CRC32C over the key and all the page's bytes, its own object) turns such a mix
     * into a miss; and the engine's writers of one key write the same bytes (keys are content
     * addresses). docs/behaviour.md#page-checksums.
     */
    @Override protected boolean partsWrittenAtomically() {
      return options().mla();
    }

    @Override protected Gen<int[]> partSizes() {
      return lists().of(integers().between(1, maxPartBytes())).ofSize(maxParts())
          .map(l -> l.stream().mapToInt(Integer::intValue).toArray());
    }
  }

  @Nested
  class Mha extends OnTheDouble {
    @Override MooncakeL3Store.Options options() {
      return MooncakeL3Store.Options.sglang(false, 0, 1);
    }

    /** The L3Store contract: a registered-memory backend refuses heap buffers, with a reason, and stores nothing. */
    @org.junit.jupiter.api.Test
    void heapBuffers_areRefusedWithAReason_andNothingIsStored() {
      var key = freshKey();
      var heap = new java.lang.foreign.MemorySegment[] {
          java.lang.foreign.MemorySegment.ofArray(new byte[24]), java.lang.foreign.MemorySegment.ofArray(new byte[24])};
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.batchSet(java.util.List.of(key), java.util.Collections.singletonList(heap)))
          .isInstanceOf(dev.hicache.api.spi.L3Exception.class).hasMessageContaining("heap");
      org.assertj.core.api.Assertions.assertThat(store.exists(key)).isFalse();
    }
  }

  @Nested
  class MlaNamespaced extends OnTheDouble {
    @Override MooncakeL3Store.Options options() {
      return MooncakeL3Store.Options.sglang(true, 0, 1).withProfile(ObjectKeys.Profile.NAMESPACED,
          new dev.hicache.api.Namespace("test-model", "page_first", "bf16", null, null));
    }

    /**
     * The TCK's version builds its pages with two parts whatever {@link #maxParts()} says; an MLA
     * page has one. The same checks with one-part pages.
     */
    @Override @org.junit.jupiter.api.Test
    public void batches_overTheLimit_areRejectedAndLeaveNothingWritten() {
      try (Arena arena = exampleArena()) {
        var keys = new java.util.ArrayList<dev.hicache.api.PageKey>();
        var pages = new java.util.ArrayList<java.lang.foreign.MemorySegment[]>();
        for (int i = 0; i <= L3Store.MAX_BATCH_PAGES; i++) {
          keys.add(freshKey());
          pages.add(new java.lang.foreign.MemorySegment[] {arena.allocate(24, 64).fill((byte) i)});
        }
        var limitKeys = keys.subList(0, L3Store.MAX_BATCH_PAGES);
        var limitPages = pages.subList(0, L3Store.MAX_BATCH_PAGES);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.batchExists(keys))
            .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.batchSet(keys, pages))
            .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.batchGet(keys, pages))
            .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThat(store.exists(keys.getFirst())).isFalse();
        org.assertj.core.api.Assertions.assertThat(store.batchSet(limitKeys, limitPages)).doesNotContain(false);
        org.assertj.core.api.Assertions.assertThat(store.batchExists(limitKeys)).isEqualTo(L3Store.MAX_BATCH_PAGES);
        var targets = new java.util.ArrayList<java.lang.foreign.MemorySegment[]>();
        for (int i = 0; i < L3Store.MAX_BATCH_PAGES; i++) {
          targets.add(new java.lang.foreign.MemorySegment[] {arena.allocate(24, 64)});
        }
        org.assertj.core.api.Assertions.assertThat(store.batchGet(limitKeys, targets)).doesNotContain(false);
        for (int i = 0; i < L3Store.MAX_BATCH_PAGES; i++) {
          org.assertj.core.api.Assertions.assertThat(targets.get(i)[0].mismatch(pages.get(i)[0])).isEqualTo(-1);
        }
      }
    }
  }
}
