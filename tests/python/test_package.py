"""Tests of the Python package python/lrsweep: its DataFrames against `lrsweep query`
cell for cell, grid() medians against `query --pivot`, trajectories against the
store's own slices, the --where language against the C one (one list of expressions
through both on one store), and the setup step that makes it importable.

Stores are made with the built lrsweep ($LRSWEEP, else build/lrsweep).
Run:  LRSWEEP=build/lrsweep /usr/bin/python3 -m pytest -q tests/python
"""

import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, os.path.join(REPO, "tests"))

import lrsweep  # noqa: E402
from jobctl import program, run_sweep  # noqa: E402
from lrsweep import store as lrsstore  # noqa: E402

# Fixed steps over three sizes: small ones never reach 1e-10 in 40 iterations
# (iters_to_10 missing), 3.0 diverges; two enums vary (status, and origin is one).
FIXED = """
[sweep]
name = "pkg"
replicates = 2
[problem]
model = "two_layer"
input_dim = 4
output_dim = 4
[solver]
method = "gd"
step_rule = "fixed"
max_iter = 40
[grid]
width = [20, 80]
sigma2 = [0.01, 1.0]
step_size = [0.01, 0.2, 3.0]
"""

# A two-axis sweep (the quickstart's shape) with three seeds.
TWO_AXES = """
[sweep]
name = "two"
replicates = 3
[problem]
model = "two_layer"
input_dim = 6
output_dim = 5
data = "orthogonal"
target = "teacher"
[solver]
method = "gd"
step_rule = "local"
max_iter = 25
[grid]
width = [30, 60, 120]
sigma2 = [0.01, 0.3]
"""


