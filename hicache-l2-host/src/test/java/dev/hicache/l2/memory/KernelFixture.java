package dev.hicache.l2.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Test-side views of the kernel: a fake /sys tree, and what this machine really has free. */
final class KernelFixture {
  private KernelFixture() {}

  /** A fake root whose THP "enabled" file says {@code mode} (null: no THP file at all). */
  static KernelFacts fakeKernel(Path dir, String thpEnabledLine) {
    try {
      if (thpEnabledLine != null) {
        Path thp = dir.resolve("sys/kernel/mm/transparent_hugepage/enabled");
        Files.createDirectories(thp.getParent());
        Files.writeString(thp, thpEnabledLine + "\n");
      }
      Path meminfo = dir.resolve("proc/meminfo");
      Files.createDirectories(meminfo.getParent());
      Files.writeString(meminfo, "MemTotal:       25000000 kB\nMemAvailable:   20000000 kB\nHugePages_Free:        0\n");
      return new KernelFacts(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Free HugeTLB pages of this size on this machine (0 when unknown). */
  static long freeHugepages(PagePath p) {
    OptionalLong f = KernelFacts.system().freeHugepages(p.pageBytes());
    return f.orElse(0);
  }
}
