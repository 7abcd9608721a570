/* LoRA problem construction and initializations (lrsweep/lora.h,
 * papers.md §2.1–2.2), checked against independent dense computations and
 * the documented draw order. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>

#include "lora_point.h"
#include "lora_ref.h"
#include "lrs_test.h"

static lrs_model *make(lrs_linalg *la, const lrs_point *p) {
  lrs_model *m = NULL;
  REF_OK(lrs_lora_create(p, la, &m));
  return m;
}

/* W2W1 = Y_pre, G orthonormal, ΔY = σ u vᵀ on the chosen pair, δ_w = 1/c². */
static void check_problem(lrs_linalg *la, lrs_point p, const char *what) {
  lrs_model *model = make(la, &p);
  const lrs_lora_problem *pb = lrs_lora_problem_of(model);
  ref_problem R;
  ref_problem_load(la, model, &R);
  const size_t m = R.m, n = R.n, h = R.h, k = R.k;

  /* Y_pre: the DATA stream's first m·n normals, column-major */
  gsl_rng *data = ref_rng(&p, LRS_STREAM_DATA);
  double *Y = ref_alloc(m * n);
  for (size_t i = 0; i < m * n; i++)
    Y[i] = gsl_ran_gaussian_ziggurat(data, 1.0);
  LRS_CHECK(lrs_test_max_rel_diff(R.Ypre, Y, m * n) == 0.0,
            "%s: Y_pre is the DATA stream's draws", what);

  double *W = ref_alloc(m * n);
  ref_mul(false, false, R.W2, m, h, R.W1, h, n, W);
  double e = 0.0;
  for (size_t i = 0; i < m * n; i++)
    e += (W[i] - R.Ypre[i]) * (W[i] - R.Ypre[i]);
  e = sqrt(e) / ref_norm(R.Ypre, m * n);
  LRS_CHECK(e < 1e-12, "%s: ‖W2W1 − Y_pre‖/‖Y_pre‖ = %.2e < 1e-12", what, e);

  double *G = ref_get(pb->G), *GtG = ref_alloc(k * k);
  ref_mul(true, false, G, h, k, G, h, k, GtG);
  double og = 0.0;
  for (size_t j = 0; j < k; j++)
    for (size_t i = 0; i < k; i++)
      og = fmax(og, fabs(GtG[i + k * j] - (i == j ? 1.0 : 0.0)));
  LRS_CHECK(og < 1e-13, "%s: GᵀG = I_k (max dev %.1e)", what, og);

  /* G = first k columns of Q(full h×h Gaussian) drawn from the INIT stream */
  gsl_rng *init = ref_rng(&p, LRS_STREAM_INIT);
  double *Gfull = ref_alloc(h * h);
  for (size_t i = 0; i < h * h; i++)
    Gfull[i] = gsl_ran_gaussian_ziggurat(init, 1.0);
  lrs_mat *Q = NULL;
  REF_OK(lrs_mat_create(la, h, h, &Q));
  REF_OK(lrs_mat_set_global(Q, Gfull));
  REF_OK(lrs_mat_orthonormalize(Q));
  REF_OK(lrs_mat_get_global(Q, Gfull));
  LRS_CHECK(lrs_test_max_rel_diff(G, Gfull, h * k) < 1e-12,
            "%s: G = first k columns of the Haar Q of the full h×h draw (%.1e)", what,
            lrs_test_max_rel_diff(G, Gfull, h * k));

  /* ΔY = σ u vᵀ with (u, v) the chosen singular pair (test's own SVD) */
  double *dY = ref_get(pb->dY);
  LRS_CHECK(lrs_test_max_rel_diff(dY, R.dY, m * n) < 1e-12,
            "%s: ΔY = σ u vᵀ of the %s pair (%.1e)", what, lrs_pair_names[p.delta_pair],
            lrs_test_max_rel_diff(dY, R.dY, m * n));
  double *sv = ref_alloc(k);
  REF_OK(lrs_mat_singular_values(pb->dY, sv));
  double rest = 0.0;
  for (size_t i = 1; i < k; i++)
    rest = fmax(rest, sv[i]);
  LRS_CHECK(fabs(sv[0] - fabs(p.delta_scale)) < 1e-12 * fabs(p.delta_scale) &&
                rest < 1e-13 * fabs(p.delta_scale),
            "%s: ΔY has rank one (σ1 = %.15g, σ2 = %.1e)", what, sv[0], rest);
  const double s_pair = p.delta_pair == LRS_PAIR_TOP ? R.sv[0] : R.sv[k - 1];
  LRS_CHECK(fabs(pb->s[pb->pair_index] - s_pair) < 1e-12 * s_pair,
            "%s: chosen singular value %.6g", what, s_pair);

  /* σ_W1 = ‖W1v‖, σ_W2 = ‖W2ᵀu‖, g = W1v/‖W1v‖ = W2ᵀu/‖W2ᵀu‖, δ_w = 1/c² */
  double *w1v = ref_alloc(h), *w2u = ref_alloc(h);
  ref_mul(false, false, R.W1, h, n, R.vt, n, 1, w1v);
  ref_mul(true, false, R.W2, m, h, R.ut, m, 1, w2u);
  const double s1 = ref_norm(w1v, h), s2 = ref_norm(w2u, h);
  double gdev = 0.0;
  for (size_t i = 0; i < h; i++)
    gdev = fmax(gdev, fabs(w1v[i] / s1 - w2u[i] / s2));
  LRS_CHECK(gdev < 1e-12, "%s: W1v/‖W1v‖ = W2ᵀu/‖W2ᵀu‖ (%.1e)", what, gdev);
  LRS_CHECK(lrs_test_close(s1, sqrt(s_pair) / p.balance, 1e-12, 0.0) &&
                lrs_test_close(s2, p.balance * sqrt(s_pair), 1e-12, 0.0),
            "%s: σ_W1 = √s/c, σ_W2 = c√s", what);
  LRS_CHECK(lrs_test_close(pb->sigma_w1, s1, 1e-12, 0.0) &&
                lrs_test_close(pb->sigma_w2, s2, 1e-12, 0.0),
            "%s: reported σ_W1 = %.10g, σ_W2 = %.10g", what, pb->sigma_w1, pb->sigma_w2);
  LRS_CHECK(lrs_test_close(pb->delta_w, 1.0 / (p.balance * p.balance), 1e-12, 0.0),
            "%s: δ_w = %.10g = 1/c² (c = %g)", what, pb->delta_w, p.balance);
  double *g = ref_get(pb->g), gd = 0.0;
  for (size_t i = 0; i < h; i++)
    gd = fmax(gd, fabs(fabs(g[i]) - fabs(w1v[i] / s1)));
  LRS_CHECK(gd < 1e-12, "%s: g = W1v/‖W1v‖ up to the pair's sign", what);

  /* the summary carries the same numbers */
  lrs_summary sum;
  memset(&sum, 0, sizeof sum);
  sum.lora.local_rate = 0.0;
  REF_OK(model->ops->summarize(model, &sum));
  LRS_CHECK(sum.lora.delta_w == pb->delta_w && sum.lora.sigma_w1 == pb->sigma_w1 &&
                sum.loss_star == 0.0 && !sum.theory.applicable,
            "%s: summary δ_w, σ_W1, ℓ* = 0, theory not applicable", what);

  lrs_mat_destroy(&Q);
  gsl_rng_free(data);
  gsl_rng_free(init);
  free(Y);
  free(W);
  free(G);
  free(GtG);
  free(Gfull);
  free(dY);
  free(sv);
  free(w1v);
  free(w2u);
  free(g);
  ref_problem_free(&R);
  lrs_model_destroy(&model);
}

