package dev.hicache.core.pool;

/** Conversions between page ids and token slots, and the checks every paged pool makes. */
public final class SlotPages {
  private SlotPages() {}

  /** The slots of {@code pages}: page p covers slots p*pageSize .. p*pageSize+pageSize-1. */
  public static int[] slots(int[] pages, int pageSize) {
    int[] out = new int[pages.length * pageSize];
    for (int i = 0; i < pages.length; i++) {
      int base = pages[i] * pageSize;
      for (int j = 0; j < pageSize; j++) out[i * pageSize + j] = base + j;
    }
    return out;
  }

  /**
   * The pages of page-run {@code slots}: every run of pageSize slots must start on a page boundary
   * and be consecutive.
   */
  public static int[] pages(int[] slots, int pageSize) {
    if (slots.length % pageSize != 0) {
      throw new IllegalArgumentException(slots.length + " slots are not a multiple of page size " + pageSize);
    }
    int[] out = new int[slots.length / pageSize];
    for (int i = 0; i < out.length; i++) {
      int first = slots[i * pageSize];
      if (first < 0 || first % pageSize != 0) {
        throw new IllegalArgumentException("slot " + first + " at index " + i * pageSize + " does not start a page");
      }
      for (int j = 1; j < pageSize; j++) {
        if (slots[i * pageSize + j] != first + j) {
          throw new IllegalArgumentException("slots at index " + i * pageSize + " are not one consecutive page");
        }
      }
      out[i] = first / pageSize;
    }
    return out;
  }
}
