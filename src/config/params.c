/* The parameter table: every lrs_point field a sweep file can set or vary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/config.h"

#define OFF(field) offsetof(lrs_point, field)
#define INT(name, sec, lo, hi, def, doc)                                       \
  {#name, sec, LRS_PARAM_INT, OFF(name), NULL, lo, hi, false, false, def, doc}
#define REAL(name, sec, lo, hi, open, unset, def, doc)                         \
  {#name, sec, LRS_PARAM_REAL, OFF(name), NULL, lo, hi, open, unset, def, doc}
#define ENUM(name, sec, table, def, doc)                                       \
  {#name, sec, LRS_PARAM_ENUM, OFF(name), table, 0, 0, false, false, def, doc}

static const double BIG = 9007199254740992.0; /* 2^53: exact integers */

/* Canonical order: the grid expands axes in this order, `seed` last. */
static const lrs_param table[] = {
    ENUM(model, "problem", lrs_model_names, LRS_MODEL_TWO_LAYER,
         "two_layer (papers.md §1) or lora (§2)"),
    INT(input_dim, "problem", 1, BIG, 10, "n: columns of X / of Y_pre"),
    INT(output_dim, "problem", 1, BIG, 10, "m: columns of Y / rows of Y_pre"),
    INT(samples, "problem", 0, BIG, 0, "N: rows of X (two_layer; 0 means N = n)"),
    INT(width, "problem", 1, BIG, 100, "h: hidden width"),
    ENUM(data, "problem", lrs_data_names, LRS_DATA_ORTHOGONAL,
         "X: orthogonal, gaussian, spectrum or identity"),
    REAL(data_sv_min, "problem", 0, INFINITY, true, false, 1.8,
         "smallest singular value of X for data = spectrum"),
    REAL(data_sv_max, "problem", 0, INFINITY, true, false, 2.3,
         "largest singular value of X for data = spectrum"),
    ENUM(target, "problem", lrs_target_names, LRS_TARGET_TEACHER,
         "Y: teacher, planted or low_rank"),
    REAL(sigma2, "problem", 0, INFINITY, false, false, 0.01,
         "noise level σ² multiplying ε ~ N(0,1) in Y"),
    REAL(planted_std, "problem", 0, INFINITY, false, false, 0.31622776601683794,
         "std of Θ for target = planted"),
    INT(target_rank, "problem", 1, BIG, 1, "rank of Y for target = low_rank"),
    INT(lora_rank, "problem", 1, BIG, 4, "r: LoRA rank"),
    REAL(balance, "problem", 0, INFINITY, true, false, 1.05,
         "c: balance factor of the pre-trained factors"),
    REAL(delta_scale, "problem", 0, INFINITY, false, false, 5.0,
         "σ of ΔY = σ u vᵀ"),
    ENUM(delta_pair, "problem", lrs_pair_names, LRS_PAIR_TOP,
         "singular pair (u, v) of Y_pre used by ΔY: top or bottom"),
    ENUM(init, "problem", lrs_init_names, LRS_INIT_GAUSSIAN,
         "gaussian or balanced (two_layer); small or spectral (lora)"),
    REAL(init_scale, "problem", 0, INFINITY, true, true, 1.0,
         "std of the initial weights (α for lora)"),
    REAL(init_exponent, "problem", 0, INFINITY, false, true, NAN,
         "p: initial std h^-p, i.e. N(0, h^-2p); excludes init_scale"),
    ENUM(loss, "problem", lrs_loss_names, LRS_LOSS_SQUARED,
         "squared, logistic (ℓ2-regularized) or huber"),
    REAL(logistic_lambda, "problem", 0, INFINITY, true, false, 0.1,
         "λ of the logistic loss"),
    REAL(huber_delta, "problem", 0, INFINITY, true, false, 1.0,
         "threshold δ of the Huber loss"),
    ENUM(method, "solver", lrs_method_names, LRS_METHOD_GD,
         "gd, gf (gradient flow) or none (theory constants only)"),
    ENUM(step_rule, "solver", lrs_step_rule_names, LRS_STEP_LOCAL,
         "fixed, local, global, backtracking or xu2023"),
    REAL(step_size, "solver", 0, INFINITY, true, true, NAN,
         "η (fixed), η0 (local/global; unset: η_max), η_bt (backtracking)"),
    REAL(bt_shrink, "solver", 0, 1, true, false, 0.1, "τ of backtracking"),
    REAL(bt_sufficient, "solver", 0, 1, true, false, 0.9, "γ of backtracking"),
    REAL(theory_c, "solver", 0, 1, true, false, 0.5, "c of [P1] §1.5 (0 < c < 1)"),
    REAL(theory_d, "solver", 1, INFINITY, true, false, 1.01, "d of [P1] §1.5 (d > 1)"),
    ENUM(coordinates, "solver", lrs_coords_names, LRS_COORDS_REDUCED,
         "two_layer, h > n + m: reduced (k×k, same iterates, cost independent of h) or full"),
    INT(max_iter, "solver", 0, BIG, 1000, "GD iterations at most"),
    REAL(horizon, "solver", 0, INFINITY, true, false, 100.0, "GF final time"),
    REAL(tol, "solver", 0, INFINITY, false, false, 1e-24,
         "converged when L − ℓ* ≤ tol"),
    REAL(blowup, "solver", 1, INFINITY, true, false, 1e10,
         "diverged when L > blowup · L(0) or not finite"),
    REAL(max_point_seconds, "solver", 0, INFINITY, false, false, 0,
         "wall-clock limit of one solve, 0 for none"),
    INT(record_every, "solver", 0, BIG, 1, "GD: record every k-th step; 0: log-spaced"),
    INT(records, "solver", 2, BIG, 200, "number of log-spaced records (GF, or GD with record_every = 0)"),
    ENUM(ode_stepper, "solver", lrs_ode_names, LRS_ODE_RK8PD,
         "GF stepper: rk8pd, rkf45, msbdf or dop853"),
    REAL(rtol, "solver", 0, 1, true, false, 1e-10, "GF relative tolerance"),
    REAL(atol, "solver", 0, INFINITY, false, false, 1e-12, "GF absolute tolerance"),
    ENUM(jacobian, "solver", lrs_jacobian_names, LRS_JACOBIAN_ANALYTIC,
         "msbdf Jacobian: analytic or fd"),
    INT(replicate, "sweep", 0, BIG, 0, "the `seed` axis: replicate number"),
};

