/* Multiclass softmax cross-entropy, ℓ2-regularized (papers.md §4):
 *   ℓ(W) = (1/N) Σ_i [logsumexp(z_i) − z_{i,c_i}] + (λ/2)‖W‖²,  z_i = x_iᵀW,
 * labels c_i = argmax_j Y_ij of the generated targets (the first index on
 * ties), kept as one-hot rows Ŷ.  With P the row-wise softmax of Z = XW:
 *   ∇ℓ = (1/N) Xᵀ(P − Ŷ) + λW,
 *   ∇²ℓ[V] = (1/N) Xᵀ S + λV,  s_i = p_i∘u_i − p_i (p_iᵀu_i),  U = XV.
 * μ = λ, K = λ + σ²_max(X)/(2N) (diag(p) − ppᵀ ≤ ½I).  Not entry-separable:
 * the row couples the m logits of a sample.  The row-wise kernels run on the
 * whole N×m array on every rank (lrs_mat_get_global; n·m and N·m are small
 * next to the model), each rank keeping its own block of the result. */
#include <math.h>
#include <stdlib.h>

#include "lrsweep/loss.h"

typedef struct sm {
  double *y;   /* N×m one-hot labels, column-major, on every rank */
  double *p;   /* N×m: Z, then P of the last eval */
  double *u;   /* N×m: scratch (XV, residuals) */
  lrs_mat *S;  /* N×m in the data's layout */
  /* newton_solve's workspaces (created on first use, local backend) */
  lrs_mat *H, *E, *HE, *d;
  double *col; /* n·m */
} sm;

static void release(void *state) {
  sm *s = state;
  if (!s)
    return;
  free(s->y);
  free(s->p);
  free(s->u);
  free(s->col);
  lrs_mat_destroy(&s->S);
  lrs_mat_destroy(&s->H);
  lrs_mat_destroy(&s->E);
  lrs_mat_destroy(&s->HE);
  lrs_mat_destroy(&s->d);
  free(s);
}

static lrs_status bind(lrs_loss *l, void **state) {
  size_t N, n, m;
  lrs__loss_dims(l, &N, &n, &m);
  lrs_mat *Y = lrs__loss_targets_mut(l);
  lrs_linalg *la = lrs_mat_linalg(Y);
  sm *s = calloc(1, sizeof *s);
  LRS_TRY(lrs_linalg_agree(la, LRS_CHECK_ALLOC(s)));
  *state = s;
  s->y = malloc(N * m * sizeof *s->y);
  s->p = malloc(N * m * sizeof *s->p);
  s->u = malloc(N * m * sizeof *s->u);
  LRS_TRY(lrs_linalg_agree(la, LRS_CHECK_ALLOC(s->y && s->p && s->u ? s : NULL)));
  LRS_TRY(lrs_mat_create(la, N, m, &s->S));
  /* Y ← one-hot of the row-wise argmax (idempotent on one-hot rows). */
  LRS_TRY(lrs_mat_get_global(Y, s->y));
  for (size_t i = 0; i < N; i++) {
    size_t c = 0;
    for (size_t j = 1; j < m; j++)
      if (s->y[i + j * N] > s->y[i + c * N])
        c = j;
    for (size_t j = 0; j < m; j++)
      s->y[i + j * N] = j == c ? 1.0 : 0.0;
  }
  return lrs_mat_set_global(Y, s->y);
}

/* ridge part: out ← out + λ·A (when λ ≠ 0) */
static lrs_status add_ridge(double lambda, const lrs_mat *A, lrs_mat *out) {
  return lambda != 0.0 ? lrs_mat_axpy(lambda, A, out) : LRS_OK;
}

static lrs_status eval(lrs_loss *l, const lrs_mat *W, double *value, double *data, lrs_mat *G) {
  sm *s = lrs__loss_state(l);
  size_t N, n, m;
  lrs__loss_dims(l, &N, &n, &m);
  const lrs_mat *X = lrs__loss_data(l);
  const double lambda = lrs__loss_lambda(l);
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, X, W, 0.0, s->S)); /* Z = XW */
  LRS_TRY(lrs_mat_get_global(s->S, s->p));
  /* Per sample: logsumexp shifted by the row's maximum, then P in place. */
  double v = 0.0;
  for (size_t i = 0; i < N; i++) {
    double mx = -INFINITY, zc = 0.0, sum = 0.0;
    for (size_t j = 0; j < m; j++) {
      mx = fmax(mx, s->p[i + j * N]);
      zc += s->y[i + j * N] * s->p[i + j * N];
    }
    for (size_t j = 0; j < m; j++)
      sum += exp(s->p[i + j * N] - mx);
    const double lse = mx + log(sum);
    v += lse - zc;
    for (size_t j = 0; j < m; j++)
      s->p[i + j * N] = exp(s->p[i + j * N] - lse);
  }
  v /= (double)N;
  *data = v; /* the plain cross-entropy */
  double w2;
  LRS_TRY(lrs_mat_dot(W, W, &w2));
  *value = v + 0.5 * lambda * w2;
  if (!G)
    return LRS_OK;
  const double inv_N = 1.0 / (double)N;
  for (size_t k = 0; k < N * m; k++)
    s->u[k] = inv_N * (s->p[k] - s->y[k]);
  LRS_TRY(lrs_mat_set_global(s->S, s->u));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, X, s->S, 0.0, G));
  return add_ridge(lambda, W, G);
}

