#!/usr/bin/env python3
"""Prints the built-in secret rules' regexes, one per line, as ripgrep takes
them with -f: named groups made plain, multi-line rules (private keys) left
out. Used by benches/hyperfine.sh.

    python3 benches/secret_regexes.py src/builtin/secrets.rs
"""
import re, sys

src = open(sys.argv[1]).read()
body = src[src.index("const RULES"):src.index("/// The built-in rules, compiled")]
# A regex is the raw string just before the entropy floor (comments may sit
# between them).
for m in re.finditer(r'\n\s+r#?"(.*?)"#?,\n(?:\s*//[^\n]*\n)*\s+(?:None|Some)', body, re.S):
    if "BEGIN" not in m.group(1):
        print(m.group(1).replace("(?P<secret>", "("))
