/*
 * LoRA dynamics through the solver (lrsweep/solver.h) on a small problem
 * (m = n = 6, h = 20, r = 2, σ = 5, c = 1.05): the small-init phenomenology
 * of papers.md §2.3–2.4 (stall, alignment, α-dependent floor), spectral init
 * to machine precision, GD vs GF, and the summary fields.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>

#include "lora_point.h"
#include "lora_ref.h"
#include "lrs_test.h"
#include "lrsweep/rate.h"
#include "lrsweep/solver.h"

static lrs_point small_point(double alpha) {
  lrs_point p = lrs_test_lora_point();
  p.input_dim = 6, p.output_dim = 6, p.width = 20, p.lora_rank = 2;
  p.init_scale = alpha;
  p.step_size = 1e-3;
  p.max_iter = 3000;
  p.record_every = 10;
  return p;
}

typedef struct run_out {
  lrs_result *res;
  double sigma_w2; /* of the problem */
} run_out;

static run_out run(lrs_linalg *la, const lrs_point *p) {
  lrs_model *model = NULL;
  run_out o = {0};
  REF_OK(lrs_lora_create(p, la, &model));
  o.sigma_w2 = lrs_lora_problem_of(model)->sigma_w2;
  REF_OK(lrs_result_create(16, &o.res));
  REF_OK(lrs_solver_run(model, p, INFINITY, o.res));
  lrs_model_destroy(&model);
  return o;
}

/* The record with the largest step ≤ s (GD, record_every > 0). */
static const lrs_record *at_step(const lrs_result *res, int64_t s) {
  const lrs_record *best = &res->records[0];
  for (size_t i = 0; i < res->n_records; i++)
    if (res->records[i].step <= s)
      best = &res->records[i];
  return best;
}

