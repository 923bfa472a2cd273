package dev.hicache.api.spi;

/**
 * The L1 device KV pool: always layer-first (2, layer, slot, head, dim) like SGLang's, in GPU
 * memory (hicache-l1-gpu) or in host memory for CPU engines and tests (hicache-core).
 *
 * <p>It moves pages to and from any {@link HostPool}, reading the host side's offsets from the host
 * pool's {@link HostPool#layout() descriptor}, so tiers meet only through this API.
 */
public interface DevicePool extends KvPool {
  /**
   * Starts copying every layer of {@code deviceSlots} into {@code hostSlots} (same length, page
   * multiples) and returns at once (docs/behaviour.md#device-to-host-backup).
   */
  Transfer backup(int[] deviceSlots, HostPool host, int[] hostSlots);

  /**
   * Starts loading {@code hostSlots} into {@code deviceSlots} one layer at a time, completing each
   * layer separately (docs/behaviour.md#layer-wise-load), and returns at once.
   */
  Transfer load(int[] hostSlots, HostPool host, int[] deviceSlots);
}
