/* The losses that are not entry-separable in XW (lrsweep/loss.h, papers.md
 * §4): matrix sensing and ℓ2-regularized softmax cross-entropy.
 *   - ℓ against loops written here, ∇ℓ against central differences of ℓ,
 *     ∇²ℓ[V] against central differences of ∇ℓ;
 *   - μ and K against the extreme eigenvalues of the Hessian formed by
 *     central differences of ∇ℓ (nm×nm): sensing μ = λ_min, K = λ_max
 *     exactly; softmax μ = λ_min exactly (the direction v1ᵀ) and λ_max ≤ K
 *     at every sampled W;
 *   - ℓ* by the KKT residual ‖∇ℓ(W*)‖ ≤ 1e-12·‖∇ℓ(0)‖, and ℓ(W* + D) > ℓ*;
 *   - sensing's excess ℓ − ℓ* = ½‖𝒜 vec(W − W*)‖² (loops);
 *   - the sensing draws of lrs_problem_create: 𝒜 = the DATA stream's first
 *     N·nm normals × 1/√N in the documented order, y = 𝒜vec(Θ) + σ²ε;
 *   - the catalog refuses sensing with N < nm, naming `samples`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loss_fd.h"
#include "lrs_test.h"
#include "lrsweep/kind.h"
#include "lrsweep/loss.h"
#include "lrsweep/problem.h"
#include "numerics_point.h"

/* The Hessian (nm×nm, vec(W) coordinates) by central differences of ∇ℓ,
 * symmetrized; its eigenvalues ascending into ev. */
static void hessian_fd_eigs(lrs_loss *l, const lrs_mat *W0, double h, double *ev) {
  lrs_linalg *la = lrs_mat_linalg(W0);
  const size_t n = lrs_mat_rows(W0), m = lrs_mat_cols(W0), k = n * m;
  lrs_mat *W = NULL, *Gp = NULL, *Gm = NULL, *H = NULL;
  lrs_mat_create(la, n, m, &W);
  lrs_mat_create(la, n, m, &Gp);
  lrs_mat_create(la, n, m, &Gm);
  lrs_mat_create(la, k, k, &H);
  double *w = global(W0), *H_ = calloc(k * k, sizeof *H_), *gp = malloc(k * sizeof *gp),
         *gm = malloc(k * sizeof *gm);
  for (size_t c = 0; c < k; c++) {
    double vp, vm;
    eval_pm(l, W, w, c, h, &vp, &vm, Gp, Gm);
    lrs_mat_get_global(Gp, gp);
    lrs_mat_get_global(Gm, gm);
    for (size_t r = 0; r < k; r++)
      H_[r + c * k] = (gp[r] - gm[r]) / (2.0 * h);
  }
  for (size_t c = 0; c < k; c++)
    for (size_t r = 0; r < c; r++)
      H_[r + c * k] = H_[c + r * k] = 0.5 * (H_[r + c * k] + H_[c + r * k]);
  lrs_mat_set_global(H, H_);
  lrs_mat_sym_eigvals(H, ev);
  free(w);
  free(H_);
  free(gp);
  free(gm);
  lrs_mat_destroy(&W);
  lrs_mat_destroy(&Gp);
  lrs_mat_destroy(&Gm);
  lrs_mat_destroy(&H);
}

/* ℓ* by Newton: the KKT residual, and ℓ grows away from W*.  Leaves W* in Ws. */
static void check_minimum(lrs_loss *l, lrs_mat *Ws, const char *name) {
  lrs_linalg *la = lrs_mat_linalg(Ws);
  const size_t n = lrs_mat_rows(Ws), m = lrs_mat_cols(Ws);
  lrs_mat *G = NULL;
  lrs_mat_create(la, n, m, &G);
  double v0, g0, star = NAN, val, gn;
  lrs_mat_fill(Ws, 0.0);
  lrs_loss_eval(l, Ws, &v0, G);
  lrs_mat_norm_fro(G, &g0);
  const lrs_status st = lrs_loss_minimize(l, NULL, Ws, &star);
  lrs_loss_eval(l, Ws, &val, G);
  lrs_mat_norm_fro(G, &gn);
  LRS_CHECK(st == LRS_OK && isfinite(star) && val == star && lrs_loss_star(l) == star,
            "%s: Newton solve for ℓ* = %.17g", name, star);
  LRS_CHECK(gn <= 1e-12 * g0, "%s: KKT ‖∇ℓ(W*)‖ = %.2e ≤ 1e-12·‖∇ℓ(0)‖ = %.2e", name, gn,
            1e-12 * g0);
  LRS_CHECK(above_star(l, Ws, star), "%s: ℓ(W* + D) > ℓ* for small perturbations D", name);
  lrs_mat_destroy(&G);
}

