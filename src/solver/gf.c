/* Gradient flow θ' = −∇L(θ) with GSL odeiv2 or lrsweep's dop853
 * (src/solver/dop853.h) (lrsweep/solver.h).
 *
 * DISTRIBUTED STATE.  The ODE state y is θ: this rank's local blocks of the
 * model's parameters (lrsweep/model.h), so every rank integrates its own
 * part with the same stepper.  The right-hand side is collective (the
 * model's eval), so all ranks must take exactly the same steps: the
 * step-size control below is GSL's standard one (a_y = 1, a_dydt = 0) with
 * the error norm — the largest ratio |err_i|/D_i — maximized over the
 * backend's ranks (lrs_linalg_max), and the RHS's "non-finite" verdict is
 * reduced the same way.  With one rank it is GSL's standard control step
 * for step.  A rank holding no parameters integrates one dummy zero. */
#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dop853.h"
#include "solver_impl.h"

typedef struct gf_ctx {
  lrs__run *run;
  size_t dim;          /* ODE dimension: max(P, 1) */
  double *v, *hv, *gp; /* P each: Jacobian columns */
  lrs_status err;      /* a model error inside a GSL callback */
  bool nonfinite;      /* the RHS met a non-finite gradient */
  double fd_rel;       /* relative FD step for the fd Jacobian */
  double loss;         /* dop853: L − ℓ* of the last RHS evaluation */
} gf_ctx;

/* f(t, y) = −∇L(y). */
static int rhs(double t, const double y[], double f[], void *params) {
  (void)t;
  gf_ctx *c = params;
  lrs__run *run = c->run;
  memcpy(run->theta, y, run->P * sizeof *y);
  double loss;
  c->err = run->model->ops->eval(run->model, &loss, f);
  run->evals++;
  if (c->err != LRS_OK)
    return GSL_EBADFUNC; /* makes evolve return at once, without retrying */
  double bad = 0.0;
  for (size_t i = 0; i < run->P; i++) {
    f[i] = -f[i];
    if (!isfinite(f[i]))
      bad = 1.0;
  }
  for (size_t i = run->P; i < c->dim; i++)
    f[i] = 0.0; /* the dummy component */
  c->err = lrs_linalg_max(run->model->la, &bad, 1); /* one verdict for the group */
  if (c->err != LRS_OK)
    return GSL_EBADFUNC;
  if (bad > 0.0) {
    c->nonfinite = true;
    return GSL_EBADFUNC;
  }
  return GSL_SUCCESS;
}

/* ------------------------------------------------------------ group control
 * GSL's standard step-size rule (GSL manual, "Adaptive Step-size Control"):
 * D_i = ε_rel(a_y|y_i| + a_dydt h|y'_i|) + ε_abs, E = max_i |err_i|/D_i —
 * here the maximum over the whole group; E > 1.1: h ← h·max(0.2,
 * 0.9E^{−1/q}) and the step is retried; E < 0.5: h ← h·min(5, max(1,
 * 0.9E^{−1/(q+1)})); q the stepper's order. */
typedef struct group_control {
  double eps_abs, eps_rel, a_y, a_dydt;
  const lrs_linalg *la; /* set after gsl_odeiv2_control_alloc */
  lrs_status err;       /* a failed reduction (reported after evolve) */
} group_control;

static void *gc_alloc(void) { return calloc(1, sizeof(group_control)); }

static int gc_init(void *state, double eps_abs, double eps_rel, double a_y, double a_dydt) {
  group_control *g = state;
  if (eps_abs < 0.0 || eps_rel < 0.0 || a_y < 0.0 || a_dydt < 0.0)
    return GSL_EINVAL;
  g->eps_abs = eps_abs;
  g->eps_rel = eps_rel;
  g->a_y = a_y;
  g->a_dydt = a_dydt;
  return GSL_SUCCESS;
}

