#!/usr/bin/python3
"""Counts individual test cases from meson's testlog.json for CI.

Each TAP line ("ok N"/"not ok N") of a test's output is one case; a test that
failed without printing any "not ok" line (a crash, a timeout, a non-zero exit)
counts as one more failed case.  Prints the failures, then the last line
"N passed, N failed".  Exit status 1 when anything failed.
"""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def main(path):
    passed = failed = 0
    failures = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as exc:
        print(f"summarize: cannot read {path}: {exc}")
        print("0 passed, 1 failed")
        return 1
    for line in lines:
        if not line.strip():
            continue
        test = json.loads(line)
        name = test.get("name", "?")
        tap_fail = 0
        for out in (test.get("stdout") or "").splitlines():
            m = TAP.match(out.strip())
            if not m:
                continue
            if m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
                tap_fail += 1
                failures.append(f"{name}: {out.strip()}")
        if test.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and tap_fail == 0:
            failed += 1
            failures.append(f"{name}: {test.get('result')} (exit {test.get('returncode')})")
    for f in failures:
        print("FAILED", f)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
