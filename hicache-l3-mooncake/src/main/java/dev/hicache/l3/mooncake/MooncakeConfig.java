package dev.hicache.l3.mooncake;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Mooncake client configuration with SGLang's sources and precedence
 * (docs/behaviour.md#mooncake-configuration): the backend's extra config when it names {@code
 * master_server_address}; else the JSON file named by {@value #CONFIG_PATH_ENV}; else the {@code
 * MOONCAKE_*} environment.
 *
 * @param localHostname {@code MOONCAKE_LOCAL_HOSTNAME} (legacy {@code LOCAL_HOSTNAME}), default {@code localhost}
 * @param metadataServer {@code MOONCAKE_TE_META_DATA_SERVER}, default {@code P2PHANDSHAKE}
 * @param globalSegmentSize {@code MOONCAKE_GLOBAL_SEGMENT_SIZE}: bytes the whole instance (all
 *     TP×PP ranks together) contributes; default 4 GiB
 * @param localBufferSize {@code MOONCAKE_LOCAL_BUFFER_SIZE}, default 16 MiB (what SGLang passes)
 * @param protocol {@code MOONCAKE_PROTOCOL}, default {@code tcp}
 * @param deviceName {@code MOONCAKE_DEVICE}: a NIC list, or a JSON map from TP rank to NIC list
 * @param masterServerAddress {@code MOONCAKE_MASTER} (required)
 * @param extraBackendTag SGLang's {@code extra_backend_tag}, a key prefix; null for none
 * @param source where the values came from, for error messages
 */
