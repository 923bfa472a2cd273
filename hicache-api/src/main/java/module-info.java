/**
 * What users and tier backends touch: keys, shapes, the config, and the SPIs (pools, L3 stores,
 * policies, metrics, rank groups), the metric names and the KV events. Everything here is exported; nothing else is needed to write a
 * backend.
 */
module dev.hicache.api {
  exports dev.hicache.api;
  exports dev.hicache.api.config;
  exports dev.hicache.api.events;
  exports dev.hicache.api.io;
  exports dev.hicache.api.metrics;
  exports dev.hicache.api.spi;
}
