package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** SGLang's Mooncake key scheme plus our namespace (docs/behaviour.md#l3-object-keys). */
class ObjectKeysTest {
  static final PageKey K = PageKey.fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  static final String H = K.toHex();

  @Test
  void sglangCompatible_mha_isHashRankKAndV() {
    var keys = new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, null, false, 3);
    assertThat(keys.partsPerPage()).isEqualTo(2);
    assertThat(keys.key(K, 0)).isEqualTo(H + "_3_k");
    assertThat(keys.key(K, 1)).isEqualTo(H + "_3_v");
    assertThatThrownBy(() -> keys.key(K, 2)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void sglangCompatible_mla_hasNoRank() {
    var r0 = new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, null, true, 0);
    var r5 = new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, null, true, 5);
    assertThat(r0.key(K, 0)).isEqualTo(H + "_k").isEqualTo(r5.key(K, 0));
    assertThat(r0.partsPerPage()).isEqualTo(1);
  }

  @Test
  void tag_isPrefixedWithAnUnderscore() {
    var keys = new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, "prod", false, 0);
    assertThat(keys.key(K, 1)).isEqualTo("prod_" + H + "_0_v");
  }

  @Test
  void namespaced_addsTheFormatTag_andSeparatesFormats() {
    var ns = new Namespace("meta-llama/Llama-3-8B", "page_first", "bf16", null, null);
    var other = new Namespace("meta-llama/Llama-3-8B", "page_first", "fp8", null, null);
    var a = new ObjectKeys(ObjectKeys.Profile.NAMESPACED, ns, "prod", false, 1);
    var b = new ObjectKeys(ObjectKeys.Profile.NAMESPACED, other, "prod", false, 1);
    assertThat(a.key(K, 0)).isEqualTo("prod_" + ns.formatTag() + "_" + H + "_1_k");
    assertThat(a.key(K, 0)).isNotEqualTo(b.key(K, 0));
    assertThatThrownBy(() -> new ObjectKeys(ObjectKeys.Profile.NAMESPACED, null, null, false, 0))
        .hasMessageContaining("needs a Namespace");
  }

  @Test
  void badTag_isRefusedUpFront() {
    assertThatThrownBy(() -> new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, "bad\0tag", false, 0))
        .isInstanceOf(MooncakeException.InvalidString.class);
  }

  @Test
  void pageRegex_matchesExactlyThisRanksObjectsOfThePage() {
    var keys = new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, "a.b+", false, 1);
    Pattern p = Pattern.compile(keys.pageRegex(K));
    assertThat(p.matcher(keys.key(K, 0)).find()).isTrue();
    assertThat(p.matcher(keys.key(K, 1)).find()).isTrue();
    assertThat(p.matcher("a.b+_" + H + "_11_k").find()).as("rank 11 is not rank 1").isFalse();
    assertThat(p.matcher("axbb_" + H + "_1_k").find()).as("the tag is literal").isFalse();
    assertThat(p.matcher("x_a.b+_" + H + "_1_k").find()).as("anchored at the start").isFalse();
    var mla = new ObjectKeys(ObjectKeys.Profile.SGLANG_COMPATIBLE, null, null, true, 0);
    Pattern m = Pattern.compile(mla.pageRegex(K));
    assertThat(m.matcher(H + "_k").find()).isTrue();
    assertThat(m.matcher(H + "_0_k").find()).isFalse();
  }
}
