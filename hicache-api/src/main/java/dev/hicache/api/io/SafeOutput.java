package dev.hicache.api.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one way the project writes a file a user named: the target is checked before any work is
 * done, and written through a unique temporary file in the same folder that is renamed over it.
 *
 * <p>Everything runs as root, where nothing stops a rename over a device node, a FIFO or a socket;
 * so a target must be absent, or a regular file (a symbolic link is followed to one) in a folder
 * that exists and is writable. A reader of the target sees the old file or the new one, never half
 * of one, and a failure at any point removes the temporary file.
 */
public final class SafeOutput {
  private SafeOutput() {}

  /** What writing a checked target will do. */
  public enum Action {
    /** The target does not exist: it will be created. */
    CREATE,
    /** The target is an existing regular file: it will be replaced. */
    REPLACE
  }

  /** A target the project refuses to write; the message says why, without the path. */
  public static final class RefusedException extends IOException {
    private final transient Path target;

    RefusedException(Path target, String reason) {
      super(reason);
      this.target = target;
    }

    /** The path that was refused, as given. */
    public Path target() {
      return target;
    }
  }

  /** Writes the whole content to a stream (which the caller must not close). */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Checks that {@code target} may be written, before the work that produces its content.
   *
   * @return whether the target will be created or an existing regular file replaced
   * @throws RefusedException if it is a directory, a device, a FIFO, a socket, a dangling link, or
   *     its folder is missing or not writable
   */
  public static Action check(Path target) throws RefusedException {
    return resolve(target).action;
  }

  /** {@link #write(Path, Content)} for text, in UTF-8. */
  public static Action writeString(Path target, CharSequence text) throws IOException {
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    return write(target, out -> out.write(bytes));
  }

  /**
   * Writes {@code content} to {@code target} through a unique temporary file in the target's
   * folder, flushed to disk and then renamed over the target. The target is checked first and
   * again just before the rename; on any failure the temporary file is removed and the target is
   * left as it was.
   */
  public static Action write(Path target, Content content) throws IOException {
    Resolved r = resolve(target);
    Path dir = r.file.getParent();
    Path tmp = Files.createTempFile(dir, "." + r.file.getFileName() + ".", ".tmp");
    boolean done = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        content.writeTo(out);
        out.flush();
        ch.force(true);
      }
      permissions(tmp, r);
      // The target may have changed while the content was made: never rename over a non-file.
      Resolved again = resolve(target);
      if (!again.file.equals(r.file)) throw new RefusedException(target, "changed while it was being written");
      try {
        Files.move(tmp, r.file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        // Same folder, so this only happens on file systems without rename(2) semantics.
        Files.move(tmp, r.file, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
      return r.action;
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the first failure is the one to report
        }
      }
    }
  }

  private record Resolved(Path file, Action action) {}

  private static Resolved resolve(Path target) throws RefusedException {
    if (target == null || target.toString().isEmpty()) throw new RefusedException(target, "names no file");
    Path abs = target.toAbsolutePath();
    if (abs.getFileName() == null) throw new RefusedException(target, "is the file system's root, not a file");
    Path file = abs;
    if (Files.isSymbolicLink(abs)) {
      try {
        file = abs.toRealPath();
      } catch (IOException e) {
        throw new RefusedException(target, "is a symbolic link to nothing that exists");
      }
    }
    Action action;
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) throw new RefusedException(target, "is a directory");
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new RefusedException(target, "is " + kind(file) + ", not a regular file; it is never replaced");
      }
      action = Action.REPLACE;
    } else {
      action = Action.CREATE;
    }
    Path dir = file.getParent();
    if (dir == null) throw new RefusedException(target, "has no folder");
    if (!Files.isDirectory(dir)) {
      throw new RefusedException(target, Files.exists(dir) ? "its folder " + dir + " is not a directory"
          : "its folder " + dir + " does not exist");
    }
    if (!Files.isWritable(dir)) throw new RefusedException(target, "its folder " + dir + " is not writable");
    return new Resolved(file, action);
  }

  /** Names what kind of non-regular file {@code p} is, from its Unix mode where the platform has one. */
  static String kind(Path p) {
    try {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return switch (mode & 0170000) {
        case 0020000 -> "a character device";
        case 0060000 -> "a block device";
        case 0010000 -> "a FIFO";
        case 0140000 -> "a socket";
        default -> "a special file";
      };
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
      return "a special file";
    }
  }

  /**
   * Refuses {@code path} if it exists and is not a regular file: for files a component opens in
   * place (a store's slab, lock and index), which must never be a device, a FIFO or a directory.
   */
  public static void requireRegularOrAbsent(Path path) throws RefusedException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
    Path file = path;
    if (Files.isSymbolicLink(path)) {
      try {
        file = path.toRealPath();
      } catch (IOException e) {
        throw new RefusedException(path, "is a symbolic link to nothing that exists");
      }
    }
    if (Files.isDirectory(file)) throw new RefusedException(path, "is a directory");
    if (!Files.isRegularFile(file)) throw new RefusedException(path, "is " + kind(file) + ", not a regular file");
  }

  private static void permissions(Path tmp, Resolved r) throws IOException {
    try {
      Set<PosixFilePermission> perms = r.action == Action.REPLACE ? Files.getPosixFilePermissions(r.file)
          : PosixFilePermissions.fromString("rw-r--r--");
      Files.setPosixFilePermissions(tmp, perms);
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the temporary file's defaults stand
    } catch (NoSuchFileException e) {
      // the old target went away meanwhile: the new file keeps the default permissions
    }
  }
}
