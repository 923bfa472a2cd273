package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.spi.L3Exception;
import java.lang.foreign.MemoryLayout.PathElement;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Loading the library and the binding's coverage of store_c.h (docs/behaviour.md#loading-the-library, #store-functions). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoreCLibraryTest {

  @Test @Order(1)
  void load_missingExplicitPath_isALoadErrorSayingHowToObtainTheLibrary() {
    assertThatThrownBy(() -> StoreCLibrary.load(Path.of("/nonexistent/does-not-exist/libmooncake_store.so")))
        .isInstanceOf(MooncakeException.LibraryLoad.class)
        .isInstanceOf(L3Exception.class)
        .hasMessageContaining("/nonexistent/does-not-exist/libmooncake_store.so")
        .hasMessageContaining("no such file")
        .hasMessageContaining("-DWITH_STORE_C_SHARED=ON")
        .hasMessageContaining("MOONCAKE_STORE_LIBRARY")
        .satisfies(e -> assertThat(((L3Exception) e).reason()).isEqualTo(L3Exception.Cause.UNAVAILABLE));
    assertThat(StoreCLibrary.current()).as("a failed load leaves no library behind").isEmpty();
  }

  @Test @Order(2)
  void ensureLoaded_missingFileNamedByTheEnvironment_isALoadErrorNamingTheVariable() {
    assertThatThrownBy(() -> StoreCLibrary.ensureLoaded(Map.of("MOONCAKE_STORE_LIBRARY", "/nonexistent/libx.so")))
        .isInstanceOf(MooncakeException.LibraryLoad.class)
        .hasMessageContaining("MOONCAKE_STORE_LIBRARY=/nonexistent/libx.so");
    assertThat(StoreCLibrary.current()).isEmpty();
  }

  @Test @Order(3)
  void ensureLoaded_withoutTheVariable_searchesTheSystemPathForTheDefaultName() {
    // Needs a loader path without libmooncake_store.so: where LD_LIBRARY_PATH names the real
    // library's directory, the search would find it (and this process would load a real library
    // instead of the double). Skipped there, saying why.
    String found = onLibraryPath(System.getenv("LD_LIBRARY_PATH"));
    if (found != null) System.out.println("[SKIPPED] the system-path search test: " + found);
    org.junit.jupiter.api.Assumptions.assumeTrue(found == null, () -> String.valueOf(found));
    assertThatThrownBy(() -> StoreCLibrary.ensureLoaded(Map.of()))
        .isInstanceOf(MooncakeException.LibraryLoad.class)
        .hasMessageContaining("libmooncake_store.so")
        .hasMessageContaining("MOONCAKE_STORE_LIBRARY is not set");
  }

  @Test @Order(4)
  void open_aLibraryWithoutTheSymbols_isALoadErrorListingWhatIsMissing() {
    assertThatThrownBy(() -> StoreCLibrary.open("libc.so.6", "test"))
        .isInstanceOf(MooncakeException.LibraryLoad.class)
        .hasMessageContaining("is not a Mooncake Store C library")
        .hasMessageContaining("mooncake_store_create")
        .hasMessageContaining("mooncake_store_unregister_buffer");
  }

  @Test @Order(5)
  void theBinding_coversExactlyThe19FunctionsOfStoreCH() {
    StoreCLibrary lib = MooncakeDouble.library();
    assertThat(lib.boundFunctions()).hasSize(19).containsExactly(
        "mooncake_store_create", "mooncake_store_destroy", "mooncake_store_setup", "mooncake_store_init_all",
        "mooncake_store_health_check", "mooncake_store_put", "mooncake_store_put_from",
        "mooncake_store_batch_put_from", "mooncake_store_get_into", "mooncake_store_batch_get_into",
        "mooncake_store_is_exist", "mooncake_store_batch_is_exist", "mooncake_store_get_size",
        "mooncake_store_get_hostname", "mooncake_store_remove", "mooncake_store_remove_by_regex",
        "mooncake_store_remove_all", "mooncake_store_register_buffer", "mooncake_store_unregister_buffer");
    assertThat(lib.initAllBound()).as("init_all is resolved (a missing symbol must fail the load) but not exposed").isTrue();
    assertThat(StoreCLibrary.current()).contains(lib);
    assertThat(StoreCLibrary.ensureLoaded(Map.of("MOONCAKE_STORE_LIBRARY", "/elsewhere.so")))
        .as("the library is loaded at most once per process").isSameAs(lib);
  }

  @Test @Order(6)
  void load_afterALibraryIsLoaded_failsAsAlreadyLoaded() {
    MooncakeDouble.library();
    assertThatThrownBy(() -> StoreCLibrary.load(MooncakeDouble.path()))
        .isInstanceOf(MooncakeException.LibraryAlreadyLoaded.class)
        .hasMessageContaining("before any MooncakeStore is created");
  }

  /** Why the loader would find {@value StoreCLibrary#DEFAULT_LIBRARY} through {@code ldLibraryPath}; null if it would not. */
  static String onLibraryPath(String ldLibraryPath) {
    if (ldLibraryPath == null) return null;
    for (String dir : ldLibraryPath.split(":")) {
      if (dir.isEmpty()) continue;
      Path p = Path.of(dir, StoreCLibrary.DEFAULT_LIBRARY);
      if (java.nio.file.Files.exists(p)) return "LD_LIBRARY_PATH names " + dir + ", which holds " + p.getFileName();
    }
    return null;
  }

  @Test
  void onLibraryPath_findsTheLibraryInAnyListedDirectory() throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("mc-ldpath");
    try {
      assertThat(onLibraryPath("/nonexistent:" + dir)).isNull();
      java.nio.file.Files.createFile(dir.resolve(StoreCLibrary.DEFAULT_LIBRARY));
      assertThat(onLibraryPath("/nonexistent::" + dir)).contains(dir.toString());
    } finally {
      java.nio.file.Files.deleteIfExists(dir.resolve(StoreCLibrary.DEFAULT_LIBRARY));
      java.nio.file.Files.delete(dir);
    }
  }

  /** The exported mooncake_store_* symbols of {@code library}, read with binutils' nm; null without nm. */
  static java.util.Set<String> exportedStoreSymbols(Path library) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("nm", "-D", "--defined-only", library.toString()).redirectErrorStream(true).start();
    } catch (java.io.IOException noNm) {
      return null;
    }
    var out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("nm output: %s", out).isZero();
    var names = new java.util.TreeSet<String>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 3 && f[1].equals("T") && f[2].startsWith("mooncake_store_")) names.add(f[2]);
    }
    return names;
  }

  @Test
  void theDouble_exportsExactlyTheFunctionsTheBindingDeclares() throws Exception {
    var exported = exportedStoreSymbols(MooncakeDouble.path());
    org.junit.jupiter.api.Assumptions.assumeTrue(exported != null, "nm (binutils) is not installed");
    assertThat(exported).containsExactlyInAnyOrderElementsOf(StoreCLibrary.FUNCTIONS.keySet());
  }

  @Test
  void replicateConfigLayout_matchesTheCStruct() {
    var l = StoreCLibrary.REPLICATE_CONFIG;
    assertThat(l.byteSize()).isEqualTo(32);
    assertThat(l.byteAlignment()).isEqualTo(8);
    assertThat(l.byteOffset(PathElement.groupElement("replica_num"))).isZero();
    assertThat(l.byteOffset(PathElement.groupElement("with_soft_pin"))).isEqualTo(8);
    assertThat(l.byteOffset(PathElement.groupElement("with_hard_pin"))).isEqualTo(12);
    assertThat(l.byteOffset(PathElement.groupElement("preferred_segments"))).isEqualTo(16);
    assertThat(l.byteOffset(PathElement.groupElement("preferred_segments_count"))).isEqualTo(24);
  }
}
