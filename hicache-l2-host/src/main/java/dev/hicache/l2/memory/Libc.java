package dev.hicache.l2.memory;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Downcalls into the C library through the Foreign Function and Memory API: the memory-mapping
 * calls the host tier needs, each returning the {@code errno} it left so that a failed path can
 * say why it failed. Linux only; the constants are the generic Linux values (x86-64 and arm64
 * agree on all of them).
 */
public final class Libc {
  public static final int PROT_READ = 0x1;
  public static final int PROT_WRITE = 0x2;
  public static final int MAP_PRIVATE = 0x02;
  public static final int MAP_ANONYMOUS = 0x20;
  public static final int MAP_NORESERVE = 0x4000;
  public static final int MAP_POPULATE = 0x8000;
  public static final int MAP_HUGETLB = 0x40000;
  public static final int MAP_HUGE_SHIFT = 26;
  /** log2(2 MiB) in the HugeTLB size field. */
  public static final int MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT;
  /** log2(1 GiB) in the HugeTLB size field. */
  public static final int MAP_HUGE_1GB = 30 << MAP_HUGE_SHIFT;
  public static final int MADV_DONTFORK = 10;
  public static final int MADV_HUGEPAGE = 14;
  public static final int MADV_POPULATE_WRITE = 23;

  public static final int EPERM = 1;
  public static final int ENOMEM = 12;
  public static final int EINVAL = 22;

  private static final long MAP_FAILED = -1L;

  /** Result of one call: the C return value and the errno captured right after it. */
  public record Result(long value, int errno) {
    public boolean failed() {
      return value == -1L;
    }
  }

  private static final Libc INSTANCE = new Libc();

  private final boolean supported;
  private final String unsupportedReason;
  private final MethodHandle mmap;
  private final MethodHandle munmap;
  private final MethodHandle madvise;
  private final MethodHandle mlock;
  private final MethodHandle mincore;
  private final MethodHandle strerror;
  private final StructLayout captureLayout;
  private final VarHandle errnoHandle;
  private final long pageSize;

  private Libc() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      supported = false;
      unsupportedReason = "the host tier maps memory with Linux mmap flags; this is " + System.getProperty("os.name");
      mmap = munmap = madvise = mlock = mincore = strerror = null;
      captureLayout = null;
      errnoHandle = null;
      pageSize = 4096;
      return;
    }
    Linker linker = Linker.nativeLinker();
    SymbolLookup c = linker.defaultLookup();
    Linker.Option errno = Linker.Option.captureCallState("errno");
    captureLayout = Linker.Option.captureStateLayout();
    errnoHandle = captureLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    mmap = linker.downcallHandle(c.findOrThrow("mmap"),
        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), errno);
    munmap = linker.downcallHandle(c.findOrThrow("munmap"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), errno);
    madvise = linker.downcallHandle(c.findOrThrow("madvise"),
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
    mlock = linker.downcallHandle(c.findOrThrow("mlock"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), errno);
    mincore = linker.downcallHandle(c.findOrThrow("mincore"),
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS), errno);
    strerror = linker.downcallHandle(c.findOrThrow("strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    MethodHandle getpagesize = linker.downcallHandle(c.findOrThrow("getpagesize"), FunctionDescriptor.of(JAVA_INT));
    try {
      pageSize = (int) getpagesize.invokeExact();
    } catch (Throwable t) {
      throw new ExceptionInInitializerError(t);
    }
    supported = true;
    unsupportedReason = null;
  }

  public static Libc get() {
    return INSTANCE;
  }

  public boolean supported() {
    return supported;
  }

  /** Throws {@link UnsupportedOperationException} with the reason when this is not Linux. */
  public void requireSupported() {
    if (!supported) throw new UnsupportedOperationException(unsupportedReason);
  }

  /** The base page size ({@code getpagesize()}). */
  public long pageSize() {
    return pageSize;
  }

  /** {@code mmap(NULL, length, prot, flags, -1, 0)}: the address, or -1 with errno. */
  public Result mmapAnonymous(long length, int prot, int flags) {
    requireSupported();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(captureLayout);
      MemorySegment p = (MemorySegment) mmap.invokeExact(state, MemorySegment.NULL, length, prot, flags, -1, 0L);
      long addr = p.address();
      return new Result(addr == MAP_FAILED ? -1L : addr, addr == MAP_FAILED ? errno(state) : 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public Result munmap(long address, long length) {
    requireSupported();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(captureLayout);
      int r = (int) munmap.invokeExact(state, MemorySegment.ofAddress(address), length);
      return new Result(r, r == 0 ? 0 : errno(state));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public Result madvise(long address, long length, int advice) {
    requireSupported();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(captureLayout);
      int r = (int) madvise.invokeExact(state, MemorySegment.ofAddress(address), length, advice);
      return new Result(r, r == 0 ? 0 : errno(state));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public Result mlock(long address, long length) {
    requireSupported();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(captureLayout);
      int r = (int) mlock.invokeExact(state, MemorySegment.ofAddress(address), length);
      return new Result(r, r == 0 ? 0 : errno(state));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * How many of the base pages in [address, address + length) are resident ({@code mincore}), or
   * -1 when the kernel does not say.
   */
  public long residentPages(long address, long length) {
    requireSupported();
    long pages = (length + pageSize - 1) / pageSize;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(captureLayout);
      MemorySegment vec = a.allocate(pages);
      int r = (int) mincore.invokeExact(state, MemorySegment.ofAddress(address), length, vec);
      if (r != 0) return -1;
      long resident = 0;
      for (long i = 0; i < pages; i++) resident += vec.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 1;
      return resident;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** "ENOMEM (Cannot allocate memory)": the symbolic name where known and the C library's text. */
  public String describe(int errno) {
    String name = switch (errno) {
      case EPERM -> "EPERM";
      case 11 -> "EAGAIN";
      case ENOMEM -> "ENOMEM";
      case 13 -> "EACCES";
      case EINVAL -> "EINVAL";
      case 38 -> "ENOSYS";
      default -> "errno " + errno;
    };
    if (!supported) return name;
    try {
      MemorySegment text = (MemorySegment) strerror.invokeExact(errno);
      return name + " (" + text.reinterpret(256).getString(0) + ")";
    } catch (Throwable t) {
      return name;
    }
  }

  private int errno(MemorySegment state) {
    return (int) errnoHandle.get(state, 0L);
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) return r;
    if (t instanceof Error e) throw e;
    return new IllegalStateException("native call failed", t);
  }
}
