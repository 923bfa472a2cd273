import json,sys
trie={}; nid=[0]
refs=0; seen_hits=0
logs=[20,21,22]
memos={l:{} for l in logs}; hits={l:0 for l in logs}
M=0x9E3779B97F4A7C15
for line in open(sys.argv[1]):
    d=json.loads(line)
    n=d['input_length']//64
    hs=d['hash_ids']
    parent=0
    for k in range(n):
        s=hs[k//8]*8+k%8
        key=(parent,s)
        c=trie.get(key)
        refs+=1
        if c is None:
            nid[0]+=1; c=nid[0]; trie[key]=c
        else: seen_hits+=1
        h=((parent*M ^ s*0xC2B2AE3D27D4EB4F)&0xFFFFFFFFFFFFFFFF)
        h^=h>>29
        for l in logs:
            sl=h&((1<<l)-1)
            m=memos[l]
            if m.get(sl)==key: hits[l]+=1
            else: m[sl]=key
        parent=c
print('refs',refs,'distinct',nid[0],'repeat',seen_hits/refs)
for l in logs: print(l,hits[l]/refs)
