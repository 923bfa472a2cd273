package dev.hicache.core.events;

import dev.hicache.api.PageKey;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * {@link EngineEvents} as JDK Flight Recorder events (docs/observability.md#jfr-events): enabled
 * by a recording (e.g. {@code -XX:StartFlightRecording} or {@code jcmd PID JFR.start}), near free
 * otherwise. {@code jfr print --events 'dev.hicache.*' rec.jfr} shows a request's life by {@code rid}.
 */
public final class JfrEngineEvents implements EngineEvents {

  @Name("dev.hicache.Copy") @Label("HiCache Copy") @Category({"HiCache"}) @StackTrace(false)
  @Description("A device-host copy completed")
  static final class CopyEvent extends Event {
    @Label("Direction") String direction;
    @Label("Operation") long operation;
    @Label("Pages") int pages;
    @Label("Bytes") @DataAmount long bytes;
    @Label("Copy Duration") @Timespan long copyDuration;
    @Label("Succeeded") boolean ok;
  }

  @Name("dev.hicache.Prefetch") @Label("HiCache Prefetch") @Category({"HiCache"}) @StackTrace(false)
  @Description("An L3 prefetch ended")
  static final class PrefetchEvent extends Event {
    @Label("Request") long rid;
    @Label("Terminal Reason") String reason;
    @Label("Requested Tokens") int requestedTokens;
    @Label("Hit Tokens") int hitTokens;
    @Label("Inserted Tokens") int insertedTokens;
    @Label("Prefetch Duration") @Timespan long prefetchDuration;
  }

  @Name("dev.hicache.Eviction") @Label("HiCache Eviction") @Category({"HiCache"}) @StackTrace(false)
  @Description("Pages evicted from a tier")
  static final class EvictionEvent extends Event {
    @Label("Tier") String tier;
    @Label("Pages") int pages;
  }

  @Name("dev.hicache.ChecksumFailure") @Label("HiCache Checksum Failure") @Category({"HiCache"}) @StackTrace(false)
  @Description("A page did not verify against its checksum: a miss, never wrong data")
  static final class ChecksumFailureEvent extends Event {
    @Label("Tier") String tier;
    @Label("Page Key") String pageKey;
  }

  @Override public void copy(String direction, long operation, int pages, long bytes, long durationNanos, boolean ok) {
    CopyEvent e = new CopyEvent();
    if (!e.shouldCommit()) return;
    e.direction = direction;
    e.operation = operation;
    e.pages = pages;
    e.bytes = bytes;
    e.copyDuration = durationNanos;
    e.ok = ok;
    e.commit();
  }

  @Override public void prefetch(long rid, String reason, int requestedTokens, int hitTokens, int insertedTokens,
                                 long durationNanos) {
    PrefetchEvent e = new PrefetchEvent();
    if (!e.shouldCommit()) return;
    e.rid = rid;
    e.reason = reason;
    e.requestedTokens = requestedTokens;
    e.hitTokens = hitTokens;
    e.insertedTokens = insertedTokens;
    e.prefetchDuration = durationNanos;
    e.commit();
  }

  @Override public void eviction(String tier, int pages) {
    EvictionEvent e = new EvictionEvent();
    if (!e.shouldCommit()) return;
    e.tier = tier;
    e.pages = pages;
    e.commit();
  }

  @Override public void checksumFailure(String tier, PageKey key) {
    ChecksumFailureEvent e = new ChecksumFailureEvent();
    if (!e.shouldCommit()) return;
    e.tier = tier;
    e.pageKey = key == null ? null : key.toHex();
    e.commit();
  }
}
