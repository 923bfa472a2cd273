package dev.hicache.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InMemoryMetricsTest {
  @Test void counts_gauges_distributions_andDumpsSorted() {
    InMemoryMetrics m = new InMemoryMetrics();
    m.count("cached_tokens", "host", 64);
    m.count("cached_tokens", "host", 64);
    m.count("cached_tokens", "device", 10);
    m.count("prompt_tokens", 5);
    m.gauge("hicache_host_used_tokens", null, 3);
    m.gauge("hicache_host_used_tokens", null, 7);
    m.observe("load_back_duration_seconds", null, 0.5);
    m.observe("load_back_duration_seconds", null, 1.5);
    assertThat(m.counter("cached_tokens", "host")).isEqualTo(128);
    assertThat(m.counter("cached_tokens", "storage")).isZero();
    assertThat(m.gauge("hicache_host_used_tokens", null)).isEqualTo(7);
    assertThat(m.distribution("load_back_duration_seconds", null)).isEqualTo(new InMemoryMetrics.Summary(2, 2.0, 0.5, 1.5));
    assertThat(m.dump()).isEqualTo("""
        counter cached_tokens{device} 10
        counter cached_tokens{host} 128
        counter prompt_tokens 5
        gauge hicache_host_used_tokens 7
        distribution load_back_duration_seconds count=2 sum=2.0 min=0.5 max=1.5
        """);
  }
}
