package dev.hicache.l3.mooncake;

import java.util.Map;
import java.util.Set;

/**
 * The seven arguments of {@code mooncake_store_setup} (docs/behaviour.md#setup-parameters), checked
 * in Java first because some bad values abort the whole process inside the library (a metadata
 * scheme it was not built with, {@code cxl} without {@code MC_CXL_DEV_SIZE}).
 *
 * @param localHostname {@code host} or {@code host:port} this client registers as (required)
 * @param metadataServer transfer-engine metadata: {@code P2PHANDSHAKE} or an {@code http(s)://} URL
 * @param globalSegmentSize bytes this client mounts into the cluster pool (0 = a pure client)
 * @param localBufferSize bytes of the registered staging buffer (0 = copying put unavailable)
 * @param protocol transport, lowercase ({@code tcp}, {@code rdma}, ...)
 * @param deviceName comma-separated NIC list, {@code ""} for automatic discovery
 * @param masterServerAddress the master's {@code host:port} (or an {@code etcd://}/{@code redis://}
 *     HA address)
 */
public record SetupParams(String localHostname, String metadataServer, long globalSegmentSize, long localBufferSize,
    String protocol, String deviceName, String masterServerAddress) {

  /** Protocols the library knows (docs/behaviour.md#setup-parameters); matched exactly, lowercase. */
  public static final Set<String> PROTOCOLS = Set.of("tcp", "rdma", "efa", "cxl", "ascend", "ub", "ubshmem",
      "sunrise_link", "cxi", "nvlink_intra", "rpc_only");

  /** The largest segment the library accepts (docs/behaviour.md#setup-parameters). */
  public static final long MAX_SEGMENT_BYTES = 1L << 40;

  /** Metadata that needs no etcd or redis support in the library (docs/behaviour.md#setup-parameters). */
  public static boolean isSupportedMetadata(String m) {
    return m != null && (m.equals("P2PHANDSHAKE") || m.startsWith("http://") || m.startsWith("https://"));
  }

  /**
   * Refuses everything that would fail or abort inside {@code setup}; {@code env} is the process
   * environment as the library will see it ({@code MC_CXL_DEV_SIZE}).
   */
  public SetupParams validate(Map<String, String> env) {
    return validate(env, java.util.function.UnaryOperator.identity());
  }

  /**
   * As {@link #validate(Map)}, naming each parameter in errors as {@code label} says (e.g. the
   * environment variable it came from).
   */
  public SetupParams validate(Map<String, String> env, java.util.function.UnaryOperator<String> label) {
    require(label, localHostname != null && !localHostname.isBlank(), "local_hostname", localHostname,
        "is required (this client's host or host:port)");
    if (!isSupportedMetadata(metadataServer)) {
      throw invalid(label, "metadata_server", metadataServer, "must be P2PHANDSHAKE or an http:// or https:// URL such as "
          + "http://127.0.0.1:8080/metadata: the library aborts the process on any scheme it was not built with "
          + "(etcd and redis are off in a default build, and an empty value parses as etcd)");
    }
    require(label, protocol != null && PROTOCOLS.contains(protocol), "protocol", protocol, "must be one of " + PROTOCOLS);
    if (protocol.equals("cxl") && (env.get("MC_CXL_DEV_SIZE") == null || env.get("MC_CXL_DEV_SIZE").isEmpty())) {
      throw invalid(label, "protocol", protocol, "needs MC_CXL_DEV_SIZE in the environment (the library aborts without it)");
    }
    require(label, deviceName != null, "device_name", deviceName, "must not be null (use \"\" for automatic discovery)");
    require(label, masterServerAddress != null && !masterServerAddress.isBlank(), "master_server_address",
        masterServerAddress, "is required, e.g. 127.0.0.1:50051");
    require(label, globalSegmentSize >= 0 && globalSegmentSize <= MAX_SEGMENT_BYTES, "global_segment_size",
        String.valueOf(globalSegmentSize), "must be between 0 and 1 TiB");
    require(label, localBufferSize >= 0, "local_buffer_size", String.valueOf(localBufferSize), "must be >= 0");
    for (String[] s : new String[][] {{"local_hostname", localHostname}, {"metadata_server", metadataServer},
        {"protocol", protocol}, {"device_name", deviceName}, {"master_server_address", masterServerAddress}}) {
      if (s[1].indexOf('\0') >= 0) throw invalid(label, s[0], s[1].replace("\0", "\\0"), "contains a NUL character");
    }
    return this;
  }

  private static void require(java.util.function.UnaryOperator<String> label, boolean ok, String name, String value, String rule) {
    if (!ok) throw invalid(label, name, value, rule);
  }

  private static MooncakeException.InvalidArgument invalid(java.util.function.UnaryOperator<String> label, String name,
      String value, String rule) {
    return new MooncakeException.InvalidArgument("Mooncake setup: " + label.apply(name) + " = "
        + (value == null ? "null" : "'" + value + "'") + " " + rule);
  }
}
