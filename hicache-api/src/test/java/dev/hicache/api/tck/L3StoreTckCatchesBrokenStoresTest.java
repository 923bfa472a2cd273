package dev.hicache.api.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The TCK can fail: each broken double breaks one rule, and the TCK property for that rule fails
 * on it (while {@link InMemoryL3StoreDoubleTckTest} shows the same properties pass on a correct
 * store).
 */
class L3StoreTckCatchesBrokenStoresTest {

  static Stream<Arguments> brokenStores() {
    return Stream.of(
        Arguments.of(BrokenL3StoreDoubles.LeadingRunIgnoringTck.class, "batchExists_countsOnlyTheLeadingRunOfPresentPages"),
        Arguments.of(BrokenL3StoreDoubles.TruncatingTck.class, "batchGet_targetPartSmallerThanStored_reportsThePageAbsentNotTruncated"),
        Arguments.of(BrokenL3StoreDoubles.OverwritingTck.class, "batchSet_pageAlreadyPresent_isSkippedAndReportedStored"),
        Arguments.of(BrokenL3StoreDoubles.TearingTck.class, "concurrentUse_neverReturnsATornOrForeignPage"),
        Arguments.of(BrokenL3StoreDoubles.PartDroppingTck.class, "batchSet_thenBatchGet_roundTripsEveryByte"),
        Arguments.of(BrokenL3StoreDoubles.ValidatingLateTck.class, "badArguments_areRejected_andLeaveNothingWritten"),
        Arguments.of(BrokenL3StoreDoubles.RepeatedKeyLastOnlyTck.class, "batchGet_sameKeyMoreThanOnceInOneBatch_fillsEveryTarget"),
        Arguments.of(BrokenL3StoreDoubles.RemovingUnderReadersTck.class, "remove_whileOthersRead_neverHandsAReaderATornOrForeignPage"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("brokenStores")
  void tck_failsABrokenStore(Class<? extends L3StoreTck> tck, String property) {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request().selectors(selectMethod(tck, property)).build(), listener);
    TestExecutionSummary summary = listener.getSummary();
    assertThat(summary.getTestsFoundCount()).as("the property ran").isEqualTo(1);
    assertThat(summary.getTestsFailedCount()).as("the TCK caught %s", tck.getSimpleName()).isEqualTo(1);
    assertThat(summary.getFailures().getFirst().getException())
        .as("it failed on the contract, not on an accident").isInstanceOf(AssertionError.class);
  }
}
