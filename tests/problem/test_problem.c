/* Problem generation (lrsweep/problem.h): data kinds, targets, inits,
 * determinism and common random numbers across scales. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/problem.h"
#include "numerics_point.h"

typedef struct {
  size_t N, n, m, h;
  double *X, *Y, *B;
} dense;

static bool load(lrs_linalg *la, const lrs_point *p, dense *d) {
  lrs_problem *P = NULL;
  memset(d, 0, sizeof *d);
  if (lrs_problem_create(p, la, &P) != LRS_OK)
    return false;
  d->N = P->N, d->n = P->n, d->m = P->m, d->h = P->h;
  d->X = malloc(d->N * d->n * sizeof(double));
  d->Y = malloc(d->N * d->m * sizeof(double));
  d->B = malloc((d->n + d->m) * d->h * sizeof(double));
  lrs_mat_get_global(P->X, d->X);
  lrs_mat_get_global(P->Y, d->Y);
  lrs_mat_get_global(P->B0, d->B);
  lrs_problem_destroy(&P);
  return true;
}

static void unload(dense *d) {
  free(d->X);
  free(d->Y);
  free(d->B);
}

/* max |XᵀX − I| */
static double orth_err(const dense *d) {
  double e = 0.0;
  for (size_t i = 0; i < d->n; i++)
    for (size_t j = 0; j < d->n; j++) {
      double s = 0.0;
      for (size_t k = 0; k < d->N; k++)
        s += d->X[k + i * d->N] * d->X[k + j * d->N];
      e = fmax(e, fabs(s - (i == j)));
    }
  return e;
}

/* W1(0)ᵀW1(0) − W2(0)ᵀW2(0) relative to ‖W1ᵀW1‖ (max-abs). */
static double imbalance_rel(const dense *d) {
  const size_t k = d->n + d->m;
  double e = 0.0, s1max = 0.0;
  for (size_t a = 0; a < d->h; a++)
    for (size_t b = 0; b < d->h; b++) {
      double s1 = 0.0, s2 = 0.0;
      for (size_t r = 0; r < d->n; r++)
        s1 += d->B[r + a * k] * d->B[r + b * k];
      for (size_t r = d->n; r < k; r++)
        s2 += d->B[r + a * k] * d->B[r + b * k];
      e = fmax(e, fabs(s1 - s2));
      s1max = fmax(s1max, fabs(s1));
    }
  return e / s1max;
}

