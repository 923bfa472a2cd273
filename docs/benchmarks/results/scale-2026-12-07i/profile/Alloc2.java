import jdk.jfr.consumer.*;
import java.nio.file.*;
import java.util.*;
public class Alloc2 {
  public static void main(String[] a) throws Exception {
    Map<String,Long> m = new HashMap<>(); long tot=0;
    for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(a[0]))) {
      if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample")) continue;
      RecordedThread t = e.getThread("eventThread"); if (t==null||!"main".equals(t.getJavaName())) continue;
      List<RecordedFrame> fr = e.getStackTrace().getFrames(); long w=e.getLong("weight"); tot+=w;
      StringBuilder sb=new StringBuilder();
      int k=0;
      for (RecordedFrame f: fr){ String c=f.getMethod().getType().getName(); if(c.startsWith("java.")||c.startsWith("jdk.")) continue; sb.append(c.replaceAll("^.*\\.","")+"."+f.getMethod().getName()+":"+f.getLineNumber()+" < "); if(++k==3)break;}
      m.merge(sb.toString()+" ["+e.getClass("objectClass").getName()+"]", w, Long::sum);
    }
    final long T=tot; m.entrySet().stream().sorted((x,y)->Long.compare(y.getValue(),x.getValue())).limit(40).forEach(e->System.out.printf("%6.2f%% %6d MB %s%n",100.0*e.getValue()/T,e.getValue()/1000000,e.getKey()));
  }
}