static void small_init(lrs_linalg *la) {
  const double alphas[3] = {1e-3, 1e-4, 1e-5};
  run_out o[3];
  for (int a = 0; a < 3; a++) {
    const lrs_point p = small_point(alphas[a]);
    o[a] = run(la, &p);
  }
  const lrs_result *r0 = o[0].res;
  const lrs_summary *s0 = &r0->summary;
  const double L0 = s0->loss0;
  LRS_CHECK(s0->status == LRS_POINT_MAX_ITER && r0->n_records == 301,
            "α = 1e-3: GD ran 3000 steps with 301 records");
  LRS_CHECK(lrs_test_close(L0, 12.5, 1e-12, 0.0), "L(0) = σ²/2 = %.15g (B = 0)", L0);
  const lrs_record *early = at_step(r0, 300);
  LRS_CHECK(early->loss > 0.999 * L0, "α = 1e-3: the loss stalls at the saddle (L(300) = %.6g)",
            early->loss);
  LRS_CHECK(s0->final_loss < 1e-10 * L0, "α = 1e-3: then falls (final L = %.3e)",
            s0->final_loss);

  /* misalignment falls during the alignment phase */
  const double ae = s0->lora.align_end;
  const lrs_record *rec0 = &r0->records[0], *mid = at_step(r0, (int64_t)(ae / 2));
  const lrs_record *end = at_step(r0, (int64_t)ae);
  LRS_CHECK(rec0->log10_misalign > mid->log10_misalign &&
                mid->log10_misalign > end->log10_misalign + 1.0 &&
                end->log10_misalign < rec0->log10_misalign - 3.0,
            "α = 1e-3: log10(1 − |cos|) falls through the alignment phase: %.2f (t = 0), "
            "%.2f (step %lld), %.2f (step %lld)",
            rec0->log10_misalign, mid->log10_misalign, (long long)mid->step,
            end->log10_misalign, (long long)end->step);
  LRS_CHECK(at_step(r0, (int64_t)ae)->loss > 0.5 * L0,
            "α = 1e-3: the loss is still near L(0) when the alignment phase ends");

  /* α-dependence (§2.3–2.4): floor, alignment length, plateau */
  for (int a = 0; a < 2; a++) {
    const lrs_summary *s = &o[a].res->summary, *t = &o[a + 1].res->summary;
    LRS_CHECK(t->final_loss < 1e-3 * s->final_loss,
              "smaller α, lower floor after 3000 steps: %.3e (α = %g) < 1e-3 × %.3e (α = %g)",
              t->final_loss, alphas[a + 1], s->final_loss, alphas[a]);
    /* ‖Z1‖ grows like e^{σσ_W2 t}: one decade of α costs ln 10/(σσ_W2 η) steps */
    const double want = log(10.0) / (5.0 * o[a].sigma_w2 * 1e-3);
    const double got = t->lora.align_end - s->lora.align_end;
    LRS_CHECK(fabs(got - want) < 0.05 * want,
              "align_end grows by ln10/(σσ_W2η) = %.1f steps per decade of α: %g → %g (+%g)",
              want, s->lora.align_end, t->lora.align_end, got);
    const double dp = s->lora.align_plateau - t->lora.align_plateau;
    LRS_CHECK(fabs(dp - 2.0) < 0.15,
              "plateau falls two decades per decade of α: %.3f → %.3f (Δ = %.3f)",
              s->lora.align_plateau, t->lora.align_plateau, dp);
  }

  /* records: loss split and norms consistent with each other */
  double split = 0.0, norms = 0.0;
  for (size_t i = 0; i < r0->n_records; i++) {
    const lrs_record *r = &r0->records[i];
    if (r->loss > 1e-6)
      split = fmax(split, fabs(r->loss_signal + r->loss_noise - r->loss) / r->loss);
    if (!(r->z1_spec <= r->z1_fro * (1 + 1e-14)) || !(r->z2_spec <= r->z2_fro * (1 + 1e-14)) ||
        !(r->z1_spec * sqrt(2.0) >= r->z1_fro * (1 - 1e-14)))
      norms = 1.0;
  }
  LRS_CHECK(split < 1e-12, "L_S + L_N = L on every record with L > 1e-6 (%.1e)", split);
  LRS_CHECK(norms == 0.0, "‖Z‖₂ ≤ ‖Z‖_F ≤ √r‖Z‖₂ on every record (r = 2)");

  /* summary */
  LRS_CHECK(s0->lora.final_floor == s0->final_loss && s0->loss_star == 0.0 &&
                !s0->theory.applicable && isnan(s0->theory.alpha1),
            "summary: final_floor = final loss, ℓ* = 0, theory not applicable");
  LRS_CHECK(lrs_test_close(s0->lora.delta_w, 1.0 / (1.05 * 1.05), 1e-12, 0.0),
            "summary: δ_w = 1/c² = %.10g", s0->lora.delta_w);
  /* local_rate = the rate rule on the records from align_end on */
  for (int a = 0; a < 3; a++) {
    const lrs_result *r = o[a].res;
    double *x = ref_alloc(r->n_records), *y = ref_alloc(r->n_records);
    size_t k = 0;
    for (size_t i = 0; i < r->n_records; i++)
      if ((double)r->records[i].step >= r->summary.lora.align_end) {
        x[k] = (double)r->records[i].step;
        y[k++] = r->records[i].loss;
      }
    const lrs_rate_fit f = lrs_rate_fit_curve(x, y, k, NULL);
    LRS_CHECK(f.ok && r->summary.lora.local_rate == f.rate && f.rate < 1.0,
              "α = %g: local_rate = %.6f, the rate rule on the %zu records after alignment",
              alphas[a], r->summary.lora.local_rate, k);
    free(x);
    free(y);
  }
  for (int a = 0; a < 3; a++)
    lrs_result_destroy(&o[a].res);
}

static void spectral_init(lrs_linalg *la) {
  lrs_point p = small_point(1e-3);
  p.init = LRS_INIT_SPECTRAL;
  p.step_size = 1e-2;
  p.max_iter = 2000;
  p.tol = 1e-20;
  run_out o = run(la, &p);
  const lrs_summary *s = &o.res->summary;
  LRS_CHECK(s->status == LRS_POINT_CONVERGED && s->final_loss <= 1e-20,
            "spectral, η = 1e-2: converged to L = %.2e ≤ 1e-20 in %lld steps", s->final_loss,
            (long long)s->iterations);
  LRS_CHECK(s->lora.align_end == 0.0 && isnan(s->lora.align_plateau),
            "spectral: no alignment phase (align_end = 0, plateau NaN)");
  lrs_result_destroy(&o.res);
}

