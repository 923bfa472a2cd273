import jdk.jfr.consumer.*;
import java.nio.file.*;
import java.util.*;
public class Prof {
  public static void main(String[] a) throws Exception {
    String thread = a.length > 1 ? a[1] : "main";
    int top = a.length > 2 ? Integer.parseInt(a[2]) : 60;
    Map<String,Integer> self = new HashMap<>(), incl = new HashMap<>();
    Map<String,Long> allocSelf = new HashMap<>(), allocIncl = new HashMap<>(), allocType = new HashMap<>();
    int n = 0; long atot = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(a[0]))) {
      String name = e.getEventType().getName();
      RecordedThread t = e.getThread(name.equals("jdk.ExecutionSample") ? "sampledThread" : "eventThread");
      if (t == null || !thread.equals(t.getJavaName())) continue;
      RecordedStackTrace st = e.getStackTrace(); if (st == null) continue;
      List<RecordedFrame> fr = st.getFrames();
      if (name.equals("jdk.ExecutionSample")) {
        n++;
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < fr.size(); i++) {
          String m = fr.get(i).getMethod().getType().getName().replaceAll("^.*\\.", "") + "." + fr.get(i).getMethod().getName();
          if (i == 0) self.merge(m, 1, Integer::sum);
          if (seen.add(m)) incl.merge(m, 1, Integer::sum);
        }
      } else if (name.equals("jdk.ObjectAllocationSample")) {
        long w = e.getLong("weight"); atot += w;
        String ty = e.getClass("objectClass").getName();
        allocType.merge(ty, w, Long::sum);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < Math.min(fr.size(), 12); i++) {
          String m = fr.get(i).getMethod().getType().getName().replaceAll("^.*\\.", "") + "." + fr.get(i).getMethod().getName() + ":" + fr.get(i).getLineNumber();
          if (i == 0) allocSelf.merge(m + " [" + ty + "]", w, Long::sum);
          String m2 = fr.get(i).getMethod().getType().getName().replaceAll("^.*\\.", "") + "." + fr.get(i).getMethod().getName();
          if (seen.add(m2)) allocIncl.merge(m2, w, Long::sum);
        }
      }
    }
    System.out.println("samples " + n + " alloc total MB " + atot / 1_000_000);
    pr("SELF", self, n, top); pr("INCL", incl, n, top);
    prl("ALLOC SELF", allocSelf, atot, 30); prl("ALLOC INCL", allocIncl, atot, 40); prl("ALLOC TYPE", allocType, atot, 15);
  }
  static void pr(String h, Map<String,Integer> m, int n, int top) {
    System.out.println("== " + h);
    m.entrySet().stream().sorted((x,y)->y.getValue()-x.getValue()).limit(top).forEach(e -> System.out.printf("%6.2f%% %5d %s%n", 100.0*e.getValue()/n, e.getValue(), e.getKey()));
  }
  static void prl(String h, Map<String,Long> m, long n, int top) {
    System.out.println("== " + h);
    m.entrySet().stream().sorted((x,y)->Long.compare(y.getValue(),x.getValue())).limit(top).forEach(e -> System.out.printf("%6.2f%% %7d MB %s%n", 100.0*e.getValue()/n, e.getValue()/1_000_000, e.getKey()));
  }
}