/* small init: A ~ α·(INIT draws after the h·k of G), B = 0, layout. */
static void check_small(lrs_linalg *la) {
  lrs_point p = lrs_test_lora_point();
  p.input_dim = 7, p.output_dim = 5, p.width = 12, p.lora_rank = 3;
  p.init_scale = 1e-3;
  lrs_model *model = make(la, &p);
  const size_t m = 5, n = 7, h = 12, r = 3, k = 5;
  const size_t P = model->ops->param_count(model);
  LRS_CHECK(P == r * (n + 2 * h + m), "small: param_count = r(n + 2h + m) = %zu", P);
  const double *theta = model->ops->params(model);
  gsl_rng *init = ref_rng(&p, LRS_STREAM_INIT);
  for (size_t i = 0; i < h * k; i++)
    (void)gsl_ran_gaussian_ziggurat(init, 1.0);
  double dev = 0.0;
  for (size_t i = 0; i < r * n; i++) /* A1 block, column-major */
    dev = fmax(dev, fabs(theta[i] - 1e-3 * gsl_ran_gaussian_ziggurat(init, 1.0)));
  for (size_t i = 0; i < r * h; i++) /* A2 block after B1 */
    dev = fmax(dev, fabs(theta[r * n + h * r + i] - 1e-3 * gsl_ran_gaussian_ziggurat(init, 1.0)));
  LRS_CHECK(dev == 0.0, "small: A1 then A2 are α × the INIT draws after G, in θ's layout");
  double bz = 0.0;
  for (size_t i = 0; i < h * r; i++)
    bz = fmax(bz, fabs(theta[r * n + i]));
  for (size_t i = 0; i < m * r; i++)
    bz = fmax(bz, fabs(theta[r * n + 2 * h * r + i]));
  LRS_CHECK(bz == 0.0, "small: B1 = B2 = 0");

  /* common random numbers: α = 1e-5 sees the same draws */
  lrs_point q = p;
  q.init_scale = 1e-5;
  lrs_model *m2 = make(la, &q);
  const double *t2 = m2->ops->params(m2);
  double cr = 0.0;
  for (size_t i = 0; i < P; i++)
    cr = fmax(cr, fabs(t2[i] * 100.0 - theta[i]));
  LRS_CHECK(cr < 1e-17, "small: θ(α = 1e-5)·100 = θ(α = 1e-3) (common random numbers)");
  const double z0 = ref_norm(theta, r * n);
  LRS_CHECK(lrs_test_close(lrs_lora_problem_of(model)->z1_norm0, z0, 1e-14, 0.0),
            "small: ‖Z1(0)‖ = ‖A1(0)‖ = %.6g", z0);
  gsl_rng_free(init);
  lrs_model_destroy(&m2);
  lrs_model_destroy(&model);
}

