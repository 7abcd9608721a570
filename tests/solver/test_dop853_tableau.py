#!/usr/bin/python3
"""The typed DOP853 coefficients against the Runge–Kutta order conditions (TAP).

usage: test_dop853_tableau.py DOP853_C DUMP_EXE

Reads the tableau initializers of src/solver/dop853.c as exact rationals (the
decimal figures as typed) and checks, in exact arithmetic:
  - the row sums c_i = Σ_j a_ij (stages 2..16; stage 13 is f(t + h, y1): row b);
  - every order condition Φ(t) = 1/γ(t) of the 8th-order solution for all 200
    rooted trees with at most 8 vertices (Butcher; HNW §II.2, Theorem 2.13),
    the trees enumerated here and counted (1, 1, 2, 4, 9, 20, 48, 115);
  - that the embedded solutions ŷ5 = y1 − hΣ e5_j k_j and ŷ3 = y0 + hΣ b3_j k_j
    have orders 5 and 3: all conditions up to that order, and some of the next
    one violated (so the estimates e5 ~ h⁶, e3 ~ h⁴ are what the step control
    assumes);
  - the continuous extension (HNW §II.6, DOP853's dense output of §II.10):
    Σ_j b_j(θ) Φ_j(t) = θ^|t|/γ(t) for every tree with |t| ≤ 7 at 9 values of θ
    (both sides are polynomials of degree ≤ 8 in θ, so 9 points make it an
    identity), b(0) = 0, b(1) = b, and an order-8 condition violated.
The published figures carry 28–30 significant digits and are themselves
rounded (c4, c5 involve √6), so exact conditions hold to a floor near 1e-27;
the bounds below are 1e-24, far above that floor and far below the effect of
any wrong digit among the first ~20 of a coefficient.  Finally the compiled
doubles (DUMP_EXE prints them in hex) must be the typed figures rounded to
double, entry for entry, so the engine runs on exactly what was checked.
"""
import os
import re
import subprocess
import sys
from fractions import Fraction as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

SRC, DUMP = sys.argv[1], sys.argv[2]
tap = Tap()
check = tap.ok
BOUND = F(1, 10**24)


# ---- the typed tableau --------------------------------------------------------------
text = open(SRC, encoding="utf-8").read()


def block(name):
    m = re.search(r"static const double %s\[[^=]*=\s*\{(.*?)\};" % name, text, re.S)
    if not m:
        raise SystemExit(f"Bail out! no initializer for {name} in {SRC}")
    return m.group(1)


NUM = r"([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)"


def parse2(name):
    return {(int(i), int(j)): v for i, j, v in
            re.findall(r"\[(\d+)\]\[(\d+)\]\s*=\s*" + NUM + r"\s*,", block(name))}


def parse1(name):
    return {int(i): v for i, v in re.findall(r"\[(\d+)\]\s*=\s*" + NUM + r"\s*,", block(name))}


typed = {"C": parse1("C"), "A": parse2("A"), "B": parse1("B"), "E5": parse1("E5"),
         "B3": parse1("B3"), "D": parse2("D")}
counts = {k: len(v) for k, v in typed.items()}
check(counts == {"C": 15, "A": 74, "B": 8, "E5": 8, "B3": 3, "D": 48},
      f"all initializers parsed: {counts}")
exact = {k: {key: F(v) for key, v in d.items()} for k, d in typed.items()}
c = [F(0)] * 17
for i, v in exact["C"].items():
    c[i] = v
a = [[F(0)] * 17 for _ in range(17)]
for (i, j), v in exact["A"].items():
    a[i][j] = v
b = [F(0)] * 17
for j, v in exact["B"].items():
    b[j] = v
for j in range(1, 13):
    a[13][j] = b[j]  # stage 13 is f(t + h, y1)
e5 = [F(0)] * 17
for j, v in exact["E5"].items():
    e5[j] = v
b5 = [b[j] - e5[j] for j in range(17)]  # ŷ5 = y1 − hΣ e5_j k_j
b3 = [F(0)] * 17
for j, v in exact["B3"].items():
    b3[j] = v
d = {r: [F(0)] * 17 for r in (4, 5, 6, 7)}
for (r, j), v in exact["D"].items():
    d[r][j] = v

check(all(j < i for (i, j) in exact["A"]), "A is strictly lower triangular (explicit)")
worst = max(abs(c[i] - sum(a[i][1:i])) for i in range(2, 17))
check(worst <= BOUND, f"row sums c_i = Σ_j a_ij for stages 2..16: max residual {float(worst):.1e}")
check(c[1] == 0 and c[12] == 1 and c[13] == 1, "c1 = 0, c12 = c13 = 1")


# ---- rooted trees -------------------------------------------------------------------
# A tree is the sorted tuple of its children's indices in TREES; TREES is in
# order of increasing size, so children always come first.
TREES, ORDER = [()], [1]


def grow(max_order):
    for n in range(2, max_order + 1):
        def children(left, top, acc):
            if left == 0:
                yield tuple(acc)
                return
            for k in range(top, -1, -1):
                if ORDER[k] <= left:
                    yield from children(left - ORDER[k], k, acc + [k])
        found = list(children(n - 1, len(TREES) - 1, []))
        for ch in found:
            TREES.append(ch)
            ORDER.append(n)


grow(8)
per_order = [ORDER.count(n) for n in range(1, 9)]
check(per_order == [1, 1, 2, 4, 9, 20, 48, 115] and len(TREES) == 200,
      f"rooted trees of orders 1..8 enumerated: {per_order} ({len(TREES)})")