/* ---------------------------------------------------------------- sensing */

static void test_sensing(lrs_linalg *la) {
  enum { N = 23, n = 3, m = 2, k = n * m };
  const lrs_loss_params lp = {.kind = LRS_LOSS_SENSING};
  lrs_mat *A = mat(la, N, k, 0.4, 1.0 / sqrt((double)N)), *y = mat(la, N, 1, 1.9, 0.7);
  lrs_mat *W = mat(la, n, m, 2.7, 0.8), *V = mat(la, n, m, 0.9, 1.0);
  lrs_mat *G = NULL, *Gfd = NULL;
  lrs_mat_create(la, n, m, &G);
  lrs_mat_create(la, n, m, &Gfd);
  lrs_loss *l = NULL;
  LRS_CHECK(lrs_loss_create(&lp, A, y, m, &l) == LRS_OK, "sensing: loss created on 𝒜 (N×nm)");
  double v;
  lrs_loss_eval(l, W, &v, G);
  /* ℓ and ∇ℓ = Σ r_i A_i by loops over the sensing matrices A_i[j, c]. */
  double *a = global(A), *yy = global(y), *w = global(W), *g = global(G);
  double vl = 0.0, ge = 0.0, gs = 0.0, *gl = calloc(k, sizeof *gl);
  for (size_t i = 0; i < N; i++) {
    double r = -yy[i];
    for (size_t c = 0; c < m; c++)
      for (size_t j = 0; j < n; j++)
        r += a[i + (j + n * c) * N] * w[j + n * c];
    vl += 0.5 * r * r;
    for (size_t q = 0; q < k; q++)
      gl[q] += r * a[i + q * N];
  }
  for (size_t q = 0; q < k; q++) {
    ge += (g[q] - gl[q]) * (g[q] - gl[q]);
    gs += gl[q] * gl[q];
  }
  LRS_CHECK(lrs_test_close(v, vl, 1e-13, 0) && sqrt(ge / gs) < 1e-13,
            "sensing: ℓ = ½Σ(⟨A_i,W⟩ − y_i)² and ∇ℓ = Σ r_i A_i as loops (%.17g)", v);
  grad_fd(l, W, Gfd, 1e-5);
  const double eg = rel_err(G, Gfd);
  LRS_CHECK(eg < 1e-8, "sensing: ∇ℓ matches central differences (rel err %.2e)", eg);
  const double eh = hess_action_err(l, W, V);
  LRS_CHECK(eh < 1e-8, "sensing: ∇²ℓ[V] matches differences of ∇ℓ (rel err %.2e)", eh);
  double ev[k];
  hessian_fd_eigs(l, W, 1e-3, ev);
  const double mu = lrs_loss_mu(l), K = lrs_loss_K(l);
  LRS_CHECK(lrs_test_close(mu, ev[0], 1e-8, 0) && lrs_test_close(K, ev[k - 1], 1e-8, 0),
            "sensing: μ = %.12g = λ_min(H) = %.12g, K = %.12g = λ_max(H) = %.12g", mu, ev[0],
            K, ev[k - 1]);
  LRS_CHECK(lrs_loss_ops_of(l)->covered && mu > 0, "sensing: covered by [P1], μ > 0");

  lrs_mat *Ws = NULL;
  lrs_mat_create(la, n, m, &Ws);
  check_minimum(l, Ws, "sensing");
  /* excess at W = W* + D: ½‖𝒜 vec(D)‖² (no cancellation against ℓ* > 0) */
  lrs_mat *D = mat(la, n, m, 5.5, 1e-9);
  lrs_mat_axpy(1.0, D, Ws);
  double val, ex;
  lrs_loss_eval(l, Ws, &val, NULL);
  lrs_loss_excess(l, val, &ex);
  double *d = global(D), exl = 0.0;
  for (size_t i = 0; i < N; i++) {
    double r = 0.0;
    for (size_t q = 0; q < k; q++)
      r += a[i + q * N] * d[q];
    exl += 0.5 * r * r;
  }
  /* Z = 𝒜vec(W) is O(1) and differs from Z* by O(1e-9): rounding allows
   * ~1e-7 relative here, where value − ℓ* (≈ 2.9e-19 against ℓ* ≈ 0.09)
   * would be all rounding. */
  LRS_CHECK(lrs_test_close(ex, exl, 1e-5, 0) && lrs_loss_star(l) > 0,
            "sensing: ℓ − ℓ* at W* + D = ½‖𝒜vec(D)‖² = %.6g (got %.6g, ℓ* = %.6g)", exl, ex,
            lrs_loss_star(l));
  free(a), free(yy), free(w), free(g), free(gl), free(d);
  lrs_loss_destroy(&l);
  lrs_mat *all[] = {A, y, W, V, G, Gfd, Ws, D};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    lrs_mat_destroy(&all[i]);
}

