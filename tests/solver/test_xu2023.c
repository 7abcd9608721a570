/* xu2023 (papers.md §3.1) on the worked example printed there (n = m = 3,
 * h = 8; the numbers are typed in from papers.md, not regenerated): the
 * [P1-2023] constants p1, p2, α0, β0, η1max, η2max, the quartic's h1..h4 at
 * t = 0, and three GD steps uncapped and capped (η_t and L(t+1) to 1e-13
 * relative), in full and reduced coordinates; then the refusals. */
#include <math.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/solve.h"
#include "lrsweep/solver.h"
#include "lrsweep/two_layer.h"
#include "numerics_point.h"

static const double X[3][3] = {
    {1.2446651520257632, 0.39159178958764584, -0.5263328940905031},
    {-0.063280921193390391, -0.65846544298744614, -0.75464276580399714},
    {-0.34873487913481604, 0.91795995734582336, -0.85971204276023605}};
static const double Y[3][3] = {
    {-2.2746077969387679, -1.0360549251045654, 5.2390466473669983},
    {0.56542219118814929, 1.4189472782299304, 2.2055574761122183},
    {-0.95737582708336877, -0.85277982832180288, 0.16178450619121254}};
static const double W1[3][8] = {
    {-0.1886939558498503, 0.57313787004713457, 0.75291773420027386, -0.72827563531790052,
     2.3415046798928856, -0.30336845195790224, 1.897520120079897, 0.090963546102456286},
    {-0.032559854949154962, -1.6845239566105976, 0.12496531196029748, -0.51418313481943312,
     0.89464258898360005, -0.35453567772487171, -1.1434560476722002, -0.59525464720978116},
    {-0.42058863124631057, 1.0835950550795277, 0.83484760793339086, -0.88175947186621995,
     -0.19045408767326671, -0.017951255968304144, 1.0163878956011945, 1.4427032287356123}};
static const double W2[3][8] = {
    {0.42332671637260211, 1.7820901800084845, -0.34545815071057689, -0.81066913761318893,
     -0.34211386356875062, 1.0620818308502717, -0.93897704681566463, -0.85315709015992958},
    {-0.63386113871324246, 0.668156437934051, -0.89700281006068694, -0.15862988788575563,
     -0.11240125304648933, 1.5677196687868231, 0.21253122034318536, -0.9318005954316152},
    {-0.96595514373020075, -0.90477875142209763, 0.062644073848249951, 2.3455833921775064,
     0.64558159685334715, 0.029094504200775716, 1.7242169061912016, -1.1427928662483495}};

/* papers.md §3.1's printed values. */
static const double L0 = 1.0464396833639336, P2 = 7.9706678352680571,
                    ALPHA0 = 1.3674349570212723, BETA0 = 34.745935572835833,
                    ETA1MAX = 2.2142542974653808e-4, ETA2MAX = 1.8032860990734094e-4;
static const double H[4] = {5.3624439757981639, 1810.2684101915922, 1094.350781981396,
                            166.97958527681192};
static const double ETA[3] = {1.4791339780699053e-3, 1.4806522836643739e-3,
                              1.4821156323681975e-3};
static const double LOSS[3] = {0.96993473594330382, 0.89979211232519163, 0.8354271625592995};
static const double LOSS1_CAPPED = 1.036931765646455;

static lrs_model *example(lrs_linalg *la, lrs_coords coords) {
  lrs_problem *P = NULL;
  if (lrs_problem_alloc(la, 3, 3, 3, 8, &P) != LRS_OK)
    return NULL;
  double x[9], y[9], b[6 * 8]; /* column-major; B0 = [W1; W2] */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      x[i + 3 * j] = X[i][j];
      y[i + 3 * j] = Y[i][j];
    }
  for (int j = 0; j < 8; j++)
    for (int i = 0; i < 3; i++) {
      b[i + 6 * j] = W1[i][j];
      b[3 + i + 6 * j] = W2[i][j];
    }
  lrs_mat_set_global(P->X, x);
  lrs_mat_set_global(P->Y, y);
  lrs_mat_set_global(P->B0, b);
  const lrs_loss_params lp = {.kind = LRS_LOSS_SQUARED};
  lrs_model *m = NULL;
  lrs_two_layer_create_from(&P, &lp, 0.5, 1.01, coords, la, &m);
  return m;
}