GAMMA = []
for t, ch in enumerate(TREES):
    g = ORDER[t]
    for u in ch:
        g *= GAMMA[u]
    GAMMA.append(g)
check(GAMMA[:2] == [1, 2] and sorted(GAMMA[2:4]) == [3, 6] and max(GAMMA) == 40320 and
      min(GAMMA[t] for t in range(len(TREES)) if ORDER[t] == 8) == 8,
      "density γ: • = 1, [•] = 2, {[•,•], [[•]]} = {3, 6}; order 8: bushy tree 8, tall tree 8!")


def stage_weights(stages):
    """Φ_i(t) for i = 1..stages and every tree: Φ_i(t) = Π_children (Σ_j a_ij Φ_j(u))."""
    phi, aphi = [], []
    for ch in TREES:
        p = [F(1)] * (stages + 1)
        for u in ch:
            p = [p[i] * aphi[u][i] for i in range(stages + 1)]
        phi.append(p)
        aphi.append([sum((a[i][j] * p[j] for j in range(1, i)), F(0)) for i in range(stages + 1)])
    return phi


PHI = stage_weights(16)


def residuals(w, upto, scale=lambda n: F(1)):
    """Σ_j w_j Φ_j(t) − scale(|t|)/γ(t) for the trees of order ≤ upto."""
    return [sum((w[j] * PHI[t][j] for j in range(1, 17)), F(0)) - scale(ORDER[t]) / GAMMA[t]
            for t in range(len(TREES)) if ORDER[t] <= upto]


def order_of(w, name, p, bound=BOUND):
    r = [abs(x) for x in residuals(w, p)]
    check(max(r) <= bound, f"{name}: all {len(r)} conditions of order ≤ {p} hold "
          f"(max |Φ(t) − 1/γ(t)| = {float(max(r)):.1e})")
    nxt = [abs(x) for x, t in zip(residuals(w, p + 1), range(len(TREES))) if ORDER[t] == p + 1]
    if p < 8:
        check(max(nxt) > F(1, 10**6), f"{name}: order exactly {p} (an order-{p + 1} condition "
              f"fails by {float(max(nxt)):.2e})")


order_of(b, "8th-order solution b", 8)
check(all(b[j] == 0 for j in range(13, 17)) and all(b3[j] == 0 for j in range(13, 17)),
      "b and b3 use stages 1..12 only")
order_of(b5, "5th-order embedded solution b − e5", 5)
order_of(b3, "3rd-order embedded solution b3", 3)


# ---- the continuous extension ---------------------------------------------------------
def dense_weights(th):
    """b_j(θ) from the published nested form (HNW §II.10):
    y(θ) = r1 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ)(r5 + θ(r6 + (1−θ)(r7 + θ r8)))))),
    r1 = y0, r2 = y1 − y0, r3 = hk1 − r2, r4 = r2 − hk13 − r3, r5..r8 = hΣ d4..d7_j k_j,
    written as y0 + hΣ b_j(θ) k_j."""
    unit = lambda j: [F(1) if i == j else F(0) for i in range(17)]
    r2 = b[:]
    r3 = [x - y for x, y in zip(unit(1), r2)]
    r4 = [x - y - z for x, y, z in zip(r2, unit(13), r3)]
    r = {2: r2, 3: r3, 4: r4, 5: d[4], 6: d[5], 7: d[6], 8: d[7]}
    u = 1 - th
    acc = [th * x for x in r[8]]  # innermost: θ r8
    for k, f in ((7, u), (6, th), (5, u), (4, th), (3, u), (2, th)):
        acc = [f * (x + y) for x, y in zip(r[k], acc)]
    return acc


THETAS = [F(1, 9), F(1, 5), F(1, 3), F(1, 2), F(3, 5), F(2, 3), F(4, 5), F(9, 10), F(1)]
worst = F(0)
for th in THETAS:
    w = dense_weights(th)
    worst = max([worst] + [abs(x) for x in residuals(w, 7, lambda n: th ** n)])
check(worst <= BOUND, f"dense output: Σ_j b_j(θ)Φ_j(t) = θ^|t|/γ(t) for all 108 trees of order "
      f"≤ 7 at θ = {', '.join(map(str, THETAS))} (max residual {float(worst):.1e})")
check(all(x == 0 for x in dense_weights(F(0))), "dense output: b_j(0) = 0 (y(θ=0) = y0)")
check(all(x == y for x, y in zip(dense_weights(F(1)), b)), "dense output: b_j(1) = b_j (y(θ=1) = y1)")
worst8 = max(max(abs(x) for x, t in zip(residuals(dense_weights(th), 8, lambda n: th ** n),
                                        range(len(TREES))) if ORDER[t] == 8)
             for th in THETAS[:-1])
check(worst8 > F(1, 10**6), f"dense output: order exactly 7 (an order-8 condition fails by "
      f"{float(worst8):.2e} inside the step)")

# ---- what the compiler made of them ------------------------------------------------------
out = subprocess.run([DUMP], capture_output=True, text=True, check=True).stdout
compiled = {}
for line in out.splitlines():
    name, *idx, val = line.split()
    compiled[(name, *map(int, idx))] = float.fromhex(val)
want = {}
for name, entries in typed.items():
    for key, v in entries.items():
        key = key if isinstance(key, tuple) else (key,)
        want[(name, *key)] = float(F(v))
mismatch = [k for k in set(want) | set(compiled) if want.get(k) != compiled.get(k)]
check(not mismatch and len(compiled) == 156,
      f"the compiled doubles are the typed figures correctly rounded ({len(compiled)} entries"
      f"{'; differ: ' + str(sorted(mismatch)[:5]) if mismatch else ''})")

sys.exit(tap.done())