public record MooncakeConfig(String localHostname, String metadataServer, long globalSegmentSize,
    long localBufferSize, String protocol, String deviceName, String masterServerAddress,
    String extraBackendTag, String source) {

  private static final System.Logger LOG = System.getLogger(MooncakeConfig.class.getName());

  public static final String CONFIG_PATH_ENV = "SGLANG_HICACHE_MOONCAKE_CONFIG_PATH";
  public static final String DEFAULT_LOCAL_HOSTNAME = "localhost";
  public static final String DEFAULT_METADATA_SERVER = "P2PHANDSHAKE";
  public static final long DEFAULT_GLOBAL_SEGMENT_SIZE = 4L << 30;
  public static final long DEFAULT_LOCAL_BUFFER_SIZE = 16L << 20;
  public static final String DEFAULT_PROTOCOL = "tcp";

  /** Loads the configuration from the process environment and no extra config. */
  public static MooncakeConfig load() {
    return load(System.getenv(), Map.of());
  }

  /**
   * Loads the configuration.
   *
   * @param env the environment (injectable for tests)
   * @param extraConfig the parsed {@code --hicache-storage-backend-extra-config}, possibly empty
   */
  public static MooncakeConfig load(Map<String, String> env, Map<String, ?> extraConfig) {
    String tag = extraConfig.get("extra_backend_tag") == null ? null
        : string(extraConfig, "extra_backend_tag", "", "the extra config");
    if (extraConfig.get("master_server_address") != null || extraConfig.get("client_server_address") != null) {
      return fromMap(extraConfig, env, tag, "the extra config");
    }
    String path = env.get(CONFIG_PATH_ENV);
    if (path != null && !path.isEmpty()) {
      String text;
      try {
        text = Files.readString(Path.of(path), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new MooncakeException.InvalidArgument(CONFIG_PATH_ENV + "=" + path + ": cannot read the file (" + e + ")", e);
      }
      Object json;
      try {
        json = Json.parse(text, path);
      } catch (IllegalArgumentException e) {
        throw new MooncakeException.InvalidArgument(CONFIG_PATH_ENV + ": " + e.getMessage(), e);
      }
      if (!(json instanceof Map<?, ?> m)) {
        throw new MooncakeException.InvalidArgument(path + ": the Mooncake config must be a JSON object");
      }
      @SuppressWarnings("unchecked") Map<String, ?> map = (Map<String, ?>) m;
      if (map.get("master_server_address") == null && map.get("client_server_address") == null) {
        throw new MooncakeException.InvalidArgument(path + " (" + CONFIG_PATH_ENV + "): master_server_address is required");
      }
      return fromMap(map, env, tag, "file " + path);
    }
    return fromEnv(env, tag);
  }

  private static MooncakeConfig fromMap(Map<String, ?> m, Map<String, String> env, String tag, String src) {
    refuseDummyMode(m.get("client_server_address") != null || Boolean.TRUE.equals(m.get("standalone_storage")), src);
    return new MooncakeConfig(
        string(m, "local_hostname", DEFAULT_LOCAL_HOSTNAME, src),
        string(m, "metadata_server", DEFAULT_METADATA_SERVER, src),
        m.containsKey("global_segment_size")
            ? parseSize("global_segment_size", m.get("global_segment_size"), src) : DEFAULT_GLOBAL_SEGMENT_SIZE,
        m.containsKey("local_buffer_size")
            ? parseSize("local_buffer_size", m.get("local_buffer_size"), src) : localBufferFromEnv(env),
        string(m, "protocol", DEFAULT_PROTOCOL, src),
        deviceString(m.get("device_name"), src),
        string(m, "master_server_address", null, src),
        tag, src);
  }

  private static MooncakeConfig fromEnv(Map<String, String> env, String tag) {
    String src = "the environment";
    refuseDummyMode(env.get("MOONCAKE_CLIENT") != null
        || "1".equals(env.get("MOONCAKE_STANDALONE_STORAGE")) || "true".equalsIgnoreCase(env.get("MOONCAKE_STANDALONE_STORAGE")), src);
    String master = env.get("MOONCAKE_MASTER");
    if (master == null || master.isBlank()) {
      throw new MooncakeException.InvalidArgument("MOONCAKE_MASTER is not set: name the Mooncake master as host:port "
          + "(e.g. MOONCAKE_MASTER=127.0.0.1:50051), or set " + CONFIG_PATH_ENV + " to a JSON config file");
    }
    String host = env.get("MOONCAKE_LOCAL_HOSTNAME");
    if (host == null) host = env.getOrDefault("LOCAL_HOSTNAME", DEFAULT_LOCAL_HOSTNAME);
    String seg = env.get("MOONCAKE_GLOBAL_SEGMENT_SIZE");
    return new MooncakeConfig(host,
        env.getOrDefault("MOONCAKE_TE_META_DATA_SERVER", DEFAULT_METADATA_SERVER),
        seg == null ? DEFAULT_GLOBAL_SEGMENT_SIZE : parseSize("MOONCAKE_GLOBAL_SEGMENT_SIZE", seg, src),
        localBufferFromEnv(env),
        env.getOrDefault("MOONCAKE_PROTOCOL", DEFAULT_PROTOCOL),
        env.getOrDefault("MOONCAKE_DEVICE", ""),
        master, tag, src);
  }

  private static void refuseDummyMode(boolean dummy, String src) {
    if (dummy) {
      throw new MooncakeException.InvalidArgument(src + " asks for Mooncake's dummy-client mode (client_server_address"
          + " / MOONCAKE_CLIENT / standalone_storage), which the C ABI cannot reach (docs/behaviour.md#mooncake-configuration): "
          + "configure master_server_address / MOONCAKE_MASTER and let this process set up a real client");
    }
  }

  private static long localBufferFromEnv(Map<String, String> env) {
    for (String name : List.of("MOONCAKE_LOCAL_BUFFER_SIZE", "SGLANG_MOONCAKE_LOCAL_BUFFER_SIZE")) {
      String v = env.get(name);
      if (v != null) return parseSize(name, v, "the environment");
    }
    return DEFAULT_LOCAL_BUFFER_SIZE;
  }

  private static String string(Map<String, ?> m, String key, String dflt, String src) {
    Object v = m.get(key);
    if (v == null) {
      if (dflt == null) throw new MooncakeException.InvalidArgument(src + ": " + key + " is required");
      return dflt;
    }
    if (!(v instanceof String s)) {
      throw new MooncakeException.InvalidArgument(src + ": " + key + " = " + v + " must be a string");
    }
    return s;
  }

  /** device_name may be a string, or (in a file) already a JSON object mapping TP rank to NICs. */
  private static String deviceString(Object v, String src) {
    if (v == null) return "";
    if (v instanceof String s) return s;
    if (v instanceof Map<?, ?> m) {
      // Back to JSON text, which deviceFor reads per rank like a MOONCAKE_DEVICE value.
      return m.entrySet().stream().map(e -> quote(String.valueOf(e.getKey())) + ":" + (e.getValue() instanceof List<?> l
              ? l.stream().map(x -> quote(String.valueOf(x))).collect(Collectors.joining(",", "[", "]"))
              : quote(String.valueOf(e.getValue()))))
          .collect(Collectors.joining(",", "{", "}"));
    }
    throw new MooncakeException.InvalidArgument(src + ": device_name = " + v + " must be a string or a JSON object");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static final Pattern SGLANG_SIZE = Pattern.compile("(\\d+)(gb)?");
  private static final Pattern PYTHON_SIZE =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)\\s*(kb|mb|gb|tb|k|m|g|t|b)?");

  /**
   * SGLang's size syntax (docs/behaviour.md#global-segment-size): an integer number of bytes, or
   * {@code "<n>gb"} (n × 2^30). Mooncake's Python superset (kb/mb/gb/tb/k/m/g/t/b, decimals,
   * 1024-based) is accepted with a warning, since SGLang itself would refuse it.
   */
  public static long parseSize(String name, Object value, String src) {
    if (value instanceof Long l) {
      if (l < 0) throw badSize(name, value, src, "is negative");
      return l;
    }
    if (!(value instanceof String str)) throw badSize(name, value, src, "must be an integer or a string such as \"4gb\"");
    String s = str.strip().toLowerCase(Locale.ROOT);
    Matcher m = SGLANG_SIZE.matcher(s);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return m.group(2) == null ? n : Math.multiplyExact(n, 1L << 30);
      }
      m = PYTHON_SIZE.matcher(s);
      if (m.matches()) {
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        long mult = switch (unit.charAt(0)) {
          case 'k' -> 1L << 10;
          case 'm' -> 1L << 20;
          case 'g' -> 1L << 30;
          case 't' -> 1L << 40;
          default -> 1L;
        };
        double bytes = n * mult;
        if (bytes >= 0x1p63) throw badSize(name, value, src, "is too large");
        LOG.log(System.Logger.Level.WARNING, "{0} = \"{1}\" ({2}) is Mooncake's size syntax, which SGLang refuses"
            + " (it accepts only an integer or \"<n>gb\"); read as {3} bytes", name, str, src, (long) bytes);
        return (long) bytes;
      }
    } catch (ArithmeticException | NumberFormatException e) {
      throw badSize(name, value, src, "is too large");
    }
    throw badSize(name, value, src, "is not a size: use an integer number of bytes or \"<n>gb\"");
  }

  private static MooncakeException.InvalidArgument badSize(String name, Object value, String src, String why) {
    return new MooncakeException.InvalidArgument(name + " = " + (value instanceof String ? "\"" + value + "\"" : value)
        + " (" + src + ") " + why);
  }

  /**
   * The NICs for one TP rank: {@code deviceName} itself, or its entry for {@code tpRank} when it is
   * a JSON map (docs/behaviour.md#mooncake-configuration).
   */
  public String deviceFor(int tpRank) {
    String d = deviceName.strip();
    if (!d.startsWith("{")) return deviceName;
    Object json;
    try {
      json = Json.parse(d, "device_name (" + source + ")");
    } catch (IllegalArgumentException e) {
      throw new MooncakeException.InvalidArgument(e.getMessage(), e);
    }
    Map<?, ?> map = (Map<?, ?>) json;
    Object v = map.get(String.valueOf(tpRank));
    if (v == null) {
      throw new MooncakeException.InvalidArgument("device_name (" + source + ") maps TP ranks " + map.keySet()
          + " to NICs but has no entry for TP rank " + tpRank);
    }
    if (v instanceof List<?> l) return l.stream().map(String::valueOf).collect(Collectors.joining(","));
    return String.valueOf(v);
  }

  /** The global segment one rank mounts: the instance total divided by tp × pp (docs/behaviour.md#global-segment-size). */
  public long perRankSegmentSize(int tpSize, int ppSize) {
    if (tpSize < 1 || ppSize < 1) {
      throw new MooncakeException.InvalidArgument("tp_size and pp_size must be >= 1, got " + tpSize + " and " + ppSize);
    }
    return globalSegmentSize / ((long) tpSize * ppSize);
  }

  /**
   * The setup arguments for one rank, validated ({@link SetupParams#validate}); {@code env} is the
   * environment the library will see.
   */
  public SetupParams setupParams(int tpRank, int tpSize, int ppSize, Map<String, String> env) {
    if (tpRank < 0 || tpRank >= tpSize) {
      throw new MooncakeException.InvalidArgument("tp_rank " + tpRank + " is outside [0, " + tpSize + ")");
    }
    return new SetupParams(localHostname, metadataServer, perRankSegmentSize(tpSize, ppSize), localBufferSize,
        protocol, deviceFor(tpRank), masterServerAddress).validate(env, this::label);
  }

  private static final Map<String, String> ENV_NAMES = Map.of(
      "local_hostname", "MOONCAKE_LOCAL_HOSTNAME", "metadata_server", "MOONCAKE_TE_META_DATA_SERVER",
      "global_segment_size", "MOONCAKE_GLOBAL_SEGMENT_SIZE", "local_buffer_size", "MOONCAKE_LOCAL_BUFFER_SIZE",
      "protocol", "MOONCAKE_PROTOCOL", "device_name", "MOONCAKE_DEVICE", "master_server_address", "MOONCAKE_MASTER");

  /** How a setup parameter is named where it came from. */
  private String label(String param) {
    if (source.equals("the environment")) return ENV_NAMES.getOrDefault(param, param) + " (or its default)";
    return param + " (" + source + ")";
  }
}
