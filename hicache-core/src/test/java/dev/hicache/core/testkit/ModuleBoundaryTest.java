package dev.hicache.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boundary check itself: it must catch a class-path client that reaches past the exports. */
class ModuleBoundaryTest {
  private static final ClassDesc TREE = ClassDesc.of("dev.hicache.core.tree.HiRadixTree");
  private static final ClassDesc STORAGE = ClassDesc.of("dev.hicache.core.storage.StorageController");
  private static final ClassDesc FACADE = ClassDesc.of("dev.hicache.core.engine.HiCache");

  /** Compiles a class that names the tree in a signature and the storage controller and the facade in its code. */
  private static Path client(Path dir) throws Exception {
    byte[] b = ClassFile.of().build(ClassDesc.of("demo.Client"), cb -> cb.withMethod("touch",
        MethodTypeDesc.of(ConstantDescs.CD_void, TREE), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, mb -> mb.withCode(code -> {
          code.ldc(STORAGE);
          code.pop();
          code.ldc(FACADE);
          code.pop();
          code.return_();
        })));
    Files.createDirectories(dir.resolve("demo"));
    Files.write(dir.resolve("demo/Client.class"), b);
    return dir;
  }

  @Test void coresDescriptor_isOnTheClassPath_withItsExports() {
    ModuleBoundary b = ModuleBoundary.fromClassPath();
    assertThat(b.moduleNames()).contains("dev.hicache.api", "dev.hicache.core");
  }

  @Test void aReferenceToANonExportedPackage_isAViolation_anExportedOneIsNot(@TempDir Path dir) throws Exception {
    ModuleBoundary b = ModuleBoundary.fromClassPath();
    assertThat(b.violations("demo.client", client(dir))).containsExactly(
        "demo.Client -> dev.hicache.core.storage.StorageController (dev.hicache.core)",
        "demo.Client -> dev.hicache.core.tree.HiRadixTree (dev.hicache.core)");
  }

  @Test void aQualifiedExport_letsOnlyTheNamedModuleIn(@TempDir Path dir) throws Exception {
    ModuleBoundary b = ModuleBoundary.fromClassPath();
    assertThat(b.violations("dev.hicache.simulator", client(dir)))
        .containsExactly("demo.Client -> dev.hicache.core.storage.StorageController (dev.hicache.core)");
  }
}