static int gc_hadjust(void *state, size_t dim, unsigned int ord, const double y[],
                      const double yerr[], const double yp[], double *h) {
  group_control *g = state;
  const double S = 0.9, h_old = *h;
  double rmax = DBL_MIN; /* this rank's largest ratio (NaN ratios are skipped) */
  for (size_t i = 0; i < dim; i++) {
    const double D0 = g->eps_rel * (g->a_y * fabs(y[i]) + g->a_dydt * fabs(h_old * yp[i])) +
                      g->eps_abs;
    const double r = fabs(yerr[i]) / fabs(D0);
    rmax = r > rmax ? r : rmax;
  }
  g->err = lrs_linalg_max(g->la, &rmax, 1); /* the group's error norm */
  if (g->err != LRS_OK)
    return GSL_ODEIV_HADJ_NIL;
  if (rmax > 1.1) { /* decrease, by at most a factor 5 */
    double r = S / pow(rmax, 1.0 / ord);
    if (r < 0.2)
      r = 0.2;
    *h = r * h_old;
    return GSL_ODEIV_HADJ_DEC;
  }
  if (rmax < 0.5) { /* increase, by at most a factor 5, never decrease */
    double r = S / pow(rmax, 1.0 / (ord + 1.0));
    if (r > 5.0)
      r = 5.0;
    if (r < 1.0)
      r = 1.0;
    *h = r * h_old;
    return GSL_ODEIV_HADJ_INC;
  }
  return GSL_ODEIV_HADJ_NIL;
}

static int gc_errlevel(void *state, const double y, const double dydt, const double h,
                       const size_t ind, double *errlev) {
  (void)ind;
  const group_control *g = state;
  *errlev = g->eps_rel * (g->a_y * fabs(y) + g->a_dydt * fabs(h * dydt)) + g->eps_abs;
  return *errlev <= 0.0 ? GSL_EINVAL : GSL_SUCCESS;
}

static int gc_set_driver(void *state, const gsl_odeiv2_driver *d) {
  (void)state;
  (void)d;
  return GSL_SUCCESS;
}

static const gsl_odeiv2_control_type group_control_type = {
    .name = "lrsweep group standard",
    .alloc = gc_alloc,
    .init = gc_init,
    .hadjust = gc_hadjust,
    .errlevel = gc_errlevel,
    .set_driver = gc_set_driver,
    .free = free,
};

/* Replaces the driver's standard control by the group control with the same
 * tolerances (a_y = 1, a_dydt = 0).  Statuses: LRS_ERR_GSL. */
static lrs_status use_group_control(gsl_odeiv2_driver *drv, const lrs_linalg *la,
                                    double atol, double rtol) {
  gsl_odeiv2_control *c = gsl_odeiv2_control_alloc(&group_control_type);
  if (!c)
    return LRS_RAISE(LRS_ERR_GSL, "GSL could not allocate the group step-size control");
  ((group_control *)c->state)->la = la;
  if (gsl_odeiv2_control_init(c, atol, rtol, 1.0, 0.0) != GSL_SUCCESS) {
    gsl_odeiv2_control_free(c);
    return LRS_RAISE(LRS_ERR_GSL, "atol = %g, rtol = %g rejected by the step-size control",
                     atol, rtol);
  }
  gsl_odeiv2_control_free(drv->c);
  drv->c = c;
  gsl_odeiv2_control_set_driver(c, drv);
  return LRS_OK;
}

/* dfdy (row-major P×P) = −∇²L(y): analytic via hess_vec, or central
 * differences of the gradient; dfdt = 0 (autonomous). */