/* lrs_problem_create's sensing draws against the documented order. */
static void test_sensing_draws(lrs_linalg *la) {
  lrs_point p = lrs_test_point();
  p.loss = LRS_LOSS_SENSING;
  p.input_dim = 3;
  p.output_dim = 2;
  p.samples = 40;
  p.width = 7;
  p.sigma2 = 0.3;
  const size_t N = 40, n = 3, m = 2, k = 6;
  lrs_problem *P = NULL;
  const lrs_status st = lrs_problem_create(&p, la, &P);
  LRS_CHECK(st == LRS_OK && lrs_mat_rows(P->X) == N && lrs_mat_cols(P->X) == k &&
                lrs_mat_rows(P->Y) == N && lrs_mat_cols(P->Y) == 1,
            "sensing problem: X is 𝒜 (N×nm), Y is y (N×1)");
  gsl_rng *rd = NULL, *rn = NULL;
  lrs_problem_rng(&p, LRS_STREAM_DATA, &rd);
  lrs_problem_rng(&p, LRS_STREAM_NOISE, &rn);
  double *a = malloc(N * k * sizeof *a), *eps = malloc(N * sizeof *eps);
  lrs_problem_normals(rd, a, N * k, 1.0 / sqrt((double)N));
  lrs_problem_normals(rn, eps, N, 1.0);
  double *X = global(P->X), *y = global(P->Y), *B = global(P->B0);
  LRS_CHECK(memcmp(a, X, N * k * sizeof *a) == 0,
            "sensing: 𝒜 is the DATA stream's first N·nm normals × 1/√N, column by column");
  /* teacher Θ = W1(0)W2(0)ᵀ from B0 = [W1; W2] ((n+m)×h) */
  double worst = 0.0, scale = 0.0;
  for (size_t i = 0; i < N; i++) {
    double yi = p.sigma2 * eps[i];
    for (size_t c = 0; c < m; c++)
      for (size_t j = 0; j < n; j++) {
        double th = 0.0;
        for (size_t t = 0; t < (size_t)p.width; t++)
          th += B[j + t * (n + m)] * B[n + c + t * (n + m)];
        yi += a[i + (j + n * c) * N] * th;
      }
    worst = fmax(worst, fabs(y[i] - yi));
    scale = fmax(scale, fabs(yi));
  }
  LRS_CHECK(worst <= 1e-13 * scale, "sensing: y_i = ⟨A_i, W1(0)W2(0)ᵀ⟩ + σ²ε_i (max err %.2e)",
            worst);
  double s2 = 0.0;
  for (size_t q = 0; q < N * k; q++)
    s2 += X[q] * X[q];
  s2 /= (double)(N * k);
  LRS_CHECK(fabs(s2 * (double)N - 1.0) < 0.25, "sensing: entries have variance ≈ 1/N (%.3f/N)",
            s2 * (double)N);
  gsl_rng_free(rd);
  gsl_rng_free(rn);
  free(a), free(eps), free(X), free(y), free(B);
  lrs_problem_destroy(&P);

  lrs_violation v;
  p.samples = 5;
  LRS_CHECK(!lrs_kind_check_point(&p, &v) && v.param && strcmp(v.param, "samples") == 0 &&
                strstr(v.what, "N ≥ input_dim·output_dim = 6"),
            "sensing with N < nm refused: %s", v.what);
  p.samples = 6;
  p.data = LRS_DATA_ORTHOGONAL; /* `data` is not used by sensing */
  LRS_CHECK(lrs_kind_check_point(&p, &v), "sensing with N = nm and any `data` accepted");
}

/* ---------------------------------------------------------------- softmax */

