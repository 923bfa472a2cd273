package dev.hicache.simulator.cli;

import dev.hicache.api.DType;
import dev.hicache.api.config.EvictionPolicyKind;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.engine.PolicyRegistry;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.simulator.workload.TraceWorkload;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.simulator.engine.EngineSetup;
import dev.hicache.simulator.l3.EmbeddedL3;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.model.ModelProfileFile;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.workload.MultiTurnWorkload;
import dev.hicache.simulator.workload.SyntheticWorkload;
import dev.hicache.simulator.workload.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Every setting of {@code ./hicache simulate} as a typed value: enums for the policies, the
 * workload, the L3 backend and the links; token counts as numbers ({@link TokenCount#INFINITE} for
 * inf); null where a flag was not given and its default depends on others. Built once from the
 * parsed flags; a sweep derives one settings object per value with {@link #with} instead of
 * parsing the command line again. The converters from flag text ({@link #SETTINGS}) and the
 * checks across settings ({@link #engineSetup}, {@link #checkApplicable}, {@link #checkMemory},
 * {@link #checkSpan}, {@link #checkWorkload}) are the one place where a value is refused; each
 * error names the flag and the value, as the command has always shown it. The engine's own types
 * ({@code EngineSetup}) still take the backend and routing names as text.
 *
 * @param given the flags the user gave (long names): what applies, which flag an error names
 */
public record SimulationSettings(
    boolean l1Only, Path trace, TraceWorkload.Arrivals arrivals, int pageSize, Long l1CapacityTokens,
    Long l2CapacityTokens, Long l3CapacityTokens, L3Backend l3Backend, LocalL3Config.Eviction l3Eviction,
    EmbeddedL3.Store l3Store, long mooncakeLeaseTtlMs, double mooncakeHighWatermark, double mooncakeEvictionRatio,
    PrefetchPolicyKind prefetchPolicy, double hicacheRatio, WritePolicyKind writePolicy,
    EvictionPolicyKind evictionPolicy, String model, int tp, int decodeInstances, LinkMode l3Link, LinkMode pcieLink,
    boolean decodeOffload, Path modelFile, Integer layers, Integer kvHeads, Integer headDim, Integer attentionHeads,
    DType kvDtype, Attention attention, Integer kvLoraRank, Integer qkRopeHeadDim, Double activeParamsB,
    Double weightsGB, String hardware, Integer instances, Routing routing, int affinityTokens, Double pcieGBps,
    Double hostLinkGBps, Double l3ReadGBps, Double l3WriteGBps, Double l3LatencyUs, boolean prepopulateL3,
    double decodeMsPerToken, SimulateCommand.Format format, WorkloadKind workloadKind, int numClients, int numRounds,
    int requestLength, int subQuestionLength, Integer outputLength, Double requestRate, int maxParallel,
    String distribution, String readyQueuePolicy, long seed, int namespaces, long requests, int prefixes, double zipf,
    int prefixLength, int suffixLength, Boolean pinSystemPrompt, Integer sweepJobs, PageKeys pageKeys,
    Set<String> given) {

  public SimulationSettings {
    given = Set.copyOf(given);
  }

  /** The workload a run replays or generates. */
  public enum WorkloadKind { trace, multiturn, synthetic }

  /** {@code --l3}: which L3 the engine's instances share. */
  public enum L3Backend { local, memory, mooncake }

  /** {@code --l3-link}, {@code --pcie-link}: each instance its own link, or one shared by the box. */
  public enum LinkMode {
    PRIVATE, SHARED;

    public String flagName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override public String toString() {
      return flagName();
    }
  }

  /** {@code --routing}: which instance serves a request. */
  public enum Routing { round_robin, random, prefix_affinity }

  /**
   * {@code --page-keys}: how a trace replay's page keys are made (docs/simulator.md#page-keys):
   * from each page's serial ({@link dev.hicache.simulator.workload.SerialPageKeys}, one SHA-256
   * block per page) or SGLang's hash of the page's synthesized tokens. The same pages share a key
   * either way.
   */
  public enum PageKeys { serial, tokens }

  /** {@code --attention}: MHA (GQA too) or MLA. */
  public enum Attention { mha, mla }

  /** A value refused: the message names the flag and the value (the command shows it as a usage error). */
  public static final class InvalidSettingException extends RuntimeException {
    public InvalidSettingException(String message) {
      super(message);
    }
  }

  /** The workload: --workload if given, else a trace when --trace (or --l1-only) is given, else multiturn. */
  public WorkloadKind kind() {
    if (workloadKind != null) return workloadKind;
    return trace != null || l1Only ? WorkloadKind.trace : WorkloadKind.multiturn;
  }

  /**
   * --page-keys if given, else serial for a trace (whose pages have serials) and tokens otherwise,
   * and tokens with --l3-eviction w-tinylfu: Caffeine's frequency sketch hashes the keys' values, so
   * its results move a little with other keys, and by default they stay those of SGLang's keys
   * (docs/simulator.md#page-keys).
   */
  public PageKeys pageKeysOrDefault() {
    if (pageKeys != null) return pageKeys;
    if (kind() != WorkloadKind.trace) return PageKeys.tokens;
    return l3Backend == L3Backend.local && l3Eviction == LocalL3Config.Eviction.W_TINY_LFU ? PageKeys.tokens
        : PageKeys.serial;
  }

  public int outputLengthOrDefault() {
    return outputLength != null ? outputLength
        : kind() == WorkloadKind.synthetic ? SimulateCommand.SYNTHETIC_OUTPUT_LENGTH : SimulateCommand.MULTITURN_OUTPUT_LENGTH;
  }

  public double requestRateOrDefault() {
    return requestRate != null ? requestRate
        : kind() == WorkloadKind.synthetic ? SimulateCommand.SYNTHETIC_REQUEST_RATE : SimulateCommand.MULTITURN_REQUEST_RATE;
  }

  /** The value of a flag as an error message shows it (picocli's form for the flag's type). */
  public String valueText(String flag) {
    Setting<?> s = SETTINGS.get(flag);
    Object v = s == null ? null : s.get.apply(this);
    if (v instanceof Enum<?> e) return flagText(e);
    return String.valueOf(v);
  }

  /** Whether a flag is a switch (no value): an error then shows no value. */
  public static boolean isSwitch(String flag) {
    Setting<?> s = SETTINGS.get(flag);
    return s != null && s.isSwitch;
  }

  /**
   * These settings with {@code flag} set to {@code text}, converted as the command line converts
   * it, and counted as given.
   *
   * @throws InvalidSettingException the flag is unknown, takes no value, or the text is not one of its values
   */
  public SimulationSettings with(String flag, String text) {
    Setting<?> s = SETTINGS.get(flag);
    if (s == null) throw new InvalidSettingException(flag + " is not a simulate option");
    Builder b = toBuilder();
    s.set(b, text);
    b.given.add(flag);
    return b.build();
  }

  /** The flags a sweep can vary: every setting that takes a value. */
  public static boolean canVary(String flag) {
    Setting<?> s = SETTINGS.get(flag);
    return s != null && !s.isSwitch;
  }

  // ------------------------------------------------------------------ converters

  /** One flag: how its text becomes a typed value, and where the value goes. */
  private record Setting<T>(String flag, Function<String, T> convert, BiConsumer<Builder, T> put,
      Function<SimulationSettings, Object> get, boolean isSwitch) {
    void set(Builder b, String text) {
      if (isSwitch) {
        throw new InvalidSettingException(flag + " is a switch and takes no value");
      }
      put.accept(b, convert.apply(text));
    }
  }

  /** The settings by flag, in the command's order. */
  static final Map<String, Setting<?>> SETTINGS = new LinkedHashMap<>();

  private static <T> void setting(String flag, Function<String, T> convert, BiConsumer<Builder, T> put,
      Function<SimulationSettings, Object> get) {
    SETTINGS.put(flag, new Setting<>(flag, convert, put, get, false));
  }

  private static void flag(String flag, BiConsumer<Builder, Boolean> put, Function<SimulationSettings, Object> get) {
    SETTINGS.put(flag, new Setting<>(flag, Boolean::parseBoolean, put, get, true));
  }

  static {
    flag("--l1-only", (b, v) -> b.l1Only = v, SimulationSettings::l1Only);
    setting("--trace", Path::of, (b, v) -> b.trace = v, SimulationSettings::trace);
    setting("--arrivals", t -> picocliEnum("--arrivals", TraceWorkload.Arrivals.class, t), (b, v) -> b.arrivals = v,
        SimulationSettings::arrivals);
    setting("--page-size", t -> parseInt("--page-size", t), (b, v) -> b.pageSize = v, SimulationSettings::pageSize);
    setting("--l1-capacity-tokens", t -> tokens("--l1-capacity-tokens", t), (b, v) -> b.l1CapacityTokens = v,
        SimulationSettings::l1CapacityTokens);
    setting("--l2-capacity-tokens", t -> tokens("--l2-capacity-tokens", t), (b, v) -> b.l2CapacityTokens = v,
        SimulationSettings::l2CapacityTokens);
    setting("--l3-capacity-tokens", t -> tokens("--l3-capacity-tokens", t), (b, v) -> b.l3CapacityTokens = v,
        SimulationSettings::l3CapacityTokens);
    setting("--l3", SimulationSettings::l3Backend, (b, v) -> b.l3Backend = v, SimulationSettings::l3Backend);
    setting("--l3-eviction", SimulationSettings::l3Eviction, (b, v) -> b.l3Eviction = v, SimulationSettings::l3Eviction);
    setting("--l3-store", SimulationSettings::l3Store, (b, v) -> b.l3Store = v, SimulationSettings::l3Store);
    setting("--mooncake-lease-ttl-ms", t -> parseLong("--mooncake-lease-ttl-ms", t), (b, v) -> b.mooncakeLeaseTtlMs = v,
        SimulationSettings::mooncakeLeaseTtlMs);
    setting("--mooncake-eviction-high-watermark", t -> parseDouble("--mooncake-eviction-high-watermark", t),
        (b, v) -> b.mooncakeHighWatermark = v, SimulationSettings::mooncakeHighWatermark);
    setting("--mooncake-eviction-ratio", t -> parseDouble("--mooncake-eviction-ratio", t),
        (b, v) -> b.mooncakeEvictionRatio = v, SimulationSettings::mooncakeEvictionRatio);
    setting("--hicache-storage-prefetch-policy", SimulationSettings::prefetchPolicy, (b, v) -> b.prefetchPolicy = v,
        SimulationSettings::prefetchPolicy);
    setting("--hicache-ratio", t -> parseDouble("--hicache-ratio", t), (b, v) -> b.hicacheRatio = v,
        SimulationSettings::hicacheRatio);
    setting("--hicache-write-policy", SimulationSettings::writePolicy, (b, v) -> b.writePolicy = v,
        SimulationSettings::writePolicy);
    setting("--radix-eviction-policy", SimulationSettings::evictionPolicy, (b, v) -> b.evictionPolicy = v,
        SimulationSettings::evictionPolicy);
    setting("--model", t -> t, (b, v) -> b.model = v, SimulationSettings::model);
    setting("--tp", t -> parseInt("--tp", t), (b, v) -> b.tp = v, SimulationSettings::tp);
    setting("--pd-decode-instances", t -> parseInt("--pd-decode-instances", t), (b, v) -> b.decodeInstances = v,
        SimulationSettings::decodeInstances);
    setting("--l3-link", t -> linkMode("--l3-link", t), (b, v) -> b.l3Link = v, SimulationSettings::l3Link);
    setting("--pcie-link", t -> linkMode("--pcie-link", t), (b, v) -> b.pcieLink = v, SimulationSettings::pcieLink);
    flag("--pd-decode-offload", (b, v) -> b.decodeOffload = v, SimulationSettings::decodeOffload);
    setting("--model-file", Path::of, (b, v) -> b.modelFile = v, SimulationSettings::modelFile);
    setting("--layers", t -> parseInt("--layers", t), (b, v) -> b.layers = v, SimulationSettings::layers);
    setting("--kv-heads", t -> parseInt("--kv-heads", t), (b, v) -> b.kvHeads = v, SimulationSettings::kvHeads);
    setting("--head-dim", t -> parseInt("--head-dim", t), (b, v) -> b.headDim = v, SimulationSettings::headDim);
    setting("--attention-heads", t -> parseInt("--attention-heads", t), (b, v) -> b.attentionHeads = v,
        SimulationSettings::attentionHeads);
    setting("--kv-dtype", SimulationSettings::kvDtype, (b, v) -> b.kvDtype = v, SimulationSettings::kvDtype);
    setting("--attention", SimulationSettings::attention, (b, v) -> b.attention = v, SimulationSettings::attention);
    setting("--kv-lora-rank", t -> parseInt("--kv-lora-rank", t), (b, v) -> b.kvLoraRank = v,
        SimulationSettings::kvLoraRank);
    setting("--qk-rope-head-dim", t -> parseInt("--qk-rope-head-dim", t), (b, v) -> b.qkRopeHeadDim = v,
        SimulationSettings::qkRopeHeadDim);
    setting("--active-params-b", t -> parseDouble("--active-params-b", t), (b, v) -> b.activeParamsB = v,
        SimulationSettings::activeParamsB);
    setting("--weights-gb", t -> parseDouble("--weights-gb", t), (b, v) -> b.weightsGB = v,
        SimulationSettings::weightsGB);
    setting("--hardware", t -> t, (b, v) -> b.hardware = v, SimulationSettings::hardware);
    setting("--instances", t -> parseInt("--instances", t), (b, v) -> b.instances = v, SimulationSettings::instances);
    setting("--routing", SimulationSettings::routing, (b, v) -> b.routing = v, SimulationSettings::routing);
    setting("--affinity-tokens", t -> parseInt("--affinity-tokens", t), (b, v) -> b.affinityTokens = v,
        SimulationSettings::affinityTokens);
    setting("--pcie-gbps", t -> parseDouble("--pcie-gbps", t), (b, v) -> b.pcieGBps = v, SimulationSettings::pcieGBps);
    setting("--host-link-gbps", t -> parseDouble("--host-link-gbps", t), (b, v) -> b.hostLinkGBps = v,
        SimulationSettings::hostLinkGBps);
    setting("--l3-read-gbps", t -> parseDouble("--l3-read-gbps", t), (b, v) -> b.l3ReadGBps = v,
        SimulationSettings::l3ReadGBps);
    setting("--l3-write-gbps", t -> parseDouble("--l3-write-gbps", t), (b, v) -> b.l3WriteGBps = v,
        SimulationSettings::l3WriteGBps);
    setting("--l3-latency-us", t -> parseDouble("--l3-latency-us", t), (b, v) -> b.l3LatencyUs = v,
        SimulationSettings::l3LatencyUs);
    flag("--prepopulate-l3", (b, v) -> b.prepopulateL3 = v, SimulationSettings::prepopulateL3);
    setting("--decode-ms-per-token", t -> parseDouble("--decode-ms-per-token", t), (b, v) -> b.decodeMsPerToken = v,
        SimulationSettings::decodeMsPerToken);
    setting("--format", t -> picocliEnum("--format", SimulateCommand.Format.class, t), (b, v) -> b.format = v,
        SimulationSettings::format);
    setting("--workload", t -> picocliEnum("--workload", WorkloadKind.class, t), (b, v) -> b.workloadKind = v,
        SimulationSettings::workloadKind);
    setting("--num-clients", t -> parseInt("--num-clients", t), (b, v) -> b.numClients = v,
        SimulationSettings::numClients);
    setting("--num-rounds", t -> parseInt("--num-rounds", t), (b, v) -> b.numRounds = v, SimulationSettings::numRounds);
    setting("--request-length", t -> parseInt("--request-length", t), (b, v) -> b.requestLength = v,
        SimulationSettings::requestLength);
    setting("--sub-question-input-length", t -> parseInt("--sub-question-input-length", t),
        (b, v) -> b.subQuestionLength = v, SimulationSettings::subQuestionLength);
    setting("--output-length", t -> parseInt("--output-length", t), (b, v) -> b.outputLength = v,
        SimulationSettings::outputLength);
    setting("--request-rate", t -> parseDouble("--request-rate", t), (b, v) -> b.requestRate = v,
        SimulationSettings::requestRate);
    setting("--max-parallel", t -> parseInt("--max-parallel", t), (b, v) -> b.maxParallel = v,
        SimulationSettings::maxParallel);
    setting("--distribution", t -> t, (b, v) -> b.distribution = v, SimulationSettings::distribution);
    setting("--ready-queue-policy", t -> t, (b, v) -> b.readyQueuePolicy = v, SimulationSettings::readyQueuePolicy);
    setting("--seed", t -> parseLong("--seed", t), (b, v) -> b.seed = v, SimulationSettings::seed);
    setting("--namespaces", t -> parseInt("--namespaces", t), (b, v) -> b.namespaces = v, SimulationSettings::namespaces);
    setting("--requests", t -> parseLong("--requests", t), (b, v) -> b.requests = v, SimulationSettings::requests);
    setting("--prefixes", t -> parseInt("--prefixes", t), (b, v) -> b.prefixes = v, SimulationSettings::prefixes);
    setting("--zipf", t -> parseDouble("--zipf", t), (b, v) -> b.zipf = v, SimulationSettings::zipf);
    setting("--prefix-length", t -> parseInt("--prefix-length", t), (b, v) -> b.prefixLength = v,
        SimulationSettings::prefixLength);
    setting("--suffix-length", t -> parseInt("--suffix-length", t), (b, v) -> b.suffixLength = v,
        SimulationSettings::suffixLength);
    // picocli takes only true or false (any case) as the optional value.
    setting("--pin-system-prompt", SimulationSettings::trueOrFalse, (b, v) -> b.pinSystemPrompt = v,
        SimulationSettings::pinSystemPrompt);
    setting("--sweep-jobs", t -> parseInt("--sweep-jobs", t), (b, v) -> b.sweepJobs = v, SimulationSettings::sweepJobs);
    setting("--page-keys", SimulationSettings::pageKeys, (b, v) -> b.pageKeys = v, SimulationSettings::pageKeys);
  }

  /** picocli's message for a number it cannot convert, so that a swept value reads as a given one. */
  private static int parseInt(String flag, String t) {
    try {
      return Integer.parseInt(t);
    } catch (NumberFormatException e) {
      throw new InvalidSettingException("Invalid value for option '" + flag + "': '" + t + "' is not an int");
    }
  }

  private static long parseLong(String flag, String t) {
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      throw new InvalidSettingException("Invalid value for option '" + flag + "': '" + t + "' is not a long");
    }
  }

  private static double parseDouble(String flag, String t) {
    try {
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw new InvalidSettingException("Invalid value for option '" + flag + "': '" + t + "' is not a double");
    }
  }

  private static long tokens(String flag, String t) {
    try {
      return TokenCount.parse(t);
    } catch (picocli.CommandLine.TypeConversionException e) {
      throw new InvalidSettingException("Invalid value for option '" + flag + "': " + e.getMessage());
    }
  }

  private static Boolean trueOrFalse(String t) {
    if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) return Boolean.parseBoolean(t);
    throw new InvalidSettingException("Invalid value for option '--pin-system-prompt': '" + t
        + "' (expected true or false)");
  }

  /** An enum picocli converts (case-insensitive), with its message. */
  private static <E extends Enum<E>> E picocliEnum(String flag, Class<E> type, String t) {
    for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(t)) return e;
    throw new InvalidSettingException("Invalid value for option '" + flag + "': expected one of "
        + java.util.Arrays.toString(type.getEnumConstants()) + " (case-insensitive) but was '" + t + "'");
  }

  static L3Backend l3Backend(String t) {
    for (L3Backend b : L3Backend.values()) if (b.name().equals(t)) return b;
    throw new InvalidSettingException("Invalid value for option '--l3': '" + t + "' (expected local, memory or mooncake)");
  }

  static LocalL3Config.Eviction l3Eviction(String t) {
    try {
      return LocalL3Config.Eviction.parse(t);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("Invalid value for option '--l3-eviction': '" + t
          + "' (expected lru or w-tinylfu)");
    }
  }

  static EmbeddedL3.Store l3Store(String t) {
    try {
      return EmbeddedL3.Store.parse(t);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("Invalid value for option '--l3-store': '" + t + "' (expected model or real)");
    }
  }

  static PrefetchPolicyKind prefetchPolicy(String t) {
    try {
      return PrefetchPolicyKind.parse(t);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("Invalid value for option '--hicache-storage-prefetch-policy': '" + t
          + "' (expected best_effort, wait_complete or timeout)");
    }
  }

  static WritePolicyKind writePolicy(String t) {
    try {
      return WritePolicyKind.parse(t);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("Invalid value for option '--hicache-write-policy': '" + t
          + "' (expected write_through, write_through_selective or write_back)");
    }
  }

  static EvictionPolicyKind evictionPolicy(String t) {
    try {
      PolicyRegistry.sglang().eviction(t);
      return EvictionPolicyKind.parse(t);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("Invalid value for option '--radix-eviction-policy': '" + t
          + "' (expected one of " + String.join(", ", PolicyRegistry.sglang().evictionNames()) + ")");
    }
  }

  static LinkMode linkMode(String flag, String t) {
    for (LinkMode m : LinkMode.values()) if (m.flagName().equals(t)) return m;
    throw new InvalidSettingException("Invalid value for option '" + flag + "': '" + t + "' (expected private or shared)");
  }

  static Routing routing(String t) {
    for (Routing r : Routing.values()) if (r.name().equals(t)) return r;
    throw new InvalidSettingException("Invalid value for option '--routing': '" + t
        + "' (expected round_robin, random or prefix_affinity)");
  }

  static PageKeys pageKeys(String t) {
    for (PageKeys k : PageKeys.values()) if (k.name().equals(t)) return k;
    throw new InvalidSettingException("Invalid value for option '--page-keys': '" + t + "' (expected serial or tokens)");
  }

  static DType kvDtype(String t) {
    try {
      return DType.parse(t);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("Invalid value for option '--kv-dtype': '" + t + "' (" + e.getMessage() + ")");
    }
  }

  static Attention attention(String t) {
    return switch (t.toLowerCase(Locale.ROOT)) {
      case "mha", "gqa" -> Attention.mha;
      case "mla" -> Attention.mla;
      default -> throw new InvalidSettingException("Invalid value for option '--attention': '" + t
          + "' (expected mha or mla)");
    };
  }

  /** An enum value as its flag spells it. */
  static String flagText(Enum<?> e) {
    return switch (e) {
      case WritePolicyKind k -> k.flagName();
      case PrefetchPolicyKind k -> k.flagName();
      case EvictionPolicyKind k -> k.flagName();
      case LocalL3Config.Eviction k -> k.flagName();
      case EmbeddedL3.Store k -> k.flagName();
      case DType k -> k.toString().toLowerCase(Locale.ROOT);
      default -> e.toString();
    };
  }

  // ------------------------------------------------------------------ checks across settings

  /**
   * Heap bytes the engine allocates up front, per unit: a device token (load-op and reader marks),
   * a host page (key, checksum, state, free list) and an L3 page of the embedded store or a model
   * (index entry, hash table, LRU links). Lower bounds: what the run allocates before its first
   * request, so a refusal is never wrong; the rest grows with the workload.
   */
  static final long HEAP_PER_DEVICE_TOKEN = 9, HEAP_PER_HOST_PAGE = 24, HEAP_PER_L3_PAGE = 88;
  /** Per request of a generated workload (TTFT and queueing samples), per token a workload keeps. */
  static final long HEAP_PER_REQUEST = 16, HEAP_PER_KEPT_TOKEN = 4;

  /**
   * Refuses sizes that cannot fit this JVM's heap before the run allocates them, naming the flag
   * that asks for the most and how to give the JVM more.
   */
  void checkMemory(EngineSetup s) {
    long max = Runtime.getRuntime().maxMemory();
    Map<String, Long> need = heapNeed(s);
    long total = heapTotal(need);
    if (total <= max * 9 / 10) return;
    String flag = need.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
    Object value = valueText(flag);
    throw invalid("Invalid value for option '" + flag + "': '" + value + "' (the run needs at least " + gib(total)
        + " of heap before its first request, " + gib(need.get(flag)) + " of it for " + flag + ", and this JVM may use "
        + gib(max) + "; lower it, or give the JVM more, e.g. HICACHE_JAVA_OPTS=-Xmx"
        + Math.max(1, (long) Math.ceil(total * 1.25 / (1L << 30))) + "g)");
  }

  /** Heap the run allocates before its first request (a lower bound), in all, from {@link #heapNeed}. */
  static long heapTotal(Map<String, Long> need) {
    long total = 0;
    for (long v : need.values()) total = v > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + v;
    return total;
  }

  /** Heap the run allocates before its first request, by the flag that asks for it. */
  Map<String, Long> heapNeed(EngineSetup s) {
    int ps = s.config().pageSize();
    int n = s.instances() + s.decodeInstances();
    java.util.LinkedHashMap<String, Long> need = new java.util.LinkedHashMap<>();
    need.put(l1CapacityTokens != null ? "--l1-capacity-tokens" : "--instances",
        sat(n, sat(s.deviceTokens(), HEAP_PER_DEVICE_TOKEN)));
    need.put(l2CapacityTokens != null ? "--l2-capacity-tokens" : "--hicache-ratio",
        sat(n, sat(s.hostTokens() / ps, HEAP_PER_HOST_PAGE)));
    need.put("--l3-capacity-tokens", sat(s.l3Tokens() / ps, HEAP_PER_L3_PAGE));
    switch (kind()) {
      case multiturn -> {
        long perClient = (long) requestLength + (long) numRounds * ((subQuestionLength == 0 ? requestLength
            : subQuestionLength) + (long) outputLengthOrDefault());
        need.put("--num-clients", sat(numClients, sat(perClient, HEAP_PER_KEPT_TOKEN) + sat(numRounds, HEAP_PER_REQUEST)));
      }
      case synthetic -> {
        need.put("--requests", sat(requests, HEAP_PER_REQUEST));
        need.put("--prefixes", sat(prefixes, sat(prefixLength, HEAP_PER_KEPT_TOKEN)));
      }
      case trace -> { }
    }
    return need;
  }

  /**
   * A generated workload's expected span of arrival times, like a trace's, is at most 366 days of
   * virtual time (nanoseconds summed over arrivals must stay far from overflowing).
   */
  void checkSpan() {
    double arrivals = switch (kind()) {
      case synthetic -> requests;
      case multiturn -> (double) numClients * numRounds;
      case trace -> 0;
    };
    double rate = requestRateOrDefault();
    if (arrivals == 0 || !(rate > 0)) return;
    double days = arrivals / rate / 86_400;
    if (days > 366) {
      String flag = given.contains("--request-rate") ? "--request-rate"
          : kind() == WorkloadKind.synthetic ? "--requests" : "--num-clients";
      throw invalid("Invalid value for option '" + flag + "': '" + valueText(flag) + "' ("
          + String.format(java.util.Locale.ROOT, "%.0f", arrivals) + " requests at " + rate
          + " per second span about " + Math.round(days) + " days; a run spans at most 366 days)");
    }
  }

  /** a x b, saturating at Long.MAX_VALUE (sizes here are all >= 0). */
  static long sat(long a, long b) {
    long r = a * b;
    return a != 0 && (r / a != b || r < 0) ? Long.MAX_VALUE : r;
  }

  static String gib(long bytes) {
    return bytes == Long.MAX_VALUE ? "more than 8 EiB" : String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }

  /** Flags that apply only to one workload. */
  static final List<String> MULTITURN_FLAGS = List.of("--num-clients", "--num-rounds", "--request-length",
      "--sub-question-input-length", "--max-parallel", "--distribution", "--ready-queue-policy");
  static final List<String> SYNTHETIC_FLAGS = List.of("--requests", "--prefixes", "--zipf", "--prefix-length",
      "--suffix-length", "--pin-system-prompt");
  static final List<String> GENERATOR_FLAGS = List.of("--output-length", "--request-rate", "--seed");
  static final List<String> TRACE_FLAGS = List.of("--trace", "--arrivals");
  /** What --l1-only reads; every other flag is the engine's. */
  static final List<String> L1_ONLY_FLAGS = List.of("--l1-only", "--trace", "--page-size", "--l1-capacity-tokens",
      "--radix-eviction-policy", "--format", "--sweep", "--sweep-jobs", "--report", "--no-report", "--workload", "--help", "--version");

  /**
   * Refuses a flag the user gave that the chosen workload, mode or backend would ignore: a run that
   * silently ignores a flag reports something other than what was asked.
   */
  void checkApplicable() {
    if (given.contains("--sweep-jobs") && !given.contains("--sweep")) {
      throw notApplicable("--sweep-jobs", "only --sweep runs several runs");
    }
    if (sweepJobs != null && sweepJobs < 1) {
      throw invalid("Invalid value for option '--sweep-jobs': '" + sweepJobs + "' (>= 1)");
    }
    if (l1Only) {
      for (String f : given) {
        if (!L1_ONLY_FLAGS.contains(f)) throw notApplicable(f, "--l1-only replays the device tier alone");
      }
      return;
    }
    WorkloadKind kind = kind();
    for (String f : given) {
      if (MULTITURN_FLAGS.contains(f) && kind != WorkloadKind.multiturn) {
        throw notApplicable(f, "only --workload multiturn reads it; the workload is " + kind);
      }
      if (SYNTHETIC_FLAGS.contains(f) && kind != WorkloadKind.synthetic) {
        throw notApplicable(f, "only --workload synthetic reads it; the workload is " + kind);
      }
      if (GENERATOR_FLAGS.contains(f) && kind == WorkloadKind.trace && !(f.equals("--seed") && namespaces > 1)) {
        throw notApplicable(f, "--workload multiturn and synthetic read it; a trace has its own");
      }
      if (TRACE_FLAGS.contains(f) && kind != WorkloadKind.trace) {
        throw notApplicable(f, "only --workload trace reads it; the workload is " + kind);
      }
      if (f.equals("--l3-eviction") && l3Backend != L3Backend.local) {
        throw notApplicable(f, "only --l3 local has it; --l3 is " + l3Backend);
      }
      if (f.equals("--l3-store") && l3Backend != L3Backend.local) {
        throw notApplicable(f, "only --l3 local has it; --l3 is " + l3Backend);
      }
      if (f.equals("--l3-store") && l3Store == EmbeddedL3.Store.MODEL && l3Eviction != LocalL3Config.Eviction.LRU) {
        throw notApplicable(f, "the model is of the store's lru eviction; --l3-eviction "
            + l3Eviction.flagName() + " runs the real store");
      }
      if (f.startsWith("--mooncake-") && l3Backend != L3Backend.mooncake) {
        throw notApplicable(f, "only --l3 mooncake has it; --l3 is " + l3Backend);
      }
      if (f.equals("--host-link-gbps") && pcieLink != LinkMode.SHARED) {
        throw notApplicable(f, "only --pcie-link shared uses the box's host link");
      }
      if (f.equals("--model") && given.contains("--model-file")) {
        throw notApplicable(f, "--model-file replaces it; give one of them");
      }
      if (f.equals("--hicache-ratio") && given.contains("--l2-capacity-tokens")) {
        throw notApplicable(f, "--l2-capacity-tokens sets the host tier's size; give one of them");
      }
      if (f.equals("--page-keys") && pageKeys == PageKeys.serial && kind != WorkloadKind.trace) {
        throw notApplicable(f, "only a trace's pages have serials; the workload is " + kind + ", keyed by its tokens");
      }
      if (f.equals("--affinity-tokens") && routing != Routing.prefix_affinity) {
        throw notApplicable(f, "only --routing prefix_affinity uses it; --routing is " + routing);
      }
    }
  }

  InvalidSettingException notApplicable(String flag, String why) {
    // picocli's form: a yes/no option shows no value.
    boolean yesNo = isSwitch(flag) || flag.equals("--pin-system-prompt");
    return invalid("Option '" + flag + "'" + (yesNo ? "" : " '" + valueText(flag) + "'") + " does not apply here (" + why
        + ")");
  }


  /** The workload with its sessions spread over --namespaces namespaces; as it is for one. */
  Workload namespaced(Workload w) {
    if (namespaces < 1 || namespaces > 1_000_000) {
      throw invalid("Invalid value for option '--namespaces': '" + namespaces + "' (1..1000000)");
    }
    return namespaces == 1 ? w : new dev.hicache.simulator.workload.NamespacedWorkload(w, namespaces, seed);
  }


  Workload workload() throws IOException {
    try {
      return switch (kind()) {
        case trace -> new TraceWorkload(MooncakeTraceReader.open(tracePath()), pageSize, arrivals,
            pageKeysOrDefault() == PageKeys.serial);
        case multiturn -> new MultiTurnWorkload(multiturnParams());
        case synthetic -> new SyntheticWorkload(syntheticParams());
      };
    } catch (IllegalArgumentException e) {
      // The generators' messages start with the flag; add the value form picocli uses.
      throw invalid("Invalid value for option " + e.getMessage());
    }
  }

  MultiTurnWorkload.Params multiturnParams() {
    return new MultiTurnWorkload.Params(numClients, numRounds, requestLength, subQuestionLength, outputLengthOrDefault(),
        requestRateOrDefault(), maxParallel, distribution, readyQueuePolicy, seed);
  }

  SyntheticWorkload.Params syntheticParams() {
    return new SyntheticWorkload.Params(requests, requestRateOrDefault(), prefixes, zipf, prefixLength, suffixLength,
        outputLengthOrDefault(), seed, pinSystemPrompt == null ? SyntheticWorkload.SystemPrompt.OFF
        : pinSystemPrompt ? SyntheticWorkload.SystemPrompt.PIN : SyntheticWorkload.SystemPrompt.TRACK);
  }

  /**
   * The report's line on this run's input: the trace file's SHA-256, or that of the parameters
   * (seed included) that generate the workload; {@code fileLines} keeps a file's line across a sweep.
   */
  String inputChecksum(Map<Path, String> fileLines) {
    return switch (kind()) {
      case trace -> {
        Path t = tracePath().toAbsolutePath().normalize();
        String line = fileLines.get(t);
        if (line == null) {
          try {
            line = dev.hicache.simulator.report.Provenance.ofFile("the trace", t);
          } catch (IOException e) {
            // Replayed, then gone or unreadable: the report still says which file it was.
            line = "the trace " + t + " (no checksum: it could not be read again: " + e.getMessage() + ")";
          }
          fileLines.put(t, line);
        }
        yield line;
      }
      case multiturn -> dev.hicache.simulator.report.Provenance.ofText("the generated workload's parameters",
          "multiturn " + multiturnParams() + (namespaces > 1 ? " namespaces " + namespaces : ""));
      case synthetic -> dev.hicache.simulator.report.Provenance.ofText("the generated workload's parameters",
          "synthetic " + syntheticParams() + (namespaces > 1 ? " namespaces " + namespaces : ""));
    };
  }


  /** The preset (or --model-file) with the shape flags applied; errors name the flag or file and value. */
  ModelProfile modelProfile() {
    ModelProfile m;
    if (modelFile != null) {
      if (!Files.isRegularFile(modelFile)) {
        // Never open a FIFO or device (it would block or never end) or a directory.
        throw new CliErrors.InputFileException("Invalid value for option '--model-file': '" + modelFile + "' ("
            + (Files.isDirectory(modelFile) ? "is a directory" : Files.exists(modelFile) ? "is " + kindOf(modelFile)
                + ", not a regular file" : "no such file") + ")");
      }
      try {
        m = ModelProfileFile.read(modelFile);
      } catch (IllegalArgumentException e) {
        throw invalid("Invalid value for option '--model-file': " + e.getMessage());
      } catch (java.io.IOException e) {
        throw new CliErrors.InputFileException("Invalid value for option '--model-file': '" + modelFile + "' ("
            + (Files.isDirectory(modelFile) ? "is a directory" : e instanceof java.nio.file.NoSuchFileException
                ? "no such file" : "cannot read it: " + e.getMessage()) + ")");
      }
    } else {
      try {
        m = ModelProfile.preset(model);
      } catch (IllegalArgumentException e) {
        throw invalid("Invalid value for option '--model': '" + model + "' (" + e.getMessage() + ")");
      }
    }
    boolean custom = false;
    int l = m.layers(), kvh = m.kvHeads(), hd = m.headDim(), rank = m.kvLoraRank(), rope = m.qkRopeHeadDim();
    boolean mla = m.mla();
    dev.hicache.api.DType dt = m.dtype();
    double active = m.activeParamsB(), weights = m.weightBytesB();
    if (layers != null) { l = atLeastOne("--layers", layers); custom = true; }
    if (kvHeads != null) { kvh = atLeastOne("--kv-heads", kvHeads); custom = true; }
    if (headDim != null) { hd = atLeastOne("--head-dim", headDim); custom = true; }
    int qh = m.attentionHeads();
    if (attentionHeads != null) { qh = atLeastOne("--attention-heads", attentionHeads); custom = true; }
    if (kvLoraRank != null) { rank = atLeastOne("--kv-lora-rank", kvLoraRank); custom = true; }
    if (qkRopeHeadDim != null) { rope = atLeastOne("--qk-rope-head-dim", qkRopeHeadDim); custom = true; }
    if (kvDtype != null) {
      dt = kvDtype;
      custom = true;
    }
    if (attention != null) {
      mla = attention == Attention.mla;
      custom = true;
    }
    if (activeParamsB != null) { active = positive("--active-params-b", activeParamsB, 0); custom = true; }
    if (weightsGB != null) {
      if (!(weightsGB >= 0) || Double.isInfinite(weightsGB)) {
        throw invalid("Invalid value for option '--weights-gb': '" + weightsGB + "' (must be >= 0)");
      }
      weights = weightsGB;
      custom = true;
    }
    if (!custom) return m;
    if (mla && (rank < 1 || rope < 1)) {
      throw invalid("Invalid value for option '--attention': 'mla' (model " + m.name() + " has no MLA latent: give"
          + " --kv-lora-rank and --qk-rope-head-dim)");
    }
    if (mla) { kvh = 1; hd = rank + rope; }
    // Attention's dims per head: QK + V (MHA: 2 x head dim; MLA prefill: qk_nope + qk_rope + v).
    int adim = !mla ? 2 * hd
        : (m.mla() ? m.attentionDimPerHead() - m.qkRopeHeadDim() : ModelProfile.MLA_NOPE_DIM + ModelProfile.MLA_V_DIM)
            + rope;
    return new ModelProfile(m.name() + " (custom)", l, kvh, hd, dt, mla, mla ? rank : 0, mla ? rope : 0, active,
        weights, qh, adim);
  }

  int atLeastOne(String flag, int v) {
    if (v < 1) throw invalid("Invalid value for option '" + flag + "': '" + v + "' (must be >= 1)");
    return v;
  }

  /** Resolves the engine's configuration from the flags; errors name the flag and value. */
  EngineSetup engineSetup() {
    ModelProfile m;
    HardwareProfile hw;
    m = modelProfile();
    try {
      hw = HardwareProfile.preset(hardware);
    } catch (IllegalArgumentException e) {
      throw invalid("Invalid value for option '--hardware': '" + hardware + "' (" + e.getMessage() + ")");
    }
    hw = new HardwareProfile(hw.name(), hw.gpus(), hw.hbmGB(), hw.memFractionStatic(), hw.tflops(), hw.mfu(),
        positive("--pcie-gbps", pcieGBps, hw.pcieGBps()), hw.pcieLatencyUs(), hw.hostGBPerGpu(),
        positive("--l3-read-gbps", l3ReadGBps, hw.l3ReadGBps()), positive("--l3-write-gbps", l3WriteGBps, hw.l3WriteGBps()),
        l3LatencyUs == null ? hw.l3LatencyUs() : nonNegative("--l3-latency-us", l3LatencyUs),
        positive("--host-link-gbps", hostLinkGBps, hw.hostLinkGBps()), hw.prefill(),
        // A --pcie-gbps of one's own replaces the profile's measured copy rates in both directions; the
        // measured latencies stay.
        pcieGBps == null ? hw.copies() : hw.copies().withRates(pcieGBps, pcieGBps));
    if (tp < 1 || tp > 64) throw invalid("Invalid value for option '--tp': '" + tp + "' (1..64)");
    if (!m.mla() && m.kvHeads() % tp != 0 && tp % m.kvHeads() != 0) {
      // SGLang shards KV heads over the TP ranks, or replicates them when there are more ranks than
      // heads; anything else leaves a fraction of a head on a GPU (or silently drops some).
      java.util.List<Integer> ok = new ArrayList<>();
      for (int t = 1; t <= hw.gpus(); t++) if (m.kvHeads() % t == 0 || t % m.kvHeads() == 0) ok.add(t);
      throw invalid("Invalid value for option '--tp': '" + tp + "' (" + m.name() + " has " + m.kvHeads()
          + " KV heads: a TP degree must divide them or be a multiple of them, e.g. "
          + ok.subList(0, Math.min(8, ok.size())) + ")");
    }
    if (tp > hw.gpus()) {
      throw invalid("Invalid value for option '--tp': '" + tp + "' (the " + hw.name() + " has " + hw.gpus() + " GPUs)");
    }
    if (!(hicacheRatio > 0) || Double.isInfinite(hicacheRatio)) {
      throw invalid("Invalid value for option '--hicache-ratio': '" + hicacheRatio + "' (must be > 0)");
    }
    if (!(decodeMsPerToken >= 0) || !(decodeMsPerToken <= 60_000)) {
      throw invalid("Invalid value for option '--decode-ms-per-token': '" + decodeMsPerToken + "' (0..60000)");
    }
    long device;
    if (l1CapacityTokens != null) {
      if (l1CapacityTokens == TokenCount.INFINITE) {
        throw invalid("Invalid value for option '--l1-capacity-tokens': 'inf' (the engine needs a finite device pool;"
            + " inf is for --l1-only)");
      }
      device = l1CapacityTokens;
    } else {
      try {
        device = hw.deviceKvTokens(m, tp);
      } catch (IllegalArgumentException e) {
        throw invalid(modelFile != null
            ? "Invalid value for option '--model-file': '" + modelFile + "' (" + e.getMessage() + "; raise --tp)"
            : "Invalid value for option '--model': '" + model + "' (" + e.getMessage() + "; raise --tp)");
      }
    }
    device = device / pageSize * pageSize;
    if (device < pageSize) {
      throw invalid("Invalid value for option '--l1-capacity-tokens': '" + device + "' (at least one page of " + pageSize + ")");
    }
    long host;
    if (l2CapacityTokens != null) {
      if (l2CapacityTokens == TokenCount.INFINITE) {
        throw invalid("Invalid value for option '--l2-capacity-tokens': 'inf' (give a number of tokens)");
      }
      host = l2CapacityTokens / pageSize * pageSize;
      if (host != 0 && host <= device) {
        throw invalid("Invalid value for option '--l2-capacity-tokens': '" + l2CapacityTokens
            + "' (the host tier must be larger than L1's " + device + " tokens, or 0 for none; docs/behaviour.md#host-pool-size)");
      }
    } else {
      host = (long) (device * hicacheRatio) / pageSize * pageSize;
      if (host <= device) {
        throw invalid("Invalid value for option '--hicache-ratio': '" + hicacheRatio
            + "' (must be > 1: the host tier must be larger than the device pool; docs/behaviour.md#host-pool-size)");
      }
    }
    if (device > Integer.MAX_VALUE || host > Integer.MAX_VALUE) {
      String flag = device > Integer.MAX_VALUE ? "--l1-capacity-tokens"
          : l2CapacityTokens != null ? "--l2-capacity-tokens" : "--hicache-ratio";
      throw invalid("Invalid value for option '" + flag + "': '" + valueText(flag) + "' (the engine"
          + " supports tiers of at most " + Integer.MAX_VALUE + " tokens; this gives L1 " + device + ", L2 " + host + ")");
    }
    dev.hicache.simulator.l3.MooncakeL3Model.Params mooncake;
    try {
      mooncake = dev.hicache.simulator.l3.MooncakeL3Model.Params.ofFlags(mooncakeLeaseTtlMs, mooncakeHighWatermark,
          mooncakeEvictionRatio);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    long l3 = l3CapacityTokens == null ? 30_000_000L : l3CapacityTokens;
    if (l3 == TokenCount.INFINITE) {
      throw invalid("Invalid value for option '--l3-capacity-tokens': 'inf' (give a number of tokens, or 0 for none)");
    }
    l3 = l3 / pageSize * pageSize;
    if (l3 > 0 && host == 0) {
      if (l3CapacityTokens != null) {
        throw invalid("Invalid value for option '--l3-capacity-tokens': '" + l3CapacityTokens
            + "' (L3 needs a host tier: --l2-capacity-tokens is 0)");
      }
      l3 = 0; // no host tier asked for: no L3 either
    }
    HiCacheConfig.Builder cb = HiCacheConfig.builder().pageSize(pageSize).writePolicy(writePolicy)
        .radixEvictionPolicy(evictionPolicy).hicacheRatio(hicacheRatio).prefetchPolicy(prefetchPolicy);
    if (l3 > 0) cb.storageBackend("local");
    HiCacheConfig config = cb.build();
    int n = instances != null ? instances : Math.max(1, hw.gpus() / tp);
    if (n < 1 || n > 1024) throw invalid("Invalid value for option '--instances': '" + n + "' (1..1024)");
    if (affinityTokens < 1) throw invalid("Invalid value for option '--affinity-tokens': '" + affinityTokens + "' (>= 1)");
    if (decodeInstances < 0 || decodeInstances > 1024) {
      throw invalid("Invalid value for option '--pd-decode-instances': '" + decodeInstances + "' (0..1024)");
    }
    if (decodeOffload && decodeInstances == 0) {
      throw invalid("Invalid value for option '--pd-decode-offload': 'true' (needs --pd-decode-instances > 0)");
    }
    if (decodeOffload && l3 == 0) {
      throw invalid("Invalid value for option '--pd-decode-offload': 'true' (needs an L3: --l3-capacity-tokens > 0)");
    }
    return new EngineSetup(config, m, hw, tp, m.shape(tp, pageSize), device, host,
        hw.prefillNanosPerToken(m, tp), Math.round(decodeMsPerToken * 1e6), n, routing.name(), affinityTokens, l3,
        l3Backend.name(), decodeInstances, decodeOffload, l3Link == LinkMode.SHARED, mooncake,
        pcieLink == LinkMode.SHARED, l3Eviction, l3Store);
  }

  /** The --trace file; without one, a usage error that says where the FAST'25 traces are. */
  Path tracePath() {
    if (trace == null) {
      throw invalid("Missing option '--trace=FILE': " + (l1Only ? "--l1-only" : "--workload trace")
          + " replays a Mooncake trace and the project has none of its own (without --trace and --workload, ./hicache"
          + " simulate generates a multi-turn chat workload); " + SimulateCommand.WHERE_TRACES);
    }
    if (!Files.isRegularFile(trace)) {
      throw new CliErrors.InputFileException("Invalid value for option '--trace': '" + trace + "' ("
          + (Files.isDirectory(trace) ? "is a directory, not a trace file"
              : Files.exists(trace) ? "is " + kindOf(trace) + ", not a trace file" : "no such file") + ")");
    }
    return trace;
  }

  static String kindOf(Path p) {
    try {
      dev.hicache.api.io.SafeOutput.requireRegularOrAbsent(p);
      return "not a regular file";
    } catch (dev.hicache.api.io.SafeOutput.RefusedException e) {
      return e.getMessage().replaceFirst("^is ", "").replaceFirst(", not a regular file$", "");
    }
  }

  /** A bandwidth (GB/s) or size: bounded so that every time computed from it fits virtual time's nanoseconds. */
  double positive(String flag, Double v, double dflt) {
    if (v == null) return dflt;
    if (!(v >= 0.001) || !(v <= 1e6)) {
      throw invalid("Invalid value for option '" + flag + "': '" + v + "' (must be between 0.001 and 1000000)");
    }
    return v;
  }

  /** A latency: at most 10 s, so that sums of them stay far from virtual time's limits. */
  double nonNegative(String flag, double v) {
    if (!(v >= 0) || !(v <= 1e7)) throw invalid("Invalid value for option '" + flag + "': '" + v + "' (0..10000000)");
    return v;
  }


  /** Refuses a generated workload's parameters and --namespaces before the run (the run checks them again). */
  void checkWorkload() {
    if (l1Only) return;
    try {
      switch (kind()) {
        case multiturn -> multiturnParams();
        case synthetic -> syntheticParams();
        case trace -> { }
      }
    } catch (IllegalArgumentException e) {
      // The generators' messages start with the flag; add the value form picocli uses.
      throw invalid("Invalid value for option " + e.getMessage());
    }
    if (namespaces < 1 || namespaces > 1_000_000) {
      throw invalid("Invalid value for option '--namespaces': '" + namespaces + "' (1..1000000)");
    }
  }

  /** Refuses a page size the trace's blocks cannot be cut into (every run checks it first). */
  void checkPageSize() {
    if (pageSize < 1 || MooncakeTraceReader.MOONCAKE_BLOCK_SIZE % pageSize != 0) {
      throw invalid("Invalid value for option '--page-size': '" + pageSize
          + "' (must divide the trace's 512-token blocks: 1, 2, 4, ..., 64, ..., 512)");
    }
  }

  /** The radix tree's eviction policy, as the engine's registry makes it. */
  EvictionPolicy evictionPolicyInstance() {
    return PolicyRegistry.sglang().eviction(evictionPolicy.flagName());
  }

  static InvalidSettingException invalid(String message) {
    return new InvalidSettingException(message);
  }

  // ------------------------------------------------------------------ builder

  public Builder toBuilder() {
    Builder b = new Builder();
    b.l1Only = l1Only; b.trace = trace; b.arrivals = arrivals; b.pageSize = pageSize;
    b.l1CapacityTokens = l1CapacityTokens; b.l2CapacityTokens = l2CapacityTokens; b.l3CapacityTokens = l3CapacityTokens;
    b.l3Backend = l3Backend; b.l3Eviction = l3Eviction; b.l3Store = l3Store; b.mooncakeLeaseTtlMs = mooncakeLeaseTtlMs;
    b.mooncakeHighWatermark = mooncakeHighWatermark; b.mooncakeEvictionRatio = mooncakeEvictionRatio;
    b.prefetchPolicy = prefetchPolicy; b.hicacheRatio = hicacheRatio; b.writePolicy = writePolicy;
    b.evictionPolicy = evictionPolicy; b.model = model; b.tp = tp; b.decodeInstances = decodeInstances;
    b.l3Link = l3Link; b.pcieLink = pcieLink; b.decodeOffload = decodeOffload; b.modelFile = modelFile;
    b.layers = layers; b.kvHeads = kvHeads; b.headDim = headDim; b.attentionHeads = attentionHeads;
    b.kvDtype = kvDtype; b.attention = attention; b.kvLoraRank = kvLoraRank; b.qkRopeHeadDim = qkRopeHeadDim;
    b.activeParamsB = activeParamsB; b.weightsGB = weightsGB; b.hardware = hardware; b.instances = instances;
    b.routing = routing; b.affinityTokens = affinityTokens; b.pcieGBps = pcieGBps; b.hostLinkGBps = hostLinkGBps;
    b.l3ReadGBps = l3ReadGBps; b.l3WriteGBps = l3WriteGBps; b.l3LatencyUs = l3LatencyUs;
    b.prepopulateL3 = prepopulateL3; b.decodeMsPerToken = decodeMsPerToken; b.format = format;
    b.workloadKind = workloadKind; b.numClients = numClients; b.numRounds = numRounds;
    b.requestLength = requestLength; b.subQuestionLength = subQuestionLength; b.outputLength = outputLength;
    b.requestRate = requestRate; b.maxParallel = maxParallel; b.distribution = distribution;
    b.readyQueuePolicy = readyQueuePolicy; b.seed = seed; b.namespaces = namespaces; b.requests = requests;
    b.prefixes = prefixes; b.zipf = zipf; b.prefixLength = prefixLength; b.suffixLength = suffixLength;
    b.pinSystemPrompt = pinSystemPrompt; b.sweepJobs = sweepJobs; b.pageKeys = pageKeys;
    b.given = new LinkedHashSet<>(given);
    return b;
  }

  /** Mutable while building; {@link #build} makes the immutable settings. Defaults are the command's. */
  public static final class Builder {
    boolean l1Only;
    Path trace;
    TraceWorkload.Arrivals arrivals = TraceWorkload.Arrivals.timestamps;
    int pageSize = 64;
    Long l1CapacityTokens, l2CapacityTokens, l3CapacityTokens;
    L3Backend l3Backend = L3Backend.local;
    LocalL3Config.Eviction l3Eviction = LocalL3Config.Eviction.LRU;
    EmbeddedL3.Store l3Store = EmbeddedL3.Store.MODEL;
    long mooncakeLeaseTtlMs = 10_000;
    double mooncakeHighWatermark = 0.90, mooncakeEvictionRatio = 0.05;
    PrefetchPolicyKind prefetchPolicy = PrefetchPolicyKind.TIMEOUT;
    double hicacheRatio = 2.0;
    WritePolicyKind writePolicy = WritePolicyKind.WRITE_THROUGH;
    EvictionPolicyKind evictionPolicy = EvictionPolicyKind.parse("lru");
    String model = "llama-3-8b";
    int tp = 1, decodeInstances;
    LinkMode l3Link = LinkMode.PRIVATE, pcieLink = LinkMode.PRIVATE;
    boolean decodeOffload;
    Path modelFile;
    Integer layers, kvHeads, headDim, attentionHeads;
    DType kvDtype;
    Attention attention;
    Integer kvLoraRank, qkRopeHeadDim;
    Double activeParamsB, weightsGB;
    String hardware = "h100-box";
    Integer instances;
    Routing routing = Routing.prefix_affinity;
    int affinityTokens = 1024;
    Double pcieGBps, hostLinkGBps, l3ReadGBps, l3WriteGBps, l3LatencyUs;
    boolean prepopulateL3;
    double decodeMsPerToken;
    SimulateCommand.Format format = SimulateCommand.Format.text;
    WorkloadKind workloadKind;
    int numClients = 512, numRounds = 8, requestLength = 2048, subQuestionLength = 3584;
    Integer outputLength;
    Double requestRate;
    int maxParallel = 128;
    String distribution = "poisson", readyQueuePolicy = "random";
    long seed = 1;
    int namespaces = 1;
    long requests = 10_000;
    int prefixes = 100;
    double zipf = 1.0;
    int prefixLength = 4096, suffixLength = 512;
    Boolean pinSystemPrompt;
    Integer sweepJobs;
    PageKeys pageKeys;
    Set<String> given = new LinkedHashSet<>();

    public SimulationSettings build() {
      return new SimulationSettings(l1Only, trace, arrivals, pageSize, l1CapacityTokens, l2CapacityTokens,
          l3CapacityTokens, l3Backend, l3Eviction, l3Store, mooncakeLeaseTtlMs, mooncakeHighWatermark, mooncakeEvictionRatio,
          prefetchPolicy, hicacheRatio, writePolicy, evictionPolicy, model, tp, decodeInstances, l3Link, pcieLink,
          decodeOffload, modelFile, layers, kvHeads, headDim, attentionHeads, kvDtype, attention, kvLoraRank,
          qkRopeHeadDim, activeParamsB, weightsGB, hardware, instances, routing, affinityTokens, pcieGBps,
          hostLinkGBps, l3ReadGBps, l3WriteGBps, l3LatencyUs, prepopulateL3, decodeMsPerToken, format, workloadKind,
          numClients, numRounds, requestLength, subQuestionLength, outputLength, requestRate, maxParallel,
          distribution, readyQueuePolicy, seed, namespaces, requests, prefixes, zipf, prefixLength, suffixLength,
          pinSystemPrompt, sweepJobs, pageKeys, given);
    }
  }
}