static int jac(double t, const double y[], double *dfdy, double dfdt[], void *params) {
  (void)t;
  gf_ctx *c = params;
  lrs__run *run = c->run;
  lrs_model *m = run->model;
  const size_t P = run->P;
  const bool analytic = run->p->jacobian == LRS_JACOBIAN_ANALYTIC;
  double loss;
  memcpy(run->theta, y, P * sizeof *y);
  c->err = m->ops->eval(m, &loss, c->gp);
  run->evals++;
  if (c->err != LRS_OK)
    return GSL_EBADFUNC;
  for (size_t j = 0; j < P; j++) {
    if (analytic) {
      memset(c->v, 0, P * sizeof *c->v);
      c->v[j] = 1.0;
      c->err = m->ops->hess_vec(m, c->v, c->hv);
      if (c->err != LRS_OK)
        return GSL_EBADFUNC;
      for (size_t i = 0; i < P; i++)
        dfdy[i * P + j] = -c->hv[i];
    } else {
      const double h = c->fd_rel * fmax(1.0, fabs(y[j]));
      run->theta[j] = y[j] + h;
      c->err = m->ops->eval(m, &loss, c->gp);
      if (c->err != LRS_OK)
        return GSL_EBADFUNC;
      run->theta[j] = y[j] - h;
      c->err = m->ops->eval(m, &loss, c->hv);
      run->evals += 2;
      if (c->err != LRS_OK)
        return GSL_EBADFUNC;
      run->theta[j] = y[j];
      for (size_t i = 0; i < P; i++)
        dfdy[i * P + j] = -(c->gp[i] - c->hv[i]) / (2.0 * h);
    }
  }
  for (size_t i = 0; i < P; i++)
    dfdt[i] = 0.0;
  return GSL_SUCCESS;
}

static lrs_status observe_record(lrs__run *run, int64_t k, double t, const double *y,
                                 gf_ctx *c, double *loss_out) {
  lrs_model *m = run->model;
  memcpy(run->theta, y, run->P * sizeof *y);
  double loss, gn2;
  LRS_TRY(m->ops->eval(m, &loss, c->gp));
  LRS_TRY(lrs_model_norm2(m, c->gp, &gn2));
  lrs_record rec = lrs_record_unset();
  rec.step = k;
  rec.time = t;
  rec.loss = loss;
  rec.grad_norm = sqrt(gn2);
  const lrs_observe obs = {.step = k, .time = t, .loss = loss, .grad_norm2 = gn2,
                           .finite = isfinite(loss) && isfinite(gn2), .discrete = false};
  LRS_TRY(m->ops->observe(m, &obs, &rec));
  LRS_TRY(lrs_result_append(run->res, &rec));
  if (isfinite(rec.imbalance_drift) && (isnan(run->res->summary.max_drift) ||
                                        rec.imbalance_drift > run->res->summary.max_drift))
    run->res->summary.max_drift = rec.imbalance_drift;
  *loss_out = loss;
  return LRS_OK;
}

/* ------------------------------------------------------------------ dop853
 * f(t, y) = −∇L(y), keeping the loss of the evaluation: a step's last
 * evaluation is f at its end (FSAL), whose loss the stopping tests use. */
static lrs_status dop_rhs(void *ctx, double t, const double *y, double *f) {
  (void)t;
  gf_ctx *c = ctx;
  lrs__run *run = c->run;
  memcpy(run->theta, y, run->P * sizeof *y);
  LRS_TRY(run->model->ops->eval(run->model, &c->loss, f));
  run->evals++;
  for (size_t i = 0; i < run->P; i++)
    f[i] = -f[i];
  return LRS_OK;
}

/* The error norm's sums over the group (bitwise the same on every rank). */
static lrs_status dop_sum(void *ctx, double *vals, size_t count) {
  const gf_ctx *c = ctx;
  return lrs_linalg_sum(c->run->model->la, vals, count);
}

/* The dop853 run from (0, y): steps are never clipped to record times; the
 * records inside a step come from its 7th-order interpolant (into y), the
 * stopping tests run at every accepted step's end.  Fills *t, *steps, *k
 * (next record number), *loss (at *t), *outcome, msg. */
