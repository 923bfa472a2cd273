package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs everywhere (no GPU needed): this module's GPU twins of the engine's pool doubles shadow
 * hicache-core's originals on the test class path, so the engine's harness, compiled against the
 * originals, must find every non-private member it may use in the twins too. Loads the original's
 * bytes from hicache-core's test-jar in a separate loader and compares the members, so a change to
 * the engine's doubles fails this build here instead of a GPU run with NoSuchMethodError.
 */
class EngineDoublesMatchCoreTest {
  @ParameterizedTest
  @ValueSource(strings = {"KeyedDevicePoolDouble", "CorruptibleHostPoolDouble"})
  void gpuTwin_hasEveryNonPrivateMemberOfTheCoreDouble(String simpleName) throws Exception {
    String name = "dev.hicache.core.engine." + simpleName;
    String resource = name.replace('.', '/') + ".class";
    List<URL> urls = Collections.list(getClass().getClassLoader().getResources(resource));
    assertThat(urls).as("the twin (this module) and the original (hicache-core's test-jar) on the class path").hasSize(2);
    Class<?> twin = Class.forName(name);
    URL twinUrl = twin.getProtectionDomain().getCodeSource().getLocation();
    URL original = urls.stream().filter(u -> !u.toString().startsWith(twinUrl.toString())).findFirst().orElseThrow();
    assertThat(twinUrl.toString()).as("the twin comes first on the class path").isEqualTo(
        urls.getFirst().toString().substring(0, twinUrl.toString().length()));
    byte[] bytes;
    try (InputStream in = original.openStream()) {
      bytes = in.readAllBytes();
    }
    Class<?> core = new ClassLoader(getClass().getClassLoader()) {
      Class<?> define() {
        return defineClass(name, bytes, 0, bytes.length);
      }
    }.define();
    List<String> missing = new ArrayList<>();
    for (Field f : core.getDeclaredFields()) {
      if (Modifier.isPrivate(f.getModifiers()) || f.isSynthetic()) continue;
      try {
        Field t = twin.getDeclaredField(f.getName());
        if (!t.getType().getName().equals(f.getType().getName())) missing.add("field " + f + " (twin: " + t.getType() + ")");
      } catch (NoSuchFieldException e) {
        missing.add("field " + f);
      }
    }
    for (Method m : core.getDeclaredMethods()) {
      if (Modifier.isPrivate(m.getModifiers()) || m.isSynthetic()) continue;
      try {
        Method t = twin.getDeclaredMethod(m.getName(), m.getParameterTypes());
        if (!t.getReturnType().getName().equals(m.getReturnType().getName())) missing.add("method " + m + " (return)");
      } catch (NoSuchMethodException e) {
        missing.add("method " + m);
      }
    }
    for (Constructor<?> c : core.getDeclaredConstructors()) {
      if (Modifier.isPrivate(c.getModifiers())) continue;
      try {
        twin.getDeclaredConstructor(c.getParameterTypes());
      } catch (NoSuchMethodException e) {
        missing.add("constructor " + Arrays.toString(c.getParameterTypes()));
      }
    }
    assertThat(missing).as("members of hicache-core's " + simpleName + " the GPU twin lacks").isEmpty();
  }
}
