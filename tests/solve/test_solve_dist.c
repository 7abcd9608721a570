/*
 * The distributed solve against the local one (issue point 4), under mpirun
 * with G = 1, 2, 4 ranks (grids 1×1, 1×2, 2×2).
 *
 * For each point: the reference is lrs_solve_point on MPI_COMM_SELF (local
 * backend); it is compared with
 *   (a) lrs_solve_point on MPI_COMM_WORLD (G ranks; G = 1 is the local path),
 *   (b) the dist backend on MPI_COMM_WORLD built here with block size 3, so
 *       that even these small matrices are spread over every rank of the
 *       grid (also for G = 1: a 1×1 BLACS grid),
 *   (c) as (b) with every factorization in ScaLAPACK (gather_max = 0).
 * Verdicts: same status, same iteration count, same record steps, and every
 * recorded loss within 1e-10 relative of the reference; the same bits on
 * every rank of the group.  The points stop (tol) while L − ℓ* is above the
 * level where rounding of the iterate dominates the loss: the loss of an
 * iterate W is perturbed by about ε‖W‖·‖∇L‖ whatever the backend, so its
 * relative error grows like 1/√L (at L ≈ 1e-10 L0 it reaches 1e-10).  Runs
 * down to the double-precision floor are checked against that rounding
 * model instead: |ΔL| ≤ 1e-10·L + 1e-12·√(L·L0).
 * The largest relative difference per variant is printed as a TAP comment.
 */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrs_test_mpi.h"
#include "lrsweep/linalg.h"
#include "lrsweep/model.h"
#include "lrsweep/solve.h"
#include "lrsweep/solver.h"
#include "numerics_point.h"

static int rank_, size_;
static double worst_[3]; /* largest relative loss difference per variant */

