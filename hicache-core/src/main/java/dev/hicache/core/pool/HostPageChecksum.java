package dev.hicache.core.pool;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.HostPool;
import java.util.zip.CRC32C;

/**
 * The checksum that binds a host page's bytes to its key: CRC32C over the 32 key bytes followed by
 * every byte range of the page (all parts, all layers). A page read under another key, or with a
 * byte changed, does not verify.
 */
public final class HostPageChecksum {
  private HostPageChecksum() {}

  public static long of(HostPool pool, int hostPage, PageKey key) {
    CRC32C crc = new CRC32C();
    crc.update(key.bytes());
    long[] r = pool.layout().pageObjectRanges(hostPage * pool.shape().pageSize());
    var buf = pool.buffer();
    for (int i = 0; i < r.length; i += 2) crc.update(buf.asSlice(r[i], r[i + 1]).asByteBuffer());
    return crc.getValue();
  }
}
