#!/usr/bin/env python3
"""Generate pmed--OLD--NEW.sql from the two install scripts.

Objects are functions and aggregates (identity: name + argument types), and
comments. Same identity in both: CREATE OR REPLACE (functions whose return
type changed are dropped first); only in new: CREATE; only in old: DROP.
Every COMMENT of the new script is re-issued (idempotent); CREATE TYPE / CAST /
OPERATOR statements and DO blocks are copied verbatim, in script order."""
import re, sys

TYPE_WORDS = {'float8','float4','bigint','int','integer','int4','int8','int2','smallint','text','bytea',
 'jsonb','json','boolean','bool','internal','anyelement','anyarray','record','double','real','numeric',
 'varchar','date','timestamp','timestamptz','anynonarray','anycompatible','pmed'}

def statements(sql):
    out=[]; cur=[]; i=0; n=len(sql); dollar=None; quote=False
    buf=''
    while i<n:
        c=sql[i]
        if dollar:
            if sql.startswith(dollar,i):
                buf+=dollar; i+=len(dollar); dollar=None; continue
            buf+=c; i+=1; continue
        if quote:
            buf+=c; i+=1
            if c=="'":
                if i<n and sql[i]=="'": buf+="'"; i+=1
                else: quote=False
            continue
        if c=='-' and sql.startswith('--',i):
            j=sql.find('\n',i); j=n if j<0 else j
            i=j; continue
        if c=='\\' and (i==0 or sql[i-1]=='\n'):   # psql meta-command line
            j=sql.find('\n',i); j=n if j<0 else j
            i=j; continue
        if c=="'": quote=True; buf+=c; i+=1; continue
        if c=='$':
            m=re.match(r'\$[A-Za-z_]*\$',sql[i:])
            if m: dollar=m.group(0); buf+=dollar; i+=len(dollar); continue
        if c==';':
            s=buf.strip()
            if s: out.append(s)
            buf=''; i+=1; continue
        buf+=c; i+=1
    if buf.strip(): out.append(buf.strip())
    return out

def split_args(a):
    parts=[];depth=0;cur=''
    for ch in a:
        if ch=='(' : depth+=1
        if ch==')' : depth-=1
        if ch==',' and depth==0: parts.append(cur); cur=''; continue
        cur+=ch
    if cur.strip(): parts.append(cur)
    return parts

def norm_arg(p):
    p=re.sub(r'(?i)\s+DEFAULT\s+.*$','',p.strip())
    p=re.sub(r'(?i)^(IN|VARIADIC)\s+','',p)
    toks=p.split()
    if toks and toks[0].lower().split('[')[0].split('.')[0] not in TYPE_WORDS:
        toks=toks[1:]
    return ' '.join(toks).lower()

def ident(stmt):
    m=re.match(r'(?is)CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|AGGREGATE)\s+([\w.]+)\s*\(',stmt)
    if not m: return None
    kind=m.group(1).upper(); name=m.group(2)
    # find matching paren
    i=m.end(); depth=1; j=i
    while depth:
        if stmt[j]=='(': depth+=1
        elif stmt[j]==')': depth-=1
        j+=1
    args=stmt[i:j-1]
    rest=stmt[j:]
    types=tuple(norm_arg(p) for p in split_args(args))
    ret=None
    if kind=='FUNCTION':
        r=re.match(r'(?is)\s*RETURNS\s+(SETOF\s+\S+|TABLE\s*\(.*?\)|\S+)',rest)
        ret=re.sub(r'\s+',' ',r.group(1)).lower() if r else None
    return kind,name,types,ret

old=statements(open(sys.argv[1]).read())
new=statements(open(sys.argv[2]).read())
oldobj={}
for s in old:
    k=ident(s)
    if k: oldobj[k[:3]]=(k[3],s)
newobj={}
for s in new:
    k=ident(s)
    if k: newobj[k[:3]]=(k[3],s)

outl=[]
# drops: aggregates first, then functions
for key in sorted(oldobj):
    if key[0]=='AGGREGATE' and key not in newobj:
        outl.append('DROP AGGREGATE %s(%s);' % (key[1],', '.join(key[2])))
for key,(ret,s) in newobj.items():
    if key in oldobj and key[0]=='FUNCTION' and oldobj[key][0]!=ret:
        outl.append('DROP FUNCTION %s(%s) CASCADE;' % (key[1],', '.join(key[2])))
for s in new:
    k=ident(s)
    if k:
        s=re.sub(r'(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|AGGREGATE)','CREATE OR REPLACE \\1',s)
        outl.append(s+';')
    elif re.match(r'(?is)^COMMENT\s+ON',s):
        outl.append(s+';')
    elif re.match(r'(?is)^CREATE\s+(TYPE|CAST|OPERATOR)',s):
        outl.append(s+';')
    elif re.match(r'(?is)^DO\s',s):
        # DO blocks (e.g. the concrete-label twins, src/sql/70_label_overloads.sql)
        # are copied verbatim: they must be idempotent (CREATE OR REPLACE)
        outl.append(s+';')
    else:
        outl.append('-- skipped: '+s.splitlines()[0])
for key in sorted(oldobj):
    if key[0]=='FUNCTION' and key not in newobj:
        outl.append('DROP FUNCTION %s(%s);' % (key[1],', '.join(key[2])))
print('\n'.join(outl))
