import json,sys
refs=0
caps=[1<<20,1<<21,1<<22,1<<40]
hits={c:0 for c in caps}
idx={}  # key -> (logical start, serials tuple)
pos=0
for line in open(sys.argv[1]):
    d=json.loads(line)
    n=d['input_length']//64
    hs=d['hash_ids']
    s=[hs[k//8]*8+k%8 for k in range(n)]
    refs+=n
    if n==0: continue
    cands=[]
    for key in (('b1',s[8]) if n>8 else None, ('b0',s[0])):
        if key and key in idx: cands.append(idx[key])
    for c in caps:
        best=0
        for (start,ser) in cands:
            if start+len(ser) <= pos - c: continue  # overwritten (whole) -- approx: need whole record within window
            if start < pos - c: continue
            l=0; m=min(len(ser),n)
            while l<m and ser[l]==s[l]: l+=1
            best=max(best,l)
        hits[c]+=best
    rec=(pos,s)
    if n>8: idx[('b1',s[8])]=rec
    idx[('b0',s[0])]=rec
    pos+=n
for c in caps: print('cap',c,hits[c]/refs)
