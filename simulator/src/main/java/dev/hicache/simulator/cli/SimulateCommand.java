package dev.hicache.simulator.cli;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.core.engine.PolicyRegistry;
import dev.hicache.simulator.engine.EngineReplay;
import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineSetup;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.model.ModelProfileFile;
import dev.hicache.simulator.replay.L1OnlyReplay;
import dev.hicache.simulator.replay.L1ReplayResult;
import dev.hicache.simulator.report.EngineReport;
import dev.hicache.simulator.report.L1Report;
import dev.hicache.simulator.report.Progress;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.report.HtmlReport;
import dev.hicache.simulator.workload.MultiTurnWorkload;
import dev.hicache.simulator.workload.SyntheticWorkload;
import dev.hicache.simulator.workload.TraceWorkload;
import dev.hicache.simulator.workload.Workload;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import dev.hicache.simulator.report.RunView;

/** Replays a workload through the cache and reports hit ratios. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Replay a workload through the HiCache engine in virtual time (hit ratios, TTFT, link bytes).",
      "With no arguments: a generated multi-turn chat workload (--workload multiturn: 512 conversations",
      "x 8 turns whose histories outgrow L1, then L2; seed 1), Llama-3-8B on an H100 box (8 TP-1",
      "instances, prefix-affinity routing), L1 + L2 (--hicache-ratio 2) + a shared 30M-token L3 (the",
      "embedded store, process-private, LRU), write_through, lru, prefetch timeout.",
      "--trace FILE replays a Mooncake trace instead (the FAST'25 traces: github.com/kvcache-ai/Mooncake,",
      "folder FAST25-release/traces/).",
      "--l1-only: the frozen L1-only replay of the reference values (docs/behaviour.md#traces-and-reference-values)."
    })
public final class SimulateCommand implements Callable<Integer> {
  /** The paper's local-cache line (FAST'25 Figure 9): the --l1-only default. */
  static final long DEFAULT_L1_ONLY_CAPACITY_TOKENS = 3_000_000L;
  /**
   * --output-length and --request-rate per workload: the main job's multi-turn answers and load
   * (about one request a second per instance of the default box), and the synthetic workload's own.
   */
  static final int MULTITURN_OUTPUT_LENGTH = 512, SYNTHETIC_OUTPUT_LENGTH = 64;
  static final double MULTITURN_REQUEST_RATE = 8.0, SYNTHETIC_REQUEST_RATE = 1.0;
  /** Where a trace comes from, for the error that asks for one. */
  static final String WHERE_TRACES = "the Mooncake FAST'25 traces are in the Mooncake repository"
      + " (github.com/kvcache-ai/Mooncake), folder FAST25-release/traces/: conversation_trace.jsonl (multi-turn"
      + " chat: long shared histories), toolagent_trace.jsonl (agent and tool-use prompts: long shared system"
      + " prefixes), synthetic_trace.jsonl (a mix of both)";

  enum Format { text, json, csv }

  @Spec CommandSpec spec;

  @Option(names = "--l1-only",
      description = "Device tier only, record order, no cost model: the frozen semantics of the reference values.")
  boolean l1Only;

  @Option(names = "--trace", paramLabel = "FILE",
      description = "Replay this Mooncake JSONL trace (selects --workload trace; the FAST'25 traces are in the"
          + " Mooncake repository, folder FAST25-release/traces/).")
  Path trace;

  @Option(names = "--arrivals", paramLabel = "MODE", defaultValue = "timestamps",
      description = "timestamps (default: at the trace's timestamps) or asap (all at once, in file order).")
  TraceWorkload.Arrivals arrivals;

  @Option(names = "--page-size", paramLabel = "P", defaultValue = "64",
      description = "Tokens per page; must divide the trace's 512-token blocks (default ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--l1-capacity-tokens", paramLabel = "N|inf", converter = TokenCount.class,
      description = "L1 (device) capacity in tokens (3000000, 3M, inf). Default: --l1-only 3M; else what the"
          + " hardware's HBM leaves after the model's weights.")
  Long l1CapacityTokens;

  @Option(names = "--l2-capacity-tokens", paramLabel = "N", converter = TokenCount.class,
      description = "L2 (host) capacity in tokens; 0 = no host tier. Default: --hicache-ratio x L1.")
  Long l2CapacityTokens;

  @Option(names = "--l3-capacity-tokens", paramLabel = "N", converter = TokenCount.class,
      description = "L3 (the embedded store, shared by all instances) in tokens; 0 = no L3 (default 30M).")
  Long l3CapacityTokens;

  @Option(names = "--l3", paramLabel = "BACKEND", defaultValue = "local",
      description = "local (default: the embedded store, hicache-l3-local, in its process-private mode: its slab in"
          + " this process's memory), memory (an in-memory LRU pool model) or mooncake (a model of a Mooncake Store"
          + " pool: leases, watermark eviction every 10 ms, puts that fail when full).")
  String l3Backend;

  @Option(names = "--l3-eviction", paramLabel = "POLICY", defaultValue = "lru",
      description = "--l3 local: the embedded store's eviction: lru (default here: exact least recently used,"
          + " Mooncake's policy) or w-tinylfu (the store's own default, Caffeine's W-TinyLFU: a new page rarer than"
          + " the victim is not kept; slower).")
  String l3Eviction;

  @Option(names = "--mooncake-lease-ttl-ms", paramLabel = "MS", defaultValue = "10000",
      description = "--l3 mooncake: the master's default_kv_lease_ttl, how long an exist or get protects an object"
          + " from eviction (default ${DEFAULT-VALUE}).")
  long mooncakeLeaseTtlMs;

  @Option(names = "--mooncake-eviction-high-watermark", paramLabel = "R", defaultValue = "0.90",
      description = "--l3 mooncake: eviction_high_watermark_ratio, in [0, 1] (default ${DEFAULT-VALUE}; the HiCache"
          + " docs launch the master with 0.95).")
  double mooncakeHighWatermark;

  @Option(names = "--mooncake-eviction-ratio", paramLabel = "R", defaultValue = "0.05",
      description = "--l3 mooncake: eviction_ratio, the share of objects a pass evicts at least, in [0, 1]"
          + " (default ${DEFAULT-VALUE}).")
  double mooncakeEvictionRatio;

  @Option(names = "--hicache-storage-prefetch-policy", paramLabel = "POLICY", defaultValue = "timeout",
      description = "best_effort, wait_complete or timeout (default here: timeout; SGLang's default best_effort"
          + " admits a request before its L3 prefetch has arrived when nothing else is queued).")
  String prefetchPolicy;

  @Option(names = "--hicache-ratio", paramLabel = "R", defaultValue = "2.0",
      description = "Host tier size as a multiple of the device KV pool (SGLang's flag; default ${DEFAULT-VALUE}).")
  double hicacheRatio;

  @Option(names = "--hicache-write-policy", paramLabel = "POLICY", defaultValue = "write_through",
      description = "write_through (default), write_through_selective, write_back.")
  String writePolicy;

  @Option(names = "--radix-eviction-policy", paramLabel = "POLICY", defaultValue = "lru",
      description = "lru (default), lfu, fifo, mru, filo, priority, slru.")
  String evictionPolicy;

  @Option(names = "--model", paramLabel = "NAME", defaultValue = "llama-3-8b",
      description = "Model profile: llama-3-8b (default), llama-3-70b, qwen3-14b, qwen3-235b-like, deepseek-v3-like;"
          + " --model-file and the shape flags (--layers, --kv-heads, --head-dim, --kv-dtype, --attention, ...)"
          + " make a custom one.")
  String model;

  @Option(names = "--tp", paramLabel = "N", defaultValue = "1", description = "Tensor-parallel size (default 1).")
  int tp;

  @Option(names = "--pd-decode-instances", paramLabel = "N", defaultValue = "0",
      description = "PD disaggregation: N decode instances behind the --instances prefill instances (default 0:"
          + " no PD). Decode costs --decode-ms-per-token on the decode instance free earliest.")
  int decodeInstances;

  @Option(names = "--l3-link", paramLabel = "MODE", defaultValue = "private",
      description = "private (default: each instance has its own L3 link at the hardware's bandwidth) or shared"
          + " (the instances of a box share one L3 link per direction: processor sharing, every transfer re-timed"
          + " when another starts or ends; instances then run in one global time order).")
  String l3Link;

  @Option(names = "--pcie-link", paramLabel = "MODE", defaultValue = "private",
      description = "private (default: each GPU's PCIe link at --pcie-gbps, nothing shared) or shared (the GPUs"
          + " of a box share its host side, --host-link-gbps per direction, each GPU still capped at --pcie-gbps;"
          + " processor sharing, instances in one global time order).")
  String pcieLink;

  @Option(names = "--pd-decode-offload",
      description = "With --pd-decode-instances: decode instances write the finished prompt + output to L3"
          + " (SGLang's --disaggregation-decode-enable-offload-kvcache), so the next turn's prefill hits it.")
  boolean decodeOffload;

  @Option(names = "--model-file", paramLabel = "FILE",
      description = "Custom model profile, 'key = value' lines: num_hidden_layers, num_key_value_heads, head_dim,"
          + " dtype, attention (mha|mla), kv_lora_rank, qk_rope_head_dim, active_params_b, weights_gb, name."
          + " Replaces --model; the flags below still override it.")
  Path modelFile;

  @Option(names = "--layers", paramLabel = "N", description = "Override the model's layer count.")
  Integer layers;

  @Option(names = "--kv-heads", paramLabel = "N", description = "Override the model's KV heads (MHA/GQA).")
  Integer kvHeads;

  @Option(names = "--head-dim", paramLabel = "N", description = "Override the model's head dim (MHA/GQA).")
  Integer headDim;

  @Option(names = "--attention-heads", paramLabel = "N", description = "Override the model's query heads"
      + " (num_attention_heads: with the cached tokens they set prefill's attention time).")
  Integer attentionHeads;

  @Option(names = "--kv-dtype", paramLabel = "DTYPE", description = "Override the KV cache dtype: bf16, fp16, fp32,"
      + " fp8_e4m3, fp8_e5m2.")
  String kvDtype;

  @Option(names = "--attention", paramLabel = "KIND", description = "Override the attention kind: mha (GQA too) or"
      + " mla (needs --kv-lora-rank and --qk-rope-head-dim unless the model has them).")
  String attention;

  @Option(names = "--kv-lora-rank", paramLabel = "N", description = "Override MLA's kv_lora_rank.")
  Integer kvLoraRank;

  @Option(names = "--qk-rope-head-dim", paramLabel = "N", description = "Override MLA's qk_rope_head_dim.")
  Integer qkRopeHeadDim;

  @Option(names = "--active-params-b", paramLabel = "B", description = "Override the parameters active per token"
      + " (billions; sets prefill time).")
  Double activeParamsB;

  @Option(names = "--weights-gb", paramLabel = "GB", description = "Override the weights' size (GB; what the GPUs"
      + " keep besides the KV cache).")
  Double weightsGB;

  @Option(names = "--hardware", paramLabel = "NAME", defaultValue = "h100-box",
      description = "Hardware profile: h100-box (default), h200-box, a100-box.")
  String hardware;

  @Option(names = "--instances", paramLabel = "N",
      description = "Engine instances, each with private L1 and L2 (default: the box's GPUs / --tp, 8 for TP 1).")
  Integer instancesOption;
  int instances;

  @Option(names = "--routing", paramLabel = "POLICY", defaultValue = "prefix_affinity",
      description = "With --instances > 1: prefix_affinity (default: same first --affinity-tokens, same instance;"
          + " new prefixes to the earliest free), round_robin, random.")
  String routing;

  @Option(names = "--affinity-tokens", paramLabel = "N", defaultValue = "1024",
      description = "Prefix length that prefix_affinity routes on (default ${DEFAULT-VALUE}).")
  int affinityTokens;

  @Option(names = "--pcie-gbps", paramLabel = "GB/s", description = "Override the hardware's host<->device bandwidth.")
  Double pcieGBps;

  @Option(names = "--host-link-gbps", paramLabel = "GB/s",
      description = "Override the box's host-side PCIe bandwidth per direction, shared by its GPUs (--pcie-link shared).")
  Double hostLinkGBps;

  @Option(names = "--l3-read-gbps", paramLabel = "GB/s", description = "Override the hardware's L3 read bandwidth.")
  Double l3ReadGBps;

  @Option(names = "--l3-write-gbps", paramLabel = "GB/s", description = "Override the hardware's L3 write bandwidth.")
  Double l3WriteGBps;

  @Option(names = "--l3-latency-us", paramLabel = "US", description = "Override the hardware's L3 latency per call.")
  Double l3LatencyUs;

  @Option(names = "--prepopulate-l3",
      description = "Run the workload once to fill L3, then report a second run with empty L1/L2 and the warm L3"
          + " (bench_multiturn's flush_cache between runs keeps L3).")
  boolean prepopulateL3;

  @Option(names = "--decode-ms-per-token", paramLabel = "MS", defaultValue = "0",
      description = "Charge decode to the instance (batch size 1); default 0 = a prefill-only instance.")
  double decodeMsPerToken;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (default), json or csv.")
  Format format;

  enum WorkloadKind { trace, multiturn, synthetic }

  /** Not given: a trace when --trace (or --l1-only) is, else the generated multi-turn workload. */
  @Option(names = "--workload", paramLabel = "KIND",
      description = "multiturn (the default: bench_multiturn, generated), trace (a Mooncake trace, --trace FILE; the"
          + " default when --trace is given), synthetic (Poisson, Zipf prefixes).")
  WorkloadKind workloadKind;

  // bench_multiturn's parameters (docs/behaviour.md#multi-turn-workload), same names. The defaults
  // are not bench_multiturn's (its 256 x 5 turns of 512 tokens fit one GPU's L1) but the main job's:
  // histories that outgrow L1 and then L2 on the default box (docs/simulator.md#the-main-job).
  @Option(names = "--num-clients", defaultValue = "512", description = "multiturn: conversations (default ${DEFAULT-VALUE}).")
  int numClients;
  @Option(names = "--num-rounds", defaultValue = "8", description = "multiturn: turns per client (default ${DEFAULT-VALUE}).")
  int numRounds;
  @Option(names = "--request-length", defaultValue = "2048", description = "multiturn: first-turn prompt tokens (default ${DEFAULT-VALUE}).")
  int requestLength;
  @Option(names = "--sub-question-input-length", defaultValue = "3584",
      description = "multiturn: follow-up question tokens; 0 = --request-length (default ${DEFAULT-VALUE}).")
  int subQuestionLength;
  @Option(names = "--output-length", paramLabel = "N", description = "multiturn/synthetic: output tokens (default: multiturn "
      + MULTITURN_OUTPUT_LENGTH + ", synthetic " + SYNTHETIC_OUTPUT_LENGTH + ").")
  Integer outputLengthOption;
  @Option(names = "--request-rate", paramLabel = "R", description = "multiturn/synthetic: requests per second (default: multiturn "
      + MULTITURN_REQUEST_RATE + ", synthetic " + SYNTHETIC_REQUEST_RATE + ").")
  Double requestRateOption;
  @Option(names = "--max-parallel", defaultValue = "128", description = "multiturn: most requests in flight (default ${DEFAULT-VALUE}).")
  int maxParallel;
  @Option(names = "--distribution", defaultValue = "poisson", description = "multiturn: poisson (default) or uniform gaps.")
  String distribution;
  @Option(names = "--ready-queue-policy", defaultValue = "random", description = "multiturn: random (default) or fifo.")
  String readyQueuePolicy;
  @Option(names = "--seed", defaultValue = "1", description = "multiturn/synthetic: random seed (default ${DEFAULT-VALUE}).")
  long seed;
  @Option(names = "--namespaces", paramLabel = "N", defaultValue = "1",
      description = "Tenants sharing the cache: each session (a multiturn client; a trace line or synthetic request)"
          + " gets one of N namespaces (cache_salt tenant-0..N-1, drawn from --seed); identical prompts of different"
          + " namespaces share no page in any tier (default ${DEFAULT-VALUE}: every request in the default namespace).")
  int namespaces;
  // synthetic
  @Option(names = "--requests", defaultValue = "10000", description = "synthetic: requests (default ${DEFAULT-VALUE}).")
  long requests;
  @Option(names = "--prefixes", defaultValue = "100", description = "synthetic: distinct shared prefixes (default ${DEFAULT-VALUE}).")
  int prefixes;
  @Option(names = "--zipf", defaultValue = "1.0", description = "synthetic: Zipf exponent of prefix popularity (default ${DEFAULT-VALUE}).")
  double zipf;
  @Option(names = "--prefix-length", defaultValue = "4096", description = "synthetic: shared prefix tokens (default ${DEFAULT-VALUE}).")
  int prefixLength;
  @Option(names = "--suffix-length", defaultValue = "512", description = "synthetic: unique tokens per request (default ${DEFAULT-VALUE}).")
  int suffixLength;
  @Option(names = "--pin-system-prompt", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
      description = "synthetic: the most popular shared prefix is an application's system prompt, pinned (HiCache.pin)"
          + " after each request that carries it; its requests are reported as group 1 of system_prompt."
          + " =false reports them without the pin, to compare.")
  Boolean pinSystemPrompt;

  @Option(names = "--sweep", paramLabel = "FLAG=V1,V2,...",
      description = "Run once per value of one flag (e.g. l1-capacity-tokens=1M,3M,10M or"
          + " hicache-write-policy=write_through,write_back) and print one table.")
  String sweep;

  @Option(names = "--report", paramLabel = "FILE.html",
      description = "Write the HTML report here (default for engine runs: hicache-report.html in the current directory).")
  Path report;

  @Option(names = "--no-report", description = "Do not write the HTML report.")
  boolean noReport;

  /** One run's outputs. */
  record Run(Map<String, Object> fields, String text, String json, EngineResult engine, L1ReplayResult l1)
      implements RunView {}

  @Override public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    reportTarget = null; // state of an earlier run of a reused command line
    reportAction = null;
    sweepCommands.clear();
    checkReportTarget();
    if (sweep != null) return runSweep(out);
    Run run = runOnce(true);
    switch (format) {
      case text -> out.print(run.text());
      case json -> out.print(run.json());
      case csv -> {
        out.print(EngineReport.csvHeader(run.fields()));
        out.print(EngineReport.csvRow(run.fields()));
      }
    }
    out.flush();
    writeReport(out, List.of(run), null, null);
    return Main.EX_OK;
  }

  /** The workload: --workload if given, else a trace when --trace (or --l1-only) is given, else multiturn. */
  WorkloadKind kind() {
    if (workloadKind != null) return workloadKind;
    return trace != null || l1Only ? WorkloadKind.trace : WorkloadKind.multiturn;
  }

  int outputLength() {
    return outputLengthOption != null ? outputLengthOption
        : kind() == WorkloadKind.synthetic ? SYNTHETIC_OUTPUT_LENGTH : MULTITURN_OUTPUT_LENGTH;
  }

  double requestRate() {
    return requestRateOption != null ? requestRateOption
        : kind() == WorkloadKind.synthetic ? SYNTHETIC_REQUEST_RATE : MULTITURN_REQUEST_RATE;
  }

  Run runOnce(boolean showProgress) throws IOException {
    if (pageSize < 1 || MooncakeTraceReader.MOONCAKE_BLOCK_SIZE % pageSize != 0) {
      throw usage("Invalid value for option '--page-size': '" + pageSize
          + "' (must divide the trace's 512-token blocks: 1, 2, 4, ..., 64, ..., 512)");
    }
    EvictionPolicy policy;
    try {
      policy = PolicyRegistry.sglang().eviction(evictionPolicy);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '--radix-eviction-policy': '" + evictionPolicy
          + "' (expected one of " + String.join(", ", PolicyRegistry.sglang().evictionNames()) + ")");
    }
    if (l1Only) {
      if (kind() != WorkloadKind.trace) {
        throw usage("Invalid value for option '--workload': '" + workloadKind + "' (--l1-only replays a trace)");
      }
      checkApplicable();
      return runL1Only(tracePath(), policy);
    }
    checkApplicable();
    if (kind() == WorkloadKind.trace) tracePath(); // a missing or unreadable trace is refused before the run
    return runEngine(showProgress);
  }

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
  private void checkMemory(EngineSetup s) {
    long max = Runtime.getRuntime().maxMemory();
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
            : subQuestionLength) + (long) outputLength());
        need.put("--num-clients", sat(numClients, sat(perClient, HEAP_PER_KEPT_TOKEN) + sat(numRounds, HEAP_PER_REQUEST)));
      }
      case synthetic -> {
        need.put("--requests", sat(requests, HEAP_PER_REQUEST));
        need.put("--prefixes", sat(prefixes, sat(prefixLength, HEAP_PER_KEPT_TOKEN)));
      }
      case trace -> { }
    }
    long total = 0;
    for (long v : need.values()) total = v > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + v;
    if (total <= max * 9 / 10) return;
    String flag = need.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
    Object value = spec.findOption(flag).getValue();
    throw usage("Invalid value for option '" + flag + "': '" + value + "' (the run needs at least " + gib(total)
        + " of heap before its first request, " + gib(need.get(flag)) + " of it for " + flag + ", and this JVM may use "
        + gib(max) + "; lower it, or give the JVM more, e.g. HICACHE_JAVA_OPTS=-Xmx"
        + Math.max(1, (long) Math.ceil(total * 1.25 / (1L << 30))) + "g)");
  }

  /**
   * A generated workload's expected span of arrival times, like a trace's, is at most 366 days of
   * virtual time (nanoseconds summed over arrivals must stay far from overflowing).
   */
  private void checkSpan() {
    double arrivals = switch (kind()) {
      case synthetic -> requests;
      case multiturn -> (double) numClients * numRounds;
      case trace -> 0;
    };
    double rate = requestRate();
    if (arrivals == 0 || !(rate > 0)) return;
    double days = arrivals / rate / 86_400;
    if (days > 366) {
      String flag = spec.commandLine().getParseResult() != null
          && spec.commandLine().getParseResult().hasMatchedOption("--request-rate") ? "--request-rate"
          : kind() == WorkloadKind.synthetic ? "--requests" : "--num-clients";
      throw usage("Invalid value for option '" + flag + "': '" + spec.findOption(flag).getValue() + "' ("
          + String.format(java.util.Locale.ROOT, "%.0f", arrivals) + " requests at " + rate
          + " per second span about " + Math.round(days) + " days; a run spans at most 366 days)");
    }
  }

  /** a x b, saturating at Long.MAX_VALUE (sizes here are all >= 0). */
  private static long sat(long a, long b) {
    long r = a * b;
    return a != 0 && (r / a != b || r < 0) ? Long.MAX_VALUE : r;
  }

  private static String gib(long bytes) {
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
      "--radix-eviction-policy", "--format", "--sweep", "--report", "--no-report", "--workload", "--help", "--version");

  /**
   * Refuses a flag the user gave that the chosen workload, mode or backend would ignore: a run that
   * silently ignores a flag reports something other than what was asked.
   */
  private void checkApplicable() {
    picocli.CommandLine.ParseResult pr = spec.commandLine().getParseResult();
    if (pr == null) return;
    List<String> given = new ArrayList<>();
    for (picocli.CommandLine.Model.OptionSpec o : pr.matchedOptions()) given.add(o.longestName());
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
      if (f.equals("--l3-eviction") && !l3Backend.equals("local")) {
        throw notApplicable(f, "only --l3 local has it; --l3 is " + l3Backend);
      }
      if (f.startsWith("--mooncake-") && !l3Backend.equals("mooncake")) {
        throw notApplicable(f, "only --l3 mooncake has it; --l3 is " + l3Backend);
      }
      if (f.equals("--host-link-gbps") && !pcieLink.equals("shared")) {
        throw notApplicable(f, "only --pcie-link shared uses the box's host link");
      }
      if (f.equals("--model") && given.contains("--model-file")) {
        throw notApplicable(f, "--model-file replaces it; give one of them");
      }
      if (f.equals("--hicache-ratio") && given.contains("--l2-capacity-tokens")) {
        throw notApplicable(f, "--l2-capacity-tokens sets the host tier's size; give one of them");
      }
      if (f.equals("--affinity-tokens") && !routing.equals("prefix_affinity")) {
        throw notApplicable(f, "only --routing prefix_affinity uses it; --routing is " + routing);
      }
    }
  }

  private ParameterException notApplicable(String flag, String why) {
    Object v = spec.findOption(flag) == null ? null : spec.findOption(flag).getValue();
    return usage("Option '" + flag + "'" + (v instanceof Boolean ? "" : " '" + v + "'") + " does not apply here (" + why
        + ")");
  }

  private Run runL1Only(Path tracePath, EvictionPolicy policy) throws IOException {
    long capacity = l1CapacityTokens == null ? DEFAULT_L1_ONLY_CAPACITY_TOKENS : l1CapacityTokens;
    if (capacity != TokenCount.INFINITE && capacity / pageSize > Integer.MAX_VALUE) {
      throw usage("Invalid value for option '--l1-capacity-tokens': '" + capacity
          + "' (more than " + Integer.MAX_VALUE + " pages; use inf)");
    }
    long max = Runtime.getRuntime().maxMemory();
    if (capacity != TokenCount.INFINITE && capacity / pageSize * 4 > max * 9 / 10) {
      // The replay's free list holds every page of a bounded L1 up front.
      throw usage("Invalid value for option '--l1-capacity-tokens': '" + capacity + "' (its free list needs "
          + gib(capacity / pageSize * 4) + " of heap and this JVM may use " + gib(max) + "; lower it, use inf for an"
          + " unbounded L1, or give the JVM more, e.g. HICACHE_JAVA_OPTS=-Xmx"
          + Math.max(1, (long) Math.ceil(capacity / pageSize * 5.0 / (1L << 30))) + "g)");
    }
    L1OnlyReplay replay = new L1OnlyReplay(pageSize, capacity, policy, MooncakeTraceReader.MOONCAKE_BLOCK_SIZE);
    L1ReplayResult result;
    try (MooncakeTraceReader reader = MooncakeTraceReader.open(tracePath)) {
      result = replay.replay(reader);
    }
    if (result.requests() == 0) {
      throw new dev.hicache.simulator.trace.TraceFormatException(tracePath.toString(), 0,
          "holds no records: nothing to replay");
    }
    L1Report report = new L1Report(tracePath.toString(), policy.flagName(), result, null);
    return new Run(report.fields(), report.text(), report.json(), null, result);
  }

  private Run runEngine(boolean showProgress) throws IOException {
    EngineSetup setup = engineSetup();
    checkMemory(setup);
    checkSpan();
    EngineResult result;
    try (Workload w = workload();
         Progress progress = new Progress(progressTotal(w), "requests", showProgress, spec.commandLine().getErr())) {
      if (prepopulateL3) {
        if (setup.l3Tokens() == 0) throw usage("--prepopulate-l3 needs an L3 (--l3-capacity-tokens > 0)");
        result = new EngineReplay(setup).runPrepopulated(this::workloadUnchecked, progress);
      } else {
        result = new EngineReplay(setup).run(namespaced(w), progress);
      }
    }
    if (result.hits().requests() == 0) {
      // Only a trace can be empty (the generators refuse zero requests).
      throw new dev.hicache.simulator.trace.TraceFormatException(tracePath().toString(), 0,
          "holds no records: nothing to replay");
    }
    String note = setup.l3Tokens() == 0 ? null : (setup.l3Backend().equals("local") ? "L3 is the embedded store"
            + " (hicache-l3-local, process-private, " + setup.l3Eviction().flagName() + " eviction; --l3 memory: an"
            + " in-memory LRU pool model)"
        : setup.l3Backend().equals("mooncake") ? "L3 is a model of a Mooncake Store pool (objects = pages of one"
            + " size; leases, watermark eviction, puts that fail when full; docs/simulator.md)"
        : "L3 is an in-memory LRU model of a shared pool (--l3 local: the embedded store)")
        + "; metadata mode: presence, hit lengths and timings are real, L3 bytes are modelled (pages x KV bytes per page)"
        + (setup.sharedPcieLink() || (setup.sharedL3Link() && setup.l3Tokens() > 0)
            ? "; shared links: all instances run in one global virtual-time order, event by event"
            : setup.instances() > 1 ? "; instances advance together in virtual time before each arrival (a"
            + " request's own copies may run ahead of the others until it is served)" : "");
    return new Run(EngineReport.fields(result, note), EngineReport.text(result, note),
        EngineReport.json(result, note), result, null);
  }

  /** The workload with its sessions spread over --namespaces namespaces; as it is for one. */
  private Workload namespaced(Workload w) {
    if (namespaces < 1 || namespaces > 1_000_000) {
      throw usage("Invalid value for option '--namespaces': '" + namespaces + "' (1..1000000)");
    }
    return namespaces == 1 ? w : new dev.hicache.simulator.workload.NamespacedWorkload(w, namespaces, seed);
  }

  /** Requests the run will serve: a trace's are counted (its lines) only when progress is first shown. */
  private java.util.function.LongSupplier progressTotal(Workload w) {
    if (w instanceof MultiTurnWorkload m) return m::totalRequests;
    if (kind() == WorkloadKind.synthetic) return () -> requests;
    Path t = trace;
    return () -> Progress.lineCount(t);
  }

  private Workload workloadUnchecked() {
    try {
      return namespaced(workload());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Workload workload() throws IOException {
    try {
      return switch (kind()) {
        case trace -> new TraceWorkload(MooncakeTraceReader.open(tracePath()), pageSize, arrivals);
        case multiturn -> new MultiTurnWorkload(multiturnParams());
        case synthetic -> new SyntheticWorkload(syntheticParams());
      };
    } catch (IllegalArgumentException e) {
      // The generators' messages start with the flag; add the value form picocli uses.
      throw usage("Invalid value for option " + e.getMessage());
    }
  }

  private MultiTurnWorkload.Params multiturnParams() {
    return new MultiTurnWorkload.Params(numClients, numRounds, requestLength, subQuestionLength, outputLength(),
        requestRate(), maxParallel, distribution, readyQueuePolicy, seed);
  }

  private SyntheticWorkload.Params syntheticParams() {
    return new SyntheticWorkload.Params(requests, requestRate(), prefixes, zipf, prefixLength, suffixLength,
        outputLength(), seed, pinSystemPrompt == null ? SyntheticWorkload.SystemPrompt.OFF
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

  /** The runs of a sweep, for the report's input checksums (only when a report is written). */
  private final List<SimulateCommand> sweepCommands = new ArrayList<>();

  private int runSweep(PrintWriter out) throws IOException {
    int eq = sweep.indexOf('=');
    if (eq <= 0 || eq == sweep.length() - 1) {
      throw usage("Invalid value for option '--sweep': '" + sweep + "' (expected FLAG=V1,V2,..., e.g."
          + " l1-capacity-tokens=1M,3M,10M)");
    }
    String flag = "--" + sweep.substring(0, eq).replaceFirst("^--", "");
    if (spec.findOption(flag) == null || flag.equals("--sweep")) {
      throw usage("Invalid value for option '--sweep': '" + sweep + "' (" + flag + " is not a simulate option)");
    }
    List<String> base = new ArrayList<>();
    List<String> orig = spec.commandLine().getParseResult().originalArgs();
    // The parent's arguments come first: keep what follows this subcommand's name.
    int from = spec.parent() == null ? 0 : orig.indexOf(spec.name()) + 1;
    for (int i = from; i < orig.size(); i++) {
      String a = orig.get(i);
      if (a.equals("--sweep")) { i++; continue; }
      if (a.startsWith("--sweep=")) continue;
      base.add(a);
    }
    List<Run> runs = new ArrayList<>();
    List<String> values = List.of(sweep.substring(eq + 1).split(","));
    sweepCommands.clear();
    try (Progress progress = new Progress(values::size, "runs", true, spec.commandLine().getErr())) {
      for (String v : values) {
        SimulateCommand one = new SimulateCommand();
        picocli.CommandLine cl = new picocli.CommandLine(one);
        cl.setOverwrittenOptionsAllowed(true);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        List<String> args = new ArrayList<>(base);
        args.add(flag);
        args.add(v.strip());
        try {
          cl.parseArgs(args.toArray(String[]::new));
        } catch (ParameterException e) {
          throw usage("Invalid value for option '--sweep': value '" + v + "' of " + flag + ": " + e.getMessage());
        }
        one.spec = cl.getCommandSpec();
        runs.add(one.runOnce(false));
        if (reportTarget != null) sweepCommands.add(one);
        progress.accept(runs.size());
      }
    }
    String key = flag.substring(2);
    switch (format) {
      case csv -> {
        Map<String, Object> first = new LinkedHashMap<>();
        first.put(key, "");
        first.putAll(runs.get(0).fields());
        out.print(EngineReport.csvHeader(first));
        for (int i = 0; i < runs.size(); i++) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put(key, values.get(i).strip());
          row.putAll(runs.get(i).fields());
          out.print(EngineReport.csvRow(row));
        }
      }
      case json -> {
        out.print("[");
        for (int i = 0; i < runs.size(); i++) {
          String j = runs.get(i).json().strip();
          out.print((i == 0 ? "" : ",\n") + "{\"" + key + "\":" + dev.hicache.simulator.report.Json.str(values.get(i).strip()) + "," + j.substring(1));
        }
        out.print("]\n");
      }
      case text -> out.print(SweepTable.text(key, values, runs));
    }
    out.flush();
    writeReport(out, runs, key, values);
    return Main.EX_OK;
  }

  /** Whether the report is to be written, where, and what writing it will do: checked before the run. */
  private Path reportTarget;
  private dev.hicache.api.io.SafeOutput.Action reportAction;

  /**
   * Checks the report's path before any work: a run of minutes must not end in "is a directory",
   * and a device node, FIFO or socket is never replaced. Engine runs write a report unless
   * --no-report; an L1-only run only when --report names one.
   */
  private void checkReportTarget() {
    if (noReport) {
      if (report != null) {
        throw usage("Invalid value for option '--report': '" + report + "' (--no-report is given too; keep one)");
      }
      return;
    }
    Path target = report != null ? report : (l1Only ? null : Path.of("hicache-report.html"));
    if (target == null) return;
    try {
      reportAction = dev.hicache.api.io.SafeOutput.check(target);
    } catch (dev.hicache.api.io.SafeOutput.RefusedException e) {
      throw usage("Invalid value for option '--report': '" + target + "' (" + e.getMessage()
          + (report == null ? "; give --report FILE.html or --no-report" : "") + ")");
    }
    reportTarget = target;
  }

  private void writeReport(PrintWriter out, List<Run> runs, String sweepKey, List<String> values) throws IOException {
    if (reportTarget == null) return;
    String html = HtmlReport.render(runs, sweepKey, values, provenance(runs.size()));
    Path abs = reportTarget.toAbsolutePath();
    try {
      reportAction = dev.hicache.api.io.SafeOutput.writeString(reportTarget, html);
    } catch (dev.hicache.api.io.SafeOutput.RefusedException e) {
      throw usage("Invalid value for option '--report': '" + reportTarget + "' (" + e.getMessage() + ")");
    }
    String what = (reportAction == dev.hicache.api.io.SafeOutput.Action.REPLACE ? "replaced " : "") + abs;
    if (format == Format.text) {
      out.println("report: " + what);
      out.flush();
    } else {
      spec.commandLine().getErr().println("hicache: report written to " + what);
      spec.commandLine().getErr().flush();
    }
  }

  /** The report's command line (as the launcher takes it), folder, version and each run's input. */
  private dev.hicache.simulator.report.Provenance provenance(int runs) {
    List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
    if (spec.parent() == null) args.addFirst(spec.name());
    List<String> inputs = new ArrayList<>();
    Map<Path, String> files = new java.util.HashMap<>();
    if (sweepCommands.size() == runs) {
      for (SimulateCommand one : sweepCommands) inputs.add(one.inputChecksum(files));
    } else {
      inputs.add(inputChecksum(files));
    }
    String commit = System.getProperty("hicache.commit");
    String version = new Main.Version().getVersion()[0]
        + (commit == null || commit.isBlank() ? "" : ", built from commit " + commit.strip());
    return new dev.hicache.simulator.report.Provenance(
        dev.hicache.simulator.report.Provenance.commandLine("./hicache", args),
        Path.of("").toAbsolutePath().toString(), version, inputs);
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
        throw usage("Invalid value for option '--model-file': " + e.getMessage());
      } catch (java.io.IOException e) {
        throw new CliErrors.InputFileException("Invalid value for option '--model-file': '" + modelFile + "' ("
            + (Files.isDirectory(modelFile) ? "is a directory" : e instanceof java.nio.file.NoSuchFileException
                ? "no such file" : "cannot read it: " + e.getMessage()) + ")");
      }
    } else {
      try {
        m = ModelProfile.preset(model);
      } catch (IllegalArgumentException e) {
        throw usage("Invalid value for option '--model': '" + model + "' (" + e.getMessage() + ")");
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
      try {
        dt = dev.hicache.api.DType.parse(kvDtype);
      } catch (IllegalArgumentException e) {
        throw usage("Invalid value for option '--kv-dtype': '" + kvDtype + "' (" + e.getMessage() + ")");
      }
      custom = true;
    }
    if (attention != null) {
      switch (attention.toLowerCase(java.util.Locale.ROOT)) {
        case "mha", "gqa" -> mla = false;
        case "mla" -> mla = true;
        default -> throw usage("Invalid value for option '--attention': '" + attention + "' (expected mha or mla)");
      }
      custom = true;
    }
    if (activeParamsB != null) { active = positive("--active-params-b", activeParamsB, 0); custom = true; }
    if (weightsGB != null) {
      if (!(weightsGB >= 0) || Double.isInfinite(weightsGB)) {
        throw usage("Invalid value for option '--weights-gb': '" + weightsGB + "' (must be >= 0)");
      }
      weights = weightsGB;
      custom = true;
    }
    if (!custom) return m;
    if (mla && (rank < 1 || rope < 1)) {
      throw usage("Invalid value for option '--attention': 'mla' (model " + m.name() + " has no MLA latent: give"
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

  private int atLeastOne(String flag, int v) {
    if (v < 1) throw usage("Invalid value for option '" + flag + "': '" + v + "' (must be >= 1)");
    return v;
  }

  /** Resolves the engine's configuration from the flags; errors name the flag and value. */
  EngineSetup engineSetup() {
    ModelProfile m;
    HardwareProfile hw;
    WritePolicyKind wp;
    m = modelProfile();
    try {
      hw = HardwareProfile.preset(hardware);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '--hardware': '" + hardware + "' (" + e.getMessage() + ")");
    }
    hw = new HardwareProfile(hw.name(), hw.gpus(), hw.hbmGB(), hw.memFractionStatic(), hw.tflops(), hw.mfu(),
        positive("--pcie-gbps", pcieGBps, hw.pcieGBps()), hw.pcieLatencyUs(), hw.hostGBPerGpu(),
        positive("--l3-read-gbps", l3ReadGBps, hw.l3ReadGBps()), positive("--l3-write-gbps", l3WriteGBps, hw.l3WriteGBps()),
        l3LatencyUs == null ? hw.l3LatencyUs() : nonNegative("--l3-latency-us", l3LatencyUs),
        positive("--host-link-gbps", hostLinkGBps, hw.hostLinkGBps()), hw.prefill());
    try {
      wp = WritePolicyKind.parse(writePolicy);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '--hicache-write-policy': '" + writePolicy
          + "' (expected write_through, write_through_selective or write_back)");
    }
    if (tp < 1 || tp > 64) throw usage("Invalid value for option '--tp': '" + tp + "' (1..64)");
    if (!m.mla() && m.kvHeads() % tp != 0 && tp % m.kvHeads() != 0) {
      // SGLang shards KV heads over the TP ranks, or replicates them when there are more ranks than
      // heads; anything else leaves a fraction of a head on a GPU (or silently drops some).
      java.util.List<Integer> ok = new ArrayList<>();
      for (int t = 1; t <= hw.gpus(); t++) if (m.kvHeads() % t == 0 || t % m.kvHeads() == 0) ok.add(t);
      throw usage("Invalid value for option '--tp': '" + tp + "' (" + m.name() + " has " + m.kvHeads()
          + " KV heads: a TP degree must divide them or be a multiple of them, e.g. "
          + ok.subList(0, Math.min(8, ok.size())) + ")");
    }
    if (tp > hw.gpus()) {
      throw usage("Invalid value for option '--tp': '" + tp + "' (the " + hw.name() + " has " + hw.gpus() + " GPUs)");
    }
    if (!(hicacheRatio > 0) || Double.isInfinite(hicacheRatio)) {
      throw usage("Invalid value for option '--hicache-ratio': '" + hicacheRatio + "' (must be > 0)");
    }
    if (!(decodeMsPerToken >= 0) || !(decodeMsPerToken <= 60_000)) {
      throw usage("Invalid value for option '--decode-ms-per-token': '" + decodeMsPerToken + "' (0..60000)");
    }
    long device;
    if (l1CapacityTokens != null) {
      if (l1CapacityTokens == TokenCount.INFINITE) {
        throw usage("Invalid value for option '--l1-capacity-tokens': 'inf' (the engine needs a finite device pool;"
            + " inf is for --l1-only)");
      }
      device = l1CapacityTokens;
    } else {
      try {
        device = hw.deviceKvTokens(m, tp);
      } catch (IllegalArgumentException e) {
        throw usage(modelFile != null
            ? "Invalid value for option '--model-file': '" + modelFile + "' (" + e.getMessage() + "; raise --tp)"
            : "Invalid value for option '--model': '" + model + "' (" + e.getMessage() + "; raise --tp)");
      }
    }
    device = device / pageSize * pageSize;
    if (device < pageSize) {
      throw usage("Invalid value for option '--l1-capacity-tokens': '" + device + "' (at least one page of " + pageSize + ")");
    }
    long host;
    if (l2CapacityTokens != null) {
      if (l2CapacityTokens == TokenCount.INFINITE) {
        throw usage("Invalid value for option '--l2-capacity-tokens': 'inf' (give a number of tokens)");
      }
      host = l2CapacityTokens / pageSize * pageSize;
      if (host != 0 && host <= device) {
        throw usage("Invalid value for option '--l2-capacity-tokens': '" + l2CapacityTokens
            + "' (the host tier must be larger than L1's " + device + " tokens, or 0 for none; docs/behaviour.md#host-pool-size)");
      }
    } else {
      host = (long) (device * hicacheRatio) / pageSize * pageSize;
      if (host <= device) {
        throw usage("Invalid value for option '--hicache-ratio': '" + hicacheRatio
            + "' (must be > 1: the host tier must be larger than the device pool; docs/behaviour.md#host-pool-size)");
      }
    }
    if (device > Integer.MAX_VALUE || host > Integer.MAX_VALUE) {
      String flag = device > Integer.MAX_VALUE ? "--l1-capacity-tokens"
          : l2CapacityTokens != null ? "--l2-capacity-tokens" : "--hicache-ratio";
      throw usage("Invalid value for option '" + flag + "': '" + spec.findOption(flag).getValue() + "' (the engine"
          + " supports tiers of at most " + Integer.MAX_VALUE + " tokens; this gives L1 " + device + ", L2 " + host + ")");
    }
    if (!List.of("memory", "local", "mooncake").contains(l3Backend)) {
      throw usage("Invalid value for option '--l3': '" + l3Backend + "' (expected local, memory or mooncake)");
    }
    dev.hicache.l3.local.LocalL3Config.Eviction eviction;
    try {
      eviction = dev.hicache.l3.local.LocalL3Config.Eviction.parse(l3Eviction);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '--l3-eviction': '" + l3Eviction + "' (expected lru or w-tinylfu)");
    }
    dev.hicache.simulator.l3.MooncakeL3Model.Params mooncake;
    try {
      mooncake = dev.hicache.simulator.l3.MooncakeL3Model.Params.ofFlags(mooncakeLeaseTtlMs, mooncakeHighWatermark,
          mooncakeEvictionRatio);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    long l3 = l3CapacityTokens == null ? 30_000_000L : l3CapacityTokens;
    if (l3 == TokenCount.INFINITE) {
      throw usage("Invalid value for option '--l3-capacity-tokens': 'inf' (give a number of tokens, or 0 for none)");
    }
    l3 = l3 / pageSize * pageSize;
    if (l3 > 0 && host == 0) {
      if (l3CapacityTokens != null) {
        throw usage("Invalid value for option '--l3-capacity-tokens': '" + l3CapacityTokens
            + "' (L3 needs a host tier: --l2-capacity-tokens is 0)");
      }
      l3 = 0; // no host tier asked for: no L3 either
    }
    dev.hicache.api.config.PrefetchPolicyKind pp;
    try {
      pp = dev.hicache.api.config.PrefetchPolicyKind.parse(prefetchPolicy);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '--hicache-storage-prefetch-policy': '" + prefetchPolicy
          + "' (expected best_effort, wait_complete or timeout)");
    }
    HiCacheConfig.Builder cb = HiCacheConfig.builder().pageSize(pageSize).writePolicy(wp)
        .radixEvictionPolicy(dev.hicache.api.config.EvictionPolicyKind.parse(evictionPolicy)).hicacheRatio(hicacheRatio)
        .prefetchPolicy(pp);
    if (l3 > 0) cb.storageBackend("local");
    HiCacheConfig config = cb.build();
    instances = instancesOption != null ? instancesOption : Math.max(1, hw.gpus() / tp);
    if (instances < 1 || instances > 1024) throw usage("Invalid value for option '--instances': '" + instances + "' (1..1024)");
    if (!List.of("round_robin", "random", "prefix_affinity").contains(routing)) {
      throw usage("Invalid value for option '--routing': '" + routing + "' (expected round_robin, random or prefix_affinity)");
    }
    if (affinityTokens < 1) throw usage("Invalid value for option '--affinity-tokens': '" + affinityTokens + "' (>= 1)");
    if (decodeInstances < 0 || decodeInstances > 1024) {
      throw usage("Invalid value for option '--pd-decode-instances': '" + decodeInstances + "' (0..1024)");
    }
    if (decodeOffload && decodeInstances == 0) {
      throw usage("Invalid value for option '--pd-decode-offload': 'true' (needs --pd-decode-instances > 0)");
    }
    if (decodeOffload && l3 == 0) {
      throw usage("Invalid value for option '--pd-decode-offload': 'true' (needs an L3: --l3-capacity-tokens > 0)");
    }
    if (!l3Link.equals("private") && !l3Link.equals("shared")) {
      throw usage("Invalid value for option '--l3-link': '" + l3Link + "' (expected private or shared)");
    }
    if (!pcieLink.equals("private") && !pcieLink.equals("shared")) {
      throw usage("Invalid value for option '--pcie-link': '" + pcieLink + "' (expected private or shared)");
    }
    return new EngineSetup(config, m, hw, tp, m.shape(tp, pageSize), device, host,
        hw.prefillNanosPerToken(m, tp), Math.round(decodeMsPerToken * 1e6), instances, routing, affinityTokens, l3,
        l3Backend, decodeInstances, decodeOffload, l3Link.equals("shared"), mooncake, pcieLink.equals("shared"),
        eviction);
  }

  /** The --trace file; without one, a usage error that says where the FAST'25 traces are. */
  private Path tracePath() {
    if (trace == null) {
      throw usage("Missing option '--trace=FILE': " + (l1Only ? "--l1-only" : "--workload trace")
          + " replays a Mooncake trace and the project has none of its own (without --trace and --workload, ./hicache"
          + " simulate generates a multi-turn chat workload); " + WHERE_TRACES);
    }
    if (!Files.isRegularFile(trace)) {
      throw new CliErrors.InputFileException("Invalid value for option '--trace': '" + trace + "' ("
          + (Files.isDirectory(trace) ? "is a directory, not a trace file"
              : Files.exists(trace) ? "is " + kindOf(trace) + ", not a trace file" : "no such file") + ")");
    }
    return trace;
  }

  private static String kindOf(Path p) {
    try {
      dev.hicache.api.io.SafeOutput.requireRegularOrAbsent(p);
      return "not a regular file";
    } catch (dev.hicache.api.io.SafeOutput.RefusedException e) {
      return e.getMessage().replaceFirst("^is ", "").replaceFirst(", not a regular file$", "");
    }
  }

  /** A bandwidth (GB/s) or size: bounded so that every time computed from it fits virtual time's nanoseconds. */
  private double positive(String flag, Double v, double dflt) {
    if (v == null) return dflt;
    if (!(v >= 0.001) || !(v <= 1e6)) {
      throw usage("Invalid value for option '" + flag + "': '" + v + "' (must be between 0.001 and 1000000)");
    }
    return v;
  }

  /** A latency: at most 10 s, so that sums of them stay far from virtual time's limits. */
  private double nonNegative(String flag, double v) {
    if (!(v >= 0) || !(v <= 1e7)) throw usage("Invalid value for option '" + flag + "': '" + v + "' (0..10000000)");
    return v;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

}
