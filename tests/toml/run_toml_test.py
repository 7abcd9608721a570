#!/usr/bin/python3
"""Runs the toml-test conformance suite against a decoder and prints TAP.

    run_toml_test.py DECODER TOML_TEST_DIR [--wrap "valgrind -q ..."]
                     [--list files-toml-1.0.0] [--jobs N] [--timeout S]

DECODER reads a TOML file (its only argument) and prints the toml-test JSON
encoding on stdout, or exits with status 1 and a message on stderr for invalid
TOML.  Every case of TOML_TEST_DIR/tests/LIST is run:

  valid/X.toml    must exit 0 with JSON equal to valid/X.json: floats compare
                  by value (inf, -inf, nan), integers by value, offset
                  date-times by instant, local dates/times by their fields;
  invalid/X.toml  must exit 1 with a "NAME:LINE:COL: message" error.

A signal, a timeout or sanitizer output is a failure either way.  One TAP line
is printed per case, then the plan; the exit status is 1 if any case failed.
Standard library only.
"""

import argparse
import concurrent.futures
import json
import math
import os
import re
import shlex
import subprocess
import sys

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR SUMMARY: ")
ERROR_LINE = re.compile(r"^.+:\d+:\d+: \S")
DATETIME = re.compile(
    r"^(?:(\d{4})-(\d{2})-(\d{2}))?[Tt ]?"
    r"(?:(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?$")


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def datetime_key(kind, text):
    """A comparable normal form: the instant for offset date-times, the
    fields (fraction to ns) for the local kinds."""
    m = DATETIME.match(text)
    if not m:
        return ("unparsable", text)
    y, mo, d, h, mi, s, frac, z, sign, oh, om = m.groups()
    ns = int((frac or "").ljust(9, "0")[:9])
    if kind == "datetime":
        offset = 0 if z or not sign else \
            (1 if sign == "+" else -1) * (int(oh) * 60 + int(om))
        secs = (days_from_civil(int(y), int(mo), int(d)) * 86400 +
                int(h) * 3600 + int(mi) * 60 + int(s) - offset * 60)
        return (secs, ns)
    fields = tuple(int(v) if v else None for v in (y, mo, d, h, mi, s))
    return fields + (ns,)


def scalar_equal(kind, want, got):
    if kind == "float":
        a, b = float(want), float(got)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b
    if kind == "integer":
        return int(want) == int(got)
    if kind in ("datetime", "datetime-local", "date-local", "time-local"):
        return datetime_key(kind, want) == datetime_key(kind, got)
    return want == got


def is_scalar(v):
    return (isinstance(v, dict) and set(v) == {"type", "value"} and
            isinstance(v["type"], str) and isinstance(v["value"], str))


def compare(want, got, path="$"):
    """None if equal, else a description of the first difference."""
    if is_scalar(want):
        if not is_scalar(got):
            return f"{path}: expected a {want['type']}, got {json.dumps(got)[:80]}"
        if want["type"] != got["type"]:
            return f"{path}: expected type {want['type']}, got {got['type']}"
        if not scalar_equal(want["type"], want["value"], got["value"]):
            return (f"{path}: expected {want['value']!r}, "
                    f"got {got['value']!r}")
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or is_scalar(got):
            return f"{path}: expected a table"
        if set(want) != set(got):
            return (f"{path}: keys differ: missing {sorted(set(want) - set(got))}"
                    f", extra {sorted(set(got) - set(want))}")
        for k in want:
            diff = compare(want[k], got[k], f"{path}.{k}")
            if diff:
                return diff
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return f"{path}: expected an array"
        if len(want) != len(got):
            return f"{path}: expected {len(want)} items, got {len(got)}"
        for i, (a, b) in enumerate(zip(want, got)):
            diff = compare(a, b, f"{path}[{i}]")
            if diff:
                return diff
        return None
    return f"{path}: unexpected expected-value {want!r}"


def run_decoder(cmd, path, timeout):
    """(returncode, stdout, stderr, problem): problem is set for a crash,
    a timeout or sanitizer output."""
    try:
        r = subprocess.run(cmd + [path], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"", f"timed out after {timeout} s"
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode < 0:
        return r.returncode, r.stdout, err, f"killed by signal {-r.returncode}"
    for mark in SANITIZER_MARKS:
        if mark in err and not (mark == "ERROR SUMMARY: " and
                                "ERROR SUMMARY: 0 errors" in err):
            return r.returncode, r.stdout, err, f"sanitizer/valgrind: {err.strip()[:200]!r}"
    return r.returncode, r.stdout, err, None


def first_line(text):
    for line in text.splitlines():
        if line.strip() and not line.startswith("=="):
            return line
    return ""


def check_case(cmd, root, case, timeout):
    """(ok, reason) for one case path relative to tests/."""
    path = os.path.join(root, case)
    code, out, err, problem = run_decoder(cmd, path, timeout)
    if problem:
        return False, problem
    if case.startswith("valid/"):
        if code != 0:
            return False, f"rejected: {first_line(err)}"
        try:
            got = json.loads(out.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return False, f"decoder printed invalid JSON: {e}"
        with open(path[:-len(".toml")] + ".json", encoding="utf-8") as f:
            want = json.load(f)
        diff = compare(want, got)
        return (diff is None), (diff or "")
    if code == 0:
        return False, "accepted invalid TOML"
    if code != 1:
        return False, f"exit status {code}, expected 1"
    line = first_line(err)
    if not ERROR_LINE.match(line):
        return False, f"error message lacks NAME:LINE:COL: prefix: {line!r}"
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("decoder")
    ap.add_argument("toml_test_dir")
    ap.add_argument("--list", default="files-toml-1.0.0",
                    help="case list inside tests/ (default %(default)s)")
    ap.add_argument("--wrap", default="",
                    help="command to run the decoder under, e.g. valgrind")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="seconds per case (default %(default)s)")
    args = ap.parse_args()

    root = os.path.join(args.toml_test_dir, "tests")
    with open(os.path.join(root, args.list), encoding="utf-8") as f:
        cases = [line.strip() for line in f
                 if line.strip().endswith(".toml")]
    cmd = shlex.split(args.wrap) + [args.decoder]

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(
            lambda c: check_case(cmd, root, c, args.timeout), cases))

    failed = 0
    for n, (case, (ok, reason)) in enumerate(zip(cases, results), 1):
        name = case[:-len(".toml")]
        if ok:
            print(f"ok {n} - {name}")
        else:
            failed += 1
            # One line per case; a bare '#' would start a TAP directive.
            reason = reason.replace("\n", " ").replace("#", "\\#")
            print(f"not ok {n} - {name}: {reason}")
    print(f"1..{len(cases)}")
    valid = sum(c.startswith("valid/") for c in cases)
    print(f"# {len(cases) - failed}/{len(cases)} passed "
          f"({valid} valid, {len(cases) - valid} invalid cases)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
