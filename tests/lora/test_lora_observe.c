/* LoRA record fields (papers.md §2.3–2.4) at chosen states, against dense
 * recomputation: loss split, ‖Z‖ (Frobenius, and spectral by the backend's
 * SVD of the stacked (h+n)×r matrix), misalignment from the SVD's top left
 * singular vector, signal coordinate. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>

#include "lora_point.h"
#include "lora_ref.h"
#include "lrs_test.h"

static const double RSQRT2 = 0.70710678118654752440; /* 1/√2 of γ1 */

typedef struct expect {
  double LS, LN, z1f, z2f, z1s, z2s, mis, sc;
} expect;

/* Z = [B; Aᵀ] ((rows_b + cols_a)×r) as a backend matrix. */
static lrs_mat *stack(lrs_linalg *la, const double *B, size_t rb, const double *A, size_t r,
                      size_t ca) {
  double *Z = ref_alloc((rb + ca) * r);
  for (size_t j = 0; j < r; j++) {
    for (size_t i = 0; i < rb; i++)
      Z[i + (rb + ca) * j] = B[i + rb * j];
    for (size_t i = 0; i < ca; i++)
      Z[rb + i + (rb + ca) * j] = A[j + r * i];
  }
  lrs_mat *M = NULL;
  REF_OK(lrs_mat_create(la, rb + ca, r, &M));
  REF_OK(lrs_mat_set_global(M, Z));
  free(Z);
  return M;
}

static expect reference(lrs_linalg *la, const ref_problem *R, const double *theta) {
  const size_t m = R->m, n = R->n, h = R->h, r = R->r;
  const ref_theta T = ref_split(R, theta);
  expect x;
  double *E = ref_alloc(m * n);
  const double L = ref_loss(R, theta, NULL, E);
  /* uᵀEv = σ − uᵀFv, F = P2P1 − Y_pre */
  double uEv = 0.0;
  for (size_t j = 0; j < n; j++)
    for (size_t i = 0; i < m; i++)
      uEv += R->ut[i] * E[i + m * j] * R->vt[j];
  x.LS = 0.5 * uEv * uEv;
  x.LN = L - x.LS;

  lrs_mat *Z1 = stack(la, T.B1, h, T.A1, r, n), *Z2 = stack(la, T.B2, m, T.A2, r, h);
  double *s = ref_alloc(r);
  double *z = ref_get(Z1);
  x.z1f = ref_norm(z, (h + n) * r);
  free(z);
  z = ref_get(Z2);
  x.z2f = ref_norm(z, (m + h) * r);
  free(z);
  REF_OK(lrs_mat_singular_values(Z2, s));
  x.z2s = s[0];
  lrs_mat *U = NULL, *Vt = NULL;
  REF_OK(lrs_mat_create(la, h + n, r, &U));
  REF_OK(lrs_mat_create(la, r, r, &Vt));
  REF_OK(lrs_mat_svd(Z1, s, U, Vt));
  x.z1s = s[0];
  double *Ua = ref_get(U), *g = ref_alloc(h);
  ref_mul(false, false, R->W1, h, n, R->vt, n, 1, g);
  const double ng = ref_norm(g, h);
  double c = 0.0;
  for (size_t i = 0; i < h; i++)
    c += Ua[i] * g[i] / ng * RSQRT2;
  for (size_t i = 0; i < n; i++)
    c += Ua[h + i] * R->vt[i] * RSQRT2;
  const double sg = c >= 0.0 ? 1.0 : -1.0;
  double d2 = 0.0; /* ½‖U0 − sγ1‖² = 1 − |cos| */
  for (size_t i = 0; i < h; i++)
    d2 += pow(Ua[i] - sg * g[i] / ng * RSQRT2, 2);
  for (size_t i = 0; i < n; i++)
    d2 += pow(Ua[h + i] - sg * R->vt[i] * RSQRT2, 2);
  x.mis = log10(0.5 * d2);
  /* gᵀB1A1v */
  double *bg = ref_alloc(r), *av = ref_alloc(r);
  ref_mul(true, false, T.B1, h, r, g, h, 1, bg);
  ref_mul(false, false, T.A1, r, n, R->vt, n, 1, av);
  x.sc = 0.0;
  for (size_t i = 0; i < r; i++)
    x.sc += bg[i] / ng * av[i];
  free(E), free(s), free(Ua), free(g), free(bg), free(av);
  lrs_mat_destroy(&Z1), lrs_mat_destroy(&Z2), lrs_mat_destroy(&U), lrs_mat_destroy(&Vt);
  return x;
}

static lrs_record observe(lrs_model *model, bool finite) {
  double L;
  REF_OK(model->ops->eval(model, &L, NULL));
  lrs_record rec = lrs_record_unset();
  const lrs_observe obs = {.step = 3, .time = 0.3, .loss = L, .grad_norm2 = 1.0,
                           .finite = finite, .discrete = true};
  REF_OK(model->ops->observe(model, &obs, &rec));
  return rec;
}