static lrs_point example_point(lrs_xu_cap cap) {
  lrs_point p = lrs_test_point();
  p.step_rule = LRS_STEP_XU2023;
  p.xu2023_cap = cap;
  p.max_iter = 3;
  p.record_every = 1;
  p.tol = 0.0;
  return p;
}

static void check_constants(lrs_linalg *la) {
  lrs_model *m = example(la, LRS_COORDS_FULL);
  LRS_CHECK(m != NULL, "worked example: model created");
  if (!m)
    return;
  lrs_xu2023_in in;
  LRS_CHECK(lrs_two_layer_xu2023_in(m, 0.5, 1.5, &in) == LRS_OK, "xu2023 inputs");
  lrs_xu2023_cap cap;
  lrs_xu2023_cap_init(&in, &lrs_two_layer_theory(m)->th, &cap);
  LRS_CHECK(lrs_test_close(in.L0, L0, 1e-14, 0), "L(0) = %.17g", in.L0);
  LRS_CHECK(cap.p1 == 0.0 && lrs_test_close(cap.p2, P2, 1e-13, 0),
            "p1 = 0, p2 = %.17g (printed %.17g)", cap.p2, P2);
  LRS_CHECK(lrs_test_close(cap.alpha0, ALPHA0, 1e-13, 0) && lrs_test_close(cap.beta0, BETA0, 1e-13, 0),
            "α0 = %.17g, β0 = %.17g", cap.alpha0, cap.beta0);
  LRS_CHECK(lrs_test_close(cap.eta1max, ETA1MAX, 1e-13, 0) &&
                lrs_test_close(cap.eta2max, ETA2MAX, 1e-13, 0) && cap.eta_max == cap.eta2max,
            "η1max = %.17g, η2max = %.17g, η_max' = η2max", cap.eta1max, cap.eta2max);
  /* h1..h4 at t = 0 from the model's local constants (r = √(2KL0)). */
  double L;
  m->ops->eval(m, &L, NULL);
  lrs_local_consts lc;
  lrs_two_layer_local(m, &lc);
  const lrs_xu2023_coeffs h = lrs_xu2023_coeffs_at(&lc, sqrt(2.0 * lc.K * lc.L));
  const double got[4] = {h.h1, h.h2, h.h3, h.h4};
  bool ok = true;
  for (int i = 0; i < 4; i++)
    ok = ok && lrs_test_close(got[i], H[i], 1e-13, 0);
  LRS_CHECK(ok, "h1..h4 at t = 0 = %.17g, %.17g, %.17g, %.17g", h.h1, h.h2, h.h3, h.h4);
  /* η_0 is a stationary point of ρ and a minimum (ρ' changes sign). */
  const double e = lrs_xu2023_step(&h);
  const double d = 1e-6 * e;
  LRS_CHECK(lrs_test_close(e, ETA[0], 1e-13, 0) &&
                lrs_xu2023_rho(&h, e) < lrs_xu2023_rho(&h, e - d) &&
                lrs_xu2023_rho(&h, e) < lrs_xu2023_rho(&h, e + d),
            "η_0 = %.17g minimizes ρ(η)", e);
  lrs_model_destroy(&m);
}

