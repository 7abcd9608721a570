/* The two_layer model (lrsweep/two_layer.h): gradients of every loss against
 * central differences, the scalar case ½(x1x2 − 1)² in closed form, the GD
 * imbalance drift formula of papers.md §1.3 step by step, the recorded
 * ‖D(t) − D(0)‖ against a naive h×h computation, and the imbalance spectrum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/two_layer.h"
#include "model_fd.h"
#include "numerics_point.h"

static double norm2(const double *v, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += v[i] * v[i];
  return s;
}

/* Relative error of hess_vec against differences of the gradient. */
static double fd_hessvec_error(lrs_model *m) {
  const size_t P = m->ops->param_count(m);
  double *th = m->ops->params(m);
  double *v = malloc(P * sizeof *v), *hv = malloc(P * sizeof *hv), *gp = malloc(P * sizeof *gp),
         *gm = malloc(P * sizeof *gm), *x0 = malloc(P * sizeof *x0);
  double L;
  memcpy(x0, th, P * sizeof *x0);
  for (size_t i = 0; i < P; i++)
    v[i] = sin(1.7 * (double)i + 0.3);
  const double h = 1e-5;
  for (size_t i = 0; i < P; i++)
    th[i] = x0[i] + h * v[i];
  m->ops->eval(m, &L, gp);
  for (size_t i = 0; i < P; i++)
    th[i] = x0[i] - h * v[i];
  m->ops->eval(m, &L, gm);
  memcpy(th, x0, P * sizeof *x0);
  m->ops->eval(m, &L, NULL);
  m->ops->hess_vec(m, v, hv);
  double num = 0.0;
  for (size_t i = 0; i < P; i++) {
    const double d = hv[i] - (gp[i] - gm[i]) / (2.0 * h);
    num += d * d;
  }
  const double e = sqrt(num / norm2(hv, P));
  free(v), free(hv), free(gp), free(gm), free(x0);
  return e;
}

static void test_gradients(lrs_linalg *la) {
  const lrs_loss_kind kinds[] = {LRS_LOSS_SQUARED, LRS_LOSS_LOGISTIC, LRS_LOSS_HUBER};
  for (size_t k = 0; k < 3; k++)
    for (int rep = 0; rep < 2; rep++) {
      lrs_point p = lrs_test_point();
      p.input_dim = 4;
      p.output_dim = 3;
      p.samples = 6;
      p.width = 5 + (int64_t)rep * 4;
      p.data = LRS_DATA_GAUSSIAN;
      p.replicate = rep;
      p.loss = kinds[k];
      p.init_scale = 0.7;
      p.huber_delta = 0.5;
      p.sigma2 = 0.3;
      lrs_model *m = NULL;
      if (!LRS_CHECK(lrs_model_create(&p, la, &m) == LRS_OK, "%s model %d created",
                     lrs_loss_names[p.loss], rep))
        continue;
      /* move away from the teacher's exact fit so every residual is alive */
      double *th = m->ops->params(m);
      for (size_t i = 0; i < m->ops->param_count(m); i++)
        th[i] += 0.2 * cos(3.1 * (double)i);
      const double e = fd_gradient_error(m, 1e-6);
      LRS_CHECK(e < 1e-6, "%s × two_layer (h = %lld): ∇L vs central differences, rel err %.2e",
                lrs_loss_names[p.loss], (long long)p.width, e);
      const double eh = fd_hessvec_error(m);
      LRS_CHECK(eh < 1e-6, "%s × two_layer: ∇²L·v vs differences of ∇L, rel err %.2e",
                lrs_loss_names[p.loss], eh);
      lrs_model_destroy(&m);
    }
}

/* L(x1, x2) = ½(x1x2 − 1)²: ∇L = (x1x2 − 1)(x2, x1),
 * ∇²L = [[x2², 2x1x2 − 1], [2x1x2 − 1, x1²]]. */
