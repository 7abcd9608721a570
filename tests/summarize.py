#!/usr/bin/python3
"""Counts individual test cases for CI: meson's testlog.json, then pytest's JUnit XML.

Each TAP line ("ok N"/"not ok N") of a test's output is one case; a test that
failed without printing any "not ok" line (a crash, a timeout, a non-zero exit)
counts as one more failed case.  Prints the failures, then the last line
"N passed, N failed".  Exit status 1 when anything failed.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def count_junit(path, failures):
    """(passed, failed) of a pytest JUnit file; a missing file is one failure."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        failures.append(f"{path}: {exc}")
        return 0, 1
    passed = failed = 0
    for case in root.iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        if case.find("skipped") is not None:
            continue
        if bad:
            failed += 1
            failures.append(f"pytest {case.get('classname')}.{case.get('name')}")
        else:
            passed += 1
    return passed, failed


def main(path, junit_paths):
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
    for junit in junit_paths:
        p, f = count_junit(junit, failures)
        passed += p
        failed += f
    for f in failures:
        print("FAILED", f)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
