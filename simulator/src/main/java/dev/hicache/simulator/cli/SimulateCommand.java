package dev.hicache.simulator.cli;

import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.simulator.engine.EngineReplay;
import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineSetup;
import dev.hicache.simulator.replay.L1OnlyReplay;
import dev.hicache.simulator.replay.L1ReplayResult;
import dev.hicache.simulator.report.EngineReport;
import dev.hicache.simulator.report.L1Report;
import dev.hicache.simulator.report.Progress;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.report.HtmlReport;
import dev.hicache.simulator.workload.MultiTurnWorkload;
import dev.hicache.simulator.workload.TraceWorkload;
import dev.hicache.simulator.workload.Workload;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.io.IOException;
import java.io.PrintWriter;
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

  @Option(names = "--page-keys", paramLabel = "KEYS",
      description = "How page keys (L3's object names) are made: serial (default for a trace: SHA-256 of the prior"
          + " key and the page's serial, hash_id x pages per block + sub-page; one SHA-256 block per page) or tokens"
          + " (SGLang's chained SHA-256 of the page's tokens; the only choice for the generated workloads, and the"
          + " default with --l3-eviction w-tinylfu, whose frequency sketch hashes the keys). The same pages share a"
          + " key either way: the results are the same, but for w-tinylfu's.")
  String pageKeys;

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

  @Option(names = "--l3-store", paramLabel = "IMPL", defaultValue = "model",
      description = "--l3 local with lru eviction: model (default: an exact model of the store's LRU behaviour, the"
          + " same pages held and the same answers, without its slots, checksums and slot copies: a third less CPU"
          + " on the ten-hour trace) or real (the store itself, hicache-l3-local's slot protocol). --l3-eviction"
          + " w-tinylfu always runs the real store.")
  String l3Store;

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


  /** Not given: a trace when --trace (or --l1-only) is, else the generated multi-turn workload. */
  @Option(names = "--workload", paramLabel = "KIND",
      description = "multiturn (the default: bench_multiturn, generated), trace (a Mooncake trace, --trace FILE; the"
          + " default when --trace is given), synthetic (Poisson, Zipf prefixes).")
  SimulationSettings.WorkloadKind workloadKind;

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

  @Option(names = "--sweep-jobs", paramLabel = "N",
      description = "With --sweep: runs at once (default: one per two cores, as many as the heap holds); 1 runs"
          + " the values one after the other. The output is the same either way.")
  Integer sweepJobs;

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
    try {
      SimulationSettings settings = settings();
      checkReportTarget();
      if (sweep != null) return runSweep(out, settings);
      Run run = runOnce(settings, true);
      switch (format) {
        case text -> out.print(run.text());
        case json -> out.print(run.json());
        case csv -> {
          out.print(EngineReport.csvHeader(run.fields()));
          out.print(EngineReport.csvRow(run.fields()));
        }
      }
      out.flush();
      writeReport(out, List.of(run), null, null, List.of(settings));
      return Main.EX_OK;
    } catch (SimulationSettings.InvalidSettingException e) {
      throw usage(e.getMessage());
    }
  }

  /**
   * The parsed flags as typed settings; the flags picocli keeps as text (policies, backends, links)
   * are converted here, by the settings' own converters.
   */
  SimulationSettings settings() {
    SimulationSettings.Builder b = new SimulationSettings.Builder();
    b.l1Only = l1Only; b.trace = trace; b.arrivals = arrivals; b.pageSize = pageSize;
    b.l1CapacityTokens = l1CapacityTokens; b.l2CapacityTokens = l2CapacityTokens; b.l3CapacityTokens = l3CapacityTokens;
    b.mooncakeLeaseTtlMs = mooncakeLeaseTtlMs; b.mooncakeHighWatermark = mooncakeHighWatermark;
    b.mooncakeEvictionRatio = mooncakeEvictionRatio; b.hicacheRatio = hicacheRatio; b.model = model; b.tp = tp;
    b.decodeInstances = decodeInstances; b.decodeOffload = decodeOffload; b.modelFile = modelFile; b.layers = layers;
    b.kvHeads = kvHeads; b.headDim = headDim; b.attentionHeads = attentionHeads; b.kvLoraRank = kvLoraRank;
    b.qkRopeHeadDim = qkRopeHeadDim; b.activeParamsB = activeParamsB; b.weightsGB = weightsGB; b.hardware = hardware;
    b.instances = instancesOption; b.affinityTokens = affinityTokens; b.pcieGBps = pcieGBps;
    b.hostLinkGBps = hostLinkGBps; b.l3ReadGBps = l3ReadGBps; b.l3WriteGBps = l3WriteGBps; b.l3LatencyUs = l3LatencyUs;
    b.prepopulateL3 = prepopulateL3; b.decodeMsPerToken = decodeMsPerToken; b.format = format;
    b.workloadKind = workloadKind; b.numClients = numClients; b.numRounds = numRounds; b.requestLength = requestLength;
    b.subQuestionLength = subQuestionLength; b.outputLength = outputLengthOption; b.requestRate = requestRateOption;
    b.maxParallel = maxParallel; b.distribution = distribution; b.readyQueuePolicy = readyQueuePolicy; b.seed = seed;
    b.namespaces = namespaces; b.requests = requests; b.prefixes = prefixes; b.zipf = zipf;
    b.prefixLength = prefixLength; b.suffixLength = suffixLength; b.pinSystemPrompt = pinSystemPrompt;
    b.sweepJobs = sweepJobs;
    b.pageKeys = pageKeys == null ? null : SimulationSettings.pageKeys(pageKeys);
    b.writePolicy = SimulationSettings.writePolicy(writePolicy);
    b.evictionPolicy = SimulationSettings.evictionPolicy(evictionPolicy);
    b.prefetchPolicy = SimulationSettings.prefetchPolicy(prefetchPolicy);
    b.l3Backend = SimulationSettings.l3Backend(l3Backend);
    b.l3Eviction = SimulationSettings.l3Eviction(l3Eviction);
    b.l3Store = SimulationSettings.l3Store(l3Store);
    b.routing = SimulationSettings.routing(routing);
    b.l3Link = SimulationSettings.linkMode("--l3-link", l3Link);
    b.pcieLink = SimulationSettings.linkMode("--pcie-link", pcieLink);
    b.kvDtype = kvDtype == null ? null : SimulationSettings.kvDtype(kvDtype);
    b.attention = attention == null ? null : SimulationSettings.attention(attention);
    picocli.CommandLine.ParseResult pr = spec.commandLine().getParseResult();
    if (pr != null) for (picocli.CommandLine.Model.OptionSpec o : pr.matchedOptions()) b.given.add(o.longestName());
    return b.build();
  }

  Run runOnce(boolean showProgress) throws IOException {
    try {
      return runOnce(settings(), showProgress);
    } catch (SimulationSettings.InvalidSettingException e) {
      throw usage(e.getMessage());
    }
  }

  /** One run of these settings; {@code progress} null: none shown (a sweep counts runs instead). */
  Run runOnce(SimulationSettings s, boolean showProgress) throws IOException {
    check(s);
    return s.l1Only() ? runL1Only(s) : runEngine(s, showProgress);
  }

  /** Everything a run checks before it starts, in the order the checks are made; the engine's setup. */
  EngineSetup check(SimulationSettings s) {
    s.checkPageSize();
    if (s.l1Only()) {
      if (s.kind() != SimulationSettings.WorkloadKind.trace) {
        throw new SimulationSettings.InvalidSettingException("Invalid value for option '--workload': '"
            + s.workloadKind() + "' (--l1-only replays a trace)");
      }
      s.checkApplicable();
      s.tracePath();
      return null;
    }
    s.checkApplicable();
    if (s.kind() == SimulationSettings.WorkloadKind.trace) s.tracePath(); // refused before the run
    EngineSetup setup = s.engineSetup();
    s.checkMemory(setup);
    s.checkSpan();
    if (s.prepopulateL3() && setup.l3Tokens() == 0) {
      throw new SimulationSettings.InvalidSettingException("--prepopulate-l3 needs an L3 (--l3-capacity-tokens > 0)");
    }
    return setup;
  }

  private Run runL1Only(SimulationSettings s) throws IOException {
    Path tracePath = s.tracePath();
    EvictionPolicy policy = s.evictionPolicyInstance();
    int pageSize = s.pageSize();
    long capacity = s.l1CapacityTokens() == null ? DEFAULT_L1_ONLY_CAPACITY_TOKENS : s.l1CapacityTokens();
    if (capacity != TokenCount.INFINITE && capacity / pageSize > Integer.MAX_VALUE) {
      throw usage("Invalid value for option '--l1-capacity-tokens': '" + capacity
          + "' (more than " + Integer.MAX_VALUE + " pages; use inf)");
    }
    long max = Runtime.getRuntime().maxMemory();
    if (capacity != TokenCount.INFINITE && capacity / pageSize * 4 > max * 9 / 10) {
      // The replay's free list holds every page of a bounded L1 up front.
      throw usage("Invalid value for option '--l1-capacity-tokens': '" + capacity + "' (its free list needs "
          + SimulationSettings.gib(capacity / pageSize * 4) + " of heap and this JVM may use "
          + SimulationSettings.gib(max) + "; lower it, use inf for an unbounded L1, or give the JVM more, e.g."
          + " HICACHE_JAVA_OPTS=-Xmx" + Math.max(1, (long) Math.ceil(capacity / pageSize * 5.0 / (1L << 30))) + "g)");
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

  private Run runEngine(SimulationSettings s, boolean showProgress) throws IOException {
    EngineSetup setup = s.engineSetup();
    EngineResult result;
    try (Workload w = s.workload();
         Progress progress = new Progress(progressTotal(s, w), "requests", showProgress, spec.commandLine().getErr())) {
      if (s.prepopulateL3()) {
        result = new EngineReplay(setup).runPrepopulated(() -> workloadUnchecked(s), progress);
      } else {
        result = new EngineReplay(setup).run(s.namespaced(w), progress);
      }
    }
    if (result.hits().requests() == 0) {
      // Only a trace can be empty (the generators refuse zero requests).
      throw new dev.hicache.simulator.trace.TraceFormatException(s.tracePath().toString(), 0,
          "holds no records: nothing to replay");
    }
    String note = setup.l3Tokens() == 0 ? null : (setup.l3Backend().equals("local") ? "L3 is the embedded store"
            + " (hicache-l3-local, process-private, " + setup.l3Eviction().flagName() + " eviction, "
            + (setup.effectiveL3Store() == dev.hicache.simulator.l3.EmbeddedL3.Store.MODEL
                ? "as its exact LRU model without slots (--l3-store real: the store itself)"
                : "the store itself") + "; --l3 memory: an in-memory LRU pool model)"
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

  /** Requests the run will serve: a trace's are counted (its lines) only when progress is first shown. */
  private static java.util.function.LongSupplier progressTotal(SimulationSettings s, Workload w) {
    if (w instanceof MultiTurnWorkload m) return m::totalRequests;
    if (s.kind() == SimulationSettings.WorkloadKind.synthetic) return s::requests;
    Path t = s.trace();
    return () -> Progress.lineCount(t);
  }

  private static Workload workloadUnchecked(SimulationSettings s) {
    try {
      return s.namespaced(s.workload());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * One run per value of the swept flag, each from these settings with that one value changed
   * (converted as the command line converts it). Every run is checked before any starts; then they
   * run on up to {@code --sweep-jobs} threads (default: one per two cores), as many at once as
   * the heap holds, and their outputs are printed in the order of the values: the same output as
   * one run after the other (each run has its own engine, L3 and workload; nothing is shared).
   */
  private int runSweep(PrintWriter out, SimulationSettings base) throws IOException {
    int eq = sweep.indexOf('=');
    if (eq <= 0 || eq == sweep.length() - 1) {
      throw usage("Invalid value for option '--sweep': '" + sweep + "' (expected FLAG=V1,V2,..., e.g."
          + " l1-capacity-tokens=1M,3M,10M)");
    }
    String flag = "--" + sweep.substring(0, eq).replaceFirst("^--", "");
    if (spec.findOption(flag) == null || flag.equals("--sweep")) {
      throw usage("Invalid value for option '--sweep': '" + sweep + "' (" + flag + " is not a simulate option)");
    }
    if (!SimulationSettings.canVary(flag)) {
      throw usage("Invalid value for option '--sweep': '" + sweep + "' (" + flag + " is not a setting a sweep varies)");
    }
    List<String> values = List.of(sweep.substring(eq + 1).split(","));
    List<SimulationSettings> settings = new ArrayList<>();
    for (String v : values) {
      try {
        settings.add(base.with(flag, v.strip()));
      } catch (SimulationSettings.InvalidSettingException e) {
        throw usage("Invalid value for option '--sweep': value '" + v + "' of " + flag + ": " + e.getMessage());
      }
    }
    // Every run is checked before any starts: a bad value is refused at once, not after the others' minutes.
    long[] heap = new long[settings.size()];
    for (int i = 0; i < settings.size(); i++) {
      SimulationSettings s = settings.get(i);
      EngineSetup setup = check(s);
      s.checkWorkload();
      heap[i] = setup == null ? l1OnlyHeap(s) : SimulationSettings.heapTotal(s.heapNeed(setup));
    }
    int jobs = sweepJobs(base, heap);
    List<Run> runs = runAll(settings, jobs);
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
    writeReport(out, runs, key, values, settings);
    return Main.EX_OK;
  }

  /** The L1-only replay's up-front heap: the free list of a bounded L1 (4 bytes a page). */
  private static long l1OnlyHeap(SimulationSettings s) {
    long capacity = s.l1CapacityTokens() == null ? DEFAULT_L1_ONLY_CAPACITY_TOKENS : s.l1CapacityTokens();
    return capacity == TokenCount.INFINITE ? 0 : capacity / s.pageSize() * 4;
  }

  /**
   * How many runs of a sweep go at once: --sweep-jobs, else the machine's cores; never more than
   * the values, nor more than the heap holds: the largest runs' up-front heap (a lower bound,
   * {@link SimulationSettings#heapNeed}) together within the 90 % of the heap a single run may ask for.
   */
  static int sweepJobs(SimulationSettings s, long[] heap) {
    // A run keeps two threads busy (the replay, and the read-ahead that hashes its page keys), so
    // the default is a run per two cores: on the 2-core dev VM more runs at once were slower, not
    // faster (docs/benchmarks.md, simulator › parallel sweep).
    int jobs = s.sweepJobs() != null ? s.sweepJobs() : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    jobs = Math.min(jobs, heap.length);
    long[] sorted = heap.clone();
    java.util.Arrays.sort(sorted);
    long budget = Runtime.getRuntime().maxMemory() / 10 * 9;
    long sum = 0;
    int fit = 0;
    for (int i = sorted.length - 1; i >= 0 && fit < jobs; i--) {
      sum = sorted[i] > Long.MAX_VALUE - sum ? Long.MAX_VALUE : sum + sorted[i];
      if (fit > 0 && sum > budget) break;
      fit++;
    }
    return Math.max(1, fit);
  }

  /** The runs, {@code jobs} at a time, in the order given; the first failure (in that order) is thrown. */
  private List<Run> runAll(List<SimulationSettings> settings, int jobs) throws IOException {
    List<Run> runs = new ArrayList<>();
    try (Progress progress = new Progress(settings::size, "runs", true, spec.commandLine().getErr())) {
      if (jobs <= 1) {
        for (SimulationSettings s : settings) {
          runs.add(runOnce(s, false));
          progress.accept(runs.size());
        }
        return runs;
      }
      java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(jobs,
          Thread.ofPlatform().name("hicache-sweep-", 1).daemon(true).factory());
      try {
        List<java.util.concurrent.Future<Run>> futures = new ArrayList<>();
        for (SimulationSettings s : settings) {
          futures.add(pool.submit(() -> {
            Run r = runOnce(s, false);
            progress.accept(done.incrementAndGet());
            return r;
          }));
        }
        for (java.util.concurrent.Future<Run> f : futures) {
          try {
            runs.add(await(f));
          } catch (OutOfMemoryError e) {
            // The up-front check bounds what runs allocate before their first request, not all they grow to.
            throw new OutOfMemoryError(e.getMessage() + "; this sweep ran " + jobs + " runs at once:"
                + " --sweep-jobs 1 runs them one after the other");
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
    return runs;
  }

  private static Run await(java.util.concurrent.Future<Run> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for a sweep's run");
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable t = e.getCause();
      if (t instanceof IOException io) throw io;
      if (t instanceof RuntimeException re) throw re;
      if (t instanceof Error er) throw er;
      throw new IllegalStateException(t);
    }
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

  private void writeReport(PrintWriter out, List<Run> runs, String sweepKey, List<String> values,
      List<SimulationSettings> settings) throws IOException {
    if (reportTarget == null) return;
    String html = HtmlReport.render(runs, sweepKey, values, provenance(settings));
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
  private dev.hicache.simulator.report.Provenance provenance(List<SimulationSettings> settings) {
    List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
    if (spec.parent() == null) args.addFirst(spec.name());
    List<String> inputs = new ArrayList<>();
    Map<Path, String> files = new java.util.HashMap<>();
    for (SimulationSettings s : settings) inputs.add(s.inputChecksum(files));
    String commit = System.getProperty("hicache.commit");
    String version = new Main.Version().getVersion()[0]
        + (commit == null || commit.isBlank() ? "" : ", built from commit " + commit.strip());
    return new dev.hicache.simulator.report.Provenance(
        dev.hicache.simulator.report.Provenance.commandLine("./hicache", args),
        Path.of("").toAbsolutePath().toString(), version, inputs);
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

}