/* spectral init: rows of A1 along v_{j_i}, rows of A2 along g_{j_i}. */
static void check_spectral(lrs_linalg *la, lrs_pair pair) {
  lrs_point p = lrs_test_lora_point();
  p.input_dim = 6, p.output_dim = 8, p.width = 15, p.lora_rank = 3;
  p.init = LRS_INIT_SPECTRAL;
  p.delta_pair = pair;
  p.init_scale = 0.3;
  lrs_model *model = make(la, &p);
  ref_problem R;
  ref_problem_load(la, model, &R);
  const size_t m = R.m, n = R.n, h = R.h, r = R.r, k = R.k;
  const double *theta = model->ops->params(model);
  const ref_theta T = ref_split(&R, theta);
  /* the test's own right singular vectors and G columns g_j = W1v_j/‖W1v_j‖ */
  lrs_mat *U = NULL, *Vt = NULL;
  double *sv = ref_alloc(k);
  REF_OK(lrs_mat_create(la, m, k, &U));
  REF_OK(lrs_mat_create(la, k, n, &Vt));
  REF_OK(lrs_mat_svd(lrs_lora_problem_of(model)->Y_pre, sv, U, Vt));
  double *V = ref_get(Vt);
  /* expected directions: j* first, then the others in increasing order */
  size_t dirs[8], nd = 0;
  dirs[nd++] = R.jstar;
  for (size_t j = 0; j < k && nd < r; j++)
    if (j != R.jstar)
      dirs[nd++] = j;
  gsl_rng *init = ref_rng(&p, LRS_STREAM_INIT);
  for (size_t i = 0; i < h * k; i++)
    (void)gsl_ran_gaussian_ziggurat(init, 1.0);
  double a[8], b[8];
  for (size_t i = 0; i < r; i++)
    a[i] = 0.3 * gsl_ran_gaussian_ziggurat(init, 1.0);
  for (size_t i = 0; i < r; i++)
    b[i] = 0.3 * gsl_ran_gaussian_ziggurat(init, 1.0);
  double dA1 = 0.0, dA2 = 0.0;
  double *vj = ref_alloc(n), *gj = ref_alloc(h);
  for (size_t i = 0; i < r; i++) {
    for (size_t c = 0; c < n; c++)
      vj[c] = V[dirs[i] + k * c];
    ref_mul(false, false, R.W1, h, n, vj, n, 1, gj);
    const double ng = ref_norm(gj, h);
    /* row i of A1 = a_i v_jᵀ and row i of A2 = b_i g_jᵀ (common sign s) */
    double dot = 0.0;
    for (size_t c = 0; c < n; c++)
      dot += T.A1[i + r * c] * vj[c];
    const double s = dot * a[i] >= 0.0 ? 1.0 : -1.0;
    for (size_t c = 0; c < n; c++)
      dA1 = fmax(dA1, fabs(T.A1[i + r * c] - s * a[i] * vj[c]));
    for (size_t c = 0; c < h; c++)
      dA2 = fmax(dA2, fabs(T.A2[i + r * c] - s * b[i] * gj[c] / ng));
  }
  LRS_CHECK(dA1 < 1e-13, "spectral/%s: row i of A1 = a_i v_{j_i}ᵀ (%.1e)",
            lrs_pair_names[pair], dA1);
  LRS_CHECK(dA2 < 1e-13, "spectral/%s: row i of A2 = b_i g_{j_i}ᵀ (%.1e)",
            lrs_pair_names[pair], dA2);
  double bz = 0.0;
  for (size_t i = 0; i < h * r; i++)
    bz = fmax(bz, fabs(T.B1[i]));
  for (size_t i = 0; i < m * r; i++)
    bz = fmax(bz, fabs(T.B2[i]));
  LRS_CHECK(bz == 0.0, "spectral/%s: B1 = B2 = 0", lrs_pair_names[pair]);
  gsl_rng_free(init);
  free(V);
  free(sv);
  free(vj);
  free(gj);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
  ref_problem_free(&R);
  lrs_model_destroy(&model);
}

