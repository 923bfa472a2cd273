package dev.hicache.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The BOM has no parent (see its pom): its version and module list must follow the parent's. */
class BomVersionTest {
  private static String firstVersion(String pom) {
    // The project's own version: the first <version> after </parent> or after <artifactId>.
    Matcher m = Pattern.compile("<artifactId>hicache-(?:parent|bom)</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test void bom_matchesTheParentsVersionAndModules() throws IOException {
    Path root = Path.of("..");
    String parent = Files.readString(root.resolve("pom.xml"));
    String bom = Files.readString(root.resolve("hicache-bom/pom.xml"));
    assertThat(firstVersion(bom)).isEqualTo(firstVersion(parent));
    List<String> modules = new ArrayList<>();
    Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
    while (m.find()) modules.add(m.group(1));
    for (String module : modules) {
      if (module.equals("hicache-bom") || module.equals("benchmarks")) continue;
      assertThat(bom).as(module).contains("<artifactId>" + module + "</artifactId>");
    }
  }
}