static void compare(const lrs_record *rec, const expect *x, double mis_tol, const char *what) {
  LRS_CHECK(lrs_test_close(rec->loss_signal, x->LS, 1e-10, 1e-14) &&
                lrs_test_close(rec->loss_noise, x->LN, 1e-9, 1e-14),
            "%s: L_S = %.10g (%.10g), L_N = %.10g (%.10g)", what, rec->loss_signal, x->LS,
            rec->loss_noise, x->LN);
  LRS_CHECK(lrs_test_close(rec->z1_fro, x->z1f, 1e-13, 0.0) &&
                lrs_test_close(rec->z2_fro, x->z2f, 1e-13, 0.0),
            "%s: ‖Z1‖_F = %.10g, ‖Z2‖_F = %.10g", what, rec->z1_fro, rec->z2_fro);
  LRS_CHECK(lrs_test_close(rec->z1_spec, x->z1s, 1e-12, 0.0) &&
                lrs_test_close(rec->z2_spec, x->z2s, 1e-12, 0.0),
            "%s: ‖Z1‖₂ = %.10g (SVD %.10g), ‖Z2‖₂ = %.10g (SVD %.10g)", what, rec->z1_spec,
            x->z1s, rec->z2_spec, x->z2s);
  LRS_CHECK(lrs_test_close(rec->z_ratio, x->z1f * x->z1f / (x->z2f * x->z2f), 1e-12, 0.0),
            "%s: z_ratio = ‖Z1‖²/‖Z2‖² = %.10g", what, rec->z_ratio);
  LRS_CHECK(fabs(rec->log10_misalign - x->mis) < mis_tol,
            "%s: log10(1 − |cos|) = %.10g (SVD: %.10g)", what, rec->log10_misalign, x->mis);
  LRS_CHECK(lrs_test_close(rec->signal_coord, x->sc, 1e-12, 1e-15),
            "%s: gᵀB1A1v = %.10g (%.10g)", what, rec->signal_coord, x->sc);
}

int main(void) {
  gsl_set_error_handler_off();
  lrs_linalg *la = NULL;
  REF_OK(lrs_linalg_create_local(&la));
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 2385);

  lrs_point p = lrs_test_lora_point();
  p.input_dim = 7, p.output_dim = 6, p.width = 15, p.lora_rank = 3;
  lrs_model *model = NULL;
  REF_OK(lrs_lora_create(&p, la, &model));
  ref_problem R;
  ref_problem_load(la, model, &R);
  const size_t P = model->ops->param_count(model), h = R.h, n = R.n, r = R.r;
  double *theta = model->ops->params(model);

  /* a random state */
  ref_random(rng, theta, P, 0.4);
  expect x = reference(la, &R, theta);
  lrs_record rec = observe(model, true);
  compare(&rec, &x, 1e-9, "random state");

  /* nearly aligned: column 0 of Z1 = 1.7·γ1·√2 + 1e-6 noise, others 1e-6 */
  ref_random(rng, theta, P, 1e-6);
  double *g = ref_alloc(h);
  ref_mul(false, false, R.W1, h, n, R.vt, n, 1, g);
  const double ng = ref_norm(g, h);
  const ref_theta T = ref_split(&R, theta);
  double *A1 = (double *)T.A1, *B1 = (double *)T.B1;
  for (size_t i = 0; i < h; i++)
    B1[i] += 1.7 * g[i] / ng;
  for (size_t c = 0; c < n; c++)
    A1[r * c] += 1.7 * R.vt[c];
  x = reference(la, &R, theta);
  rec = observe(model, true);
  compare(&rec, &x, 1e-6, "nearly aligned state");
  LRS_CHECK(rec.log10_misalign < -11.0,
            "nearly aligned state: misalignment resolved far below ε (log10 = %.3f)",
            rec.log10_misalign);

  /* exact initial state of the small init: B = 0, L_S = σ²/2, L_N = 0 */
  lrs_model *m0 = NULL;
  REF_OK(lrs_lora_create(&p, la, &m0));
  rec = observe(m0, true);
  LRS_CHECK(rec.loss_signal == 0.5 * p.delta_scale * p.delta_scale && rec.loss_noise == 0.0 &&
                rec.signal_coord == 0.0,
            "t = 0: L_S = σ²/2 = %.6g, L_N = 0, gᵀB1A1v = 0", rec.loss_signal);

  /* non-finite state: nothing is filled */
  rec = observe(m0, false);
  LRS_CHECK(isnan(rec.loss_signal) && isnan(rec.z1_fro) && isnan(rec.log10_misalign) &&
                isnan(rec.signal_coord),
            "non-finite state leaves the LoRA fields NaN");

  free(g);
  gsl_rng_free(rng);
  ref_problem_free(&R);
  lrs_model_destroy(&model);
  lrs_model_destroy(&m0);
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
