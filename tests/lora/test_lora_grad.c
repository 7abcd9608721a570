/* LoRA loss, gradient and Hessian-vector product against the dense
 * reference of papers.md §2.1 and central finite differences of it. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>

#include "lora_point.h"
#include "lora_ref.h"
#include "lrs_test.h"

/* max_i |a_i − b_i| / max_i |b_i| */
static double rel_inf(const double *a, const double *b, size_t count) {
  double d = 0.0, s = 0.0;
  for (size_t i = 0; i < count; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    s = fmax(s, fabs(b[i]));
  }
  return d / s;
}

/* Central difference of the reference loss along direction d. */
static double fd_dir(const ref_problem *R, const double *theta, const double *d, size_t P,
                     double eps, double *work) {
  for (size_t i = 0; i < P; i++)
    work[i] = theta[i] + eps * d[i];
  const double lp = ref_loss(R, work, NULL, NULL);
  for (size_t i = 0; i < P; i++)
    work[i] = theta[i] - eps * d[i];
  const double lm = ref_loss(R, work, NULL, NULL);
  return (lp - lm) / (2.0 * eps);
}

static void check_point(lrs_linalg *la, lrs_point p, bool every_entry, const char *what) {
  lrs_model *model = NULL;
  REF_OK(lrs_lora_create(&p, la, &model));
  ref_problem R;
  ref_problem_load(la, model, &R);
  const size_t P = model->ops->param_count(model);
  double *theta = model->ops->params(model);
  double *g = ref_alloc(P), *gref = ref_alloc(P), *fd = ref_alloc(P), *work = ref_alloc(P);
  double *d = ref_alloc(P), *hv = ref_alloc(P), *hfd = ref_alloc(P), *gp = ref_alloc(P);
  double *gm = ref_alloc(P), *hw = ref_alloc(P), *e2 = ref_alloc(P);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 4242);

  /* a random point with B ≠ 0: the init's A plus N(0, 0.3²) everywhere */
  for (size_t i = 0; i < P; i++)
    theta[i] += 0.3 * gsl_ran_gaussian(rng, 1.0);
  double L, L2;
  REF_OK(model->ops->eval(model, &L, g));
  const double Lref = ref_loss(&R, theta, gref, NULL);
  LRS_CHECK(lrs_test_close(L, Lref, 1e-12, 0.0), "%s: L = %.15g = dense ½‖Y_ft − P2P1‖² (%.15g)",
            what, L, Lref);
  REF_OK(model->ops->eval(model, &L2, NULL));
  LRS_CHECK(L2 == L, "%s: eval without gradient gives the same loss", what);
  LRS_CHECK(rel_inf(g, gref, P) < 1e-12, "%s: ∇L = −(GF field) of §2.1, dense (%.1e)", what,
            rel_inf(g, gref, P));

  /* central differences: every entry, or 24 random directions */
  const double eps = 1e-5;
  double worst = 0.0;
  if (every_entry) {
    for (size_t i = 0; i < P; i++) {
      memset(d, 0, P * sizeof *d);
      d[i] = 1.0;
      fd[i] = fd_dir(&R, theta, d, P, eps, work);
    }
    worst = rel_inf(g, fd, P);
    LRS_CHECK(worst < 1e-6, "%s: ∇L vs central FD over all %zu entries: rel err %.1e", what, P,
              worst);
  } else {
    for (int t = 0; t < 24; t++) {
      ref_random(rng, d, P, 1.0);
      const double nd = ref_norm(d, P);
      for (size_t i = 0; i < P; i++)
        d[i] /= nd;
      double gd = 0.0;
      for (size_t i = 0; i < P; i++)
        gd += g[i] * d[i];
      const double f = fd_dir(&R, theta, d, P, eps, work);
      worst = fmax(worst, fabs(gd - f) / ref_norm(g, P));
    }
    LRS_CHECK(worst < 1e-6, "%s: ∇L·d vs central FD on 24 random directions: rel err %.1e",
              what, worst);
  }

  /* hess_vec vs central FD of the dense reference gradient */
  ref_random(rng, d, P, 1.0);
  REF_OK(model->ops->eval(model, &L, g));
  REF_OK(model->ops->hess_vec(model, d, hv));
  const double he = 1e-5;
  for (size_t i = 0; i < P; i++)
    work[i] = theta[i] + he * d[i];
  (void)ref_loss(&R, work, gp, NULL);
  for (size_t i = 0; i < P; i++)
    work[i] = theta[i] - he * d[i];
  (void)ref_loss(&R, work, gm, NULL);
  for (size_t i = 0; i < P; i++)
    hfd[i] = (gp[i] - gm[i]) / (2.0 * he);
  LRS_CHECK(rel_inf(hv, hfd, P) < 1e-6, "%s: ∇²L·d vs FD of the dense gradient: rel err %.1e",
            what, rel_inf(hv, hfd, P));
  /* symmetry: eᵀ(Hd) = dᵀ(He) */
  ref_random(rng, e2, P, 1.0);
  REF_OK(model->ops->hess_vec(model, e2, hw));
  double a = 0.0, b = 0.0, s = 0.0;
  for (size_t i = 0; i < P; i++) {
    a += e2[i] * hv[i];
    b += d[i] * hw[i];
    s += fabs(e2[i] * hv[i]);
  }
  LRS_CHECK(fabs(a - b) < 1e-12 * s, "%s: Hessian symmetric (eᵀHd − dᵀHe = %.1e)", what, a - b);
  /* hess_vec after an eval without gradient (GF's Jacobian protocol) */
  REF_OK(model->ops->eval(model, &L, NULL));
  REF_OK(model->ops->hess_vec(model, d, hw));
  LRS_CHECK(rel_inf(hw, hv, P) == 0.0, "%s: hess_vec needs only eval's cache", what);

  gsl_rng_free(rng);
  free(g), free(gref), free(fd), free(work), free(d), free(hv), free(hfd);
  free(gp), free(gm), free(hw), free(e2);
  ref_problem_free(&R);
  lrs_model_destroy(&model);
}

int main(void) {
  gsl_set_error_handler_off();
  lrs_linalg *la = NULL;
  REF_OK(lrs_linalg_create_local(&la));
  lrs_point p = lrs_test_lora_point();
  p.input_dim = 7, p.output_dim = 5, p.width = 12, p.lora_rank = 3;
  check_point(la, p, true, "small 5×7, h 12, r 3");
  p.init = LRS_INIT_SPECTRAL;
  p.delta_pair = LRS_PAIR_BOTTOM;
  p.balance = 2.0;
  check_point(la, p, true, "spectral 5×7, h 12, r 3, bottom");
  p.input_dim = 4, p.output_dim = 6, p.width = 9, p.lora_rank = 1, p.init = LRS_INIT_SMALL;
  check_point(la, p, true, "small 6×4, h 9, r 1");
  p = lrs_test_lora_point(); /* the paper's size, P = 880 */
  check_point(la, p, false, "small paper size");
  p.init = LRS_INIT_SPECTRAL;
  check_point(la, p, false, "spectral paper size");
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