/* Loss of a GD run at GF time t: log-linear between the records around t
 * (GD record times are Σ η_k). */
static double gd_loss_at(const lrs_result *gd, double t) {
  for (size_t i = 0; i + 1 < gd->n_records; i++) {
    const lrs_record *a = &gd->records[i], *b = &gd->records[i + 1];
    if (b->time >= t) {
      const double f = (t - a->time) / (b->time - a->time);
      return exp((1 - f) * log(a->loss) + f * log(b->loss));
    }
  }
  return gd->records[gd->n_records - 1].loss;
}

/* max over GF records with L > floor of |L_GD(t) − L_GF(t)|/L_GF(t) */
static double gd_gf_gap(const lrs_result *gd, const lrs_result *gf, double floor_) {
  double worst = 0.0;
  for (size_t k = 0; k < gf->n_records; k++) {
    const lrs_record *r = &gf->records[k];
    if (r->loss > floor_)
      worst = fmax(worst, fabs(gd_loss_at(gd, r->time) - r->loss) / r->loss);
  }
  return worst;
}

/* max over GF records with floor < L < 0.99·L0 of |t_GD(L) − t|/t, where
 * t_GD(L) is the time GD first reaches the GF record's loss L (log-linear
 * between records): the time shift between the two curves. */
static double gd_gf_time_gap(const lrs_result *gd, const lrs_result *gf, double floor_) {
  double worst = 0.0;
  for (size_t k = 0; k < gf->n_records; k++) {
    const lrs_record *r = &gf->records[k];
    if (!(r->loss > floor_ && r->loss < 0.99 * gf->summary.loss0))
      continue;
    double tg = NAN;
    for (size_t i = 0; i + 1 < gd->n_records; i++) {
      const lrs_record *a = &gd->records[i], *b = &gd->records[i + 1];
      if (b->loss <= r->loss) {
        const double la = log(a->loss), lb = log(b->loss);
        tg = a->time + (b->time - a->time) * (la - log(r->loss)) / (la - lb);
        break;
      }
    }
    worst = fmax(worst, isnan(tg) ? INFINITY : fabs(tg - r->time) / r->time);
  }
  return worst;
}

/* The GF record time just before `t` (0 if none). */
static double gf_time_before(const lrs_result *gf, double t) {
  double before = 0.0;
  for (size_t k = 0; k < gf->n_records; k++)
    if (gf->records[k].time < t)
      before = gf->records[k].time;
  return before;
}

