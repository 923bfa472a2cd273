package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.hicache.api.spi.L3Exception.Cause;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The 32-bit ErrorCode enum of types.h and the cache's reading of it (docs/behaviour.md#error-codes). */
class ErrorCodeTest {

  @Test
  void codes_areUniqueAndMatchTheSpecTable() {
    assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::code).distinct().count())
        .isEqualTo(ErrorCode.values().length);
    assertThat(ErrorCode.of(0)).isEqualTo(ErrorCode.OK);
    assertThat(ErrorCode.of(-200)).isEqualTo(ErrorCode.NO_AVAILABLE_HANDLE);
    assertThat(ErrorCode.of(-704)).isEqualTo(ErrorCode.OBJECT_NOT_FOUND);
    assertThat(ErrorCode.of(-714)).isEqualTo(ErrorCode.OBJECT_REPLICA_BUSY);
    assertThat(ErrorCode.of(-1102)).isEqualTo(ErrorCode.FILE_READ_FAIL);
    assertThat(ErrorCode.of(-1203)).isEqualTo(ErrorCode.KEYS_ULTRA_LIMIT);
    assertThat(ErrorCode.of(-1402)).isEqualTo(ErrorCode.JOB_NOT_FOUND);
    assertThat(ErrorCode.of(-1605)).isEqualTo(ErrorCode.DFS_PARTIAL_WRITE);
    assertThat(ErrorCode.of(-1702)).isEqualTo(ErrorCode.TENANT_NOT_EMPTY);
    assertThat(ErrorCode.values()).hasSize(72);
  }

  @Test
  void minusOne_isAmbiguous_andSaysSo() {
    assertThat(ErrorCode.of(-1).isAmbiguous()).isTrue();
    assertThat(ErrorCode.describe(-1)).contains("ambiguous").contains("INTERNAL_ERROR");
    assertThat(ErrorCode.causeOf(-1)).isEqualTo(Cause.INTERNAL);
    assertThat(Arrays.stream(ErrorCode.values()).filter(ErrorCode::isAmbiguous)).containsExactly(ErrorCode.INTERNAL_ERROR);
  }

  @Test
  void theAdoptedMapping_forTheCache() {
    assertThat(ErrorCode.OBJECT_NOT_FOUND.isMiss()).isTrue();
    assertThat(ErrorCode.REPLICA_IS_NOT_READY.isMiss()).isTrue();
    for (ErrorCode c : new ErrorCode[] {ErrorCode.LEASE_EXPIRED, ErrorCode.TRANSFER_FAIL, ErrorCode.RPC_FAIL,
        ErrorCode.RPC_TIMEOUT, ErrorCode.CHECKSUM_MISMATCH}) {
      assertThat(c.isMiss()).as("%s is a miss for reads", c).isTrue();
    }
    assertThat(ErrorCode.INVALID_PARAMS.isMiss()).isFalse();
    assertThat(ErrorCode.NO_AVAILABLE_HANDLE.cause()).isEqualTo(Cause.FULL);
    assertThat(ErrorCode.CHECKSUM_MISMATCH.cause()).isEqualTo(Cause.CORRUPT);
    assertThat(ErrorCode.RPC_TIMEOUT.cause()).isEqualTo(Cause.TIMEOUT);
    assertThat(ErrorCode.INVALID_PARAMS.cause()).isEqualTo(Cause.INVALID_ARGUMENT);
    assertThat(ErrorCode.TRANSFER_FAIL.cause()).isEqualTo(Cause.UNAVAILABLE);
  }

  @Test
  void anyCode_hasADescriptionAndACause_evenOnesThisBindingDoesNotKnow() {
    qt().forAll(integers().between(-5000, 0)).checkAssert(code -> {
      String d = ErrorCode.describe(code);
      assertThat(d).contains(String.valueOf(code));
      assertThat(ErrorCode.causeOf(code)).isNotNull();
      ErrorCode c = ErrorCode.of(code);
      if (c != null) assertThat(c.code()).isEqualTo(code);
      else assertThat(d).startsWith("unknown error code");
    });
    assertThat(ErrorCode.of(5)).isNull();
  }

  @Test
  void operationFailed_carriesTheCodeItsNameAndTheCause() {
    var e = new MooncakeException.OperationFailed("mooncake_store_put(k)", -200);
    assertThat(e.code()).isEqualTo(-200);
    assertThat(e.errorCode()).isEqualTo(ErrorCode.NO_AVAILABLE_HANDLE);
    assertThat(e.reason()).isEqualTo(Cause.FULL);
    assertThat(e).hasMessage("mooncake_store_put(k) failed: NO_AVAILABLE_HANDLE (-200)");
  }
}
