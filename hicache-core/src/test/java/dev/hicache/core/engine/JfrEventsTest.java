package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.metrics.MetricLabels;
import dev.hicache.core.metrics.InMemoryMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JFR events (docs/observability.md#jfr-events): engine runs with corrupted host pages and an L3
 * are recorded to a file; the events read back add up to the metrics of the same runs.
 */
class JfrEventsTest {
  @TempDir Path dir;

  @Test
  void recording_engineRunsWithL3AndCorruption_eventsAddUpToTheMetrics() throws Exception {
    List<EngineScript> runs = new ArrayList<>();
    Path file = dir.resolve("hicache.jfr");
    try (Recording rec = new Recording()) {
      for (String name : List.of("Copy", "Prefetch", "Eviction", "ChecksumFailure")) {
        rec.enable("dev.hicache." + name).withoutThreshold();
      }
      rec.start();
      Random rnd = new Random(20261207L);
      for (int i = 0; i < 12; i++) {
        EngineScript s = new EngineScript(WritePolicyKind.WRITE_THROUGH, "lru", MemLayout.PAGE_FIRST, 4 + i % 5, 3.0,
            i % 2 == 0);
        s.l3 = new InMemoryL3StoreDouble();
        List<Integer> actions = new ArrayList<>();
        for (int k = 0; k < 150; k++) actions.add(rnd.nextInt(Integer.MAX_VALUE));
        s.run(actions);
        runs.add(s);
      }
      rec.stop();
      rec.dump(file);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(file);
    long backupBytes = 0, loadBytes = 0, evictedDevice = 0, evictedHost = 0, hostChecksum = 0, prefetches = 0;
    long completePrefetches = 0;
    for (RecordedEvent e : events) {
      switch (e.getEventType().getName()) {
        case "dev.hicache.Copy" -> {
          assertThat(e.getLong("operation")).isNotNegative();
          if (!e.getBoolean("ok")) break;
          if (e.getString("direction").equals("backup")) backupBytes += e.getLong("bytes");
          else loadBytes += e.getLong("bytes");
        }
        case "dev.hicache.Eviction" -> {
          if (e.getString("tier").equals(MetricLabels.DEVICE)) evictedDevice += e.getInt("pages");
          else evictedHost += e.getInt("pages");
        }
        case "dev.hicache.ChecksumFailure" -> {
          if (e.getString("tier").equals(MetricLabels.HOST)) hostChecksum++;
        }
        case "dev.hicache.Prefetch" -> {
          prefetches++;
          assertThat(e.getString("reason")).isNotEmpty();
          assertThat(e.getInt("insertedTokens")).isBetween(0, e.getInt("requestedTokens"));
          if (e.getString("reason").equals("complete")) completePrefetches++;
        }
        default -> { }
      }
    }
    long mBackup = 0, mLoad = 0, mEvD = 0, mEvH = 0, mChecksum = 0, mPrefetch = 0, mComplete = 0;
    for (EngineScript s : runs) {
      InMemoryMetrics m = s.metrics;
      mBackup += m.counter(HiCacheMetric.BACKUP_BYTES.key());
      mLoad += m.counter(HiCacheMetric.LOAD_BACK_BYTES.key());
      mEvD += m.counter(HiCacheMetric.EVICTED_TOKENS.key(), MetricLabels.DEVICE) / EngineScript.PAGE;
      mEvH += m.counter(HiCacheMetric.EVICTED_TOKENS.key(), MetricLabels.HOST) / EngineScript.PAGE;
      mChecksum += m.counter(HiCacheMetric.LOAD_BACK_VERIFY_FAILED.key());
      mComplete += m.counter(HiCacheMetric.PREFETCH_COMPLETED.key());
      for (Map.Entry<String, Long> c : m.counters().entrySet()) {
        if (c.getKey().startsWith(HiCacheMetric.PREFETCH_TERMINATED.key() + "{")) mPrefetch += c.getValue();
      }
    }
    assertThat(backupBytes).isEqualTo(mBackup).isPositive();
    assertThat(loadBytes).isEqualTo(mLoad).isPositive();
    assertThat(evictedDevice).isEqualTo(mEvD).isPositive();
    assertThat(evictedHost).isEqualTo(mEvH);
    assertThat(hostChecksum).isEqualTo(mChecksum).isPositive();
    assertThat(prefetches).isEqualTo(mPrefetch).isPositive();
    assertThat(completePrefetches).isEqualTo(mComplete);
  }
}
