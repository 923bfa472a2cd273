package dev.hicache.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Comments and messages point only to the project's own docs (docs/behaviour.md, docs/design.md,
 * docs/benchmarks.md), never to the behavioural notes the project was built from, which live
 * outside the repository: no section signs, no numbered lessons, no paths or section numbers of
 * those notes. Walks every source folder, pom, script and markdown file of the repository.
 *
 * <p>Data files (test vectors in JSON, traces) are not scanned: they are copies of the data handed
 * to the project and say where they came from.
 */
class SpecReferenceGuardTest {
  // Built without writing the forbidden forms literally, so this file passes its own scan.
  private static final String SECTION = "\u00a7";
  private static final Pattern FORBIDDEN = Pattern.compile(String.join("|",
      Pattern.quote(SECTION),                                  // any section sign
      "\\b[Ll]esson(s)?\\s+\\d",                                // numbered lessons
      "shared/" + "spec",                                       // the shared notes folder
      "\\b(hicache|mooncake)" + "\\.md\\b",                     // the two behavioural notes
      "\\bspec" + "/",                                          // paths into the notes folder
      "\\b[Ss]pec" + "\\s+(\\d|section|invariant)"));           // 'spec', then a number or a word

  private static final Pattern DOC_LINK = Pattern.compile("\\b(behaviour\\.md|design\\.md)#([\\w-]+)");
  private static final Pattern HEADING = Pattern.compile("#+\\s+(.*)");

  /** Files whose text is code, build configuration or prose; data (JSON vectors, traces) is not. */
  private static final Set<String> EXTENSIONS = Set.of(
      "java", "c", "cu", "h", "cc", "cpp", "sh", "py", "xml", "properties", "md", "txt", "yml", "yaml");
  /** Extension-less files that are scripts: the launcher and the Maven wrapper's siblings. */
  private static final Set<String> SCRIPTS = Set.of("hicache");
  private static final Set<String> SKIPPED_DIRS = Set.of("target", ".git", ".mvn", "node_modules", "results");

  @Test
  void everySourceCommentAndDoc_pointsOnlyToTheProjectsOwnDocs() throws IOException {
    Path root = repositoryRoot();
    List<String> hits = new ArrayList<>();
    int scanned = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(p -> scanned(root, p))::iterator) {
        scanned++;
        hits.addAll(violations(root.relativize(f).toString(), Files.readString(f, StandardCharsets.UTF_8)));
      }
    }
    assertThat(scanned).as("files scanned under %s", root).isGreaterThan(100);
    assertThat(hits)
        .as("references outside the repository; point to docs/behaviour.md#anchor or docs/design.md#anchor"
            + " instead, or state the reason in the comment itself")
        .isEmpty();
  }

  /** Every {@code docs/behaviour.md#anchor} or {@code docs/design.md#anchor} a file names is a heading there. */
  @Test
  void everyLinkToTheDocs_namesAnExistingHeading() throws IOException {
    Path root = repositoryRoot();
    Map<String, Set<String>> anchors = new HashMap<>();
    for (String doc : List.of("behaviour.md", "design.md")) {
      anchors.put(doc, anchors(Files.readString(root.resolve("docs").resolve(doc))));
    }
    List<String> broken = new ArrayList<>();
    int links = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(p -> scanned(root, p))::iterator) {
        Matcher m = DOC_LINK.matcher(Files.readString(f, StandardCharsets.UTF_8));
        while (m.find()) {
          if (m.group(2).equals("anchor")) continue; // the placeholder in this class's message
          links++;
          if (!anchors.get(m.group(1)).contains(m.group(2))) broken.add(root.relativize(f) + ": " + m.group());
        }
      }
    }
    assertThat(links).as("links into the docs").isGreaterThan(100);
    assertThat(broken).as("links to a heading that docs/behaviour.md or docs/design.md does not have").isEmpty();
  }

  @Test
  void anchors_followGitHubsHeadingIds() {
    assertThat(anchors("## Deliberate differences from SGLang\n### SGLang's Mooncake backend\n### Page views for L3\n"))
        .containsExactlyInAnyOrder(
            "deliberate-differences-from-sglang", "sglangs-mooncake-backend", "page-views-for-l3");
  }

  @Test
  void matcher_flagsEveryForbiddenForm() {
    List<String> bad = List.of(
        "/** The host pool (spec " + SECTION + "5.2). */",
        "// " + SECTION + "14.3: one round per tick",
        "// the root is a valid anchor (les" + "son 2)",
        "// (spec " + SECTION + "13, les" + "sons 16-17)",
        "<!-- at most once (spec moon" + "cake.md 2.2) -->",
        "# see ../shared/" + "sp" + "ec/hi" + "cache.md",
        "/** Every vector of spec" + "/page-hash-vectors.json */",
        "throw new IllegalArgumentException(\"... larger than the device pool; spec" + " 5.2\");",
        "// invariants (spec" + " invariant 5)");
    for (String line : bad) {
      assertThat(violations("Sample.java", line)).as("flags: %s", line).hasSize(1);
    }
  }

  @Test
  void matcher_acceptsLinksToTheProjectsDocs() {
    List<String> good = List.of(
        "/** The host pool (docs/behaviour.md#host-pool-size). */",
        "// why: docs/design.md#invariants; figures in docs/benchmarks.md",
        "@Spec CommandSpec spec;",
        "List<PageSpec> specs = pageSpecs();",
        "// the page-hash test vectors (vectors/page-hash-vectors.json)",
        "// FAST'25 paper, section 3.2.1",
        "// SGLang's Oct-2025 value; mid-2025 versions used 3");
    for (String line : good) {
      assertThat(violations("Sample.java", line)).as("accepts: %s", line).isEmpty();
    }
  }

  /** GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens. */
  static Set<String> anchors(String markdown) {
    Set<String> out = new HashSet<>();
    for (String line : markdown.split("\n")) {
      Matcher h = HEADING.matcher(line);
      if (!h.matches()) continue;
      String title = h.group(1).strip().toLowerCase(Locale.ROOT);
      out.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    return out;
  }

  static List<String> violations(String file, String text) {
    List<String> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (FORBIDDEN.matcher(lines[i]).find()) out.add(file + ":" + (i + 1) + ": " + lines[i].strip());
    }
    return out;
  }

  private static boolean scanned(Path root, Path p) {
    Path rel = root.relativize(p);
    for (Path part : rel) {
      // Build output also lives in target-NAME when a build sets -Dhicache.build.dir (see the parent pom).
      if (SKIPPED_DIRS.contains(part.toString()) || part.toString().startsWith("target-")) return false;
    }
    if (!Files.isRegularFile(p)) return false;
    String name = p.getFileName().toString();
    if (SCRIPTS.contains(name)) return true;
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1));
  }

  /** The reactor root: the nearest folder up from here whose pom lists the hicache-api module. */
  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      Path pom = d.resolve("pom.xml");
      if (Files.isRegularFile(pom) && Files.isDirectory(d.resolve("hicache-api")) && listsApiModule(pom)) return d;
    }
    throw new AssertionError("no reactor root (a pom.xml listing <module>hicache-api</module>) above " + dir);
  }

  private static boolean listsApiModule(Path pom) {
    try {
      return Files.readString(pom).contains("<module>hicache-api</module>");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
