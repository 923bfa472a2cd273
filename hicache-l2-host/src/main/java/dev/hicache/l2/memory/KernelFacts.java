package dev.hicache.l2.memory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * What the kernel says about memory, read from {@code /proc} and {@code /sys} under a root that
 * tests replace with a folder of their own.
 */
public final class KernelFacts {
  private final Path root;

  /** Facts under {@code root} (e.g. a test folder holding {@code proc/meminfo}). */
  public KernelFacts(Path root) {
    this.root = root;
  }

  /** This machine's facts. */
  public static KernelFacts system() {
    return new KernelFacts(Path.of("/"));
  }

  public Path root() {
    return root;
  }

  /**
   * The transparent hugepage mode, the bracketed word of {@code
   * /sys/kernel/mm/transparent_hugepage/enabled} (always, madvise or never), or null when the file
   * is missing (a kernel without THP).
   */
  public String thpMode() {
    String s = read("sys/kernel/mm/transparent_hugepage/enabled");
    if (s == null) return null;
    int open = s.indexOf('[');
    int close = s.indexOf(']', open + 1);
    return open >= 0 && close > open ? s.substring(open + 1, close) : s.strip();
  }

  /** {@code free_hugepages} of the HugeTLB pool of this page size, or empty when unreadable. */
  public OptionalLong freeHugepages(long pageBytes) {
    return readLong("sys/kernel/mm/hugepages/hugepages-" + (pageBytes / 1024) + "kB/free_hugepages");
  }

  /** {@code nr_hugepages} of the HugeTLB pool of this page size, or empty when unreadable. */
  public OptionalLong totalHugepages(long pageBytes) {
    return readLong("sys/kernel/mm/hugepages/hugepages-" + (pageBytes / 1024) + "kB/nr_hugepages");
  }

  /** A {@code /proc/meminfo} field in bytes ("MemAvailable", "HugePages_Free" as a count), or empty. */
  public OptionalLong meminfo(String field) {
    String s = read("proc/meminfo");
    if (s == null) return OptionalLong.empty();
    for (String line : s.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || !line.substring(0, colon).equals(field)) continue;
      String[] parts = line.substring(colon + 1).trim().split("\\s+");
      try {
        long v = Long.parseLong(parts[0]);
        return OptionalLong.of(parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? v * 1024 : v);
      } catch (NumberFormatException e) {
        return OptionalLong.empty();
      }
    }
    return OptionalLong.empty();
  }

  /** {@code MemAvailable} in bytes; throws when the kernel does not report it. */
  public long memAvailableBytes() {
    return meminfo("MemAvailable").orElseThrow(() -> new IllegalStateException(
        "cannot read MemAvailable from " + root.resolve("proc/meminfo")));
  }

  private OptionalLong readLong(String rel) {
    String s = read(rel);
    if (s == null) return OptionalLong.empty();
    try {
      return OptionalLong.of(Long.parseLong(s.strip()));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private String read(String rel) {
    try {
      return Files.readString(root.resolve(rel), StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return null;
    }
  }
}
