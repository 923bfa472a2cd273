package dev.hicache.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * Who may share a page: the KV format identity (model, layout, dtype) plus SGLang's namespace
 * parts {@code extra_key} (e.g. a LoRA id) and {@code cache_salt}.
 *
 * <p>{@link #seed()} is SGLang's storage namespace seed (SGLang PR #38577,
 * docs/behaviour.md#namespaces): the prior of a chain's first page when either namespace part is
 * present. {@link #formatTag()} is our additional object-key prefix so that instances with a
 * different KV format never read each other's bytes.
 */
public record Namespace(String modelId, String layout, String dtype, String extraKey, String cacheSalt) {

  private static final byte[] SEED_DOMAIN = "sglang-cache-namespace-v1".getBytes(StandardCharsets.US_ASCII);

  public Namespace {
    Objects.requireNonNull(modelId, "modelId");
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(dtype, "dtype");
  }

  /** A namespace with only SGLang's parts, for hashing (format fields left generic). */
  public static Namespace ofSglang(String extraKey, String cacheSalt) {
    return new Namespace("", "", "", extraKey, cacheSalt);
  }

  /** The seed for the first page of a chain, or {@code null} when both parts are absent. */
  public PageKey seed() {
    return seed(extraKey, cacheSalt);
  }

  /** SGLang's seed for the given parts; {@code null} parts are absent, empty strings are present. */
  public static PageKey seed(String extraKey, String cacheSalt) {
    if (extraKey == null && cacheSalt == null) return null;
    MessageDigest sha = sha256();
    sha.update(SEED_DOMAIN);
    part(sha, extraKey);
    part(sha, cacheSalt);
    return PageKey.ofDigest(sha.digest());
  }

  private static void part(MessageDigest sha, String s) {
    if (s == null) {
      sha.update((byte) 0);
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    sha.update((byte) 1);
    long n = utf8.length;
    for (int i = 0; i < 8; i++) { sha.update((byte) n); n >>>= 8; }
    sha.update(utf8);
  }

  /**
   * A short digest of the KV format identity and namespace (16 hex characters), used as an object
   * key prefix in our (non-SGLang-compatible) key profile.
   */
  public String formatTag() {
    MessageDigest sha = sha256();
    for (String s : new String[] {"hicache-jvm-format-v1", modelId, layout, dtype}) part(sha, s);
    part(sha, extraKey);
    part(sha, cacheSalt);
    return PageKey.ofDigest(sha.digest()).toHex().substring(0, 16);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }
}
