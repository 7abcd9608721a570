/*
 * bench_dist — the distributed backend on one large [P1] point.
 *
 *   mpirun -np 2 build/tests/bench/bench_dist [h] [n] [rounds] [iterations]
 *   (defaults 16384, 64, 5; a 4th argument "iterations" skips part 3)
 *
 * Prints (rank 0), one OpenBLAS thread per rank unless OPENBLAS_NUM_THREADS
 * is set:
 *   1. The point (GD, `local` rule, n = m, N = n, h) solved by G = 1 (the
 *      local backend, rank 0 alone while the others sleep) and by G = all
 *      ranks (dist backend, default block, made at the first solve and
 *      reused as lrs_solve_point does): setup time, and the time per
 *      iteration as the marginal cost (T(2k) − T(k))/k of two runs with k
 *      and 2k iterations (records only at the ends, so the per-record drift
 *      product cancels); G = 1 and G = all alternate in `rounds` rounds and
 *      the medians are printed with every round's ratio.  Also G = 1 with as many OpenBLAS threads as
 *      ranks, for comparison.
 *   2. The local backend's efficiency: a hand count of the flops of one
 *      iteration against OpenBLAS's dgemm rate measured here on the
 *      iteration's own gemm shapes and on square 1024 matrices.
 *   3. sym_eigvals on the dist backend, gathered to rank 0 + LAPACK versus
 *      pdsyev, for n = 64 … 2048 (the measurement behind
 *      LRS_DIST_GATHER_DEFAULT), and the cost of making a backend (BLACS
 *      grid) once.
 * Not run by meson test.
 */
#include <cblas.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrsweep/linalg.h"
#include "lrsweep/model.h"
#include "lrsweep/solve.h"
#include "lrsweep/solver.h"

void openblas_set_num_threads(int num_threads);

static int rank_, size_;

static double now(void) { return MPI_Wtime(); }

/* Ranks outside a timed one-rank section wait without spinning on a core. */
static void idle_until_rank0(void) {
  MPI_Request req;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  int done = 0;
  while (!done) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done)
      nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 1000000}, NULL);
  }
}

static void release_others(void) {
  MPI_Request req;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  MPI_Wait(&req, MPI_STATUS_IGNORE);
}

static lrs_point bench_point(long long h, long long n, long long iters) {
  lrs_point p = {0};
  p.seed = 20250511;
  p.model = LRS_MODEL_TWO_LAYER;
  p.input_dim = p.output_dim = n;
  p.samples = 0;
  p.width = h;
  p.coordinates = LRS_COORDS_FULL; /* the h-wide loop, whose columns a group shares */
  p.data = LRS_DATA_ORTHOGONAL;
  p.target = LRS_TARGET_TEACHER;
  p.sigma2 = 0.01;
  p.planted_std = 1.0;
  p.init = LRS_INIT_GAUSSIAN;
  p.init_scale = 1.0;
  p.init_exponent = NAN;
  p.loss = LRS_LOSS_SQUARED;
  p.method = LRS_METHOD_GD;
  p.step_rule = LRS_STEP_LOCAL;
  p.step_size = NAN;
  p.bt_shrink = 0.1;
  p.bt_sufficient = 0.9;
  p.theory_c = 0.5;
  p.theory_d = 1.01;
  p.max_iter = iters;
  p.tol = 0.0;
  p.blowup = 1e10;
  p.record_every = iters; /* steps 0 and max_iter only */
  p.records = 2;
  p.ode_stepper = LRS_ODE_RK8PD;
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.jacobian = LRS_JACOBIAN_ANALYTIC;
  return p;
}

typedef struct {
  double setup, run, per_iter;
  long long iters;
  lrs_point_status status;
} timing;

/* Backend + model + solver on comm (1 rank: local), like lrs_solve_point
 * (the group's backend made at its first solve, then reused). */
