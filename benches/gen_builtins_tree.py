#!/usr/bin/env python3
"""A tree for the builtin benchmarks: 20,000 text files (or COUNT), about
5 KB each, with secrets planted one per line in 1 file of 100. Seeded, so
every run writes the same tree. Prints the number of planted secrets.

    python3 benches/gen_builtins_tree.py DIR [COUNT]
"""
import os, random, string, sys

root = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
rnd = random.Random(7)
A = string.ascii_letters + string.digits
def r(n, alphabet=A): return "".join(rnd.choice(alphabet) for _ in range(n))
B32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"
URL = A + "-_"
WORDS = ("let value count index buffer result error handle config parse read write "
         "open close start stop update render layout widget session request response "
         "cache store fetch module import export return match case while loop break").split()

def filler_line():
    kind = rnd.random()
    if kind < 0.4:
        return "    " + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 12))) + ";"
    if kind < 0.6:
        return f"    let {rnd.choice(WORDS)}_{rnd.randint(0, 999)} = {rnd.randint(0, 10**6)};"
    if kind < 0.75:
        return f"// {r(rnd.randint(10, 60), string.ascii_lowercase + ' ')}"
    if kind < 0.9:
        return f'    call("{r(rnd.randint(5, 30), string.ascii_lowercase)}", {rnd.random():.4f});'
    return ""

SECRETS = [
    lambda: f'key = "AKIA{r(16, B32)}"',
    lambda: f"token = ghp_{r(36)}",
    lambda: f"gl = glpat-{r(20, URL)}",
    lambda: f"slack = xoxb-{r(12, string.digits)}-{r(12, string.digits)}-{r(24)}",
    lambda: f"stripe = sk_live_{r(24)}",
    lambda: f"maps = AIza{r(35, URL)}",
    lambda: f"npm = npm_{r(36)}",
    lambda: f'DB_PASSWORD = "{r(24)}"',
]

planted = 0
for i in range(count):
    folder = os.path.join(root, f"pkg{i % 200:03d}", f"mod{(i // 200) % 10}")
    os.makedirs(folder, exist_ok=True)
    lines = []
    size = 0
    target = rnd.randint(1000, 9000)
    while size < target:
        line = filler_line()
        lines.append(line)
        size += len(line) + 1
    if i % 100 == 0:
        for s in rnd.sample(SECRETS, 3):
            lines.insert(rnd.randrange(len(lines)), s())
            planted += 1
    with open(os.path.join(folder, f"file{i}.rs"), "w") as f:
        f.write("\n".join(lines) + "\n")
print(planted)
