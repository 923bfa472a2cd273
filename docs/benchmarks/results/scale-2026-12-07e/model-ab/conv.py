import re,sys
s=open(sys.argv[1]).read()
def repl(s, prefix, fn):
    out=[];i=0
    while True:
        j=s.find(prefix,i)
        if j<0: out.append(s[i:]); break
        out.append(s[i:j]); k=j+len(prefix); depth=1; args_start=k
        while depth:
            c=s[k]
            if c=='(': depth+=1
            elif c==')': depth-=1
            k+=1
        args=s[args_start:k-1]
        # split top-level commas
        parts=[];d=0;cur=''
        for c in args:
            if c in '(': d+=1
            if c in ')': d-=1
            if c==',' and d==0: parts.append(cur.strip()); cur=''
            else: cur+=c
        parts.append(cur.strip())
        out.append(fn(parts)); i=k
    return ''.join(out)
s=repl(s,'buckets.get(',lambda p: 'B[(int) ((%s) >>> 2)]'%p[1])
s=repl(s,'buckets.set(',lambda p: 'B[(int) ((%s) >>> 2)] = %s'%(p[1],p[2]))
s=repl(s,'lines.get(',lambda p: ('L[(int) ((%s) >>> 3)]'%p[1]) if p[0]=='LONG' else '(int) L[(int) ((%s) >>> 3)]'%p[1])
s=repl(s,'lines.set(',lambda p: 'L[(int) ((%s) >>> 3)] = %s'%(p[1],p[2]))
s=s.replace('copy(p, 0, lines, off','copy(p, 0, linesBytes, off').replace('copy(lines, off','copy(linesBytes, off')
s=s.replace('  private final Arena arena;\n','')
s=s.replace('private final MemorySegment buckets;','private final int[] B;')
s=s.replace('private final MemorySegment lines;','private final long[] L;\n  private final MemorySegment linesBytes; // L as bytes, for the pages kept inline')
s=s.replace('    this.arena = Arena.ofShared();\n','')
s=s.replace('this.buckets = arena.allocate(LINE * bucketCount, LINE);','this.B = new int[(int) (LINE / 4 * bucketCount)];')
s=s.replace('this.lines = arena.allocate(LINE * slotCount, LINE);','this.L = new long[(int) (LINE / 8 * slotCount)];\n    this.linesBytes = MemorySegment.ofArray(L);')
s=s.replace('B[(int) ((base + 4 * s) >>> 2)] = B','B[(int) ((base + 4 * s) >>> 2)] = B')
s=s.replace("buckets.fill((byte) 0);","Arrays.fill(B, 0);")
s=s.replace("    arena.close();\n","")
open(sys.argv[2],'w').write(s)
