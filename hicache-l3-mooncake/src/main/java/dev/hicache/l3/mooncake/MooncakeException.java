package dev.hicache.l3.mooncake;

import dev.hicache.api.spi.L3Exception;

/**
 * Every failure of the Mooncake binding: an {@link L3Exception} (so the engine's IO loop counts it
 * by cause) whose subclass matches one variant of Mooncake's Rust binding error
 * (docs/behaviour.md#error-codes): {@link NullHandle}, {@link InvalidString}, {@link
 * OperationFailed}, {@link InvalidArgument}, {@link LibraryLoad}, {@link LibraryAlreadyLoaded}.
 * (The Rust {@code NotFound} is never produced there either: a missing key is {@code
 * OperationFailed(-704)}.)
 */
public sealed class MooncakeException extends L3Exception {

  MooncakeException(Cause cause, String message, Throwable source) {
    super(cause, message, source);
  }

  /** {@code mooncake_store_create} returned NULL, or the store is closed. */
  public static final class NullHandle extends MooncakeException {
    public NullHandle(String message) {
      super(Cause.UNAVAILABLE, message, null);
    }
  }

  /** A string argument cannot become a C string (an interior NUL, or not the key alphabet). */
  public static final class InvalidString extends MooncakeException {
    public InvalidString(String message) {
      super(Cause.INVALID_ARGUMENT, message, null);
    }
  }

  /** The library returned a negative code (or an unexpected status). */
  public static final class OperationFailed extends MooncakeException {
    private final long code;

    public OperationFailed(String operation, long code) {
      super(ErrorCode.causeOf(code), operation + " failed: " + ErrorCode.describe(code), null);
      this.code = code;
    }

    /** The raw return value. */
    public long code() {
      return code;
    }

    /** The named code, or {@code null} when the library returned a code this binding does not know. */
    public ErrorCode errorCode() {
      return ErrorCode.of(code);
    }
  }

  /** The caller passed arguments the binding refuses before calling the library. */
  public static final class InvalidArgument extends MooncakeException {
    public InvalidArgument(String message) {
      super(Cause.INVALID_ARGUMENT, message, null);
    }

    public InvalidArgument(String message, Throwable source) {
      super(Cause.INVALID_ARGUMENT, message, source);
    }
  }

  /** {@code libmooncake_store.so} could not be opened, or lacks a symbol of store_c.h. */
  public static final class LibraryLoad extends MooncakeException {
    public LibraryLoad(String message, Throwable source) {
      super(Cause.UNAVAILABLE, message, source);
    }
  }

  /** An explicit library path was given after a library was already loaded in this process. */
  public static final class LibraryAlreadyLoaded extends MooncakeException {
    public LibraryAlreadyLoaded(String message) {
      super(Cause.INVALID_ARGUMENT, message, null);
    }
  }

  /** A call did not finish before its deadline. */
  public static final class Timeout extends MooncakeException {
    public Timeout(String message) {
      super(Cause.TIMEOUT, message, null);
    }
  }
}