static lrs_status solve_timed(const lrs_point *p, MPI_Comm comm, timing *t) {
  int g = 1;
  MPI_Comm_size(comm, &g);
  lrs_linalg *la = NULL;
  lrs_model *m = NULL;
  lrs_result *res = NULL;
  lrs_status st = lrs_result_create(8, &res);
  MPI_Barrier(comm);
  const double t0 = now();
  if (st == LRS_OK)
    st = g == 1 ? lrs_linalg_create_local(&la) : lrs_linalg_dist_cached(comm, &la);
  if (st == LRS_OK)
    st = lrs_model_create(p, la, &m);
  MPI_Barrier(comm);
  const double t1 = now();
  if (st == LRS_OK)
    st = lrs_solver_run(m, p, INFINITY, res);
  MPI_Barrier(comm);
  const double t2 = now();
  t->setup = t1 - t0;
  t->run = t2 - t1;
  t->iters = res ? res->summary.iterations : 0;
  t->status = res ? res->summary.status : LRS_POINT_ERROR;
  lrs_result_destroy(&res);
  lrs_model_destroy(&m);
  lrs_linalg_destroy(&la);
  return st;
}

/* Marginal time per iteration from one run of k and one of 2k iterations
 * (the setup and the records at the ends cancel). */
static lrs_status per_iteration(long long h, long long n, long long k, MPI_Comm comm,
                                timing *out) {
  lrs_point p1 = bench_point(h, n, k), p2 = bench_point(h, n, 2 * k);
  timing x, y;
  LRS_TRY(solve_timed(&p1, comm, &x));
  LRS_TRY(solve_timed(&p2, comm, &y));
  *out = y;
  out->setup = fmin(x.setup, y.setup);
  out->per_iter = (y.run - x.run) / (double)(y.iters - x.iters);
  return LRS_OK;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *v, int count) {
  double s[64];
  for (int i = 0; i < count; i++)
    s[i] = v[i];
  qsort(s, (size_t)count, sizeof *s, cmp_double);
  return count % 2 ? s[count / 2] : 0.5 * (s[count / 2 - 1] + s[count / 2]);
}

