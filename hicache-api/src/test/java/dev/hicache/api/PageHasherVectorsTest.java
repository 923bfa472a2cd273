package dev.hicache.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every vector of {@code vectors/page-hash-vectors.json} in the test resources (docs/behaviour.md#page-hash-chain). */
class PageHasherVectorsTest {
  private static final JsonNode ROOT = load();

  private static JsonNode load() {
    try (InputStream in = PageHasherVectorsTest.class.getResourceAsStream("/vectors/page-hash-vectors.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> pageVectors() {
    List<Arguments> out = new ArrayList<>();
    ROOT.get("page_hash_vectors").forEach(v -> out.add(Arguments.of(v.get("id").asText(), v)));
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pageVectors")
  void chain_matchesVector(String id, JsonNode v) {
    int pageSize = v.get("page_size").asInt();
    long[] ids = new long[v.get("token_ids").size()];
    for (int i = 0; i < ids.length; i++) ids[i] = v.get("token_ids").get(i).asLong();
    int[] tokens = Tokens.fromUnsigned(ids);
    PageKey prior = v.get("prior_hash").isNull() ? null : PageKey.fromHex(v.get("prior_hash").asText());
    Namespace ns = null;
    if (v.has("namespace")) {
      JsonNode n = v.get("namespace");
      ns = Namespace.ofSglang(text(n.get("extra_key")), text(n.get("cache_salt")));
      PageKey seed = ns.seed();
      assertThat(seed == null ? null : seed.toHex()).isEqualTo(text(v.get("namespace_seed")));
    }
    List<PageKey> keys = new PageHasher(pageSize).chain(prior, ns, tokens);
    assertThat(keys).hasSize(v.get("num_pages").asInt());
    for (int i = 0; i < keys.size(); i++) {
      assertThat(keys.get(i).toHex()).as("page %d", i).isEqualTo(v.get("page_hashes").get(i).asText());
      assertThat(keys.get(i).toInt64()).as("page %d int64", i).isEqualTo(v.get("page_hashes_int64").get(i).asLong());
    }
  }

  @Test
  void namespaceSeed_matchesEveryVector() {
    for (JsonNode v : ROOT.get("namespace_seed_vectors")) {
      PageKey seed = Namespace.seed(text(v.get("extra_key")), text(v.get("cache_salt")));
      assertThat(seed == null ? null : seed.toHex()).as(v.toString()).isEqualTo(text(v.get("seed")));
    }
  }

  @Test
  void int64Form_matchesEveryVector() {
    for (JsonNode v : ROOT.get("int64_vectors")) {
      assertThat(PageKey.fromHex(v.get("hash").asText()).toInt64()).as(v.toString()).isEqualTo(v.get("int64").asLong());
    }
  }

  @Test
  void tokenIds_outsideUnsigned32_areRejected() {
    assertThatThrownBy(() -> Tokens.fromUnsigned(new long[] {1, 4294967296L}))
        .hasMessageContaining("4294967296").hasMessageContaining("index 1");
    assertThatThrownBy(() -> Tokens.fromUnsigned(new long[] {-1})).hasMessageContaining("-1");
  }

  @Test
  void pageKey_hexRoundTrip_andRejectsBadText() {
    byte[] raw = HexFormat.of().parseHex("fea7b32778ecbdd7adee1941e98c89cf96bbc762f5f1beb0be24e36a456fbbc5");
    PageKey k = PageKey.ofDigest(raw);
    assertThat(k.bytes()).isEqualTo(raw);
    assertThat(PageKey.fromHex(k.toHex().toUpperCase())).isEqualTo(k);
    assertThatThrownBy(() -> PageKey.fromHex("abc")).hasMessageContaining("64 hex characters");
    assertThatThrownBy(() -> PageKey.fromHex("z".repeat(64))).hasMessageContaining("not a hex page key");
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }
}