static void gd_vs_gf(lrs_linalg *la, lrs_init_kind init, double alpha, double horizon,
                     const char *what) {
  lrs_point p = small_point(alpha);
  p.init = init;
  p.method = LRS_METHOD_GF;
  p.horizon = horizon;
  p.records = 60;
  p.ode_stepper = LRS_ODE_RK8PD;
  p.rtol = 1e-11;
  p.atol = 1e-13;
  run_out gf = run(la, &p);
  LRS_CHECK(gf.res->summary.status == LRS_POINT_MAX_TIME,
            "%s: GF (rk8pd) reached t = %g (%lld steps, L = %.3e)", what, horizon,
            (long long)gf.res->summary.iterations, gf.res->summary.final_loss);
  double gap[2];
  const double etas[2] = {1e-4, 2e-4};
  for (int e = 0; e < 2; e++) {
    lrs_point q = p;
    q.method = LRS_METHOD_GD;
    q.step_size = etas[e];
    q.max_iter = (int64_t)llround(horizon / etas[e]);
    q.record_every = 5;
    run_out gd = run(la, &q);
    gap[e] = gd_gf_gap(gd.res, gf.res, 1e-9);
    if (e == 0) {
      LRS_CHECK(gap[0] < 0.03,
                "%s: GD (η = 1e-4) and GF agree at matching times (t = η·steps) to %.1e "
                "relative in L (%.4f in log10 L) down to L = 1e-9",
                what, gap[0], log10(1.0 + gap[0]));
      const double tgap = gd_gf_time_gap(gd.res, gf.res, 1e-9);
      LRS_CHECK(tgap < 1e-3,
                "%s: GD reaches each GF loss level (1e-9 < L < 0.99·L0) at the same time to "
                "%.1e relative",
                what, tgap);
      const double ta = gd.res->summary.lora.align_end * etas[0];
      const double tg = gf.res->summary.lora.align_end;
      LRS_CHECK(init == LRS_INIT_SPECTRAL ? ta == 0.0 && tg == 0.0
                                          : tg >= 0.99 * ta && gf_time_before(gf.res, tg) <
                                                                   1.01 * ta,
                "%s: align_end: GD step %g × η = %.4g; GF: first record past it, t = %.4g",
                what, gd.res->summary.lora.align_end, ta, tg);
    }
    lrs_result_destroy(&gd.res);
  }
  LRS_CHECK(gap[1] / gap[0] > 1.7 && gap[1] / gap[0] < 2.3,
            "%s: the GD–GF gap is first order in η (η = 2e-4: %.2e, ratio %.2f)", what,
            gap[1], gap[1] / gap[0]);

  /* msbdf with the analytic Jacobian (hess_vec) against rk8pd */
  p.ode_stepper = LRS_ODE_MSBDF;
  p.jacobian = LRS_JACOBIAN_ANALYTIC;
  p.horizon = horizon / 3;
  p.rtol = 1e-9;
  p.atol = 1e-12;
  run_out bdf = run(la, &p);
  lrs_point pr = p;
  pr.ode_stepper = LRS_ODE_RK8PD;
  pr.rtol = 1e-11;
  pr.atol = 1e-13;
  run_out rk = run(la, &pr);
  double worst = 0.0;
  const size_t nr = bdf.res->n_records < rk.res->n_records ? bdf.res->n_records
                                                           : rk.res->n_records;
  for (size_t k = 0; k < nr; k++)
    worst = fmax(worst, fabs(bdf.res->records[k].loss - rk.res->records[k].loss) /
                            rk.res->records[k].loss);
  LRS_CHECK(bdf.res->summary.status == LRS_POINT_MAX_TIME && nr == rk.res->n_records &&
                worst < 1e-5,
            "%s: GF msbdf (analytic Jacobian) = rk8pd on %zu records to %.1e", what, nr,
            worst);
  lrs_result_destroy(&bdf.res);
  lrs_result_destroy(&rk.res);
  lrs_result_destroy(&gf.res);
}

/* local_rate buffer: more recorded states than its capacity; the rate of an
 * exact geometric loss sequence survives the decimation. */
static void rate_buffer(lrs_linalg *la) {
  lrs_point p = small_point(1e-3);
  p.init = LRS_INIT_SPECTRAL;
  p.method = LRS_METHOD_GF;
  p.records = 10; /* capacity 64 */
  lrs_model *model = NULL;
  REF_OK(lrs_lora_create(&p, la, &model));
  double L;
  REF_OK(model->ops->eval(model, &L, NULL));
  for (int i = 0; i < 1000; i++) {
    lrs_record rec = lrs_record_unset();
    const lrs_observe obs = {.step = i, .time = 0.5 * i, .loss = 7.0 * pow(0.97, i),
                             .grad_norm2 = 1.0, .finite = true, .discrete = false};
    REF_OK(model->ops->observe(model, &obs, &rec));
  }
  lrs_summary s;
  memset(&s, 0, sizeof s);
  REF_OK(model->ops->summarize(model, &s));
  const double want = pow(0.97, 2.0); /* per unit GF time (Δt = 0.5) */
  LRS_CHECK(lrs_test_close(s.lora.local_rate, want, 1e-10, 0.0),
            "1000 records into a 64-entry buffer: local_rate = %.12f = 0.97² per unit time",
            s.lora.local_rate);
  LRS_CHECK(lrs_test_close(s.lora.final_floor, 7.0 * pow(0.97, 999), 1e-12, 0.0),
            "final_floor = the last observed loss");
  lrs_model_destroy(&model);
}

int main(void) {
  gsl_set_error_handler_off();
  lrs_linalg *la = NULL;
  REF_OK(lrs_linalg_create_local(&la));
  small_init(la);
  spectral_init(la);
  gd_vs_gf(la, LRS_INIT_SPECTRAL, 0.05, 1.0, "spectral α = 0.05");
  gd_vs_gf(la, LRS_INIT_SMALL, 1e-3, 1.5, "small α = 1e-3");
  rate_buffer(la);
  lrs_linalg_destroy(&la);
  return lrs_test_done();
}