static void test_scalar(lrs_linalg *la) {
  lrs_problem *P = NULL;
  lrs_problem_alloc(la, 1, 1, 1, 1, &P);
  const double one = 1.0, w[2] = {1.3, -0.45};
  lrs_mat_set_global(P->X, &one);
  lrs_mat_set_global(P->Y, &one);
  lrs_mat_set_global(P->B0, w);
  const lrs_loss_params lp = {.kind = LRS_LOSS_SQUARED};
  lrs_model *m = NULL;
  LRS_CHECK(lrs_two_layer_create_from(&P, &lp, 0.5, 2.0, LRS_COORDS_FULL, la, &m) == LRS_OK && !P,
            "scalar model created (problem ownership taken)");
  const double x1 = w[0], x2 = w[1], r = x1 * x2 - 1.0;
  double L, g[2], hv[2];
  m->ops->eval(m, &L, g);
  LRS_CHECK(lrs_test_close(L, 0.5 * r * r, 1e-15, 0), "scalar: L = ½(x1x2 − 1)²");
  LRS_CHECK(lrs_test_close(g[0], r * x2, 1e-15, 0) && lrs_test_close(g[1], r * x1, 1e-15, 0),
            "scalar: ∇L = (x1x2 − 1)(x2, x1)");
  const double e1[2] = {1.0, 0.0}, e2[2] = {0.0, 1.0};
  m->ops->hess_vec(m, e1, hv);
  const bool c1 = lrs_test_close(hv[0], x2 * x2, 1e-15, 0) &&
                  lrs_test_close(hv[1], 2.0 * x1 * x2 - 1.0, 1e-15, 0);
  m->ops->hess_vec(m, e2, hv);
  const bool c2 = lrs_test_close(hv[0], 2.0 * x1 * x2 - 1.0, 1e-15, 0) &&
                  lrs_test_close(hv[1], x1 * x1, 1e-15, 0);
  LRS_CHECK(c1 && c2, "scalar: ∇²L = [[x2², 2x1x2 − 1], [2x1x2 − 1, x1²]]");
  const lrs_theory_state *ts = lrs_two_layer_theory(m);
  /* D0 = x1² − x2²; W* = 1; K = μ = 1; W(0) − W* = r. */
  const double D0 = x1 * x1 - x2 * x2;
  LRS_CHECK(lrs_test_close(ts->th.lambda_plus, D0, 1e-14, 0) && ts->th.lambda_minus == 0.0,
            "scalar: λ₊ = x1² − x2², λ₋ = 0");
  LRS_CHECK(lrs_test_close(ts->th.beta1, fmax(0.0, 1.0 - fabs(r)), 1e-14, 1e-15) &&
                lrs_test_close(ts->th.beta2, 1.0 + fabs(r), 1e-14, 0),
            "scalar: β1 = max(0, 1 − |W0 − 1|), β2 = 1 + |W0 − 1|");
  lrs_model_destroy(&m);
  LRS_CHECK(m == NULL, "model destroy clears the pointer");
}

/* Naive D = W1ᵀW1 − W2ᵀW2 from θ ((n+m)×h column-major). */
static void naive_D(const double *th, size_t n, size_t m, size_t h, double *D) {
  const size_t k = n + m;
  for (size_t a = 0; a < h; a++)
    for (size_t b = 0; b < h; b++) {
      double s = 0.0;
      for (size_t r = 0; r < k; r++)
        s += (r < n ? 1.0 : -1.0) * th[r + a * k] * th[r + b * k];
      D[a + b * h] = s;
    }
}

/* GD drift D(k+1) − D(k) = η²[W2ᵀ∇ℓᵀ∇ℓW2 − W1ᵀ∇ℓ∇ℓᵀW1] (papers.md §1.3),
 * with ∇ℓ = Xᵀ(XW − Y) computed here by loops. */
static void test_drift_formula(lrs_linalg *la) {
  lrs_point p = lrs_test_point();
  p.input_dim = 3;
  p.output_dim = 2;
  p.samples = 4;
  p.width = 6;
  p.coordinates = LRS_COORDS_FULL; /* θ is B */
  p.data = LRS_DATA_GAUSSIAN;
  p.init_scale = 0.8;
  p.sigma2 = 0.5;
  lrs_model *m = NULL;
  lrs_model_create(&p, la, &m);
  const lrs_problem *pr = lrs_two_layer_problem(m);
  const size_t N = 4, n = 3, mm = 2, h = 6, k = n + mm, P = k * h;
  double X[12], Y[8];
  lrs_mat_get_global(pr->X, X);
  lrs_mat_get_global(pr->Y, Y);
  double *th = m->ops->params(m), g[5 * 6], D[36], D1[36], F[36];
  const double eta = 0.07;
  double worst = 0.0;
  for (int step = 0; step < 5; step++) {
    double W[6], R[8], G[6];
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < mm; j++) {
        double s = 0.0;
        for (size_t c = 0; c < h; c++)
          s += th[i + c * k] * th[n + j + c * k];
        W[i + j * n] = s;
      }
    for (size_t a = 0; a < N; a++)
      for (size_t j = 0; j < mm; j++) {
        double s = -Y[a + j * N];
        for (size_t i = 0; i < n; i++)
          s += X[a + i * N] * W[i + j * n];
        R[a + j * N] = s;
      }
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < mm; j++) {
        double s = 0.0;
        for (size_t a = 0; a < N; a++)
          s += X[a + i * N] * R[a + j * N];
        G[i + j * n] = s;
      }
    /* F = η²[W2ᵀGᵀGW2 − W1ᵀGGᵀW1] via A = GW2 (n×h), Bm = GᵀW1 (m×h). */
    double A[18], Bm[12];
    for (size_t c = 0; c < h; c++) {
      for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < mm; j++)
          s += G[i + j * n] * th[n + j + c * k];
        A[i + c * n] = s;
      }
      for (size_t j = 0; j < mm; j++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
          s += G[i + j * n] * th[i + c * k];
        Bm[j + c * mm] = s;
      }
    }
    for (size_t a = 0; a < h; a++)
      for (size_t b = 0; b < h; b++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
          s += A[i + a * n] * A[i + b * n];
        for (size_t j = 0; j < mm; j++)
          s -= Bm[j + a * mm] * Bm[j + b * mm];
        F[a + b * h] = eta * eta * s;
      }
    naive_D(th, n, mm, h, D);
    double L;
    m->ops->eval(m, &L, g);
    for (size_t i = 0; i < P; i++)
      th[i] -= eta * g[i];
    naive_D(th, n, mm, h, D1);
    double err = 0.0, fn = 0.0;
    for (size_t i = 0; i < h * h; i++) {
      err = fmax(err, fabs((D1[i] - D[i]) - F[i]));
      fn = fmax(fn, fabs(F[i]));
    }
    worst = fmax(worst, err / fn);
  }
  LRS_CHECK(worst < 1e-10, "GD drift per step = η²[W2ᵀ∇ℓᵀ∇ℓW2 − W1ᵀ∇ℓ∇ℓᵀW1] (rel err %.2e)",
            worst);
  lrs_model_destroy(&m);
}

