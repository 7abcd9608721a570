/* The lora_head model (lrsweep/lora_head.h): ∇L on (A, B) against central
 * differences of L; the records against direct computations (accuracies from
 * argmax, ‖BA‖_F, the alignment 1 and 0 for Δ inside and orthogonal to the
 * target update's top-r directions); the inits (small: B = 0, A's spread;
 * spectral: A's rows along W0's left singular vectors); ℓ* and W* through
 * the set-up cache. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/lora_head.h"
#include "lrsweep/problem.h"
#include "model_fd.h"
#include "numerics_point.h"

enum { N = 14, NT = 6, n = 5, m = 4, r = 2 };

/* A deterministic "high-entropy" data set: X, labels, a test split, W0. */
static void fill(lrs_datafile *d, double *X, double *Y, double *Xt, double *Yt, double *W0) {
  memset(d, 0, sizeof *d);
  for (size_t i = 0; i < N * n; i++)
    X[i] = sin(2.385 * (double)i + 0.4) * 1.3;
  for (size_t i = 0; i < NT * n; i++)
    Xt[i] = cos(1.917 * (double)i + 0.2);
  for (size_t i = 0; i < n * m; i++)
    W0[i] = sin(0.731 * (double)i * (double)i + 1.1);
  memset(Y, 0, N * m * sizeof *Y);
  memset(Yt, 0, NT * m * sizeof *Yt);
  for (size_t i = 0; i < N; i++)
    Y[i + ((i * 7 + 3) % m) * N] = 1.0;
  for (size_t i = 0; i < NT; i++)
    Yt[i + ((i * 5 + 1) % m) * NT] = 1.0;
  *d = (lrs_datafile){.N = N, .n = n, .m = m, .N_test = NT, .labels = true, .has_W0 = true,
                      .X = X, .Y = Y, .X_test = Xt, .Y_test = Yt, .W0 = W0};
}

static lrs_point head_point(lrs_init_kind init) {
  lrs_point p = lrs_test_point();
  p.model = LRS_MODEL_LORA_HEAD;
  p.data = LRS_DATA_FILE;
  snprintf(p.data_file, sizeof p.data_file, "%s", "in-memory.h5");
  p.samples = N;
  p.input_dim = n;
  p.output_dim = m;
  p.lora_rank = r;
  p.init = init;
  p.init_scale = 0.37;
  p.init_exponent = NAN;
  p.loss = LRS_LOSS_SOFTMAX;
  p.logistic_lambda = 0.05;
  return p;
}

/* Column-major products by hand: C (a×c) = A (a×b) B (b×c). */
static void matmul(const double *A, const double *B, double *C, size_t a, size_t b, size_t c) {
  for (size_t i = 0; i < a; i++)
    for (size_t j = 0; j < c; j++) {
      double s = 0.0;
      for (size_t k = 0; k < b; k++)
        s += A[i + k * a] * B[k + j * b];
      C[i + j * a] = s;
    }
}

static double accuracy(const double *Xs, const double *Ys, const double *W, size_t rows) {
  double Z[N * m];
  matmul(Xs, W, Z, rows, n, m);
  size_t hits = 0;
  for (size_t i = 0; i < rows; i++) {
    size_t bz = 0, by = 0;
    for (size_t j = 1; j < m; j++) {
      bz = Z[i + j * rows] > Z[i + bz * rows] ? j : bz;
      by = Ys[i + j * rows] > Ys[i + by * rows] ? j : by;
    }
    hits += bz == by;
  }
  return (double)hits / (double)rows;
}

/* The plain cross-entropy (1/N)Σ_i [logsumexp(z_i) − z_{i,c_i}] of XW by
 * hand (papers.md §4), logsumexp shifted by the row's maximum. */
static double cross_entropy(const double *Xs, const double *Ys, const double *W, size_t rows) {
  double Z[N * m], ce = 0.0;
  matmul(Xs, W, Z, rows, n, m);
  for (size_t i = 0; i < rows; i++) {
    double zmax = -INFINITY, s = 0.0, zc = 0.0;
    for (size_t j = 0; j < m; j++)
      zmax = fmax(zmax, Z[i + j * rows]);
    for (size_t j = 0; j < m; j++) {
      s += exp(Z[i + j * rows] - zmax);
      zc += Ys[i + j * rows] * Z[i + j * rows];
    }
    ce += (zmax + log(s) - zc) / (double)rows;
  }
  return ce;
}

