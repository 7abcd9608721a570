"""η⁽²⁾ (eq. 102, papers.md §3.5) against an independent high-precision root.

For each case, tests/theory/theory_probe prints lrs_theory_init's inputs and
results; this script rebuilds Table 2 (α1, α2, β2) and eq. 102 from the raw
inputs in mpmath, evaluating 4KL0η² − (1 − e^{−η^c})(1 − Δ(η)) literally, with
enough digits that 1 − Δ(η) keeps 40 significant digits at every η, scans it
on a log grid from 1e-330 up, and refines the first sign change by bisection.
η⁽²⁾ must match to 1e-10 relative, or — when the true root is below the
smallest normal double — be reported as 0 with eta_max_bound = eta2_underflow.
Cases: [P1]'s setting with init_scale 1, 0.03 (root ≈ 1e-77) and 0.001
(underflow), the ℓ2-logistic loss with λ = 0.2 and N(0, 1/h) init (≈ 1e-43),
both β2 readings, and hand-made inputs from tests/theory/test_theory.c.
Usage: test_eta2_mpmath.py THEORY_PROBE (TAP output).
"""
import os
import subprocess
import sys

import mpmath as mp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jobctl import Tap  # noqa: E402

PROBE = sys.argv[1]
tap = Tap()
check = tap.ok


def probe(*args):
    r = subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"theory_probe {' '.join(args)}: {r.stderr.strip()}")
    out = {}
    for line in r.stdout.splitlines():
        k, v = line.split(" ", 1)
        out[k] = v if k == "eta_max_bound" else float(v)
    return out


def eq102(o):
    """η ↦ (sign, value) of eq. 102's (1 − e^{−η^c})(1 − Δ) − 4KL0η², in mpmath."""
    mpf = mp.mpf
    mu, K, L0, c, d = (mpf(o[k]) for k in ("mu", "K", "L0", "c", "d"))
    lp, lm = max(mpf(o["lmax_D"]), 0), max(mpf(o["lmax_negD"]), 0)
    pn, pm = max(mpf(o["ln_D"]), 0), max(mpf(o["lm_negD"]), 0)
    du, dp, dm = pn + pm, lp - pn, lm - pm
    r = mp.sqrt(K / mu) * mpf(o["dist0"])
    b1 = max(mpf(0), mpf(o["smin_Wstar"]) - r)
    top = mpf(o["fro_Wstar"]) if o["beta2_frobenius"] else mpf(o["smax_Wstar"])
    b2 = top + r
    a1 = (-dp - dm + mp.sqrt((dp + du) ** 2 + 4 * b1 ** 2) + mp.sqrt((dm + du) ** 2 + 4 * b1 ** 2)) / 2
    a2 = (lp + mp.sqrt(lp ** 2 + 4 * b2 ** 2)) / 2 + (lm + mp.sqrt(lm ** 2 + 4 * b2 ** 2)) / 2
    s = mp.sqrt(2 * K * L0)

    def f(eta):
        eta = mpf(eta)
        pc = eta ** c
        mubar = mu * (a1 + 2 * a2 * (1 - mp.exp(pc)))
        Kbar0 = s + 6 * K ** 2 * b2 * L0 * eta ** 2 + K * mp.exp(pc) * a2 * (1 + 3 * s * eta)
        rho = 1 - 2 * mubar * eta + mubar * Kbar0 * eta ** 2
        Delta = (1 + eta ** d) * rho
        return (1 - mp.exp(-pc)) * (1 - Delta) - 4 * K * L0 * eta ** 2

    def at(eta):  # digits so that 1 − Δ ≈ η keeps 40 of its own
        with mp.workdps(int(50 + max(0, -mp.log10(eta)))):
            return f(eta)

    return a1, a2, at


