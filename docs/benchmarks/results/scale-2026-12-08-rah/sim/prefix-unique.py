import json,sys
prev={}; bad=0; n=0; maxid=0
for line in open(sys.argv[1]):
    d=json.loads(line); hs=d['hash_ids']; p=None
    for h in hs:
        n+=1; maxid=max(maxid,h)
        q=prev.setdefault(h,p)
        if q!=p: bad+=1
        p=h
print('blocks',n,'distinct',len(prev),'prior-conflicts',bad,'maxid',maxid)