/* The result is bitwise the same on every rank (FNV-1a of the fields). */
static bool same_on_all_ranks(const lrs_result *r) {
  uint64_t h = 1469598103934665603ULL;
  const unsigned char *bytes = (const unsigned char *)r->records;
  for (size_t i = 0; i < r->n_records * sizeof *r->records; i++)
    h = (h ^ bytes[i]) * 1099511628211ULL;
  const double sums[3] = {r->summary.final_loss, (double)r->summary.iterations,
                          (double)r->summary.status};
  bytes = (const unsigned char *)sums;
  for (size_t i = 0; i < sizeof sums; i++)
    h = (h ^ bytes[i]) * 1099511628211ULL;
  unsigned long long mine = h, lo = 0, hi = 0;
  MPI_Allreduce(&mine, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&mine, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  return lo == hi;
}

/* The solve of (b)/(c): dist backend on WORLD, model and solver as
 * lrs_solve_point does. */
static lrs_status solve_dist(const lrs_point *p, size_t block, size_t gather_max,
                             lrs_result *res) {
  lrs_linalg_dist_opts o = lrs_linalg_dist_defaults();
  o.block = block;
  o.gather_max = gather_max;
  lrs_linalg *la = NULL;
  lrs_model *m = NULL;
  lrs_result_reset(res);
  lrs_status st = lrs_linalg_create_dist(MPI_COMM_WORLD, &o, &la);
  if (st == LRS_OK)
    st = lrs_model_create(p, la, &m);
  if (st == LRS_OK)
    st = lrs_solver_run(m, p, INFINITY, res);
  lrs_model_destroy(&m);
  lrs_linalg_destroy(&la);
  return st;
}

typedef struct {
  bool ok;
  double rel;  /* largest relative loss difference */
  double bound_ratio; /* largest |ΔL| / (rounding-model bound) */
} agreement;

static agreement compare(const lrs_result *ref, const lrs_result *got) {
  agreement a = {.ok = ref->summary.status == got->summary.status &&
                       ref->summary.iterations == got->summary.iterations &&
                       ref->n_records == got->n_records};
  const double L0 = ref->n_records ? ref->records[0].loss : 1.0;
  for (size_t i = 0; a.ok && i < ref->n_records; i++) {
    const lrs_record *x = &ref->records[i], *y = &got->records[i];
    a.ok = x->step == y->step && lrs_test_close(x->time, y->time, 1e-9, 0.0);
    const double d = fabs(x->loss - y->loss);
    if (x->loss > 0.0)
      a.rel = fmax(a.rel, d / x->loss);
    a.bound_ratio = fmax(a.bound_ratio, d / (1e-10 * x->loss + 1e-12 * sqrt(x->loss * L0)));
  }
  return a;
}

/* Solves p all ways (the first `ways` of (a)–(c)) and checks the agreement.
 * strict: every loss within 1e-10 relative; else within the rounding model. */
static void check_point_ways(const char *name, const lrs_point *p, bool strict, int ways) {
  lrs_result *ref = NULL, *got = NULL;
  lrs_result_create(64, &ref);
  lrs_result_create(64, &got);
  const lrs_status sr = lrs_solve_point(p, MPI_COMM_SELF, ref);
  LRS_CHECK(lrs_test_all_ranks(sr == LRS_OK),
            "%s: local reference solves (%s, %lld iterations, L %.3g → %.3g)", name,
            lrs_point_status_names[ref->summary.status], (long long)ref->summary.iterations,
            ref->n_records ? ref->records[0].loss : NAN,
            ref->n_records ? ref->records[ref->n_records - 1].loss : NAN);
  static const char *what[3] = {"lrs_solve_point", "dist nb=3", "dist nb=3 all-ScaLAPACK"};
  for (int v = 0; v < ways; v++) {
    lrs_status sg = v == 0   ? lrs_solve_point(p, MPI_COMM_WORLD, got)
                    : v == 1 ? solve_dist(p, 3, LRS_DIST_GATHER_DEFAULT, got)
                             : solve_dist(p, 3, 0, got);
    const agreement a = compare(ref, got);
    const bool ok = sg == LRS_OK && a.ok && (strict ? a.rel <= 1e-10 : a.bound_ratio <= 1.0);
    LRS_CHECK(lrs_test_all_ranks(ok),
              "%s, G=%d %s: status %s, %lld iterations, %zu records; max rel |ΔL|/L = %.2e%s",
              name, size_, what[v], lrs_point_status_names[got->summary.status],
              (long long)got->summary.iterations, got->n_records, a.rel,
              strict ? "" : " (rounding-model check)");
    if (strict)
      worst_[v] = fmax(worst_[v], a.rel);
    LRS_CHECK(same_on_all_ranks(got), "%s, G=%d %s: every rank has the same result bits", name,
              size_, what[v]);
  }
  lrs_result_destroy(&ref);
  lrs_result_destroy(&got);
}

static void check_point(const char *name, const lrs_point *p, bool strict) {
  check_point_ways(name, p, strict, 3);
}

static lrs_point two_layer(void) {
  lrs_point p = lrs_test_point();
  p.width = 60;
  p.max_iter = 200;
  p.record_every = 1;
  p.tol = 1e-7; /* L0 ≈ 4.6e-3: four and a half decades, above the rounding level */
  return p;
}

int main(int argc, char **argv) {
  lrs_test_mpi_init(&argc, &argv, &rank_, &size_);

  /* [P1] GD, every step rule. */
  lrs_point p = two_layer();
  p.step_rule = LRS_STEP_FIXED; /* η = η_max */
  check_point("two_layer GD fixed", &p, true);
  p.step_rule = LRS_STEP_LOCAL;
  check_point("two_layer GD local", &p, true);
  p.step_rule = LRS_STEP_GLOBAL;
  check_point("two_layer GD global", &p, true);
  p.step_rule = LRS_STEP_BACKTRACKING;
  p.step_size = 1e-2;
  p.bt_sufficient = 1e-4; /* an Armijo-like test that accepts and rejects */
  check_point("two_layer GD backtracking", &p, true);
  p.bt_sufficient = 0.9; /* as printed: falls back often */
  p.max_iter = 30;
  check_point("two_layer GD backtracking (printed test)", &p, true);

  /* Other data, losses and inits. */
  p = two_layer();
  p.data = LRS_DATA_GAUSSIAN;
  p.samples = 25;
  p.target = LRS_TARGET_PLANTED;
  p.sigma2 = 0.3;
  p.loss = LRS_LOSS_LOGISTIC; /* ℓ* > 0 from the distributed Newton solve */
  p.step_rule = LRS_STEP_LOCAL;
  p.tol = 1e-7;
  check_point("two_layer GD local, logistic loss, gaussian data", &p, true);
  p.loss = LRS_LOSS_SOFTMAX; /* row-wise kernels on the gathered Z, replicated Newton */
  p.logistic_lambda = 0.05;
  p.init_scale = 0.3;
  p.step_rule = LRS_STEP_FIXED;
  p.step_size = 0.3;
  p.tol = 1e-4; /* L − ℓ* = ℓ − ℓ* with ℓ* ≈ 0.84: relative rounding ε·ℓ* over L */
  check_point("two_layer GD fixed, softmax loss, gaussian data", &p, true);
  p = two_layer(); /* sweeps/p1_sensing.toml's setting */
  p.loss = LRS_LOSS_SENSING; /* 𝒜 (N×nm) distributed, W through vec(W) */
  p.input_dim = p.output_dim = 4;
  p.samples = 64;
  p.sigma2 = 0.1;
  p.step_rule = LRS_STEP_FIXED; /* about its η_max */
  p.step_size = 2.5e-3;
  /* L − ℓ* = ½‖Z − Z*‖² with ℓ* > 0: on G = 1 with every factorization in
   * ScaLAPACK the Newton W* (solved on the dist backend itself, not
   * replicated) differs by ~1e-12 relative, which moves ½‖Z − Z*‖² by
   * ~‖Z − Z*‖·1e-12: stop at 2e-3 (L0 ≈ 0.064), where that is below 1e-10·L. */
  p.tol = 2e-3;
  check_point("two_layer GD fixed, sensing loss", &p, true);
  p = two_layer();
  p.data = LRS_DATA_SPECTRUM;
  p.init = LRS_INIT_BALANCED;
  p.init_scale = 0.5;
  p.width = 16; /* h ≤ n + m: the imbalance drift from the h×h D */
  p.step_size = 0.01; /* η_max degenerates below h = n + m (papers.md §1.3) */
  p.step_rule = LRS_STEP_FIXED;
  check_point("two_layer GD fixed, spectrum data, balanced init", &p, true);

  /* [P1] GF.  GF records lie at fixed times (evolve lands on them), so the
   * runs stop at the horizon, before the floor, rather than at the
   * step-dependent time where tol is first met.  Equal accepted-step counts
   * need step sizes set by the truncation error, not by rounding: with
   * rk8pd at rtol 1e-10, atol 1e-12 some early steps have an embedded
   * error estimate at the rounding level, the controller's factor
   * 0.9·E^(−1/9) then differs by a few percent between ANY two summation
   * orders, and a step landing near a record time may split in one run and
   * not in the other (55 vs 56 steps with G = 4).  rtol 1e-8, atol 1e-10
   * keeps rk8pd's estimates above that level; rkf45 (order 4) is there at
   * the default tolerances. */
  p = two_layer();
  p.method = LRS_METHOD_GF;
  p.horizon = 0.07; /* L: 4.6e-3 → 2.1e-8 */
  p.records = 40;
  p.tol = 0.0;
  p.rtol = 1e-8;
  p.atol = 1e-10;
  check_point("two_layer GF rk8pd", &p, true);
  p.ode_stepper = LRS_ODE_RKF45;
  p.rtol = 1e-10;
  p.atol = 1e-12;
  check_point("two_layer GF rkf45", &p, true);
  /* dop853: its error norm is a sum over the group.  Its records come from
   * the interpolant, whose weights (up to ~500 in size) multiply the stages'
   * rounding: at L ≈ 4.5e-6·L0 two summation orders differ by ~2e-10·L,
   * inside the rounding model (|ΔL| ≤ 1e-10·L + 1e-12·√(L·L0)). */
  p.ode_stepper = LRS_ODE_DOP853;
  check_point("two_layer GF dop853", &p, false);

  /* [P2] LoRA. */
  lrs_point q = lrs_test_point();
  q.model = LRS_MODEL_LORA;
  q.width = 40;
  q.init_scale = 1e-3;
  q.step_rule = LRS_STEP_FIXED;
  q.step_size = 2e-3;
  q.max_iter = 2000;
  q.record_every = 50;
  q.tol = 1e-6;
  q.init = LRS_INIT_SMALL;
  check_point("lora GD small init", &q, true);
  q.init = LRS_INIT_SPECTRAL;
  check_point("lora GD spectral init", &q, true);
  q.init = LRS_INIT_SMALL;
  q.method = LRS_METHOD_GF;
  q.horizon = 1.0; /* L: 12.5 → 4e-9, through the alignment phase */
  q.records = 30;
  q.tol = 0.0;
  q.rtol = 1e-8;
  q.atol = 1e-10;
  check_point("lora GF small init", &q, true);
  q.ode_stepper = LRS_ODE_DOP853;
  check_point("lora GF small init, dop853", &q, true);

  /* Full coordinates (h > n + m): GD's fused step (lrs_mat_coupled_step)
   * on the group, fused over each rank's columns on a 1×G grid. */
  p = two_layer();
  p.coordinates = LRS_COORDS_FULL;
  p.width = 300; /* > 256 columns: two blocks of the local pass on one rank */
  p.tol = 1e-5; /* h-wide iterates: the rounding level of L is higher (‖W‖ ∝ √h) */
  p.step_rule = LRS_STEP_LOCAL;
  check_point("two_layer GD local, full coordinates", &p, true);

  /* One cached backend (BLACS grid, scratch) serves points of changing
   * shapes one after another on the same communicator: wider and narrower
   * h, other n and m, reduced and full coordinates, step rules.  Each
   * result as the local solve's. */
  if (size_ > 1) {
    const size_t cached = lrs_linalg_dist_cached_count();
    const long long widths[] = {40, 520, 24, 300, 130};
    const long long dims[][2] = {{10, 10}, {6, 9}, {12, 5}, {10, 10}, {7, 7}};
    for (int i = 0; i < 5; i++) {
      p = two_layer();
      p.width = widths[i];
      p.input_dim = dims[i][0];
      p.output_dim = dims[i][1];
      p.coordinates = i % 2 ? LRS_COORDS_FULL : LRS_COORDS_REDUCED;
      p.seed += (uint64_t)i;
      p.step_rule = i == 4 ? LRS_STEP_GLOBAL : LRS_STEP_LOCAL;
      if (i % 2)
        p.tol = 1e-5; /* as above */
      char name[96];
      snprintf(name, sizeof name, "reused backend, point %d: h = %lld, n = %lld, m = %lld, %s",
               i, widths[i], dims[i][0], dims[i][1], i % 2 ? "full" : "reduced");
      check_point_ways(name, &p, true, 1); /* lrs_solve_point: the cached backend */
    }
    LRS_CHECK(lrs_test_all_ranks(lrs_linalg_dist_cached_count() == cached && cached >= 1),
              "every point on MPI_COMM_WORLD used its one cached backend (%zu cached)", cached);
  }

  /* Down to the floor: the rounding model. */
  p = two_layer();
  p.tol = 0.0;
  p.max_iter = 70;
  p.step_rule = LRS_STEP_LOCAL;
  check_point("two_layer GD local to the floor", &p, false);

  /* Groups as the scheduler makes them: WORLD split into groups of 2 (with
   * 4 ranks: two groups solving different points at once, each with its
   * own duplicate communicator and BLACS grid). */
  if (size_ >= 2) {
    MPI_Comm group;
    MPI_Comm_split(MPI_COMM_WORLD, rank_ / 2, rank_, &group);
    int gsize = 0;
    MPI_Comm_size(group, &gsize);
    lrs_point g = two_layer();
    g.step_rule = LRS_STEP_LOCAL;
    g.seed += (uint64_t)(rank_ / 2); /* a different point per group */
    g.width = 50 + 10 * (rank_ / 2);
    setenv("LRS_DIST_BLOCK", "4", 1); /* spread these small matrices */
    lrs_result *ref = NULL, *got = NULL;
    lrs_result_create(64, &ref);
    lrs_result_create(64, &got);
    const lrs_status s1 = lrs_solve_point(&g, MPI_COMM_SELF, ref);
    const lrs_status s2 = lrs_solve_point(&g, group, got);
    unsetenv("LRS_DIST_BLOCK");
    const agreement a = compare(ref, got);
    LRS_CHECK(lrs_test_all_ranks(s1 == LRS_OK && s2 == LRS_OK && a.ok && a.rel <= 1e-10),
              "groups of %d split from %d ranks solve their own points at once (block 4): "
              "max rel |ΔL|/L = %.2e",
              gsize, size_, a.rel);
    lrs_result_destroy(&ref);
    lrs_result_destroy(&got);
    const size_t before = lrs_linalg_dist_cached_count();
    MPI_Comm_free(&group);
    const size_t released = gsize > 1; /* a group of one solves locally */
    LRS_CHECK(lrs_test_all_ranks(before >= released &&
                                 lrs_linalg_dist_cached_count() == before - released),
              "freeing a group's communicator releases its cached backend");
  }

  /* A wall-clock limit: each rank reads its own clock, the group stops
   * together (the same iteration and result on every rank). */
  {
    lrs_point t = two_layer();
    t.tol = 0.0;
    t.max_iter = 100000000;
    t.record_every = 1000;
    t.max_point_seconds = 0.3;
    lrs_result *r = NULL;
    lrs_result_create(64, &r);
    const lrs_status st = lrs_solve_point(&t, MPI_COMM_WORLD, r);
    LRS_CHECK(lrs_test_all_ranks(st == LRS_OK && r->summary.status == LRS_POINT_TIMEOUT),
              "max_point_seconds on %d ranks: timeout after %lld iterations", size_,
              (long long)r->summary.iterations);
    LRS_CHECK(same_on_all_ranks(r), "the timeout hits every rank at the same iteration");
    lrs_result_destroy(&r);
  }

  /* Refusals stay collective. */
  p = two_layer();
  p.method = LRS_METHOD_GF;
  p.ode_stepper = LRS_ODE_MSBDF;
  p.width = 12;
  lrs_result *r = NULL;
  lrs_result_create(4, &r);
  const lrs_status s = lrs_solve_point(&p, MPI_COMM_WORLD, r);
  if (size_ > 1)
    LRS_CHECK(
        lrs_test_all_ranks(s == LRS_ERR_UNSUPPORTED && r->summary.status == LRS_POINT_ERROR),
        "msbdf on %d ranks is LRS_ERR_UNSUPPORTED on every rank: %s", size_,
        r->summary.message);
  else
    LRS_CHECK(lrs_test_all_ranks(s == LRS_OK), "msbdf on one rank solves locally");
  p = two_layer();
  p.width = 0;
  LRS_CHECK(lrs_test_all_ranks(lrs_solve_point(&p, MPI_COMM_WORLD, r) == LRS_ERR_CONFIG),
            "a bad point is LRS_ERR_CONFIG on every rank of the group");
  lrs_result_destroy(&r);

  printf("# G=%d max relative loss difference vs local: lrs_solve_point %.3g, dist nb=3 %.3g, "
         "dist nb=3 all-ScaLAPACK %.3g\n",
         size_, worst_[0], worst_[1], worst_[2]);
  return lrs_test_mpi_done();
}