def cli(*args, check=True):
    r = subprocess.run([program()] + [str(a) for a in args], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    d = tmp_path_factory.mktemp("pkg")
    out = {}
    for name, text in (("fixed", FIXED), ("two", TWO_AXES)):
        run_sweep(text, str(d / (name + ".h5")), str(d))
        out[name] = str(d / (name + ".h5"))
    out["dir"] = d
    return out


def csv_rows(store, columns, *extra):
    r = cli("query", store, "--format", "csv", "--select", ",".join(columns), *extra)
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == list(columns)
    return rows[1:]


def same_cell(text, value, dtype):
    """One csv field of lrsweep query against one DataFrame cell."""
    if str(dtype) == "category" or dtype == object:
        return text == str(value)
    if dtype == bool:
        return text in (("true", "1") if value else ("false", "0"))
    if text == "":
        return isinstance(value, float) and math.isnan(value)
    if np.issubdtype(dtype, np.integer):
        return int(text) == int(value)
    return float(text) == float(value)  # the shortest round-trip decimal reads back exactly


def check_frame_is_csv(df, store, *extra):
    rows = csv_rows(store, df.columns, *extra)
    assert len(rows) == len(df)
    bad = [(c, t, df[c].iloc[i]) for i, r in enumerate(rows) for c, t in zip(df.columns, r)
           if not same_cell(t, df[c].iloc[i], df[c].dtype)]
    assert not bad, bad[:5]


def test_points_is_query_csv(stores):
    df = lrsweep.points(stores["fixed"])
    assert df.shape == (24, len(lrsstore.Store(stores["fixed"]).points()))
    assert str(df["status"].dtype) == "category" and "diverged" in set(df["status"])
    assert str(df["origin"].dtype) == "category" and set(df["origin"]) == {"grid"}
    # never reached: NaN, not -1 (the column becomes float for it)
    assert df["iters_to_10"].isna().any() and not (df["iters_to_10"] == -1).any()
    check_frame_is_csv(df, stores["fixed"])
    assert lrsweep.points(stores["fixed"], grid_only=True).shape == df.shape


def test_points_drops_torn_rows(stores, tmp_path):
    import h5py

    torn = str(tmp_path / "torn.h5")
    shutil.copy(stores["fixed"], torn)
    with h5py.File(torn, "r+") as f:
        ds = f["sweeps"]["pkg"]["points"]
        rec = ds[5]
        rec["final_loss"] = rec["final_loss"] * 3 + 1  # the row's row_check no longer matches
        ds[5] = rec
    df = lrsweep.points(torn)
    assert len(df) == 23 and 5 not in set(df["index"])
    # lrsweep reads that row as pending; every other row is the csv's
    check_frame_is_csv(df, torn, "--where", "index != 5")
    assert csv_rows(torn, ["index", "status"], "--where", "index == 5") == [["5", "pending"]]


def test_grid_median_is_pivot(stores):
    ds = lrsweep.grid(stores["two"])
    assert set(ds.dims) == {"width", "sigma2", "seed"} and ds.sizes["seed"] == 3
    assert list(ds["width"].values) == [30, 60, 120] and list(ds["sigma2"].values) == [0.01, 0.3]
    for col in ("rate", "final_loss", "iters_to_6"):
        med = ds[col].median("seed")
        piv = json.loads(cli("query", stores["two"], "--pivot", "width,sigma2," + col, "--agg", "median",
                             "--format", "json").stdout)
        assert piv["x_values"] == [30, 60, 120] and piv["y_values"] == [0.01, 0.3]
        for j, y in enumerate(piv["y_values"]):
            for i, x in enumerate(piv["x_values"]):
                want = piv["cells"][j][i]
                got = float(med.sel(width=x, sigma2=y))
                assert (want is None and math.isnan(got)) or want == got, (col, x, y, want, got)


def test_trajectories_long(stores):
    tr = lrsweep.trajectories(stores["two"], where="width == 60 and seed != 1")
    df = lrsweep.points(stores["two"])
    sel = df[(df["width"] == 60) & (df["seed"] != 1)]
    assert len(tr) == int(sel["traj_count"].sum()) > 0
    assert set(tr["index"]) == set(sel["index"])
    with lrsstore.Store(stores["two"]) as st:
        for _, p in sel.iterrows():
            mine = tr[tr["index"] == p["index"]]
            rec = st.trajectory(int(p["index"]))
            assert np.array_equal(mine["loss"].to_numpy(), rec["loss"])
            assert (mine["width"] == 60).all() and (mine["sigma2"] == p["sigma2"]).all()
            assert (mine["key"] == p["key"]).all()


# A grid over the loss kind: the points' `loss` (an enum axis) and the records' `loss`
# (L - l*) share a name, as do the `step_size` axis and the records' step taken.
LOSS_AXIS = """
[sweep]
name = "lossaxis"
replicates = 2
[problem]
model = "two_layer"
input_dim = 4
output_dim = 3
[solver]
method = "gd"
step_rule = "fixed"
max_iter = 30
[grid]
loss = ["squared", "huber"]
step_size = [0.02, 0.05]
"""


def test_trajectories_names_and_h5py(stores, tmp_path):
    """Every record column of trajectories() equals the store's slice
    trajectories[traj_offset : traj_offset + traj_count] read with h5py alone, under
    its docs/store.md name (`loss` is L - l*, not the loss kind); an axis named as a
    record column is `point_NAME`, with the row's value."""
    import h5py

    path = str(tmp_path / "lossaxis.h5")
    run_sweep(LOSS_AXIS, path, str(tmp_path))
    tr = lrsweep.trajectories(path)
    with h5py.File(path, "r") as f:
        g = f["sweeps/lossaxis"]
        P = g["points"][: int(g["rows"][0])]
        T = g["trajectories"][...]
        loss_names = {v: k for k, v in h5py.check_enum_dtype(P.dtype["loss"]).items()}
    assert str(tr["loss"].dtype) == "float64" and str(tr["step_size"].dtype) == "float64"
    assert set(tr["point_loss"].astype(str)) == {"squared", "huber"}
    assert "record_loss" not in tr.columns and "record_step_size" not in tr.columns
    assert len(tr) == int(P["traj_count"].sum()) > 0
    for p in P:
        mine = tr[tr["index"] == p["index"]]
        seg = T[p["traj_offset"]: p["traj_offset"] + p["traj_count"]]
        assert len(mine) == len(seg) > 0 and (seg["key_hash"] == p["key_hash"]).all()
        for c in T.dtype.names:
            assert np.array_equal(mine[c].to_numpy(), seg[c], equal_nan=True), c
        assert (mine["point_loss"].astype(str) == loss_names[int(p["loss"])]).all()
        assert (mine["point_step_size"] == p["step_size"]).all()
        taken = mine["step_size"].dropna()  # the last record takes no step (NaN)
        assert len(taken) == len(mine) - 1 and (taken == p["step_size"]).all()  # fixed rule: the axis value


def test_old_store_reads(tmp_path):
    """A store written before columns were added (tests/store/data, lrsweep a5d905d)
    reads through points(), trajectories() and grid(): the columns it has, with h5py's
    values; the columns added since are absent (README, "The store")."""
    import h5py

    path = str(tmp_path / "old.h5")
    shutil.copy(os.path.join(REPO, "tests", "store", "data", "schema2_a5d905d.h5"), path)
    df = lrsweep.points(path)
    with h5py.File(path, "r") as f:
        g = f["sweeps"][list(f["sweeps"])[0]]
        P = g["points"][...]
        T = g["trajectories"][...]
        names = {v: k for k, v in h5py.check_enum_dtype(P.dtype["status"]).items()}
    assert list(df.columns) == list(P.dtype.names) and "loss_evals" not in df.columns
    assert df["status"].astype(str).tolist() == [names[int(s)] for s in P["status"]]
    assert np.array_equal(df["final_loss"].to_numpy(), P["final_loss"], equal_nan=True)
    tr = lrsweep.trajectories(path)
    assert len(tr) == int(P["traj_count"].sum()) == len(T)
    assert np.array_equal(np.sort(tr["loss"].to_numpy()), np.sort(T["loss"]), equal_nan=True)
    assert lrsweep.grid(path)["final_loss"].dims == ("seed",)


def test_boundary_errors_name_the_argument(stores):
    """boundary()'s errors name what the caller gave: a bad predicate as the predicate
    (the program reports it as --where), a misspelt axis with a suggestion, a sweep
    without [refine] as needing a predicate."""
    with pytest.raises(lrsweep.StoreError) as e:
        lrsweep.boundary(stores["fixed"], "step_size", 'stauts != "diverged"')
    assert str(e.value).startswith('--predicate "stauts'), str(e.value)
    assert "did you mean 'status'" in str(e.value) and "--where" not in str(e.value), str(e.value)
    with pytest.raises(lrsweep.StoreError, match="boundary axis 'step_sise': not an axis of sweep 'pkg'; "
                                                  "did you mean 'step_size'"):
        lrsweep.boundary(stores["fixed"], "step_sise", 'status != "diverged"')
    with pytest.raises(lrsweep.StoreError, match=r"sweep 'pkg' has no \[refine\] predicate"):
        lrsweep.boundary(stores["fixed"], "step_size")
    with pytest.raises(lrsweep.StoreError, match='--where "widht > 1": column 1: unknown column'):
        lrsweep.boundary(stores["fixed"], "step_size", 'status != "diverged"', where="widht > 1")


def test_grid_attrs_are_the_axes(tmp_path):
    """grid()'s coordinates carry what axes/AXIS says (type, parameter, log_scale, read
    here with h5py), and the dataset its store and sweep."""
    import h5py

    path = str(tmp_path / "attrs.h5")
    run_sweep(TWO_AXES.replace("sigma2 = [0.01, 0.3]", "sigma2 = { log = [0.01, 1.0], num = 3 }"), path, str(tmp_path))
    ds = lrsweep.grid(path)
    assert ds.attrs == {"store": path, "sweep": "two"}
    with h5py.File(path, "r") as f:
        axes = f["sweeps/two/axes"]
        assert set(axes) == {"width", "sigma2", "seed"}
        for name in axes:
            a = axes[name].attrs
            want = {"type": a["type"], "parameter": a["parameter"], "log_scale": int(a["log_scale"])}
            assert ds[name].attrs == want, (name, ds[name].attrs, want)
            assert np.array_equal(ds[name].values, axes[name][...])
    assert ds["sigma2"].attrs["log_scale"] == 1 and ds["width"].attrs["log_scale"] == 0
    assert ds["seed"].attrs["parameter"] == "replicate"


def test_truncated_store(stores, tmp_path):
    """A store cut short (an incomplete copy) says so, with how much is there and what
    to do, in one line: not HDF5's "Unable to open file (truncated file: eof = ...)"."""
    whole = os.path.getsize(stores["two"])
    cut = tmp_path / "cut.h5"
    with open(stores["two"], "rb") as fh:
        cut.write_bytes(fh.read(whole // 3))
    with pytest.raises(lrsweep.StoreError) as e:
        lrsweep.points(str(cut))
    msg = str(e.value)
    assert "\n" not in msg and "truncated" in msg and "copy the store again" in msg, msg
    assert "%d of the store's %d bytes" % (whole // 3, whole) in msg, msg


def test_boundary_frame(stores):
    bd = lrsweep.boundary(stores["fixed"], "step_size", 'status != "diverged"')
    lines = cli("query", stores["fixed"], "--boundary", "step_size", "--predicate", 'status != "diverged"',
                "--format", "json").stdout.splitlines()
    assert len(bd) == len(lines) == 8  # width x sigma2 x seed
    df = lrsweep.points(stores["fixed"])
    for _, c in bd.iterrows():
        cell = df[(df["width"] == c["width"]) & (df["sigma2"] == c["sigma2"]) & (df["seed"] == c["seed"])]
        ok = cell.sort_values("step_size")["status"] != "diverged"
        flip = np.flatnonzero(ok.to_numpy()[1:] != ok.to_numpy()[:-1])
        assert c["flips"] == len(flip)
        if len(flip):
            steps = np.sort(cell["step_size"].to_numpy())
            assert (c["lo"], c["hi"]) == (steps[flip[0]], steps[flip[0] + 1])


# ---- the expression language: the same rows from C and Python ----------------------

PARITY = [
    "width >= 80", "width > 20 && sigma2 < 1", "width > 20 and sigma2 < 1",
    "width == 20 || seed == 1", "width == 20 or seed == 1", "!(width == 20)", "not (width == 20)",
    "not width == 20", "! seed", "not seed", 'status == "diverged"', "status != 'max_iter'",
    "rate < 0.9", "rate != rate", "iters_to_10 > 5", "iters_to_10 != 30", "iters_to_3 >= 0",
    "final_loss * 2 < 1e-10", "log10(final_loss) < -8", "abs(rate - 0.5) < 0.3", "-rate < -0.5",
    "- -width == 80", "width / 20 + 1 >= 3 - seed * 2", "(width - 20) / 60 == 1",
    "width - 10 - 10 > 0", "width / 2 / 2 == 5", "1 - rate > 0.1", "alpha1 / alpha2 > 0.5",
    "sqrt(width) < 5", "exp(0) == 1 && width == 20", "log(width) > 4", "step_size * width >= 4",
    'key == "seed=0,sigma2=0.01,step_size=0.2,width=20"', "key < 'seed=1'", "true", "false || seed",
    "nan", "width >= inf", "sigma2 == 0.01", "seed * seed == 1", "width + -step_size > 19",
    '(width > 20) && !(seed > 0) || status == "converged" and rate > 0.5',
    'origin == "grid" and not (status == "diverged" || step_size < 0.1)',
    "final_loss > 1e3 || final_loss != final_loss", "-(width - 100) > 30 * (1 + seed)",
]


def cli_rows(store, where):
    r = cli("query", store, "--where", where, "--select", "index", "--format", "csv", check=False)
    assert r.returncode == 0, (where, r.stderr)
    return [int(x) for x in r.stdout.split()[1:]]


def test_where_parity(stores):
    assert len(PARITY) >= 30
    counts = set()
    for where in PARITY:
        py = lrsweep.query(stores["fixed"], where)["index"].tolist()
        assert py == cli_rows(stores["fixed"], where), where
        with lrsstore.Store(stores["fixed"]) as st:  # the reader's dict of arrays too
            assert list(np.flatnonzero(lrsstore.where_mask(st.points(), where))) == py, where
        counts.add(len(py))
    assert len(counts) > 10, "the list should select many different row sets"


BAD = ["widht > 3", "width >= ", "status == \"divergd\"", "status < \"diverged\"", "status == 1",
       "width == \"x\"", "(width > 3", "width = 3", "width > 3 3", "width > 1 < 2", "width > 1 and",
       "(width > 1) < 2", "width # 3", "\"open", "status + 1 > 0", "key", "logg(width) > 1",
       "width * ", "!" * 65 + "width", "-" * 65 + "width > 0", "(width > 1) * 2 > 0", ""]


def test_error_parity(stores):
    for where in BAD:
        r = cli("query", stores["fixed"], "--where", where, check=False)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (where, r.stderr)
        if not where:  # Python's where="" (or None) keeps every row
            continue
        with pytest.raises(lrsweep.StoreError) as e:
            lrsweep.query(stores["fixed"], where)
        assert r.stderr.strip() == "lrsweep: " + str(e.value), where


def test_where_limits(stores):
    deep = "(" * 64 + "width > 20" + ")" * 64
    assert lrsweep.query(stores["fixed"], deep)["index"].tolist() == cli_rows(stores["fixed"], deep)
    long = " || ".join("width == %d" % w for w in range(1, 900)) + " || seed == 1"
    assert len(long) > 8192
    with pytest.raises(lrsweep.StoreError, match="at most 8192"):
        lrsweep.query(stores["fixed"], long)
    chain = "+".join(["seed"] * 1500) + " > 0"  # no recursion along a chain
    assert lrsweep.query(stores["fixed"], chain)["index"].tolist() == cli_rows(stores["fixed"], chain)


# ---- the setup step ------------------------------------------------------------------


def test_setup_makes_package_importable(stores, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LRS_PYTHON_SITE"] = str(site)
    for _ in range(2):  # idempotent
        r = subprocess.run(["bash", os.path.join(REPO, "scripts", "python-path.sh")], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    pth = list(site.iterdir())
    assert [p.name for p in pth] == ["lrsweep.pth"]
    assert pth[0].read_text() == os.path.join(REPO, "python") + "\n"
    # The new site's entries go first: the machine's own lrsweep.pth names whichever
    # checkout ran its setup last (another worktree's test run, say), not this one.
    code = ("import site, sys; before = list(sys.path); site.addsitedir(%r); "
            "sys.path.sort(key=lambda p: p in before); import lrsweep; "
            "print(lrsweep.__file__); print(lrsweep.points(%r).shape)" % (str(site), stores["two"]))
    r = subprocess.run(["/usr/bin/python3", "-c", code], env=env, cwd="/", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    path, shape = r.stdout.splitlines()
    assert path == os.path.join(REPO, "python", "lrsweep", "__init__.py") and shape == "(18, %d)" % len(
        lrsweep.points(stores["two"]).columns)


def test_readme_block_runs(tmp_path):
    """The README's Python block, verbatim, with /usr/bin/python3 beside a quickstart store
    (the package found as lrsweep.pth finds it: the checkout's python/ folder)."""
    import re

    text = open(os.path.join(REPO, "README.md")).read()
    m = re.search(r"<!-- package snippet[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert m, "README has the package snippet"
    shutil.copy(os.path.join(REPO, "sweeps", "quickstart.toml"), tmp_path / "quickstart.toml")
    run_sweep(str(tmp_path / "quickstart.toml"), str(tmp_path / "quickstart.h5"), str(tmp_path))
    (tmp_path / "block.py").write_text(m.group(1))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"))
    r = subprocess.run(["/usr/bin/python3", "block.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "iters_to_6" in r.stdout and "Name: loss" in r.stdout
    line = re.search(r"# \((\d+), (\d+)\)", text)
    shape = lrsweep.points(str(tmp_path / "quickstart.h5")).shape
    assert line and (int(line.group(1)), int(line.group(2))) == shape, "the README's shape comment"
