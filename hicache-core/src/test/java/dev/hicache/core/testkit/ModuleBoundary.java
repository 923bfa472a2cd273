package dev.hicache.core.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.lang.module.ModuleDescriptor;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Makes the project's module boundaries hold for code on the class path, where module-info stops
 * nothing: every class file of a client (the simulator, the benchmarks) is read with the JDK's
 * class-file API, and each class it names (constant-pool class entries, and types inside
 * descriptors and signatures) that lies in a project module's package which that module does not
 * export, to everyone or to the client by name, is a violation.
 *
 * <p>A package belongs to the project module whose name is the package or a prefix of it followed by
 * a dot ({@code dev.hicache.core.tree} belongs to {@code dev.hicache.core}); the modules are those
 * named {@code dev.hicache.*} whose module-info.class is on the class path.
 */
public final class ModuleBoundary {
  private static final Pattern TYPE_IN_DESCRIPTOR = Pattern.compile("L(dev/hicache/[\\w/$]+)[;<]");

  private final List<ModuleDescriptor> modules;

  public ModuleBoundary(List<ModuleDescriptor> modules) {
    this.modules = List.copyOf(modules);
  }

  /** The project's modules ({@code dev.hicache.*}) whose module-info.class is on this class path. */
  public static ModuleBoundary fromClassPath() {
    List<ModuleDescriptor> out = new ArrayList<>();
    try {
      Enumeration<URL> infos = ModuleBoundary.class.getClassLoader().getResources("module-info.class");
      while (infos.hasMoreElements()) {
        try (InputStream in = infos.nextElement().openStream()) {
          ModuleDescriptor d = ModuleDescriptor.read(in);
          if (d.name().startsWith("dev.hicache.")) out.add(d);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ModuleBoundary(out);
  }

  public List<String> moduleNames() {
    return modules.stream().map(ModuleDescriptor::name).sorted().toList();
  }

  /** The folder or jar a class was loaded from (a module's compiled classes). */
  public static Path classesOf(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every reference from the class files under {@code classes} (a folder) to a package that its
   * module does not export to {@code client}, as "Referrer -> referenced.Class (module)", sorted.
   */
  public List<String> violations(String client, Path classes) {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        if (f.getFileName().toString().equals("module-info.class")) continue;
        ClassModel cm = ClassFile.of().parse(Files.readAllBytes(f));
        String self = cm.thisClass().asInternalName();
        for (PoolEntry e : cm.constantPool()) {
          if (e instanceof ClassEntry ce) check(client, self, ce.asInternalName(), out);
          else if (e instanceof Utf8Entry u) {
            Matcher m = TYPE_IN_DESCRIPTOR.matcher(u.stringValue());
            while (m.find()) check(client, self, m.group(1), out);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(out);
  }

  private void check(String client, String self, String internalName, Set<String> out) {
    String name = internalName;
    while (name.startsWith("[")) name = name.substring(1);
    if (name.startsWith("L") && name.endsWith(";")) name = name.substring(1, name.length() - 1);
    int slash = name.lastIndexOf('/');
    if (slash < 0) return;
    String pkg = name.substring(0, slash).replace('/', '.');
    for (ModuleDescriptor m : modules) {
      if (m.name().equals(client)) continue;
      if (!pkg.equals(m.name()) && !pkg.startsWith(m.name() + ".")) continue;
      boolean exported = m.exports().stream()
          .anyMatch(x -> x.source().equals(pkg) && (!x.isQualified() || x.targets().contains(client)));
      if (!exported) out.add(self.replace('/', '.') + " -> " + name.replace('/', '.') + " (" + m.name() + ")");
    }
  }
}