int main(void) {
  lrs_linalg *la = NULL;
  lrs_linalg_create_local(&la);
  lrs_point p = lrs_test_point();
  p.width = 12;
  dense a, b;

  /* Orthogonal X, teacher targets: Y − XW1W2ᵀ = σ²ε. */
  LRS_CHECK(load(la, &p, &a), "orthogonal/teacher problem generated");
  LRS_CHECK(orth_err(&a) < 1e-14, "orthogonal X: XᵀX = I (err %g)", orth_err(&a));
  LRS_CHECK(load(la, &p, &b) && memcmp(a.X, b.X, a.N * a.n * sizeof(double)) == 0 &&
                memcmp(a.B, b.B, (a.n + a.m) * a.h * sizeof(double)) == 0 &&
                memcmp(a.Y, b.Y, a.N * a.m * sizeof(double)) == 0,
            "the same point gives bit-identical data");
  unload(&b);

  /* Common random numbers: σ² and init_scale only scale the same draws. */
  lrs_point q = p;
  q.sigma2 = 0.1;
  q.init_scale = 2.0;
  LRS_CHECK(load(la, &q, &b), "scaled point generated");
  double eB = 0.0;
  for (size_t i = 0; i < (a.n + a.m) * a.h; i++)
    eB = fmax(eB, fabs(b.B[i] - 2.0 * a.B[i]));
  LRS_CHECK(eB == 0.0 && memcmp(a.X, b.X, a.N * a.n * sizeof(double)) == 0,
            "init_scale 2 doubles the very same init draws; X unchanged");
  /* noise: Y_b − 4·XW_a(0)... teacher product scales by 4: Y_b − 4(Y_a − σ_a²ε)
   * = σ_b²ε, i.e. (Y_b − 4Y_a) = (σ_b² − 4σ_a²)ε: check the ratio is constant. */
  double ratio = NAN, spread = 0.0;
  {
    /* ε from a: solve with a third point of σ² = 0 */
    lrs_point z = p;
    z.sigma2 = 0.0;
    dense c;
    load(la, &z, &c);
    for (size_t i = 0; i < a.N * a.m; i++) {
      const double eps_a = (a.Y[i] - c.Y[i]) / p.sigma2;
      const double eps_b = (b.Y[i] - 4.0 * c.Y[i]) / q.sigma2;
      spread = fmax(spread, fabs(eps_a - eps_b));
      if (i == 0)
        ratio = eps_a;
    }
    unload(&c);
  }
  LRS_CHECK(spread < 1e-9 && isfinite(ratio), "σ² scales the same noise draws ε (spread %g)",
            spread);
  unload(&b);

  q = p;
  q.replicate = 1;
  load(la, &q, &b);
  LRS_CHECK(memcmp(a.X, b.X, a.N * a.n * sizeof(double)) != 0 &&
                memcmp(a.B, b.B, (a.n + a.m) * a.h * sizeof(double)) != 0,
            "another replicate draws other data and init");
  unload(&b);

  /* init_exponent: std = h^{-p}. */
  q = p;
  q.init_scale = NAN;
  q.init_exponent = 0.375;
  load(la, &q, &b);
  const double f = pow((double)p.width, -0.375);
  eB = 0.0;
  for (size_t i = 0; i < (a.n + a.m) * a.h; i++)
    eB = fmax(eB, fabs(b.B[i] - f * a.B[i]));
  LRS_CHECK(eB < 1e-15, "init_exponent p scales the draws by h^{-p}");
  unload(&b);
  unload(&a);

  /* Balanced init: W1ᵀW1 = W2ᵀW2. */
  q = p;
  q.init = LRS_INIT_BALANCED;
  q.output_dim = 7;
  LRS_CHECK(load(la, &q, &b), "balanced init generated (n ≠ m)");
  LRS_CHECK(imbalance_rel(&b) < 1e-13, "balanced: W1ᵀW1 = W2ᵀW2 (rel err %g)",
            imbalance_rel(&b));
  unload(&b);
  q.width = 5;
  LRS_CHECK(lrs_problem_create(&q, la, &(lrs_problem *){NULL}) == LRS_ERR_CONFIG,
            "balanced init with h < min(n, m) is a config error");

  /* Spectrum data: singular values in [sv_min, sv_max]; identity; gaussian. */
  q = p;
  q.data = LRS_DATA_SPECTRUM;
  q.samples = 15;
  load(la, &q, &b);
  {
    lrs_mat *X = NULL;
    lrs_mat_create(la, b.N, b.n, &X);
    lrs_mat_set_global(X, b.X);
    double s[10];
    lrs_mat_singular_values(X, s);
    LRS_CHECK(s[0] <= q.data_sv_max + 1e-12 && s[9] >= q.data_sv_min - 1e-12,
              "spectrum data: σ(X) ∈ [%g, %g] (got %g .. %g)", q.data_sv_min, q.data_sv_max, s[9],
              s[0]);
    lrs_mat_destroy(&X);
  }
  unload(&b);
  q = p;
  q.data = LRS_DATA_IDENTITY;
  load(la, &q, &b);
  double eI = 0.0;
  for (size_t i = 0; i < b.N; i++)
    for (size_t j = 0; j < b.n; j++)
      eI = fmax(eI, fabs(b.X[i + j * b.N] - (i == j)));
  LRS_CHECK(eI == 0.0, "identity data is I");
  unload(&b);
  q = p;
  q.data = LRS_DATA_ORTHOGONAL;
  q.samples = 4;
  LRS_CHECK(lrs_problem_create(&q, la, &(lrs_problem *){NULL}) == LRS_ERR_CONFIG,
            "orthogonal data with N < n is a config error");

  /* Low-rank planted target with σ² = 0: XᵀY = Θ has rank target_rank. */
  q = p;
  q.target = LRS_TARGET_LOW_RANK;
  q.target_rank = 3;
  q.sigma2 = 0.0;
  load(la, &q, &b);
  {
    lrs_mat *T = NULL, *X = NULL, *Y = NULL;
    lrs_mat_create(la, b.n, b.m, &T);
    lrs_mat_create(la, b.N, b.n, &X);
    lrs_mat_create(la, b.N, b.m, &Y);
    lrs_mat_set_global(X, b.X);
    lrs_mat_set_global(Y, b.Y);
    lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, X, Y, 0.0, T);
    double s[10];
    lrs_mat_singular_values(T, s);
    LRS_CHECK(s[2] > 1e-3 && s[3] < 1e-13 * s[0],
              "low_rank target: rank 3 (σ3 = %g, σ4 = %g)", s[2], s[3]);
    lrs_mat_destroy(&T);
    lrs_mat_destroy(&X);
    lrs_mat_destroy(&Y);
  }
  unload(&b);
  q.target_rank = 11;
  LRS_CHECK(lrs_problem_create(&q, la, &(lrs_problem *){NULL}) == LRS_ERR_CONFIG,
            "target_rank above min(n, m) is a config error");

  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
