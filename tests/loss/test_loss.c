/* The loss table (lrsweep/loss.h): gradients and Hessian actions against
 * central differences (loss_fd.h), μ/K closed forms, the ℓ* solve. */
#include <math.h>
#include <stdlib.h>

#include "loss_fd.h"
#include "lrs_test.h"
#include "lrsweep/kind.h"
#include "lrsweep/loss.h"

enum { N = 7, n = 4, m = 3 };

static double get(const lrs_mat *A, size_t i, size_t j) {
  const lrs_mat_block b = lrs_mat_local(A);
  return b.data[i + j * b.ld];
}
static void add(lrs_mat *A, size_t i, size_t j, double v) {
  const lrs_mat_block b = lrs_mat_local(A);
  b.data[i + j * b.ld] += v;
}

static void check_derivatives(lrs_linalg *la, const lrs_loss_params *lp, const char *name) {
  lrs_mat *X = mat(la, N, n, 0.2, 1.0), *Y = mat(la, N, m, 1.3, 1.5);
  lrs_mat *W = mat(la, n, m, 2.7, 0.8), *V = mat(la, n, m, 0.9, 1.0);
  lrs_mat *G = NULL, *Gfd = NULL;
  lrs_loss *loss = NULL;
  lrs_mat_create(la, n, m, &G);
  lrs_mat_create(la, n, m, &Gfd);
  LRS_CHECK(lrs_loss_create(lp, X, Y, m, &loss) == LRS_OK, "%s: loss created", name);
  double v, w2;
  LRS_CHECK(isnan(lrs_loss_data_term(loss)), "%s: no data term before an evaluation", name);
  lrs_loss_eval(loss, W, &v, G);
  lrs_mat_dot(W, W, &w2);
  /* the data term: ℓ without its ridge (λ/2)‖W‖² (none for squared and huber) */
  const double ridge = lp->kind == LRS_LOSS_LOGISTIC ? 0.5 * lp->lambda * w2 : 0.0;
  LRS_CHECK(lrs_test_close(v - lrs_loss_data_term(loss), ridge, 1e-13, 1e-15),
            "%s: the data term %.6f is ℓ = %.6f less its ridge %.6f", name,
            lrs_loss_data_term(loss), v, ridge);
  grad_fd(loss, W, Gfd, 1e-5);
  const double eg = rel_err(G, Gfd);
  LRS_CHECK(eg < 1e-8, "%s: ∇ℓ(W) matches central differences (rel err %.2e)", name, eg);
  const double eh = hess_action_err(loss, W, V);
  LRS_CHECK(eh < 1e-7, "%s: ∇²ℓ(W)[V] matches differences of ∇ℓ (rel err %.2e)", name, eh);

  /* ℓ*: the gradient vanishes at W* and ℓ grows away from it. */
  lrs_mat *Ws = NULL;
  lrs_mat_create(la, n, m, &Ws);
  double star = NAN;
  const lrs_status mst = lrs_loss_minimize(loss, NULL, Ws, &star);
  LRS_CHECK(mst == LRS_OK && isfinite(star), "%s: Newton solve for ℓ* = %.17g", name, star);
  double gn, val;
  lrs_loss_eval(loss, Ws, &val, G);
  lrs_mat_norm_fro(G, &gn);
  LRS_CHECK(gn < 1e-13, "%s: ‖∇ℓ(W*)‖ = %.2e", name, gn);
  LRS_CHECK(above_star(loss, Ws, star), "%s: ℓ(W* + D) > ℓ* for small perturbations D", name);
  lrs_mat_destroy(&Ws);
  lrs_loss_destroy(&loss);
  LRS_CHECK(loss == NULL, "%s: destroy clears the pointer", name);
  lrs_mat *all[] = {X, Y, W, V, G, Gfd};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    lrs_mat_destroy(&all[i]);
}