/* ℓ*, W* and L(θ0) − ℓ* of one point (cache as it is set). */
static void star_of(const lrs_point *p, const lrs_datafile *d, lrs_linalg *la, double *star,
                    double W[n * m], double *excess0) {
  lrs_model *mod = NULL;
  lrs_summary sum = {0};
  *star = *excess0 = NAN;
  if (lrs_lora_head_create_from(p, d, la, &mod) == LRS_OK &&
      mod->ops->eval(mod, excess0, NULL) == LRS_OK && mod->ops->summarize(mod, &sum) == LRS_OK) {
    *star = sum.loss_star;
    lrs_mat_get_global(lrs_lora_head_Wstar(mod), W);
  }
  lrs_model_destroy(&mod);
}

/* ℓ* and W* through the set-up cache: a point of another init, scale and
 * rank on the same file's bytes gets the very bytes the Newton solve gives
 * without the cache (a hit), another λ is solved anew (a miss), and data
 * without a digest is never kept. */
static void test_star_cache(lrs_datafile *d, lrs_linalg *la) {
  double s_ref, s_a, s_b, s_c, W_ref[n * m], W_a[n * m], W_b[n * m], W_c[n * m];
  double e_ref, e_a, e_b, e_c;
  lrs_point a = head_point(LRS_INIT_SMALL), b = head_point(LRS_INIT_SPECTRAL), c = a;
  b.init_scale = 0.9;
  b.lora_rank = 1;
  b.replicate = 3;
  c.logistic_lambda = 0.07;
  lrs_setup_cache_set_budget(0);
  star_of(&b, d, la, &s_ref, W_ref, &e_ref);
  lrs_setup_cache_set_budget((size_t)1 << 20);
  star_of(&a, d, la, &s_a, W_a, &e_a);
  const lrs_setup_cache_stats none = lrs_setup_cache_stats_get();
  LRS_CHECK(none.entries == 0, "data without a digest: ℓ* is not kept");
  snprintf(d->sha256, sizeof d->sha256, "%064d", 7); /* as if read from a file */
  star_of(&a, d, la, &s_a, W_a, &e_a);
  const lrs_setup_cache_stats s0 = lrs_setup_cache_stats_get();
  star_of(&b, d, la, &s_b, W_b, &e_b);
  const lrs_setup_cache_stats s1 = lrs_setup_cache_stats_get();
  LRS_CHECK(s0.entries == 1 && s1.hits == s0.hits + 1, "another init on the same file: a hit");
  LRS_CHECK(memcmp(&s_b, &s_ref, sizeof s_b) == 0 && memcmp(W_b, W_ref, sizeof W_b) == 0,
            "the hit gives ℓ* = %.17g and W* bit for bit as the solve without the cache", s_b);
  LRS_CHECK(e_b > 0.0 && memcmp(&e_b, &e_ref, sizeof e_b) == 0,
            "and the loss measures L(θ0) − ℓ* = %.17g from it as without the cache", e_b);
  star_of(&c, d, la, &s_c, W_c, &e_c);
  const lrs_setup_cache_stats s2 = lrs_setup_cache_stats_get();
  LRS_CHECK(s2.misses == s1.misses + 1 && s2.entries == 2 && s_c != s_b &&
                memcmp(W_c, W_b, sizeof W_c) != 0,
            "another λ is another key: ℓ* %.6f vs %.6f", s_c, s_b);
  d->sha256[0] = '\0';
  lrs_setup_cache_clear();
}