static lrs_status dop853_run(lrs__run *run, gf_ctx *c, const double *times, size_t nt, double *y,
                             double *t, int64_t *steps, int64_t *k, double *loss,
                             lrs_point_status *outcome, char *msg, size_t msg_len) {
  const lrs_point *p = run->p;
  lrs__dop853 *e = NULL;
  lrs_status st = lrs_linalg_agree(run->model->la, lrs__dop853_create(run->P, &e));
  const lrs__dop853_opts o = {.rtol = p->rtol, .atol = p->atol, .h_init = 0.0,
                              .h_min = LRS_GF_MIN_STEP * p->horizon, .h_max = p->horizon};
  if (st == LRS_OK)
    st = lrs__dop853_start(e, &o, dop_rhs, dop_sum, c, 0.0, y);
  size_t r = 0;            /* the next record time */
  double t_recorded = 0.0; /* time of the last record */
  while (st == LRS_OK) {
    lrs__dop853_outcome so;
    LRS_TRY_GOTO(st, lrs__dop853_step(e, p->horizon, &so), done);
    if (so == LRS__DOP853_NONFINITE) {
      *outcome = LRS_POINT_DIVERGED;
      break;
    }
    if (so == LRS__DOP853_TOO_SMALL) {
      *outcome = LRS_POINT_NUMERICAL_FAILURE;
      snprintf(msg, msg_len, "step size %.3g fell below %g·horizon", e->h, LRS_GF_MIN_STEP);
      break;
    }
    ++*steps;
    *loss = c->loss; /* at the step's end: its FSAL evaluation */
    const double step_loss = *loss;
    for (; r < nt && times[r] < e->t; r++) {
      LRS_TRY_GOTO(st, lrs__dop853_dense(e, times[r], y), done);
      LRS_TRY_GOTO(st, observe_record(run, (*k)++, times[r], y, c, loss), done);
      lrs__levels_update(run, *loss, *steps, times[r], true);
    }
    lrs__levels_update(run, step_loss, *steps, e->t, true);
    LRS_TRY_GOTO(st, lrs__stop_check(run, step_loss, 0.0, outcome), done);
    if (*outcome == LRS_POINT_PENDING)
      LRS_TRY_GOTO(st, lrs__cancel_poll(run, *steps, e->t, step_loss, true), done);
    const bool due = r < nt && times[r] <= e->t;
    if (due)
      r++;
    if (due || *outcome != LRS_POINT_PENDING) {
      LRS_TRY_GOTO(st, observe_record(run, (*k)++, e->t, e->y, c, loss), done);
      t_recorded = e->t;
    }
    if (*outcome != LRS_POINT_PENDING || e->t >= p->horizon)
      break;
  }
  if (st == LRS_OK && *outcome != LRS_POINT_PENDING && t_recorded < e->t)
    st = observe_record(run, (*k)++, e->t, e->y, c, loss); /* the last state before a failure */
done:
  if (e)
    *t = e->t;
  lrs__dop853_destroy(&e);
  return st;
}