const lrs_param *lrs_param_table(size_t *count) {
  *count = sizeof table / sizeof table[0];
  return table;
}

const lrs_param *lrs_param_find(const char *name) {
  /* The replicate axis is spelled `seed` in [grid]. */
  if (strcmp(name, "seed") == 0)
    name = "replicate";
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

double lrs_param_get(const lrs_point *point, const lrs_param *param) {
  const char *base = (const char *)point + param->offset;
  switch (param->type) {
  case LRS_PARAM_INT: {
    int64_t v;
    memcpy(&v, base, sizeof v);
    return (double)v;
  }
  case LRS_PARAM_REAL: {
    double v;
    memcpy(&v, base, sizeof v);
    return v;
  }
  case LRS_PARAM_ENUM: {
    int v; /* every lrs_point enum has int's size and representation */
    memcpy(&v, base, sizeof v);
    return v;
  }
  }
  return NAN;
}

void lrs_param_set(lrs_point *point, const lrs_param *param, double value) {
  char *base = (char *)point + param->offset;
  switch (param->type) {
  case LRS_PARAM_INT: {
    int64_t v = (int64_t)value;
    memcpy(base, &v, sizeof v);
    break;
  }
  case LRS_PARAM_REAL:
    memcpy(base, &value, sizeof value);
    break;
  case LRS_PARAM_ENUM: {
    int v = (int)value;
    memcpy(base, &v, sizeof v);
    break;
  }
  }
}

void lrs_param_format(const lrs_param *param, double value, char *buf, size_t cap) {
  switch (param->type) {
  case LRS_PARAM_INT:
    snprintf(buf, cap, "%lld", (long long)value);
    return;
  case LRS_PARAM_ENUM:
    snprintf(buf, cap, "%s", param->names[(int)value]);
    return;
  case LRS_PARAM_REAL:
    if (isnan(value)) {
      snprintf(buf, cap, "nan");
      return;
    }
    /* Shortest %.*g that reads back exactly: stable, human-sized keys. */
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, cap, "%.*g", prec, value);
      if (strtod(buf, NULL) == value)
        return;
    }
    return;
  }
}

/* lrs_param_get/set move enums through an int. */
_Static_assert(sizeof(lrs_model_kind) == sizeof(int) && sizeof(lrs_data_kind) == sizeof(int) &&
                   sizeof(lrs_target_kind) == sizeof(int) && sizeof(lrs_init_kind) == sizeof(int) &&
                   sizeof(lrs_loss_kind) == sizeof(int) && sizeof(lrs_step_rule) == sizeof(int) &&
                   sizeof(lrs_method) == sizeof(int) && sizeof(lrs_ode_stepper) == sizeof(int) &&
                   sizeof(lrs_jacobian) == sizeof(int) && sizeof(lrs_pair) == sizeof(int) &&
                   sizeof(lrs_coords) == sizeof(int),
               "point enums must be int-sized");