/* Seconds per call of C = op(A)·op(B) of the given shape (best of reps). */
static double time_dgemm(int M, int N, int K, bool ta, int reps) {
  double *A = malloc((size_t)M * K * sizeof *A), *B = malloc((size_t)K * N * sizeof *B),
         *C = calloc((size_t)M * N, sizeof *C);
  for (size_t i = 0; i < (size_t)M * K; i++)
    A[i] = sin((double)i);
  for (size_t i = 0; i < (size_t)K * N; i++)
    B[i] = cos((double)i);
  double best = INFINITY;
  for (int r = 0; r < reps; r++) {
    const double t0 = now();
    cblas_dgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, M, N, K, 1.0, A,
                ta ? K : M, B, K, 0.0, C, M);
    best = fmin(best, now() - t0);
  }
  free(A), free(B), free(C);
  return best;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  const bool env_threads = getenv("OPENBLAS_NUM_THREADS") != NULL;
  if (!env_threads)
    openblas_set_num_threads(1);
  const long long h = argc > 1 ? atoll(argv[1]) : 16384, n = argc > 2 ? atoll(argv[2]) : 64;
  const long long k = 10;
  if (rank_ == 0) {
    double load[1] = {NAN};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
      if (fscanf(f, "%lf", &load[0]) != 1)
        load[0] = NAN;
      fclose(f);
    }
    printf("bench_dist: two_layer GD `local` rule, n = m = N = %lld, h = %lld, %d ranks, "
           "OpenBLAS threads per rank: %s (load average %.2f; times: medians of rounds)\n",
           n, h, size_, env_threads ? getenv("OPENBLAS_NUM_THREADS") : "1", load[0]);
  }

  /* ---------------------------------------------------------- G = 1 vs G = size
   * Rounds of (G = 1, G = size) side by side: the machine may be shared, so
   * each round's ratio compares two measurements taken seconds apart, and
   * the medians over the rounds are reported. */
  enum { MAX_ROUNDS = 64 };
  int rounds = argc > 3 ? atoi(argv[3]) : 5;
  rounds = rounds < 1 ? 1 : rounds > MAX_ROUNDS ? MAX_ROUNDS : rounds;
  timing t1 = {0}, t1x = {0}, tg = {0};
  double it1[MAX_ROUNDS], itg[MAX_ROUNDS], ratio[MAX_ROUNDS], whole[MAX_ROUNDS],
      su1[MAX_ROUNDS], sug[MAX_ROUNDS];
  for (int r = 0; r < rounds; r++) {
    if (rank_ == 0) {
      if (per_iteration(h, n, k, MPI_COMM_SELF, &t1) != LRS_OK)
        printf("G=1 failed: %s\n", lrs_error_message());
      release_others();
    } else {
      idle_until_rank0();
    }
    if (size_ > 1 && per_iteration(h, n, k, MPI_COMM_WORLD, &tg) != LRS_OK && rank_ == 0)
      printf("G=%d failed: %s\n", size_, lrs_error_message());
    it1[r] = t1.per_iter;
    itg[r] = tg.per_iter;
    ratio[r] = t1.per_iter / tg.per_iter;
    whole[r] = (t1.setup + t1.run) / (tg.setup + tg.run);
    su1[r] = t1.setup;
    sug[r] = tg.setup;
  }
  t1.per_iter = median(it1, rounds);
  t1.setup = median(su1, rounds);
  tg.per_iter = median(itg, rounds);
  tg.setup = median(sug, rounds);
  if (rank_ == 0) {
    if (!env_threads && size_ > 1) { /* the other cores as OpenBLAS threads */
      openblas_set_num_threads(size_);
      per_iteration(h, n, k, MPI_COMM_SELF, &t1x);
      openblas_set_num_threads(1);
    }
    release_others();
  } else {
    idle_until_rank0();
  }

  /* ---------------------------------------------------------- flops, dgemm rate */
  if (rank_ == 0) {
    const double nn = (double)n, hh = (double)h, N = (double)n, m = (double)n;
    /* per iteration of the local backend (GD, `local` rule, no record):
     *   W = W1W2ᵀ, ∇W1 = GW2, ∇W2 = GᵀW1     3 · 2nmh
     *   Z = XW, ∇ℓ = XᵀR                       2 · 2Nnm
     *   Gram W1W1ᵀ, W2W2ᵀ (dsyrk), WWᵀ         n²h + m²h + n²m
     *   3 eigenvalue problems (dsytrd)         ≈ 3 · (4/3)n³
     *   ‖∇L‖², θ ← θ − η∇L                     2 · 2(n+m)h
     *   loss entries, excess                   ≈ 10·Nm  */
    const double gemm_flops = 3 * 2 * nn * m * hh + 2 * 2 * N * nn * m;
    const double flops = gemm_flops + nn * nn * hh + m * m * hh + nn * nn * m +
                         3 * (4.0 / 3.0) * nn * nn * nn + 4 * (nn + m) * hh + 10 * N * m;
    const int reps = 5;
    const double t_inner = time_dgemm((int)n, (int)n, (int)h, false, reps); /* W1W2ᵀ-like */
    const double t_outer = time_dgemm((int)n, (int)h, (int)n, false, reps); /* G·W2 */
    const double t_sq = time_dgemm(1024, 1024, 1024, false, reps);
    const double r_inner = 2 * nn * m * hh / t_inner, r_outer = 2 * nn * m * hh / t_outer;
    const double r_shapes = 3 * 2 * nn * m * hh / (t_inner + 2 * t_outer);
    const double r_sq = 2.0 * 1024 * 1024 * 1024 / t_sq;
    printf("\n[G=1 local backend]  setup %.3f s, %lld iterations, %.2f ms/iteration\n",
           t1.setup, t1.iters, 1e3 * t1.per_iter);
    printf("  hand count: %.1f Mflop/iteration (gemm %.1f, syrk %.1f, other %.1f)\n",
           flops / 1e6, gemm_flops / 1e6, (nn * nn * hh + m * m * hh) / 1e6,
           (flops - gemm_flops - nn * nn * hh - m * m * hh) / 1e6);
    printf("  OpenBLAS dgemm, 1 thread: %.1f GF/s (%lldx%lld·%lldx%lld), %.1f GF/s "
           "(%lldx%lld·%lldx%lld), %.1f GF/s (1024³)\n",
           r_inner / 1e9, n, h, h, n, r_outer / 1e9, n, n, n, h, r_sq / 1e9);
    const double achieved = flops / t1.per_iter;
    printf("  achieved %.1f GF/s: efficiency %.2f vs the iteration's gemm shapes (%.1f GF/s), "
           "%.2f vs square dgemm\n",
           achieved / 1e9, achieved / r_shapes, r_shapes / 1e9, achieved / r_sq);
    if (t1x.iters)
      printf("[G=1, %d OpenBLAS threads]  %.2f ms/iteration (speedup %.2f)\n", size_,
             1e3 * t1x.per_iter, t1.per_iter / t1x.per_iter);
    if (size_ > 1) {
      int pr = 1, pc = 1;
      for (int p = 1; p * p <= size_; p++)
        if (size_ % p == 0)
          pr = p;
      pc = size_ / pr;
      printf("[G=%d dist backend, %dx%d grid, block %zu]  setup %.3f s, %lld iterations, "
             "%.2f ms/iteration\n",
             size_, pr, pc, lrs_linalg_dist_defaults().block, tg.setup, tg.iters,
             1e3 * tg.per_iter);
      printf("  speedup G=%d vs G=1: %.2f per iteration, %.2f setup, %.2f for the whole "
             "%lld-iteration solve (medians over %d rounds)\n",
             size_, median(ratio, rounds), t1.setup / tg.setup, median(whole, rounds), tg.iters,
             rounds);
      printf("  per round (G=1 ms, G=%d ms, ratio):", size_);
      for (int r = 0; r < rounds; r++)
        printf(" (%.2f, %.2f, %.2f)", 1e3 * it1[r], 1e3 * itg[r], ratio[r]);
      printf("\n");
    }
    fflush(stdout);
  }

  /* ---------------------------------------------------------- eigenvalues */
  const bool only_iterations = argc > 4 && strcmp(argv[4], "iterations") == 0;
  if (size_ > 1 && !only_iterations) {
    if (rank_ == 0)
      printf("\n[sym_eigvals on G=%d, block 64] n: gathered+dsyev / pdsyev (ms)\n", size_);
    const int ns[] = {64, 128, 256, 512, 1024, 2048};
    for (size_t q = 0; q < sizeof ns / sizeof ns[0]; q++) {
      const size_t dn = (size_t)ns[q];
      double *full = malloc(dn * dn * sizeof *full), *w = malloc(dn * sizeof *w), t[2];
      for (size_t j = 0; j < dn; j++)
        for (size_t i = 0; i < dn; i++)
          full[i + j * dn] = 1.0 / (1.0 + (double)(i > j ? i - j : j - i)) + (i == j ? 2.0 : 0.0);
      for (int path = 0; path < 2; path++) {
        lrs_linalg_dist_opts o = lrs_linalg_dist_defaults();
        o.gather_max = path == 0 ? (size_t)-1 : 0;
        lrs_linalg *la = NULL;
        lrs_mat *A = NULL;
        lrs_linalg_create_dist(MPI_COMM_WORLD, &o, &la);
        lrs_mat_create(la, dn, dn, &A);
        lrs_mat_set_global(A, full);
        lrs_mat_sym_eigvals(A, w); /* warm-up: scratch, workspace query */
        MPI_Barrier(MPI_COMM_WORLD);
        const int reps = dn <= 256 ? 10 : 2;
        const double t0 = now();
        for (int r = 0; r < reps; r++)
          lrs_mat_sym_eigvals(A, w);
        MPI_Barrier(MPI_COMM_WORLD);
        t[path] = (now() - t0) / reps;
        lrs_mat_destroy(&A);
        lrs_linalg_destroy(&la);
      }
      if (rank_ == 0)
        printf("  %5zu: %9.2f / %9.2f%s\n", dn, 1e3 * t[0], 1e3 * t[1],
               t[0] <= t[1] ? "   gathered faster" : "   pdsyev faster");
      free(full);
      free(w);
    }
    /* the BLACS grid: made once per backend */
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now();
    for (int r = 0; r < 20; r++) {
      lrs_linalg *la = NULL;
      lrs_linalg_create_dist(MPI_COMM_WORLD, NULL, &la);
      lrs_linalg_destroy(&la);
    }
    if (rank_ == 0)
      printf("\n[backend] create + destroy (dup, BLACS handle and grid): %.3f ms\n",
             1e3 * (now() - t0) / 20);
  }
  MPI_Finalize();
  return 0;
}
