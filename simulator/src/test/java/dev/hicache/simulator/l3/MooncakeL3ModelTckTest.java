package dev.hicache.simulator.l3;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;

/**
 * The Mooncake model against the L3 contract every backend passes, with a clock that stands still
 * and room for every page the TCK writes (its behaviour over time: MooncakeL3ModelTest).
 */
class MooncakeL3ModelTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return new MooncakeL3Model(1_000_000, MooncakeL3Model.Params.DEFAULTS, () -> 0L);
  }
}