static void check_refused(lrs_linalg *la, lrs_point p, lrs_status want, const char *what) {
  lrs_model *m = NULL;
  const lrs_status st = lrs_lora_create(&p, la, &m);
  LRS_CHECK(st == want && m == NULL, "refused: %s (%s)", what, lrs_error_message());
  lrs_model_destroy(&m);
}

int main(void) {
  gsl_set_error_handler_off();
  lrs_linalg *la = NULL;
  REF_OK(lrs_linalg_create_local(&la));

  lrs_point p = lrs_test_lora_point();
  check_problem(la, p, "paper 10×10, h = 100, c = 1.05, top");
  p.balance = 2.0;
  p.delta_pair = LRS_PAIR_BOTTOM;
  check_problem(la, p, "c = 2, bottom");
  p = lrs_test_lora_point();
  p.input_dim = 9, p.output_dim = 4, p.width = 30, p.balance = 10.0, p.seed = 77;
  check_problem(la, p, "m < n, c = 10");
  p.input_dim = 4, p.output_dim = 9, p.init = LRS_INIT_SPECTRAL;
  check_problem(la, p, "m > n, spectral");

  check_small(la);
  check_spectral(la, LRS_PAIR_TOP);
  check_spectral(la, LRS_PAIR_BOTTOM);

  p = lrs_test_lora_point();
  p.init = LRS_INIT_SPECTRAL;
  p.lora_rank = 11;
  check_refused(la, p, LRS_ERR_CONFIG, "spectral with r > min(m, n)");
  p = lrs_test_lora_point();
  p.width = 9;
  check_refused(la, p, LRS_ERR_CONFIG, "h < min(m, n)");
  p = lrs_test_lora_point();
  p.init = LRS_INIT_GAUSSIAN;
  check_refused(la, p, LRS_ERR_CONFIG, "init gaussian");
  p = lrs_test_lora_point();
  p.init_scale = 0.0;
  check_refused(la, p, LRS_ERR_CONFIG, "α = 0");
  p = lrs_test_lora_point();
  p.balance = -1.0;
  check_refused(la, p, LRS_ERR_CONFIG, "balance < 0");
  p = lrs_test_lora_point();
  p.model = LRS_MODEL_TWO_LAYER;
  check_refused(la, p, LRS_ERR_CONFIG, "model two_layer");
  p = lrs_test_lora_point();
  p.lora_rank = 0;
  check_refused(la, p, LRS_ERR_CONFIG, "r = 0");
  p = lrs_test_lora_point();
  p.width = 3000000000LL; /* h×k G exceeds the BLAS int range: fails mid-allocation */
  check_refused(la, p, LRS_ERR_RANGE, "h beyond the BLAS int range, after partial setup");

  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