int main(void) {
  double X[N * n], Y[N * m], Xt[NT * n], Yt[NT * m], W0[n * m];
  lrs_datafile d;
  fill(&d, X, Y, Xt, Yt, W0);
  lrs_linalg *la = NULL;
  lrs_linalg_create_local(&la);

  /* small init: B = 0, A ~ N(0, α²) */
  lrs_point p = head_point(LRS_INIT_SMALL);
  lrs_model *mod = NULL;
  if (!LRS_CHECK(lrs_lora_head_create_from(&p, &d, la, &mod) == LRS_OK, "lora_head created"))
    return lrs_test_done();
  const size_t P = mod->ops->param_count(mod);
  double *th = mod->ops->params(mod);
  LRS_CHECK(P == r * n + m * r, "θ = [vec(A); vec(B)]: %zu entries", P);
  double sa = 0.0;
  bool b_zero = true;
  for (size_t i = 0; i < r * n; i++)
    sa += th[i] * th[i];
  for (size_t i = r * n; i < P; i++)
    b_zero &= th[i] == 0.0;
  LRS_CHECK(b_zero && sa > 0.0 && sqrt(sa / (r * n)) < 3 * 0.37,
            "small init: B = 0, A's rms %.3f of α = 0.37", sqrt(sa / (r * n)));

  /* ∇ at B = 0 (∇_A = 0) and at a generic θ */
  double e0 = fd_gradient_error(mod, 1e-5);
  for (size_t i = 0; i < P; i++)
    th[i] = 0.8 * sin(1.3 * (double)i + 0.25);
  double e1 = fd_gradient_error(mod, 1e-5);
  LRS_CHECK(e0 < 1e-6 && e1 < 1e-6,
            "∇L on (A, B) vs central differences: rel %.1e at the init, %.1e at a generic θ", e0,
            e1);

  /* records at that θ: W = W0 + AᵀBᵀ by hand */
  double A[r * n], B[m * r], At[n * r], Bt[r * m], D[n * m], W[n * m];
  memcpy(A, th, sizeof A);
  memcpy(B, th + r * n, sizeof B);
  for (size_t i = 0; i < r; i++)
    for (size_t j = 0; j < n; j++)
      At[j + i * n] = A[i + j * r];
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < r; j++)
      Bt[j + i * r] = B[i + j * m];
  matmul(At, Bt, D, n, r, m);
  double nd = 0.0;
  for (size_t i = 0; i < n * m; i++) {
    W[i] = W0[i] + D[i];
    nd += D[i] * D[i];
  }
  double L;
  mod->ops->eval(mod, &L, NULL);
  lrs_record rec = lrs_record_unset();
  const lrs_observe obs = {.step = 1, .loss = L, .finite = true, .discrete = true};
  mod->ops->observe(mod, &obs, &rec);
  LRS_CHECK(rec.train_acc == accuracy(X, Y, W, N) && rec.test_acc == accuracy(Xt, Yt, W, NT),
            "train/test accuracy %.3f/%.3f as argmax of XW by hand", rec.train_acc, rec.test_acc);
  LRS_CHECK(fabs(rec.lora_norm - sqrt(nd)) <= 1e-14 * sqrt(nd), "lora_norm = ‖AᵀBᵀ‖_F");
  /* test loss by hand: mean cross-entropy + λ/2 ‖W‖²; the plain cross-entropies
   * are that without λ/2 ‖W‖², and the training one is the objective L + ℓ*
   * without it (L: the eval above, L − ℓ*). */
  double w2 = 0.0, lambda = 0.05, star = NAN;
  for (size_t i = 0; i < n * m; i++)
    w2 += W[i] * W[i];
  const double ce = cross_entropy(X, Y, W, N), ce_t = cross_entropy(Xt, Yt, W, NT);
  const double tl = ce_t + 0.5 * lambda * w2;
  LRS_CHECK(fabs(rec.test_loss - tl) <= 1e-13 * tl, "test_loss %.6f = cross-entropy + λ/2‖W‖² by hand",
            rec.test_loss);
  LRS_CHECK(fabs(rec.test_cross_entropy - ce_t) <= 1e-13 * ce_t &&
                fabs(rec.test_loss - rec.test_cross_entropy - 0.5 * lambda * w2) <= 1e-14 * tl,
            "test_cross_entropy %.6f = the cross-entropy by hand = test_loss − λ/2‖W‖² (%.6f)",
            rec.test_cross_entropy, 0.5 * lambda * w2);
  lrs_summary sum = {0};
  mod->ops->summarize(mod, &sum);
  star = sum.loss_star;
  LRS_CHECK(fabs(rec.train_cross_entropy - ce) <= 1e-13 * ce &&
                fabs(L + star - rec.train_cross_entropy - 0.5 * lambda * w2) <= 1e-14 * (L + star),
            "train_cross_entropy %.6f = the cross-entropy by hand = (L − ℓ*) + ℓ* − λ/2‖W‖²",
            rec.train_cross_entropy);
  { /* a last evaluation elsewhere (a line-search trial) does not leak into the record */
    double keep[r * n + m * r], Lt;
    memcpy(keep, th, sizeof keep);
    for (size_t i = 0; i < P; i++)
      th[i] += 0.3;
    mod->ops->eval(mod, &Lt, NULL);
    memcpy(th, keep, sizeof keep);
    lrs_record again = lrs_record_unset();
    mod->ops->observe(mod, &obs, &again);
    LRS_CHECK(memcmp(&again.train_cross_entropy, &rec.train_cross_entropy, sizeof(double)) == 0 &&
                  Lt != L,
              "observe after an evaluation at another θ: the same train_cross_entropy");
  }
  LRS_CHECK(0.5 * lambda * w2 > 0.05 * ce, "(the λ term, %.3f, is not negligible next to %.3f)",
            0.5 * lambda * w2, ce);

  /* alignment: Δ = U_r V_rᵀ gives 1, Δ = [u3 u4] V_rᵀ gives 0 (U, V of W* − W0) */
  lrs_mat *dW = NULL, *U = NULL, *Vt = NULL;
  double s[m], u[n * m], vt[m * m];
  lrs_mat_create(la, n, m, &dW);
  lrs_mat_create(la, n, m, &U);
  lrs_mat_create(la, m, m, &Vt);
  lrs_mat_copy(lrs_lora_head_Wstar(mod), dW);
  double w0m[n * m];
  lrs_mat_get_global(dW, w0m);
  for (size_t i = 0; i < n * m; i++)
    w0m[i] -= W0[i];
  lrs_mat_set_global(dW, w0m);
  lrs_mat_svd(dW, s, U, Vt);
  lrs_mat_get_global(U, u);
  lrs_mat_get_global(Vt, vt);
  for (int which = 0; which < 2; which++) {
    for (size_t i = 0; i < r; i++) {
      for (size_t j = 0; j < n; j++)
        th[i + j * r] = u[j + (i + (size_t)which * r) * n]; /* row i of A = u_iᵀ */
      for (size_t j = 0; j < m; j++)
        th[r * n + j + i * m] = vt[i + j * m]; /* column i of B = v_i */
    }
    mod->ops->eval(mod, &L, NULL);
    rec = lrs_record_unset();
    mod->ops->observe(mod, &obs, &rec);
    LRS_CHECK(which == 0 ? fabs(rec.update_align - 1.0) < 1e-12 : fabs(rec.update_align) < 1e-12,
              "update_align = %.2e for Δ %s the top-%d directions of W* − W0", rec.update_align,
              which == 0 ? "inside" : "orthogonal to", r);
  }
  lrs_model_destroy(&mod);

  /* spectral init: row i of A is a multiple of u_iᵀ of W0 (left singular vectors) */
  p = head_point(LRS_INIT_SPECTRAL);
  LRS_CHECK(lrs_lora_head_create_from(&p, &d, la, &mod) == LRS_OK, "spectral lora_head created");
  if (mod) {
    lrs_mat *M0 = NULL;
    lrs_mat_create(la, n, m, &M0);
    lrs_mat_set_global(M0, W0);
    lrs_mat_svd(M0, s, U, Vt);
    lrs_mat_get_global(U, u);
    th = mod->ops->params(mod);
    double off = 0.0, on = 0.0;
    for (size_t i = 0; i < r; i++) {
      double c = 0.0;
      for (size_t j = 0; j < n; j++)
        c += th[i + j * r] * u[j + i * n];
      for (size_t j = 0; j < n; j++) {
        const double res = th[i + j * r] - c * u[j + i * n];
        off += res * res;
      }
      on += c * c;
    }
    bool b_zero2 = true;
    for (size_t i = r * n; i < P; i++)
      b_zero2 &= th[i] == 0.0;
    LRS_CHECK(on > 0.0 && sqrt(off / on) < 1e-13 && b_zero2,
              "spectral init: A's rows along W0's left singular vectors (residual %.1e), B = 0",
              sqrt(off / on));
    LRS_CHECK(fd_gradient_error(mod, 1e-5) < 1e-6, "spectral: ∇L vs central differences");
    lrs_mat_destroy(&M0);
  }
  lrs_model_destroy(&mod);
  lrs_mat_destroy(&dW);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
  test_star_cache(&d, la);
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