def smallest_root(at, lo_exp=-330, hi_exp=6, per_decade=8):
    """First sign change of eq. 102 going up a log grid, bisected in log space."""
    n = (hi_exp - lo_exp) * per_decade
    prev = mp.mpf(10) ** lo_exp
    if at(prev) <= 0:
        return mp.mpf(0), prev  # a root below the grid
    for k in range(1, n + 1):
        x = mp.mpf(10) ** (lo_exp + mp.mpf(k) / per_decade)
        if at(x) <= 0:
            a, b = mp.log(prev), mp.log(x)
            for _ in range(200):
                mid = (a + b) / 2
                if at(mp.exp(mid)) > 0:
                    a = mid
                else:
                    b = mid
                if b - a < mp.mpf(10) ** -25:
                    break
            return mp.exp((a + b) / 2), None
        prev = x
    return mp.inf, None


DBL_MIN = mp.mpf(2) ** -1022


def case(name, o):
    a1, a2, at = eq102(o)
    check(abs(mp.mpf(o["alpha1"]) - a1) <= 1e-12 * abs(a1) and
          abs(mp.mpf(o["alpha2_fro"] if o["beta2_frobenius"] else o["alpha2"]) - a2) <= 1e-12 * a2,
          f"{name}: α1 = {mp.nstr(a1, 8)}, driving α2 = {mp.nstr(a2, 8)} as Table 2")
    root, below = smallest_root(at)
    got, bound = o["eta2"], o["eta_max_bound"]
    if root == mp.inf:
        check(got == float("inf"), f"{name}: no root on the grid, C η⁽²⁾ = {got}")
    elif root < DBL_MIN:
        check(got == 0.0 and bound == "eta2_underflow" and o["eta_max"] == 0.0,
              f"{name}: true root {mp.nstr(root, 6) if root else '< 1e-330'} < DBL_MIN: C reports "
              f"η⁽²⁾ = {got}, eta_max_bound = {bound}")
    else:
        rel = abs(mp.mpf(got) - root) / root
        check(rel < 1e-10, f"{name}: η⁽²⁾ = {got:.12g} vs mpmath {mp.nstr(root, 15)} "
                           f"(rel {mp.nstr(rel, 2)})")
        want = min(o["eta1"], float(root))
        check(abs(o["eta_max"] - want) <= 1e-10 * want, f"{name}: η_max = min(η⁽¹⁾, η⁽²⁾, η_log) "
              f"≤ both ({o['eta_max']:.6g}, bound {bound})")


cases = [
    ("squared, init_scale 1 (paper scale)", ["point", "init_scale=1"]),
    ("squared, init_scale 1, frobenius β2", ["point", "init_scale=1", "beta2_norm=frobenius"]),
    ("squared, init_scale 0.03, h = 100", ["point", "init_scale=0.03"]),
    ("squared, init_scale 0.003", ["point", "init_scale=0.003"]),
    ("squared, init_scale 0.001 (underflow)", ["point", "init_scale=0.001"]),
    ("logistic λ = 0.2, N(0, 1/h)", ["point", "loss=logistic", "logistic_lambda=0.2",
                                     "init_exponent=0.5"]),
    ("logistic λ = 0.2, N(0, 1/h), h = 400", ["point", "loss=logistic", "logistic_lambda=0.2",
                                              "init_exponent=0.5", "width=400"]),
    ("hand-made, large L0", ["in", "mu=1", "K=1", "L0=5e4", "c=0.5", "d=1.01", "lmax_D=638.47",
                             "lmax_negD=600.27", "ln_D=372.6", "lm_negD=403.3",
                             "smin_Wstar=12.97", "smax_Wstar=127.4", "fro_Wstar=180",
                             "dist0=0.1"]),
    ("hand-made, d = 2", ["in", "mu=0.5", "K=2", "L0=1e-6", "c=0.5", "d=2", "lmax_D=0.3",
                          "lmax_negD=0.1", "ln_D=0.2", "lm_negD=0.05", "smin_Wstar=0.05",
                          "smax_Wstar=1.5", "fro_Wstar=2", "dist0=0.01"]),
]
for name, args in cases:
    try:
        case(name, probe(*args))
    except RuntimeError as e:
        check(False, f"{name}: {e}")
sys.exit(tap.done())
