package dev.hicache.l2.sizing;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code hicache hugepage-sizing}: a port of Mooncake's {@code check_hicache_hugepage_requirements.py}
 * (docs/behaviour.md#hugetlb-sizing). Same flags, size parsing, formulas, labels, figures, status
 * texts and exit codes (0, 1, 2; 64 for a bad size or tp), the same reading of {@code
 * /sys/kernel/mm/hugepages/hugepages-<kB>kB/nr_hugepages} when no capacity is given; the Meaning
 * and Note sentences are our own. After the reference lines it adds the hugepages to reserve and
 * the command that reserves them; {@code --format json} prints the same figures as JSON.
 *
 * <p>Deviations, by design: an invalid {@code --hugepage-size} exits 64 even when {@code
 * --available-hugetlb} is given (the reference crashes with exit 1); a number too large for a
 * double ({@code 1e400}-sized digit strings) exits 64 with "size out of range" (the reference
 * crashes).
 */
public final class HugepageSizing {
  public static final String PROG = "hicache hugepage-sizing";
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_BAD_INPUT = 64;
  static final String NOTE = "the baseline floor (HiCache host pool plus global segment, per rank) is the least a"
      + " launch needs to come up; the clean-arena target adds each rank's arena pool, the size at which arena"
      + " allocations should no longer spill onto regular pages.";

  /** Reads a sysfs file by its absolute path; tests hand in a fake file system. */
  @FunctionalInterface
  public interface Sysfs {
    String read(String absolutePath) throws IOException;

    /** The real files, under {@code root} ("/" on a live machine). */
    static Sysfs under(Path root) {
      return p -> Files.readString(root.resolve(p.substring(1)), StandardCharsets.UTF_8);
    }
  }

  private HugepageSizing() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command against this machine's sysfs; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, Sysfs.under(Path.of("/")));
  }

  /** Runs the command against the given sysfs; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err, Sysfs sysfs) {
    Options o;
    try {
      o = Options.parse(args);
    } catch (UsageException e) {
      err.print(usage());
      err.println(PROG + ": error: " + e.getMessage());
      return EXIT_USAGE;
    }
    if (o.help) {
      out.print(help());
      return 0;
    }
    BigInteger available;
    BigInteger hugepage;
    BigInteger hicache;
    BigInteger segment;
    BigInteger arena;
    Budget budget;
    try {
      if (o.availableHugetlb != null && !o.availableHugetlb.isEmpty()) {
        available = SizeParser.parse(o.availableHugetlb);
        hugepage = SizeParser.parse(o.hugepageSize); // validated up front (the reference would crash later)
      } else {
        hugepage = SizeParser.parse(o.hugepageSize);
        available = detect(hugepage, sysfs);
      }
      hicache = SizeParser.parse(o.hicacheSize);
      segment = SizeParser.parse(o.globalSegmentSize);
      arena = SizeParser.parse(o.arenaPoolSize);
      budget = Budget.evaluate(o.tpSize, hicache, segment, arena, available);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return EXIT_BAD_INPUT;
    }
    Reservation r = Reservation.of(budget, hugepage);
    if (o.json) {
      out.print(json(o, hicache, segment, arena, hugepage, available, budget, r));
    } else {
      out.print(text(o, hicache, segment, arena, hugepage, available, budget, r));
    }
    return budget.status().exitCode();
  }

  /** nr_hugepages × page bytes, or null when the size has no sysfs pool or the file cannot be read. */
  static BigInteger detect(BigInteger pageBytes, Sysfs sysfs) {
    if (pageBytes.mod(BigInteger.valueOf(1024)).signum() != 0) return null;
    String path = "/sys/kernel/mm/hugepages/hugepages-" + pageBytes.divide(BigInteger.valueOf(1024)) + "kB/nr_hugepages";
    String content;
    try {
      content = sysfs.read(path);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    BigInteger pages = PyInt.parse(content);
    return pages == null ? null : pages.multiply(pageBytes);
  }

  /** The pages to reserve for the chosen page size and how. */
  record Reservation(BigInteger pageBytes, BigInteger baselinePages, BigInteger cleanArenaPages, String command,
      String why) {
    static Reservation of(Budget b, BigInteger page) {
      if (page.signum() <= 0 || page.mod(BigInteger.valueOf(1024)).signum() != 0) {
        return new Reservation(page, null, null, null, "no kernel HugeTLB pool has pages of " + page + " B");
      }
      BigInteger base = Budget.pagesToReserve(b.baselineTotal(), page);
      BigInteger clean = Budget.pagesToReserve(b.cleanArenaTotal(), page);
      String kb = page.divide(BigInteger.valueOf(1024)) + "kB";
      String cmd = page.equals(BigInteger.valueOf(2L << 20))
          ? "sudo sysctl -w vm.nr_hugepages=" + clean
          : "echo " + clean + " | sudo tee /sys/kernel/mm/hugepages/hugepages-" + kb + "/nr_hugepages";
      return new Reservation(page, base, clean, cmd, null);
    }
  }

  private static String text(Options o, BigInteger hicache, BigInteger segment, BigInteger arena, BigInteger hugepage,
      BigInteger available, Budget b, Reservation r) {
    StringBuilder s = new StringBuilder();
    s.append("Mooncake HiCache HugeTLB sizing summary\n\n");
    line(s, "tp-size:", o.tpSize.toString());
    line(s, "hicache-size:", o.hicacheSize + " (" + SizeFormat.format(hicache) + ")");
    line(s, "global-segment-size:", o.globalSegmentSize + " (" + SizeFormat.format(segment) + ")");
    line(s, "arena-pool-size:", o.arenaPoolSize + " (" + SizeFormat.format(arena) + ")");
    line(s, "hugepage-size:", o.hugepageSize + " (" + SizeFormat.format(hugepage) + ")");
    line(s, "available HugeTLB:", available == null ? "unavailable (planning-only mode)" : SizeFormat.format(available));
    s.append('\n');
    line(s, "baseline floor / rank:", SizeFormat.format(b.baselinePerRank()));
    line(s, "baseline floor / total:", SizeFormat.format(b.baselineTotal()));
    line(s, "clean arena / rank:", SizeFormat.format(b.cleanArenaPerRank()));
    line(s, "clean arena / total:", SizeFormat.format(b.cleanArenaTotal()));
    s.append('\n');
    s.append("Status: ").append(b.status().text()).append('\n');
    s.append("Meaning: ").append(b.status().meaning()).append('\n');
    s.append('\n');
    s.append("Note: ").append(NOTE).append('\n');
    // Our addition, below the reference's lines so that those stay byte-identical.
    s.append('\n');
    if (r.baselinePages() == null) {
      s.append("Hugepages to reserve: not computed (").append(r.why()).append(")\n");
    } else {
      s.append("Hugepages to reserve (").append(SizeFormat.format(r.pageBytes())).append(" pages, rounded up):\n");
      line(s, 26, "  for the baseline floor:", r.baselinePages().toString());
      line(s, 26, "  for the clean arena:", r.cleanArenaPages().toString());
      line(s, 26, "  reserve with:", r.command());
      if (r.pageBytes().equals(BigInteger.ONE.shiftLeft(30))) {
        line(s, 26, "", "(1 GiB pages usually need the boot parameters hugepagesz=1G hugepages=" + r.cleanArenaPages() + ")");
      }
      line(s, 26, "  check with:", "grep -E 'HugePages_Total|HugePages_Free|Hugepagesize' /proc/meminfo");
    }
    return s.toString();
  }

  private static void line(StringBuilder s, String label, String value) {
    line(s, 24, label, value);
  }

  private static void line(StringBuilder s, int width, String label, String value) {
    s.append(label);
    for (int i = label.length(); i < width; i++) s.append(' ');
    s.append(value).append('\n');
  }

  private static String json(Options o, BigInteger hicache, BigInteger segment, BigInteger arena, BigInteger hugepage,
      BigInteger available, Budget b, Reservation r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tp_size", o.tpSize);
    m.put("hicache_size_bytes", hicache);
    m.put("global_segment_size_bytes", segment);
    m.put("arena_pool_size_bytes", arena);
    m.put("hugepage_size_bytes", hugepage);
    m.put("available_bytes", available);
    m.put("baseline_per_rank_bytes", b.baselinePerRank());
    m.put("baseline_total_bytes", b.baselineTotal());
    m.put("clean_arena_per_rank_bytes", b.cleanArenaPerRank());
    m.put("clean_arena_total_bytes", b.cleanArenaTotal());
    m.put("status", b.status().id());
    m.put("status_text", b.status().text());
    m.put("meaning", b.status().meaning());
    m.put("exit_code", b.status().exitCode());
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("page_bytes", r.pageBytes());
    res.put("baseline_total", r.baselinePages());
    res.put("clean_arena_total", r.cleanArenaPages());
    res.put("reserve_command", r.command());
    res.put("not_computed_because", r.why());
    m.put("nr_hugepages", res);
    Map<String, Object> inputs = new LinkedHashMap<>();
    inputs.put("hicache_size", o.hicacheSize);
    inputs.put("global_segment_size", o.globalSegmentSize);
    inputs.put("arena_pool_size", o.arenaPoolSize);
    inputs.put("hugepage_size", o.hugepageSize);
    inputs.put("available_hugetlb", o.availableHugetlb);
    m.put("inputs", inputs);
    StringBuilder s = new StringBuilder();
    writeJson(s, m, "");
    return s.append('\n').toString();
  }

  @SuppressWarnings("unchecked")
  private static void writeJson(StringBuilder s, Object v, String indent) {
    if (v == null) {
      s.append("null");
    } else if (v instanceof Map<?, ?> map) {
      s.append("{\n");
      int i = 0;
      for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
        s.append(indent).append("  ");
        jsonString(s, e.getKey());
        s.append(": ");
        writeJson(s, e.getValue(), indent + "  ");
        s.append(++i < map.size() ? ",\n" : "\n");
      }
      s.append(indent).append('}');
    } else if (v instanceof Number) {
      s.append(v);
    } else {
      jsonString(s, v.toString());
    }
  }

  private static void jsonString(StringBuilder s, String v) {
    s.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        case '\r' -> s.append("\\r");
        case '\t' -> s.append("\\t");
        default -> {
          if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
          else s.append(c);
        }
      }
    }
    s.append('"');
  }

  static String usage() {
    return "usage: " + PROG + " [-h] --tp-size TP_SIZE --hicache-size HICACHE_SIZE\n"
        + "       --global-segment-size GLOBAL_SEGMENT_SIZE [--arena-pool-size ARENA_POOL_SIZE]\n"
        + "       [--hugepage-size HUGEPAGE_SIZE] [--available-hugetlb AVAILABLE_HUGETLB]\n"
        + "       [--format {text,json}]\n";
  }

  static String help() {
    return usage() + "\n"
        + "Checks whether a machine's HugeTLB pool can hold a HiCache launch with Mooncake: the HiCache host\n"
        + "pool and the Mooncake global segment of every rank (the baseline floor), plus each rank's mmap arena\n"
        + "pool (the clean-arena target). Sizes take b, k/kb/kib, m/mb/mib, g/gb/gib, t/tb/tib (1024-based).\n\n"
        + "options:\n"
        + "  -h, --help            show this help message and exit\n"
        + "  --tp-size TP_SIZE     tensor-parallel ranks on this machine\n"
        + "  --hicache-size HICACHE_SIZE\n"
        + "                        HiCache host pool per rank\n"
        + "  --global-segment-size GLOBAL_SEGMENT_SIZE\n"
        + "                        Mooncake global segment per rank\n"
        + "  --arena-pool-size ARENA_POOL_SIZE\n"
        + "                        mmap arena pool per rank (default: 0)\n"
        + "  --hugepage-size HUGEPAGE_SIZE\n"
        + "                        HugeTLB page size (default: 2mb)\n"
        + "  --available-hugetlb AVAILABLE_HUGETLB\n"
        + "                        HugeTLB bytes available; absent or empty: nr_hugepages from sysfs\n"
        + "  --format {text,json}  output format (default: text)\n\n"
        + "Exit codes: 0 planning only or clean arena budget available, 1 baseline fits but the arena may fall\n"
        + "back, 2 insufficient for baseline (or a usage error), 64 a size or tp-size that is not valid.\n";
  }

  /** A command-line syntax error (exit 2, usage on stderr), worded as Python's argparse words it. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * The command line, parsed the way the reference's argparse parser parses it: unambiguous
   * prefixes, {@code --opt=value}, the last repetition wins, a value that looks like an option
   * (starts with '-' and is not a negative number) is not taken as a value.
   */
  static final class Options {
    private static final String[] OPTIONS = {"-h", "--help", "--tp-size", "--hicache-size", "--global-segment-size",
        "--arena-pool-size", "--hugepage-size", "--available-hugetlb", "--format"};
    private static final Pattern NEGATIVE_NUMBER =
        Pattern.compile("^-\\d+$|^-\\d*\\.\\d+$", Pattern.UNICODE_CHARACTER_CLASS);

    boolean help;
    BigInteger tpSize;
    String hicacheSize;
    String globalSegmentSize;
    String arenaPoolSize = "0";
    String hugepageSize = "2mb";
    String availableHugetlb;
    boolean json;

    /** An option found in the arguments, with its value if given as {@code --opt=value}. */
    private record Found(String option, String explicit) {}

    static Options parse(String[] args) throws UsageException {
      Options o = new Options();
      // argparse classifies every argument before it consumes any, so an ambiguous prefix is
      // reported before any value is converted.
      Found[] kinds = new Found[args.length];
      boolean positionalOnly = false;
      for (int i = 0; i < args.length; i++) {
        if (positionalOnly) continue;
        if (args[i].equals("--")) {
          positionalOnly = true;
          kinds[i] = DASH_DASH;
          continue;
        }
        kinds[i] = classify(args[i]);
      }
      List<String> extras = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        Found f = kinds[i];
        if (f == DASH_DASH) continue;
        if (f == null || f == UNKNOWN) {
          extras.add(a);
          continue;
        }
        if (f.option().equals("-h") || f.option().equals("--help")) {
          if (f.explicit() != null) {
            throw new UsageException("argument -h/--help: ignored explicit argument " + PyRepr.repr(f.explicit()));
          }
          o.help = true;
          return o;
        }
        String value;
        if (f.explicit() != null) {
          value = f.explicit();
        } else if (i + 1 < args.length && kinds[i + 1] == null) {
          value = args[++i];
        } else {
          throw new UsageException("argument " + f.option() + ": expected one argument");
        }
        switch (f.option()) {
          case "--tp-size" -> {
            BigInteger tp = PyInt.parse(value);
            if (tp == null) throw new UsageException("argument --tp-size: invalid int value: " + PyRepr.repr(value));
            o.tpSize = tp;
          }
          case "--hicache-size" -> o.hicacheSize = value;
          case "--global-segment-size" -> o.globalSegmentSize = value;
          case "--arena-pool-size" -> o.arenaPoolSize = value;
          case "--hugepage-size" -> o.hugepageSize = value;
          case "--available-hugetlb" -> o.availableHugetlb = value;
          case "--format" -> {
            if (!value.equals("text") && !value.equals("json")) {
              throw new UsageException("argument --format: invalid choice: " + PyRepr.repr(value) + " (choose from 'text', 'json')");
            }
            o.json = value.equals("json");
          }
          default -> throw new AssertionError(f.option());
        }
      }
      List<String> missing = new ArrayList<>();
      if (o.tpSize == null) missing.add("--tp-size");
      if (o.hicacheSize == null) missing.add("--hicache-size");
      if (o.globalSegmentSize == null) missing.add("--global-segment-size");
      if (!missing.isEmpty()) throw new UsageException("the following arguments are required: " + String.join(", ", missing));
      if (!extras.isEmpty()) throw new UsageException("unrecognized arguments: " + String.join(" ", extras));
      return o;
    }

    /**
     * The option an argument names, or null when argparse would take it as a plain value (it does
     * not start with '-', is a lone '-', a negative number, or holds a space).
     *
     * @throws UsageException for an unknown option or an ambiguous prefix; an unknown option is
     *     reported as an unrecognized argument
     */
    private static Found classify(String a) throws UsageException {
      if (a.isEmpty() || a.charAt(0) != '-') return null;
      for (String opt : OPTIONS) if (opt.equals(a)) return new Found(opt, null);
      if (a.length() == 1) return null;
      int eq = a.indexOf('=');
      if (eq >= 0) {
        String name = a.substring(0, eq);
        for (String opt : OPTIONS) if (opt.equals(name)) return new Found(opt, a.substring(eq + 1));
      }
      List<Found> matches = new ArrayList<>();
      if (a.startsWith("--")) {
        String prefix = eq >= 0 ? a.substring(0, eq) : a;
        String explicit = eq >= 0 ? a.substring(eq + 1) : null;
        for (String opt : OPTIONS) if (opt.startsWith(prefix)) matches.add(new Found(opt, explicit));
      } else {
        // A single-dash argument: "-hVALUE" is -h with an explicit value; nothing else is short.
        for (String opt : OPTIONS) {
          if (opt.equals(a.substring(0, 2))) matches.add(new Found(opt, a.substring(2)));
          else if (opt.startsWith(a)) matches.add(new Found(opt, null));
        }
      }
      if (matches.size() > 1) {
        List<String> names = matches.stream().map(Found::option).toList();
        throw new UsageException("ambiguous option: " + a + " could match " + String.join(", ", names));
      }
      if (matches.size() == 1) return matches.getFirst();
      if (NEGATIVE_NUMBER.matcher(a).matches()) return null;
      if (a.contains(" ")) return null;
      return UNKNOWN;
    }

    /** An argument that looks like an option but names none: an unrecognized argument. */
    private static final Found UNKNOWN = new Found("?", null);
    private static final Found DASH_DASH = new Found("--", null);
  }
}
