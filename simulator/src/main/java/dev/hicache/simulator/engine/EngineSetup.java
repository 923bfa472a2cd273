package dev.hicache.simulator.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.sim.CostModel;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.l3.EmbeddedL3;
import dev.hicache.simulator.l3.MooncakeL3Model;

/**
 * Everything an engine run is configured with, resolved: capacities in tokens (whole pages), the
 * KV shape of one rank, copy costs and compute times; {@code instances} engines with private L1/L2
 * behind a router (round_robin, random, prefix_affinity). With {@code decodeInstances} > 0 the
 * deployment is PD-disaggregated: the {@code instances} only prefill (and write to L3 as HiCache
 * does), each request then decodes on the decode instance free earliest ({@code
 * decodeNanosPerToken} per output token), which with {@code decodeOffload} writes the page-aligned
 * prompt + output to the shared L3 (docs/behaviour.md#decode-side-offload). With {@code
 * sharedL3Link} the instances of a box share its L3 link (one per direction) and with {@code
 * sharedPcieLink} the host side of its PCIe ({@link BoxLinks}); otherwise each instance has its own
 * links. With {@code l3Backend} mooncake the shared L3 is {@link MooncakeL3Model} with {@code
 * mooncake}'s lease and eviction settings; with local it is the embedded store, process-private,
 * evicting by {@code l3Eviction} (default LRU), run as {@code l3Store} (default: the store's LRU
 * model where the eviction is LRU; the real store otherwise: {@link EmbeddedL3}).
 */
public record EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp,
    KvShape shape, long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken,
    int instances, String routing, int affinityTokens, long l3Tokens, String l3Backend, int decodeInstances,
    boolean decodeOffload, boolean sharedL3Link, MooncakeL3Model.Params mooncake, boolean sharedPcieLink,
    LocalL3Config.Eviction l3Eviction, EmbeddedL3.Store l3Store) {

  /** The embedded store ({@code --l3 local}) as its LRU model ({@code --l3-store model}) where {@code l3Eviction} is lru. */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken, int instances,
      String routing, int affinityTokens, long l3Tokens, String l3Backend, int decodeInstances, boolean decodeOffload,
      boolean sharedL3Link, MooncakeL3Model.Params mooncake, boolean sharedPcieLink, LocalL3Config.Eviction l3Eviction) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken,
        instances, routing, affinityTokens, l3Tokens, l3Backend, decodeInstances, decodeOffload, sharedL3Link, mooncake,
        sharedPcieLink, l3Eviction, null);
  }

  /** The embedded store ({@code --l3 local}) evicting exactly least recently used. */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken, int instances,
      String routing, int affinityTokens, long l3Tokens, String l3Backend, int decodeInstances, boolean decodeOffload,
      boolean sharedL3Link, MooncakeL3Model.Params mooncake, boolean sharedPcieLink) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken,
        instances, routing, affinityTokens, l3Tokens, l3Backend, decodeInstances, decodeOffload, sharedL3Link, mooncake,
        sharedPcieLink, null);
  }

  /** Each GPU with its own PCIe link (no host-side limit). */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken, int instances,
      String routing, int affinityTokens, long l3Tokens, String l3Backend, int decodeInstances, boolean decodeOffload,
      boolean sharedL3Link, MooncakeL3Model.Params mooncake) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken,
        instances, routing, affinityTokens, l3Tokens, l3Backend, decodeInstances, decodeOffload, sharedL3Link, mooncake,
        false);
  }

  /** The Mooncake model's settings: Mooncake's defaults unless given ({@code --l3 mooncake}); LRU for {@code --l3 local}. */
  public EngineSetup {
    if (mooncake == null) mooncake = MooncakeL3Model.Params.DEFAULTS;
    if (l3Eviction == null) l3Eviction = LocalL3Config.Eviction.LRU;
    if (l3Store == null) l3Store = EmbeddedL3.Store.MODEL;
  }

  /** What {@code --l3 local} runs: the LRU model or the real store ({@link EmbeddedL3.Store#effective}). */
  public EmbeddedL3.Store effectiveL3Store() {
    return l3Store.effective(l3Eviction);
  }

  /** The Mooncake model (if {@code l3Backend} is mooncake) with Mooncake's default settings. */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken, int instances,
      String routing, int affinityTokens, long l3Tokens, String l3Backend, int decodeInstances, boolean decodeOffload,
      boolean sharedL3Link) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken,
        instances, routing, affinityTokens, l3Tokens, l3Backend, decodeInstances, decodeOffload, sharedL3Link, null);
  }

  /** Each instance with its own L3 link. */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken, int instances,
      String routing, int affinityTokens, long l3Tokens, String l3Backend, int decodeInstances, boolean decodeOffload) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken,
        instances, routing, affinityTokens, l3Tokens, l3Backend, decodeInstances, decodeOffload, false);
  }

  /** No PD disaggregation (the instances only prefill unless decode is charged to them). */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken, int instances,
      String routing, int affinityTokens, long l3Tokens, String l3Backend) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken,
        instances, routing, affinityTokens, l3Tokens, l3Backend, 0, false, false);
  }

  /** One instance, no routing, no L3. */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken, 1,
        "round_robin", 1024, 0, "memory");
  }

  /**
   * The L3 link of one instance. The engine runs metadata-only, so the bytes its L3 port hands a
   * cost model are those of page stubs; the time is charged for the KV bytes the pages stand for
   * (pages x {@code shape.bytesPerPage()}), or the L3 bandwidth would not matter.
   */
  public dev.hicache.core.sim.L3CostModel l3CostModel() {
    return hardware.l3CostModel(shape.bytesPerPage());
  }

  public CostModel costModel() {
    return hardware.pcieCostModel();
  }

  public String tiers() {
    return hostTokens == 0 ? "L1" : l3Tokens > 0 ? "L1+L2+L3" : "L1+L2";
  }
}
