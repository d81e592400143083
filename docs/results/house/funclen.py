import re,sys,glob
rows=[]
for f in sorted(glob.glob(sys.argv[1]+'/src/**/*.c',recursive=True)):
    lines=open(f).read().split('\n')
    start=None;name=None
    for i,l in enumerate(lines):
        if start is None:
            m=re.match(r'^(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w\s\*]*?\b(\w+)\s*\(',l)
            if m and not l.startswith(' ') and not l.rstrip().endswith(';'):
                # find opening brace
                j=i
                while j<len(lines) and '{' not in lines[j] and not lines[j].rstrip().endswith(';'): j+=1
                if j<len(lines) and '{' in lines[j] and (lines[j].rstrip().endswith('{')):
                    start=i;name=m.group(1)
        elif lines[i].startswith('}'):
            rows.append((i-start+1,name,f.replace(sys.argv[1]+'/','')))
            start=None
rows.sort(reverse=True)
n=int(sys.argv[2]) if len(sys.argv)>2 else 15
for r in rows[:n]: print("%4d %s %s"%r)
print("functions over 120 lines:",sum(1 for r in rows if r[0]>120), " over 150:",sum(1 for r in rows if r[0]>150))
