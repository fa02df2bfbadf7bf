#!/usr/bin/env python3
"""Print the suite's closing line from meson's testlog.json.

Node test files count their subtests (from the runner's own summary);
C tests count as one each. The last line is 'N passed, N failed'.
"""
import json
import re
import sys

passed = failed = skipped = 0
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)
    res = t.get("result")
    out = t.get("stdout") or ""
    m_pass = re.findall(r"^[#ℹ] pass (\d+)$", out, re.M)
    m_fail = re.findall(r"^[#ℹ] fail (\d+)$", out, re.M)
    if m_pass and res in ("OK", "FAIL"):
        p, f = int(m_pass[-1]), int(m_fail[-1]) if m_fail else 0
        if res == "FAIL" and f == 0:
            f = 1  # crashed or leaked after its subtests
        passed += p
        failed += f
    elif res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
        print(f"FAILED: {t.get('name')} ({res})")
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