static lrs_status hess_apply(lrs_loss *l, const lrs_mat *V, lrs_mat *HV) {
  sm *s = lrs__loss_state(l);
  size_t N, n, m;
  lrs__loss_dims(l, &N, &n, &m);
  const lrs_mat *X = lrs__loss_data(l);
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, X, V, 0.0, s->S)); /* U = XV */
  LRS_TRY(lrs_mat_get_global(s->S, s->u));
  const double inv_N = 1.0 / (double)N;
  for (size_t i = 0; i < N; i++) {
    double a = 0.0; /* p_iᵀu_i */
    for (size_t j = 0; j < m; j++)
      a += s->p[i + j * N] * s->u[i + j * N];
    for (size_t j = 0; j < m; j++)
      s->u[i + j * N] = inv_N * s->p[i + j * N] * (s->u[i + j * N] - a);
  }
  LRS_TRY(lrs_mat_set_global(s->S, s->u));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, X, s->S, 0.0, HV));
  return add_ridge(lrs__loss_lambda(l), V, HV);
}

/* The nm×nm Hessian in vec(W) coordinates, column c = vec(∇²ℓ[E_c]) with E_c
 * the c-th unit matrix (nm Hessian actions, O(N n² m²)), then one Cholesky
 * solve: D ← H⁻¹D.  Called by lrs_loss_minimize on a local backend. */
static lrs_status newton_solve(lrs_loss *l, lrs_mat *D) {
  sm *s = lrs__loss_state(l);
  size_t N, n, m;
  lrs__loss_dims(l, &N, &n, &m);
  const size_t nm = n * m;
  lrs_linalg *la = lrs_mat_linalg(D);
  if (!s->H) {
    LRS_TRY(lrs_mat_create(la, nm, nm, &s->H));
    LRS_TRY(lrs_mat_create(la, n, m, &s->E));
    LRS_TRY(lrs_mat_create(la, n, m, &s->HE));
    LRS_TRY(lrs_mat_create(la, nm, 1, &s->d));
    s->col = malloc(nm * sizeof *s->col);
    LRS_TRY(lrs_linalg_agree(la, LRS_CHECK_ALLOC(s->col)));
  }
  const lrs_mat_block h = lrs_mat_local(s->H);
  for (size_t c = 0; c < nm; c++) {
    for (size_t k = 0; k < nm; k++)
      s->col[k] = k == c ? 1.0 : 0.0;
    LRS_TRY(lrs_mat_set_global(s->E, s->col));
    LRS_TRY(hess_apply(l, s->E, s->HE));
    LRS_TRY(lrs_mat_get_global(s->HE, s->col));
    for (size_t k = 0; k < nm; k++)
      h.data[k + c * h.ld] = s->col[k];
  }
  LRS_TRY(lrs_mat_get_global(D, s->col));
  LRS_TRY(lrs_mat_set_global(s->d, s->col));
  LRS_TRY(lrs_mat_chol_solve(s->H, s->d));
  LRS_TRY(lrs_mat_get_global(s->d, s->col));
  return lrs_mat_set_global(D, s->col);
}

static double ridge(const lrs_loss_params *p) { return p->lambda; }
static void constants(const lrs_loss_params *p, double smin2, double smax2, size_t N,
                      double *mu, double *K) {
  (void)smin2;
  *mu = p->lambda;
  *K = p->lambda + smax2 / (2.0 * (double)N);
}
static lrs_status check(const lrs_loss_params *p) {
  if (!(p->lambda > 0.0) || !isfinite(p->lambda))
    return LRS_RAISE(LRS_ERR_CONFIG,
                     "logistic_lambda = %g: the softmax loss needs λ > 0 (its ridge)", p->lambda);
  return LRS_OK;
}

static const lrs_loss_impl softmax_impl = {.bind = bind,
                                           .release = release,
                                           .eval = eval,
                                           .hess_apply = hess_apply,
                                           .newton_solve = newton_solve};

/* bind's y, p, u and S (N×m each); newton_solve's H (nm×nm), E, HE, d, col. */
static double state_bytes(double N, double n, double m) {
  return 8.0 * (4.0 * N * m + n * m * n * m + 4.0 * n * m);
}

const lrs_loss_ops lrs__loss_softmax = {
    .covered = true, .zero_min = false, .labels = false, .quadratic = false,
    .ridge = ridge, .constants = constants, .check = check, .impl = &softmax_impl,
    .state_bytes = state_bytes};
