package dev.hicache.simulator.cli;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tokens;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Prints the L3 page keys a prompt maps to (SGLang's page hash chain, docs/behaviour.md#page-keys). */
@Command(
    name = "page-keys",
    mixinStandardHelpOptions = true,
    description = {
      "Print the page key of every full page of a token sequence, one per line (lowercase hex).",
      "The chain starts from --prior if given, else from the namespace seed of --extra-key /"
          + " --cache-salt if either is given, else from no prior (SGLang's get_hash_str chain)."
    })
public final class PageKeysCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--page-size", paramLabel = "P", defaultValue = "64",
      description = "Tokens per page (default ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--tokens", paramLabel = "ID,ID,...", required = true,
      description = "Token ids, comma-separated, each in 0..4294967295.")
  String tokens;

  @Option(names = "--extra-key", paramLabel = "TEXT",
      description = "SGLang's extra_key (e.g. a LoRA id): part of the namespace seed.")
  String extraKey;

  @Option(names = "--cache-salt", paramLabel = "TEXT",
      description = "SGLang's cache_salt: part of the namespace seed.")
  String cacheSalt;

  @Option(names = "--prior", paramLabel = "HEX",
      description = "Key of the page before the first one (64 hex characters); overrides the seed.")
  String prior;

  @Override public Integer call() {
    if (pageSize < 1) {
      throw new ParameterException(spec.commandLine(),
          "Invalid value for option '--page-size': '" + pageSize + "' (must be at least 1)");
    }
    int[] ids = parseTokens(tokens);
    PageKey priorKey = null;
    if (prior != null) {
      try {
        priorKey = PageKey.fromHex(prior.trim());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(),
            "Invalid value for option '--prior': '" + prior + "' (need 64 hex characters)");
      }
    }
    Namespace ns = (extraKey == null && cacheSalt == null) ? null : Namespace.ofSglang(extraKey, cacheSalt);
    List<PageKey> keys = new PageHasher(pageSize).chain(priorKey, ns, ids);
    PrintWriter out = spec.commandLine().getOut();
    StringBuilder sb = new StringBuilder(keys.size() * 65);
    for (PageKey k : keys) sb.append(k.toHex()).append('\n');
    out.print(sb);
    out.flush();
    if (keys.isEmpty()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("hicache page-keys: no full page (" + ids.length + " tokens, page size " + pageSize + ")");
      err.flush();
    }
    return Main.EX_OK;
  }

  /** Parses "1,2,3" (spaces allowed around ids); errors name the value and its 1-based position. */
  int[] parseTokens(String text) {
    if (text.isBlank()) return new int[0];
    String[] parts = text.split(",", -1);
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String s = parts[i].strip();
      long v = -1;
      if (!s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
        v = Long.parseLong(s);
      }
      if (v < 0 || v > Tokens.MAX_TOKEN_ID) {
        throw new ParameterException(spec.commandLine(),
            "Invalid value for option '--tokens': token " + (i + 1) + " of " + parts.length + " is '"
                + s + "', not a token id in 0.." + Tokens.MAX_TOKEN_ID);
      }
      out[i] = (int) v;
    }
    return out;
  }
}
