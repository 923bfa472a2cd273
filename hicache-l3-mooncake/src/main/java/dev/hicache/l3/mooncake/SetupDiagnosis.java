package dev.hicache.l3.mooncake;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * After a failed or overdue {@code setup}, finds out which server could not be reached, so that
 * the error names it: the library itself answers only {@code -1} (INTERNAL_ERROR, ambiguous with
 * its own argument rejection), and only after retrying for about 90 s against an absent master.
 * Each server gets one TCP connect, bounded by {@code perServer}.
 */
final class SetupDiagnosis {
  private SetupDiagnosis() {}

  /** One line per server: what was tried and what happened. */
  static String describe(SetupParams params, Duration perServer) {
    List<String> lines = new ArrayList<>();
    lines.add(probe("master " + params.masterServerAddress() + " (MOONCAKE_MASTER)", hostPort(params.masterServerAddress()),
        perServer));
    String meta = params.metadataServer();
    if (meta != null && (meta.startsWith("http://") || meta.startsWith("https://"))) {
      lines.add(probe("metadata server " + meta + " (MOONCAKE_TE_META_DATA_SERVER)", urlHostPort(meta), perServer));
    }
    return String.join("; ", lines);
  }

  private static String probe(String what, InetSocketAddress address, Duration timeout) {
    if (address == null) return what + ": not a host:port address, not checked";
    if (address.isUnresolved()) return what + ": UNREACHABLE, host '" + address.getHostString() + "' does not resolve";
    try (Socket s = new Socket()) {
      s.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
      return what + ": accepts connections";
    } catch (java.net.SocketTimeoutException e) {
      return what + ": UNREACHABLE, no answer within " + timeout.toMillis() + " ms";
    } catch (IOException e) {
      return what + ": UNREACHABLE, " + e.getMessage();
    }
  }

  /** {@code host:port}, or null for HA addresses ({@code etcd://}, {@code redis://}) and malformed ones. */
  static InetSocketAddress hostPort(String s) {
    if (s == null || s.contains("://")) return null;
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) return null;
    try {
      int port = Integer.parseInt(s.substring(colon + 1));
      if (port < 1 || port > 65535) return null;
      return resolve(s.substring(0, colon).replace("[", "").replace("]", ""), port);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static InetSocketAddress urlHostPort(String url) {
    try {
      URI u = URI.create(url);
      if (u.getHost() == null) return null;
      int port = u.getPort() > 0 ? u.getPort() : url.startsWith("https://") ? 443 : 80;
      return resolve(u.getHost(), port);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static InetSocketAddress resolve(String host, int port) {
    try {
      return new InetSocketAddress(java.net.InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      return InetSocketAddress.createUnresolved(host, port);
    }
  }
}