lrs_status lrs__gf_run(lrs__run *run) {
  const lrs_point *p = run->p;
  lrs_model *m = run->model;
  lrs_result *res = run->res;
  const size_t P = run->P;
  if (!(p->horizon > 0.0) || !isfinite(p->horizon))
    return LRS_RAISE(LRS_ERR_CONFIG, "horizon = %g must be a positive time", p->horizon);
  if (!(p->rtol >= 0.0) || !(p->atol >= 0.0) || (p->rtol == 0.0 && p->atol == 0.0))
    return LRS_RAISE(LRS_ERR_CONFIG, "rtol = %g, atol = %g: need ≥ 0, not both 0", p->rtol,
                     p->atol);
  if (p->records < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "records = %lld must be ≥ 0", (long long)p->records);
  const gsl_odeiv2_step_type *type = NULL;
  switch (p->ode_stepper) {
  case LRS_ODE_RK8PD:
    type = gsl_odeiv2_step_rk8pd;
    break;
  case LRS_ODE_RKF45:
    type = gsl_odeiv2_step_rkf45;
    break;
  case LRS_ODE_DOP853: /* lrsweep's own, src/solver/dop853.h: no GSL objects */
    break;
  case LRS_ODE_MSBDF:
    type = gsl_odeiv2_step_msbdf;
    if (P > LRS_GF_MSBDF_MAX_PARAMS)
      return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                       "ode_stepper = msbdf needs a dense %zux%zu Jacobian; only problems "
                       "with at most %d parameters are allowed",
                       P, P, LRS_GF_MSBDF_MAX_PARAMS);
    if (lrs_linalg_size(m->la) > 1)
      return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                       "ode_stepper = msbdf needs the dense Jacobian of the whole parameter "
                       "vector, which a distributed backend (%d ranks) does not form; use "
                       "rk8pd or rkf45",
                       lrs_linalg_size(m->la));
    if (p->jacobian == LRS_JACOBIAN_ANALYTIC && !m->ops->hess_vec)
      return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                       "jacobian = analytic: model %s has no Hessian-vector product; use fd",
                       lrs_model_names[m->ops->kind]);
    break;
  default:
    return LRS_RAISE(LRS_ERR_CONFIG, "ode_stepper %d unknown", (int)p->ode_stepper);
  }

  lrs_status st = LRS_OK;
  gf_ctx c = {.run = run, .dim = P ? P : 1, .err = LRS_OK,
              .fd_rel = 6.0554544523933395e-06 /* ε^{1/3} */};
  const size_t dim = c.dim;
  double *y = malloc(dim * sizeof *y);
  c.v = malloc(dim * sizeof *c.v);
  c.hv = malloc(dim * sizeof *c.hv);
  c.gp = malloc(dim * sizeof *c.gp);
  const size_t R = (size_t)p->records;
  double *times = malloc((R + 1) * sizeof *times);
  gsl_odeiv2_driver *drv = NULL;
  if (!y || !c.v || !c.hv || !c.gp || !times)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a gradient flow of %zu parameters", P);
  LRS_TRY_GOTO(st, lrs_linalg_agree(m->la, st), done);
  /* Record times: ~R log-spaced in [f·H, H] (the last is H). */
  size_t nt = 0;
  for (size_t i = 0; i < R; i++) {
    const double frac = R > 1 ? (double)i / (double)(R - 1) : 1.0;
    const double ti = p->horizon * pow(LRS_GF_FIRST_RECORD, 1.0 - frac);
    if (nt == 0 || ti > times[nt - 1])
      times[nt++] = ti;
  }
  if (nt == 0 || times[nt - 1] < p->horizon)
    times[nt++] = p->horizon;
  st = lrs_result_reserve(res, res->n_records + (size_t)lrs_point_max_records(p));

  gsl_odeiv2_system sys = {.function = rhs, .jacobian = jac, .dimension = dim, .params = &c};
  double h0 = 1e-3 * p->horizon * LRS_GF_FIRST_RECORD;
  if (st == LRS_OK && type) {
    drv = gsl_odeiv2_driver_alloc_y_new(&sys, type, h0, p->atol, p->rtol);
    if (!drv)
      st = LRS_RAISE(LRS_ERR_GSL, "GSL could not allocate the %s stepper for %zu equations",
                     lrs_ode_names[p->ode_stepper], dim);
  }
  /* Explicit steppers: the group's error norm (msbdf is one-rank only and
   * keeps GSL's control, which its Newton iterations also consult). */
  if (st == LRS_OK && drv && p->ode_stepper != LRS_ODE_MSBDF)
    st = use_group_control(drv, m->la, p->atol, p->rtol);
  LRS_TRY_GOTO(st, lrs_linalg_agree(m->la, st), done);
  memcpy(y, run->theta, P * sizeof *y);
  for (size_t i = P; i < dim; i++)
    y[i] = 0.0;
  lrs__set_eta0(run, lrs__default_eta0(p, m)); /* step_size or η_max (lrsweep/solver.h) */

  double loss;
  LRS_TRY_GOTO(st, observe_record(run, 0, 0.0, y, &c, &loss), done);
  run->L0 = loss;
  res->summary.loss0 = loss;
  lrs__levels_update(run, loss, 0, 0.0, true);

  double t = 0.0, h = h0;
  int64_t steps = 0, k = 1;
  lrs_point_status outcome = LRS_POINT_PENDING;
  char gsl_msg[160] = "";
  LRS_TRY_GOTO(st, lrs__stop_check(run, loss, 0.0, &outcome), done);
  if (!drv && outcome == LRS_POINT_PENDING) {
    LRS_TRY_GOTO(st, dop853_run(run, &c, times, nt, y, &t, &steps, &k, &loss, &outcome, gsl_msg,
                                sizeof gsl_msg), done);
    goto stopped;
  }
  for (size_t r = 0; r < nt && outcome == LRS_POINT_PENDING; r++) {
    while (t < times[r] && outcome == LRS_POINT_PENDING) {
      const double t_before = t;
      const int rc = gsl_odeiv2_evolve_apply(drv->e, drv->c, drv->s, &sys, &t, times[r], &h, y);
      if (c.err != LRS_OK) {
        st = c.err;
        goto done;
      }
      if (p->ode_stepper != LRS_ODE_MSBDF &&
          (st = ((group_control *)drv->c->state)->err) != LRS_OK)
        goto done;
      if (rc != GSL_SUCCESS) {
        if (c.nonfinite)
          outcome = LRS_POINT_DIVERGED;
        else {
          outcome = LRS_POINT_NUMERICAL_FAILURE;
          snprintf(gsl_msg, sizeof gsl_msg, "%s", gsl_strerror(rc));
        }
        break;
      }
      steps++;
      /* A collapsed step (not one clipped to land on a record time) means the
       * tolerances cannot be met: numerical failure instead of crawling. */
      if (t < times[r] && t - t_before < LRS_GF_MIN_STEP * p->horizon) {
        outcome = LRS_POINT_NUMERICAL_FAILURE;
        snprintf(gsl_msg, sizeof gsl_msg, "step size %.3g fell below %g·horizon", t - t_before,
                 LRS_GF_MIN_STEP);
        break;
      }
      /* Stopping tests at each accepted step (loss only). */
      memcpy(run->theta, y, P * sizeof *y);
      LRS_TRY_GOTO(st, m->ops->eval(m, &loss, NULL), done);
      lrs__levels_update(run, loss, steps, t, true);
      LRS_TRY_GOTO(st, lrs__stop_check(run, loss, 0.0, &outcome), done);
      if (outcome == LRS_POINT_PENDING)
        LRS_TRY_GOTO(st, lrs__cancel_poll(run, steps, t, loss, true), done);
    }
    if (outcome == LRS_POINT_PENDING || t >= times[r]) {
      LRS_TRY_GOTO(st, observe_record(run, k++, t, y, &c, &loss), done);
      if (outcome != LRS_POINT_PENDING)
        goto stopped;
    }
  }
  if (outcome != LRS_POINT_PENDING) /* stopped between record times */
    LRS_TRY_GOTO(st, observe_record(run, k++, t, y, &c, &loss), done);
stopped:
  if (outcome == LRS_POINT_PENDING)
    outcome = LRS_POINT_MAX_TIME;
  res->summary.iterations = steps;
  res->summary.final_time = t;
  res->summary.final_loss = loss;
  switch (outcome) {
  case LRS_POINT_NUMERICAL_FAILURE:
    lrs__set_status(res, outcome, "%s%s%s failed at t = %g: %s", drv ? "GSL odeiv2 (" : "",
                    lrs_ode_names[p->ode_stepper], drv ? ")" : "", t, gsl_msg);
    break;
  default: {
    char at[48];
    snprintf(at, sizeof at, "t = %g", t);
    lrs__set_outcome(run, outcome, at, loss);
  }
  }
  LRS_TRY_GOTO(st, lrs__fit_rate(res, true), done);
done:
  if (drv)
    gsl_odeiv2_driver_free(drv);
  free(y);
  free(c.v);
  free(c.hv);
  free(c.gp);
  free(times);
  return st;
}
