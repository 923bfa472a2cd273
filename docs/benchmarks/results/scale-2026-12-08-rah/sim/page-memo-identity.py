import json,sys
trie={}; nid=[0]; refs=0
logs=[19,20,21]
memos={l:{} for l in logs}; hits={l:0 for l in logs}
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
        for l in logs:
            sl=s&((1<<l)-1)
            m=memos[l]
            if m.get(sl)==key: hits[l]+=1
            else: m[sl]=key
        parent=c
for l in logs: print('identity',l,hits[l]/refs)
