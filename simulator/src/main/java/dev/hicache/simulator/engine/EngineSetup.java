package dev.hicache.simulator.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.engine.CostModel;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;

/**
 * Everything an engine run is configured with, resolved: capacities in tokens (whole pages), the
 * KV shape of one rank, copy costs and compute times; {@code instances} engines with private L1/L2
 * behind a router (round_robin, random, prefix_affinity).
 */
public record EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp,
    KvShape shape, long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken,
    int instances, String routing, int affinityTokens, long l3Tokens, String l3Backend) {

  /** One instance, no routing, no L3. */
  public EngineSetup(HiCacheConfig config, ModelProfile model, HardwareProfile hardware, int tp, KvShape shape,
      long deviceTokens, long hostTokens, long prefillNanosPerToken, long decodeNanosPerToken) {
    this(config, model, hardware, tp, shape, deviceTokens, hostTokens, prefillNanosPerToken, decodeNanosPerToken, 1,
        "round_robin", 1024, 0, "memory");
  }

  public dev.hicache.core.prefetch.L3CostModel l3CostModel() {
    return dev.hicache.core.prefetch.L3CostModel.link(hardware.l3ReadGBps() * 1e9, hardware.l3WriteGBps() * 1e9,
        Math.round(hardware.l3LatencyUs() * 1000));
  }

  public CostModel costModel() {
    return CostModel.link(hardware.pcieGBps() * 1e9, hardware.pcieGBps() * 1e9,
        Math.round(hardware.pcieLatencyUs() * 1000));
  }

  public String tiers() {
    return hostTokens == 0 ? "L1" : l3Tokens > 0 ? "L1+L2+L3" : "L1+L2";
  }
}