/* The recorded ‖D(t) − D(0)‖ (projected on B0's row space when h > n + m,
 * direct otherwise) against
 * a naive h×h computation; and the imbalance spectrum against the
 * eigenvalues of the naive D0. */
static void test_recorded_drift(lrs_linalg *la) {
  const int64_t widths[2] = {4, 23}; /* k = 5: 4 ≤ 5 (direct), 23 > 5 (projected) */
  for (int w = 0; w < 2; w++) {
    lrs_point p = lrs_test_point();
    p.input_dim = 3;
    p.output_dim = 2;
    p.samples = 5;
    p.width = widths[w];
    p.coordinates = LRS_COORDS_FULL; /* θ is B */
    p.data = LRS_DATA_GAUSSIAN;
    p.init_scale = 0.9;
    lrs_model *m = NULL;
    lrs_model_create(&p, la, &m);
    const size_t n = 3, mm = 2, h = (size_t)p.width, P = (n + mm) * h;
    double *th = m->ops->params(m);
    double *D0 = malloc(h * h * sizeof *D0), *D1 = malloc(h * h * sizeof *D1);
    naive_D(th, n, mm, h, D0);

    /* Imbalance spectrum: λ_max(D0), λ_n(D0) etc. from the naive D0. */
    lrs_mat *Dm = NULL;
    lrs_mat_create(la, h, h, &Dm);
    lrs_mat_set_global(Dm, D0);
    double *ev = malloc(h * sizeof *ev);
    lrs_mat_sym_eigvals(Dm, ev); /* ascending */
    const lrs_theory *th0 = &lrs_two_layer_theory(m)->th;
    const double scale = fabs(ev[h - 1]) + fabs(ev[0]);
    LRS_CHECK(lrs_test_close(th0->lambda_plus, fmax(ev[h - 1], 0.0), 0, 1e-12 * scale) &&
                  lrs_test_close(th0->lambda_minus, fmax(-ev[0], 0.0), 0, 1e-12 * scale),
              "h = %zu: λ₊, λ₋ match the eigenvalues of the h×h D0", h);
    /* Δ̲ = max(λ_n(D0), 0) + max(λ_m(−D0), 0): n-th largest and m-th smallest. */
    const double under = fmax(ev[h - n], 0.0) + fmax(-ev[mm - 1], 0.0);
    LRS_CHECK(lrs_test_close(th0->delta_under, under, 0, 1e-12 * scale),
              "h = %zu: Δ̲ matches (%.12g vs %.12g)", h, th0->delta_under, under);
    lrs_mat_destroy(&Dm);
    free(ev);

    double *g = malloc(P * sizeof *g), L;
    m->ops->eval(m, &L, g);
    for (size_t i = 0; i < P; i++)
      th[i] -= 0.05 * g[i];
    naive_D(th, n, mm, h, D1);
    double ref = 0.0;
    for (size_t i = 0; i < h * h; i++)
      ref += (D1[i] - D0[i]) * (D1[i] - D0[i]);
    ref = sqrt(ref);
    m->ops->eval(m, &L, g);
    lrs_record rec = lrs_record_unset();
    const lrs_observe obs = {.step = 1, .loss = L, .grad_norm2 = 1.0, .finite = true,
                             .discrete = false};
    m->ops->observe(m, &obs, &rec);
    LRS_CHECK(lrs_test_close(rec.imbalance_drift, ref, 1e-8, 0),
              "h = %zu: recorded ‖D(t) − D(0)‖ = %.10g, naive %.10g", h, rec.imbalance_drift,
              ref);
    free(g);
    free(D0);
    free(D1);
    lrs_model_destroy(&m);
  }
}

