package dev.hicache.l3.mooncake;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;

/**
 * Page hash to Mooncake object keys (SGLang's baseline scheme, docs/behaviour.md#l3-object-keys):
 *
 * <ul>
 *   <li>MHA: two objects, {@code [tag_][ns_]{hash}_{tp_rank}_k} and {@code ..._v};
 *   <li>MLA: one object, {@code [tag_][ns_]{hash}_k}, with no rank (all ranks hold the same KV).
 * </ul>
 *
 * {@code tag} is SGLang's {@code extra_backend_tag}; {@code ns} is our {@link
 * Namespace#formatTag()} (docs/behaviour.md#namespaces), left out in the SGLang-compatible profile
 * so that keys match what SGLang writes.
 */
public final class ObjectKeys {
  /** Whether object keys carry our namespace. */
  public enum Profile {
    /** SGLang's baseline keys exactly: pages are shared with SGLang instances of the same model. */
    SGLANG_COMPATIBLE,
    /** Keys also carry the KV format tag, so instances with another format never share objects. */
    NAMESPACED
  }

  private final String prefix;
  private final boolean mla;
  private final String mhaSuffixK, mhaSuffixV;

  public ObjectKeys(Profile profile, Namespace namespace, String extraBackendTag, boolean mla, int tpRank) {
    if (profile == Profile.NAMESPACED && namespace == null) {
      throw new MooncakeException.InvalidArgument("the namespaced key profile needs a Namespace");
    }
    if (tpRank < 0) throw new MooncakeException.InvalidArgument("tp_rank must be >= 0, got " + tpRank);
    String p = extraBackendTag == null || extraBackendTag.isEmpty() ? "" : extraBackendTag + "_";
    if (profile == Profile.NAMESPACED) p += namespace.formatTag() + "_";
    if (!p.isEmpty()) CStrings.checkKey(p); // a tag with a NUL or non-ASCII would make every key invalid
    this.prefix = p;
    this.mla = mla;
    this.mhaSuffixK = "_" + tpRank + "_k";
    this.mhaSuffixV = "_" + tpRank + "_v";
  }

  /** Objects per page: 2 (K, V) for MHA, 1 for MLA. */
  public int partsPerPage() {
    return mla ? 1 : 2;
  }

  /** The prefix every key of this instance starts with ({@code ""} for SGLang keys without a tag). */
  public String prefix() {
    return prefix;
  }

  /**
   * A regular expression (ECMAScript, also valid POSIX extended) matching exactly this rank's
   * objects of {@code page}.
   */
  public String pageRegex(PageKey page) {
    String head = "^" + MooncakeL3Store.regexLiteral(prefix) + page.toHex();
    return mla ? head + "_k$" : head + MooncakeL3Store.regexLiteral(mhaSuffixK).replaceAll("k$", "") + "[kv]$";
  }

  /** The object key of one part ({@code 0} = K or latent, {@code 1} = V) of a page. */
  public String key(PageKey page, int part) {
    String hash = page.toHex();
    if (mla) {
      if (part != 0) throw new IndexOutOfBoundsException("an MLA page has one part, asked for part " + part);
      return prefix + hash + "_k";
    }
    return switch (part) {
      case 0 -> prefix + hash + mhaSuffixK;
      case 1 -> prefix + hash + mhaSuffixV;
      default -> throw new IndexOutOfBoundsException("an MHA page has parts 0 (K) and 1 (V), asked for part " + part);
    };
  }
}