int main(void) {
  lrs_linalg *la = NULL;
  lrs_linalg_create_local(&la);
  const lrs_loss_params sq = {.kind = LRS_LOSS_SQUARED};
  const lrs_loss_params lg = {.kind = LRS_LOSS_LOGISTIC, .lambda = 0.05};
  const lrs_loss_params hb = {.kind = LRS_LOSS_HUBER, .delta = 0.7};
  check_derivatives(la, &sq, "squared");
  check_derivatives(la, &lg, "logistic");
  check_derivatives(la, &hb, "huber");

  /* μ and K from X = [diag(s); 0] with known singular values. */
  const double s[n] = {2.3, 0.4, 1.7, 1.1};
  lrs_mat *X = NULL, *Y = NULL;
  lrs_mat_create(la, N, n, &X);
  for (size_t i = 0; i < n; i++)
    lrs_mat_local(X).data[i + i * N] = s[i];
  Y = mat(la, N, m, 0.5, 1.0);
  lrs_loss *l = NULL;
  lrs_loss_create(&sq, X, Y, m, &l);
  LRS_CHECK(lrs_test_close(lrs_loss_mu(l), 0.16, 1e-14, 0) &&
                lrs_test_close(lrs_loss_K(l), 2.3 * 2.3, 1e-14, 0),
            "squared: μ = σ²_min(X), K = σ²_max(X)");
  LRS_CHECK(lrs_loss_ops_of(l)->covered, "squared is covered by [P1]");
  lrs_loss_destroy(&l);
  lrs_loss_create(&lg, X, Y, m, &l);
  LRS_CHECK(lrs_test_close(lrs_loss_mu(l), 0.05, 1e-14, 0) &&
                lrs_test_close(lrs_loss_K(l), 0.05 + 2.3 * 2.3 / (4.0 * N), 1e-14, 0),
            "logistic: μ = λ, K = λ + σ²_max/(4N)");
  /* labels are signs of the targets */
  bool signs = true;
  for (size_t j = 0; j < m; j++)
    for (size_t i = 0; i < N; i++) {
      const double y = get(Y, i, j), lab = get(lrs_loss_targets(l), i, j);
      signs = signs && lab == (y < 0.0 ? -1.0 : 1.0);
    }
  LRS_CHECK(signs, "logistic: labels are sign(Y)");
  lrs_loss_destroy(&l);
  lrs_loss_create(&hb, X, Y, m, &l);
  LRS_CHECK(!lrs_loss_ops_of(l)->covered && isnan(lrs_loss_mu(l)) &&
                lrs_test_close(lrs_loss_K(l), 2.3 * 2.3, 1e-14, 0),
            "huber: not covered, μ = NaN, K = σ²_max(X)");
  lrs_loss_destroy(&l);

  /* Squared loss on square invertible X: W* = X⁻¹Y and ℓ* = 0 exactly. */
  lrs_mat *Xs = mat(la, n, n, 0.1, 1.0), *Ys = mat(la, n, m, 0.6, 1.0), *Ws = NULL, *R = NULL;
  for (size_t i = 0; i < n; i++)
    add(Xs, i, i, 3.0); /* diagonally dominant: invertible */
  lrs_mat_create(la, n, m, &Ws);
  lrs_mat_create(la, n, m, &R);
  lrs_loss_create(&sq, Xs, Ys, m, &l);
  double star = NAN;
  lrs_loss_minimize(l, NULL, Ws, &star);
  lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, Xs, Ws, 0.0, R);
  lrs_mat_axpy(-1.0, Ys, R);
  double res;
  lrs_mat_norm_fro(R, &res);
  LRS_CHECK(star == 0.0 && res < 1e-14, "square X: ℓ* = 0 exactly, ‖XW* − Y‖ = %.2e", res);
  lrs_loss_destroy(&l);

  const lrs_loss_params bad = {.kind = LRS_LOSS_LOGISTIC, .lambda = 0.0};
  LRS_CHECK(lrs_loss_create(&bad, X, Y, m, &l) == LRS_ERR_CONFIG && !l,
            "logistic with λ = 0 is a config error");
  const lrs_loss_params badh = {.kind = LRS_LOSS_HUBER, .delta = -1.0};
  LRS_CHECK(lrs_loss_create(&badh, X, Y, m, &l) == LRS_ERR_CONFIG, "huber with δ < 0 refused");
  LRS_CHECK(lrs_loss_type_of((lrs_loss_kind)99) == NULL, "out-of-range loss kind: no entry");
  lrs_mat *all[] = {X, Y, Xs, Ys, Ws, R};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    lrs_mat_destroy(&all[i]);
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