/* The fused GD ops (lrsweep/model.h) against the unfused step: ‖∇L‖² from
 * the Gram matrices vs the formed gradient, and descend(η) vs θ − η∇L, then
 * the next loss from descend's Gram vs a fresh evaluation; offered in full
 * coordinates with h > n + m only. */
static void test_fused_step(lrs_linalg *la) {
  const lrs_loss_kind kinds[] = {LRS_LOSS_SQUARED, LRS_LOSS_LOGISTIC};
  for (size_t k = 0; k < 2; k++) {
    lrs_point p = lrs_test_point();
    p.input_dim = 4;
    p.output_dim = 3;
    p.samples = 6;
    p.width = 700; /* beyond the 256-column blocks of lrs_mat_coupled_step */
    p.data = LRS_DATA_GAUSSIAN;
    p.loss = kinds[k];
    p.init_scale = 0.3;
    p.coordinates = LRS_COORDS_FULL;
    lrs_model *a = NULL, *b = NULL;
    if (!LRS_CHECK(lrs_model_create(&p, la, &a) == LRS_OK &&
                       lrs_model_create(&p, la, &b) == LRS_OK,
                   "%s: two identical full-coordinate models", lrs_loss_names[p.loss]))
      continue;
    const size_t P = a->ops->param_count(a);
    double *g = malloc(P * sizeof *g), *g1 = malloc(P * sizeof *g1);
    double La, Lb, n2a, n2b, La1, Lb1, n2a1, n2b1;
    const double eta = 0.01;
    a->ops->eval(a, &La, g);
    n2a = norm2(g, P);
    b->ops->eval(b, &Lb, NULL);
    b->ops->grad_norm2(b, &n2b);
    double *ta = a->ops->params(a), *tb = b->ops->params(b);
    for (size_t i = 0; i < P; i++)
      ta[i] -= eta * g[i];
    b->ops->descend(b, eta);
    double dth = 0.0, nth = 0.0;
    for (size_t i = 0; i < P; i++) {
      dth = fmax(dth, fabs(ta[i] - tb[i]));
      nth = fmax(nth, fabs(ta[i]));
    }
    a->ops->eval(a, &La1, g1);
    n2a1 = norm2(g1, P);
    b->ops->eval(b, &Lb1, NULL); /* from descend's BBᵀ */
    b->ops->grad_norm2(b, &n2b1);
    LRS_CHECK(a->ops->gd_fused(a) && La == Lb && lrs_test_close(n2b, n2a, 1e-12, 0),
              "%s: fused ‖∇L‖² = %.12g, formed %.12g", lrs_loss_names[p.loss], n2b, n2a);
    LRS_CHECK(dth <= 1e-14 * nth && lrs_test_close(Lb1, La1, 1e-12, 0) &&
                  lrs_test_close(n2b1, n2a1, 1e-11, 0),
              "%s: descend = θ − η∇L (max diff %.1g), next L %.12g vs %.12g, ‖∇L‖² %.6g vs "
              "%.6g", lrs_loss_names[p.loss], dth, Lb1, La1, n2b1, n2a1);
    free(g), free(g1);
    lrs_model_destroy(&a);
    lrs_model_destroy(&b);
  }
  lrs_point p = lrs_test_point();
  p.input_dim = 4;
  p.output_dim = 3;
  p.width = 700;
  lrs_model *r = NULL;
  LRS_CHECK(lrs_model_create(&p, la, &r) == LRS_OK && !r->ops->gd_fused(r),
            "reduced coordinates (k×k) do not offer the fused step");
  lrs_model_destroy(&r);
}

int main(void) {
  lrs_linalg *la = NULL;
  lrs_linalg_create_local(&la);
  test_gradients(la);
  test_scalar(la);
  test_drift_formula(la);
  test_recorded_drift(la);
  test_fused_step(la);
  lrs_point p = lrs_test_point();
  p.model = LRS_MODEL_LORA;
  p.init = LRS_INIT_SMALL;
  lrs_model *m = NULL;
  LRS_CHECK(lrs_model_create(&p, la, &m) == LRS_OK && m && m->ops->kind == LRS_MODEL_LORA,
            "model = lora dispatches to the LoRA model");
  lrs_model_destroy(&m);
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