static void test_softmax(lrs_linalg *la) {
  enum { N = 11, n = 3, m = 4, k = n * m };
  const double lambda = 0.03;
  const lrs_loss_params lp = {.kind = LRS_LOSS_SOFTMAX, .lambda = lambda};
  lrs_mat *X = mat(la, N, n, 0.2, 1.0), *Y = mat(la, N, m, 1.3, 1.5);
  lrs_mat *W = mat(la, n, m, 2.7, 0.8), *V = mat(la, n, m, 0.9, 1.0);
  lrs_mat *G = NULL, *Gfd = NULL;
  lrs_mat_create(la, n, m, &G);
  lrs_mat_create(la, n, m, &Gfd);
  lrs_loss *l = NULL;
  LRS_CHECK(lrs_loss_create(&lp, X, Y, m, &l) == LRS_OK, "softmax: loss created");
  double *x = global(X), *yv = global(Y), *lab = global(lrs_loss_targets(l));
  bool onehot = true;
  size_t cls[N];
  for (size_t i = 0; i < N; i++) {
    size_t c = 0;
    for (size_t j = 1; j < m; j++)
      if (yv[i + j * N] > yv[i + c * N])
        c = j;
    cls[i] = c;
    for (size_t j = 0; j < m; j++)
      onehot = onehot && lab[i + j * N] == (j == c ? 1.0 : 0.0);
  }
  LRS_CHECK(onehot, "softmax: labels are the one-hot argmax of each row of Y");
  double v;
  lrs_loss_eval(l, W, &v, G);
  /* ℓ by loops: (1/N)Σ log Σ_j exp(z_ij) − z_{i,c_i} + (λ/2)‖W‖² */
  double *w = global(W), vl = 0.0, w2 = 0.0;
  for (size_t i = 0; i < N; i++) {
    double se = 0.0, zc = 0.0;
    for (size_t j = 0; j < m; j++) {
      double z = 0.0;
      for (size_t q = 0; q < n; q++)
        z += x[i + q * N] * w[q + j * n];
      se += exp(z);
      if (j == cls[i])
        zc = z;
    }
    vl += log(se) - zc;
  }
  for (size_t q = 0; q < k; q++)
    w2 += w[q] * w[q];
  const double ce = vl / N;
  vl = ce + 0.5 * lambda * w2;
  LRS_CHECK(lrs_test_close(v, vl, 1e-13, 0), "softmax: ℓ = %.17g as loops (%.17g)", v, vl);
  LRS_CHECK(lrs_test_close(lrs_loss_data_term(l), ce, 1e-13, 0) &&
                lrs_test_close(v - lrs_loss_data_term(l), 0.5 * lambda * w2, 1e-13, 0),
            "softmax: the data term %.17g is the plain cross-entropy as loops, ℓ less (λ/2)‖W‖²",
            lrs_loss_data_term(l));
  grad_fd(l, W, Gfd, 1e-5);
  const double eg = rel_err(G, Gfd);
  LRS_CHECK(eg < 1e-8, "softmax: ∇ℓ matches central differences (rel err %.2e)", eg);
  const double eh = hess_action_err(l, W, V);
  LRS_CHECK(eh < 1e-7, "softmax: ∇²ℓ[V] matches differences of ∇ℓ (rel err %.2e)", eh);

  /* μ ≤ λ_min(H) (= λ: equality along v1ᵀ) and λ_max(H) ≤ K at several W,
   * from W = 0 (P uniform, the tightest) to large logits. */
  const double mu = lrs_loss_mu(l), K = lrs_loss_K(l);
  bool below = true, tight = true;
  double worst_gap = INFINITY;
  for (int s = 0; s < 5; s++) {
    lrs_mat *Wsmp = mat(la, n, m, 0.7 * s, s == 0 ? 0.0 : 0.5 * s);
    double ev[k];
    hessian_fd_eigs(l, Wsmp, 1e-4, ev);
    below = below && ev[0] >= mu * (1 - 1e-6) && ev[k - 1] <= K * (1 + 1e-6);
    tight = tight && lrs_test_close(ev[0], mu, 1e-6, 0);
    worst_gap = fmin(worst_gap, K - ev[k - 1]);
    lrs_mat_destroy(&Wsmp);
  }
  LRS_CHECK(below && tight,
            "softmax: μ = λ = λ_min(H) and λ_max(H) ≤ K = %.6g at 5 sampled W (smallest gap "
            "%.3g)",
            K, worst_gap);
  LRS_CHECK(lrs_test_close(mu, lambda, 0, 0) && lrs_loss_ops_of(l)->covered,
            "softmax: μ = λ, covered by [P1]");

  lrs_mat *Ws = NULL;
  lrs_mat_create(la, n, m, &Ws);
  check_minimum(l, Ws, "softmax");
  LRS_CHECK(lrs_loss_star(l) > 0, "softmax: min ℓ > 0 (ℓ* = %.6g)", lrs_loss_star(l));
  free(x), free(yv), free(lab), free(w);
  lrs_loss_destroy(&l);
  const lrs_loss_params bad = {.kind = LRS_LOSS_SOFTMAX, .lambda = 0.0};
  LRS_CHECK(lrs_loss_create(&bad, X, Y, m, &l) == LRS_ERR_CONFIG && !l,
            "softmax with λ = 0 is a config error");
  lrs_mat *all[] = {X, Y, W, V, G, Gfd, Ws};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    lrs_mat_destroy(&all[i]);
}

int main(void) {
  lrs_linalg *la = NULL;
  lrs_linalg_create_local(&la);
  test_sensing(la);
  test_sensing_draws(la);
  test_softmax(la);
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
