package dev.hicache.simulator.model;

import dev.hicache.api.DType;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A custom model profile from a properties-style file ({@code --model-file}): one {@code key =
 * value} (or {@code key: value}) a line, {@code #} or {@code !} comments. Keys (SGLang / HF
 * config.json spellings): {@code name}, {@code num_hidden_layers} (or {@code layers}), {@code
 * num_key_value_heads} ({@code kv_heads}), {@code head_dim}, {@code dtype} (bf16, fp16, fp32,
 * fp8_e4m3, fp8_e5m2; default bf16), {@code attention} (mha or mla; default mha, or mla when
 * {@code kv_lora_rank} is given), {@code kv_lora_rank}, {@code qk_rope_head_dim}, {@code
 * active_params_b} and {@code weights_gb} (billions; they size prefill time and what the GPU
 * keeps for weights), {@code num_attention_heads} (query heads; default: the KV heads, i.e. MHA —
 * give it for a GQA model, or prefill's attention time is underestimated; MLA default 128) and,
 * for MLA, {@code qk_nope_head_dim} and {@code v_head_dim} (default 128 each, DeepSeek-V3's).
 * Every error names the file and line (or the missing key).
 */
public final class ModelProfileFile {
  private static final Map<String, String> ALIASES = Map.of("layers", "num_hidden_layers", "kv_heads",
      "num_key_value_heads");
  private static final Set<String> KEYS = Set.of("name", "num_hidden_layers", "num_key_value_heads", "head_dim",
      "dtype", "attention", "kv_lora_rank", "qk_rope_head_dim", "active_params_b", "weights_gb", "num_attention_heads",
      "qk_nope_head_dim", "v_head_dim");

  private ModelProfileFile() {}

  /** Reads and checks the profile; IllegalArgumentException names the file and line. */
  public static ModelProfile read(Path file) throws IOException {
    Map<String, String> v = new LinkedHashMap<>();
    Map<String, Integer> lineOf = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = in.readLine()) != null) {
        n++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#") || t.startsWith("!")) continue;
        int eq = indexOfSeparator(t);
        if (eq < 0) throw new IllegalArgumentException(file + ":" + n + ": expected 'key = value', got '" + t + "'");
        String key = t.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
        key = ALIASES.getOrDefault(key, key);
        String value = t.substring(eq + 1).strip();
        if (!KEYS.contains(key)) {
          throw new IllegalArgumentException(file + ":" + n + ": unknown key '" + key + "' (known: "
              + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
        }
        if (v.containsKey(key)) {
          throw new IllegalArgumentException(file + ":" + n + ": '" + key + "' given twice (first on line "
              + lineOf.get(key) + ")");
        }
        v.put(key, value);
        lineOf.put(key, n);
      }
    }
    Field f = (key, what) -> where(file, lineOf, key) + what;
    String name = v.getOrDefault("name", file.getFileName().toString());
    String attention = v.getOrDefault("attention", v.containsKey("kv_lora_rank") ? "mla" : "mha")
        .toLowerCase(java.util.Locale.ROOT);
    if (!attention.equals("mha") && !attention.equals("mla") && !attention.equals("gqa")) {
      throw new IllegalArgumentException(f.at("attention", ": attention '" + attention + "' is not mha, gqa or mla"));
    }
    boolean mla = attention.equals("mla");
    DType dtype;
    try {
      dtype = v.containsKey("dtype") ? DType.parse(v.get("dtype")) : DType.BF16;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(f.at("dtype", ": " + e.getMessage()));
    }
    int layers = positiveInt(file, lineOf, v, "num_hidden_layers");
    double active = positiveDouble(file, lineOf, v, "active_params_b");
    double weights = positiveDouble(file, lineOf, v, "weights_gb");
    if (mla) {
      int rank = positiveInt(file, lineOf, v, "kv_lora_rank");
      int rope = positiveInt(file, lineOf, v, "qk_rope_head_dim");
      int heads = v.containsKey("num_attention_heads") ? positiveInt(file, lineOf, v, "num_attention_heads") : 128;
      int nope = v.containsKey("qk_nope_head_dim") ? positiveInt(file, lineOf, v, "qk_nope_head_dim")
          : ModelProfile.MLA_NOPE_DIM;
      int vDim = v.containsKey("v_head_dim") ? positiveInt(file, lineOf, v, "v_head_dim") : ModelProfile.MLA_V_DIM;
      return new ModelProfile(name, layers, 1, rank + rope, dtype, true, rank, rope, active, weights, heads,
          nope + rope + vDim);
    }
    for (String k : new String[] {"kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"}) {
      if (v.containsKey(k)) throw new IllegalArgumentException(f.at(k, ": " + k + " is for attention = mla"));
    }
    int kvHeads = positiveInt(file, lineOf, v, "num_key_value_heads");
    int headDim = positiveInt(file, lineOf, v, "head_dim");
    int heads = v.containsKey("num_attention_heads") ? positiveInt(file, lineOf, v, "num_attention_heads") : kvHeads;
    if (heads % kvHeads != 0) {
      throw new IllegalArgumentException(f.at("num_attention_heads", ": num_attention_heads (" + heads
          + ") must be a multiple of num_key_value_heads (" + kvHeads + ")"));
    }
    return new ModelProfile(name, layers, kvHeads, headDim, dtype, false, 0, 0, active, weights, heads, 2 * headDim);
  }

  private interface Field {
    String at(String key, String what);
  }

  private static int indexOfSeparator(String t) {
    int eq = t.indexOf('='), colon = t.indexOf(':');
    if (eq < 0) return colon;
    if (colon < 0) return eq;
    return Math.min(eq, colon);
  }

  private static String where(Path file, Map<String, Integer> lineOf, String key) {
    Integer line = lineOf.get(key);
    return line == null ? file.toString() : file + ":" + line;
  }

  private static int positiveInt(Path file, Map<String, Integer> lineOf, Map<String, String> v, String key) {
    String s = v.get(key);
    if (s == null) throw new IllegalArgumentException(file + ": missing '" + key + "'");
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(where(file, lineOf, key) + ": " + key + " must be a whole number >= 1, got '"
        + s + "'");
  }

  private static double positiveDouble(Path file, Map<String, Integer> lineOf, Map<String, String> v, String key) {
    String s = v.get(key);
    if (s == null) throw new IllegalArgumentException(file + ": missing '" + key + "' (billions)");
    try {
      double d = Double.parseDouble(s);
      if (d > 0 && Double.isFinite(d)) return d;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(where(file, lineOf, key) + ": " + key + " must be a number > 0, got '" + s + "'");
  }
}
