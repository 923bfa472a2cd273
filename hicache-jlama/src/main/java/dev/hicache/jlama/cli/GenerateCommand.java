package dev.hicache.jlama.cli;

import dev.hicache.api.spi.MetricsSink;
import dev.hicache.jlama.CachedEngine;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.Tiers;
import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.jlama.model.Llama2cCheckpoint;
import dev.hicache.jlama.model.Llama2cTokenizer;
import dev.hicache.jlama.model.LlamaWeights;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./hicache generate}: prompts in, greedy tokens out, through Jlama with HiCache in front of
 * its prefill. With {@code --chat}, the prompts are the turns of one conversation: each turn's
 * prompt is the previous prompt, its answer and the next message. Per request, one line says how
 * many prompt tokens came from L1, L2 and L3, how many were computed, and the time to first token.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Greedy generation on Jlama with HiCache: per request, the prompt tokens served by each tier and the TTFT.",
        "With --model, runs the llama2.c checkpoint in that folder (stories260K.bin + tok512.bin); without it, a",
        "deterministic random-weight Llama (its text is noise; prompts are then hashed into tokens)."})
public final class GenerateCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "Prompts (or chat messages with --chat).")
  List<String> prompts = new ArrayList<>();

  @Option(names = "--prompts-file", paramLabel = "FILE", description = "More prompts, one a line (blank lines skipped).")
  Path promptsFile;

  @Option(names = "--model", paramLabel = "DIR", description = "A llama2.c model folder: stories260K.bin (or model.bin) and tok512.bin.")
  Path model;

  @Option(names = "--chat", description = "The prompts are turns of one conversation.")
  boolean chat;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "32", description = "Greedy tokens per request (default ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--page-size", paramLabel = "N", defaultValue = "16", description = "Tokens per page (default ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--l1-tokens", paramLabel = "N", defaultValue = "2048", description = "L1 (device pool) capacity in tokens (default ${DEFAULT-VALUE}).")
  int l1Tokens;

  @Option(names = "--l2-tokens", paramLabel = "N", defaultValue = "8192", description = "L2 (host pool) capacity in tokens; 0 = no L2 and no L3 (default ${DEFAULT-VALUE}).")
  int l2Tokens;

  @Option(names = "--l3", paramLabel = "KIND", defaultValue = "none",
      description = "L3: none, embedded (persistent store in --l3-dir, shared by processes) or mooncake (SGLang's Mooncake configuration) (default ${DEFAULT-VALUE}).")
  String l3;

  @Option(names = "--l3-dir", paramLabel = "DIR", description = "The embedded store's folder (with --l3 embedded).")
  Path l3Dir;

  @Option(names = "--l3-size-mb", paramLabel = "MB", defaultValue = "256", description = "The embedded store's size (default ${DEFAULT-VALUE} MB).")
  long l3SizeMb;

  @Option(names = "--verify", description = "Also run every request without the cache and check the tokens are the same.")
  boolean verify;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new GenerateCommand()).execute(args));
  }

  @Override public Integer call() throws IOException {
    List<String> all = new ArrayList<>(prompts);
    if (promptsFile != null) {
      if (!Files.isRegularFile(promptsFile)) throw new CommandLine.ParameterException(spec.commandLine(), "--prompts-file: " + promptsFile + " is not a file");
      for (String line : Files.readAllLines(promptsFile)) if (!line.isBlank()) all.add(line);
    }
    if (all.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "give at least one PROMPT or --prompts-file");
    Tiers.L3 l3Kind = switch (l3) {
      case "none" -> Tiers.L3.none();
      case "embedded" -> {
        if (l3Dir == null) throw new CommandLine.ParameterException(spec.commandLine(), "--l3 embedded needs --l3-dir");
        yield Tiers.L3.embedded(l3Dir, l3SizeMb << 20);
      }
      case "mooncake" -> Tiers.L3.mooncake();
      default -> throw new CommandLine.ParameterException(spec.commandLine(), "--l3: '" + l3 + "' is not none, embedded or mooncake");
    };
    Tiers tiers;
    try {
      tiers = new Tiers(pageSize, l1Tokens, l2Tokens, l3Kind);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    LlamaWeights weights;
    Llama2cTokenizer tokenizer = null;
    if (model != null) {
      Path bin = Files.isRegularFile(model.resolve("stories260K.bin")) ? model.resolve("stories260K.bin") : model.resolve("model.bin");
      if (!Files.isRegularFile(bin)) throw new CommandLine.ParameterException(spec.commandLine(), "--model: no stories260K.bin or model.bin in " + model);
      weights = Llama2cCheckpoint.load(bin);
      Path tok = model.resolve("tok512.bin");
      if (!Files.isRegularFile(tok)) throw new CommandLine.ParameterException(spec.commandLine(), "--model: no tok512.bin in " + model);
      tokenizer = Llama2cTokenizer.load(tok, weights.spec().vocabSize());
    } else {
      weights = LlamaWeights.random(42, 4, 4, 1, 64, 768, 2048, 4096);
    }
    PrintWriter out = spec.commandLine().getOut();
    JlamaEngine jlama;
    try {
      jlama = weights.engine();
    } catch (IllegalStateException e) { // this JVM's vectors are too wide for the model's heads: the message names the flag
      throw new CommandLine.ParameterException(spec.commandLine(), (model != null ? "--model " + model : "the random model") + ": "
          + e.getMessage() + "; the hicache launcher passes it (HICACHE_JAVA_OPTS may override it)");
    }
    try (JlamaEngine engine = jlama; CachedEngine ce = new CachedEngine(engine, tiers, null, MetricsSink.NONE)) {
      int[] history = new int[0];
      for (int i = 0; i < all.size(); i++) {
        int[] message = encode(tokenizer, all.get(i), !chat || i == 0, weights.spec().vocabSize());
        int[] prompt = chat ? concat(history, message) : message;
        int room = weights.spec().contextLength() - prompt.length;
        if (room < 1) throw new CommandLine.ParameterException(spec.commandLine(), "request " + (i + 1) + " has " + prompt.length
            + " tokens, the model's context is " + weights.spec().contextLength());
        Turn t = ce.generate(prompt, Math.min(maxNewTokens, room));
        out.printf("[%d] prompt %d tokens: L1 %d, L2 %d, L3 %d, computed %d; TTFT %.1f ms (KV hand-off %.2f ms)%n", i + 1, prompt.length,
            t.deviceTokens(), t.hostTokens(), t.storageTokens(), prompt.length - t.cachedTokens(), t.ttftNanos() / 1e6, t.handoffNanos() / 1e6);
        out.println("    " + (tokenizer == null ? Arrays.toString(t.output()) : tokenizer.decode(t.output()).replace("\n", "\n    ")));
        if (verify) {
          Turn base = CachedEngine.generateUncached(engine, prompt, Math.min(maxNewTokens, room));
          out.printf("    without the cache: TTFT %.1f ms, tokens %s%n", base.ttftNanos() / 1e6,
              Arrays.equals(base.output(), t.output()) ? "identical" : "DIFFERENT");
        }
        history = t.tokens();
        out.flush();
      }
    }
    return 0;
  }

  /** The tokens of a message: the tokenizer's, or for the random model a deterministic hash of the characters. */
  static int[] encode(Llama2cTokenizer tok, String text, boolean bos, int vocab) {
    if (tok != null) return tok.encode(text, bos);
    SplittableRandom r = new SplittableRandom(text.hashCode());
    int[] t = new int[Math.max(1, text.length()) + (bos ? 1 : 0)];
    if (bos) t[0] = 1;
    for (int i = bos ? 1 : 0; i < t.length; i++) t[i] = 3 + r.nextInt(vocab - 3);
    return t;
  }

  static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
