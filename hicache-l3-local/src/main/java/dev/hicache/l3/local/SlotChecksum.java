package dev.hicache.l3.local;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * A page's 64-bit checksum: CRC32C and CRC32 (two different polynomials, both hardware-assisted)
 * over the page's slot bytes, whose header holds the page key, the part count and the part sizes.
 * It therefore covers all parts of the page together and its key
 * (docs/behaviour.md#page-checksums): a page read under another key, or with one part from another
 * write, does not verify.
 */
final class SlotChecksum {
  private SlotChecksum() {}

  /** The same checksum over {@code len} bytes of a heap array from {@code off}. */
  static long of(byte[] bytes, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(bytes, off, len);
    CRC32 d = new CRC32();
    d.update(bytes, off, len);
    return (c.getValue() << 32) | d.getValue();
  }

  static long of(MemorySegment bytes) {
    ByteBuffer b = bytes.asByteBuffer();
    CRC32C c = new CRC32C();
    c.update(b);
    b.rewind();
    CRC32 d = new CRC32();
    d.update(b);
    return (c.getValue() << 32) | d.getValue();
  }
}