static void check_run(lrs_linalg *la, lrs_coords coords, lrs_xu_cap capmode) {
  const char *cn = lrs_coords_names[coords], *mode = lrs_xu_cap_names[capmode];
  lrs_model *m = example(la, coords);
  const lrs_point p = example_point(capmode);
  lrs_result *r = NULL;
  lrs_result_create(8, &r);
  const lrs_status st = lrs_solver_run(m, &p, INFINITY, r);
  LRS_CHECK(st == LRS_OK && r->summary.status == LRS_POINT_MAX_ITER && r->n_records == 4,
            "%s, cap %s: 3 steps run (%s)", cn, mode, r->summary.message);
  if (r->n_records == 4) {
    bool ok = true;
    for (int t = 0; t < 3; t++) {
      if (capmode == LRS_XU_CAP_NONE)
        ok = ok && lrs_test_close(r->records[t].step_size, ETA[t], 1e-13, 0) &&
             lrs_test_close(r->records[t + 1].loss, LOSS[t], 1e-13, 0);
      else
        ok = ok && lrs_test_close(r->records[t].step_size, ETA2MAX, 1e-13, 0);
    }
    if (capmode == LRS_XU_CAP_ETA_MAX)
      ok = ok && lrs_test_close(r->records[1].loss, LOSS1_CAPPED, 1e-13, 0);
    LRS_CHECK(ok, "%s, cap %s: η_0..η_2 and L(1..3) as printed to 1e-13 (η_0 = %.17g, L(1) = %.17g)",
              cn, mode, r->records[0].step_size, r->records[1].loss);
    LRS_CHECK(r->summary.loss_evals == 0 && r->summary.rhs_evals == 4,
              "%s, cap %s: 4 gradient evaluations, no trial losses", cn, mode);
  }
  lrs_result_destroy(&r);
  lrs_model_destroy(&m);
}

/* The exact-gradient variant: r_t = ‖∇ℓ(W_t)‖_F ≤ √(2KL_t) makes every h
 * smaller but h1, so the step is at least the bound variant's. */
static void check_exact(lrs_linalg *la) {
  lrs_model *m = example(la, LRS_COORDS_FULL);
  lrs_point p = example_point(LRS_XU_CAP_NONE);
  p.xu2023_grad = LRS_XU_GRAD_EXACT;
  p.max_iter = 1;
  lrs_result *r = NULL;
  lrs_result_create(4, &r);
  lrs_solver_run(m, &p, INFINITY, r);
  double L;
  lrs_model_destroy(&m);
  m = example(la, LRS_COORDS_FULL);
  m->ops->eval(m, &L, NULL);
  lrs_local_consts lc;
  lrs_two_layer_local(m, &lc);
  /* ∇ℓ = Xᵀ(XW − Y) by hand */
  double W[3][3] = {{0}}, R[3][3], G[3][3] = {{0}}, g2 = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 8; k++)
        W[i][j] += W1[i][k] * W2[j][k];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      R[i][j] = -Y[i][j];
      for (int k = 0; k < 3; k++)
        R[i][j] += X[i][k] * W[k][j];
    }
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      for (int k = 0; k < 3; k++)
        G[i][j] += X[k][i] * R[k][j];
      g2 += G[i][j] * G[i][j];
    }
  const lrs_xu2023_coeffs h = lrs_xu2023_coeffs_at(&lc, sqrt(g2));
  const double want = lrs_xu2023_step(&h);
  LRS_CHECK(r->n_records >= 1 && lrs_test_close(lc.grad_l, sqrt(g2), 1e-13, 0) &&
                lrs_test_close(r->records[0].step_size, want, 1e-13, 0) && want > ETA[0],
            "exact ‖∇ℓ‖ = %.6g < √(2KL0): η_0 = %.10g > %.10g", sqrt(g2), want, ETA[0]);
  lrs_result_destroy(&r);
  lrs_model_destroy(&m);
}

static void check_refusals(void) {
  lrs_point p = lrs_test_point();
  p.step_rule = LRS_STEP_XU2023;
  p.loss = LRS_LOSS_LOGISTIC;
  p.max_iter = 2;
  lrs_result *r = NULL;
  lrs_result_create(4, &r);
  const lrs_status st = lrs_solve_point(&p, MPI_COMM_SELF, r);
  LRS_CHECK(st == LRS_ERR_UNSUPPORTED && strstr(lrs_error_message(), "squared loss only"),
            "xu2023 with the logistic loss is refused: %s", lrs_error_message());
  lrs_result_destroy(&r);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  lrs_linalg *la = NULL;
  lrs_linalg_create_local(&la);
  check_constants(la);
  for (int c = 0; c < 2; c++) {
    const lrs_coords coords = c ? LRS_COORDS_REDUCED : LRS_COORDS_FULL;
    check_run(la, coords, LRS_XU_CAP_NONE);
    check_run(la, coords, LRS_XU_CAP_ETA_MAX);
  }
  check_exact(la);
  check_refusals();
  lrs_linalg_destroy(&la);
  MPI_Finalize();
  return lrs_test_done();
}
