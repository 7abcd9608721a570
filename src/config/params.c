/* The parameter table: every lrs_point field a sweep file can set or vary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/config.h"

#define OFF(field) offsetof(lrs_point, field)
#define INT(name, sec, lo, hi, def, doc) INT_OF(0, name, sec, lo, hi, def, doc)
#define REAL(name, sec, lo, hi, open, unset, def, doc)                         \
  REAL_OF(0, name, sec, lo, hi, open, unset, def, doc)
#define ENUM(name, sec, table, def, doc) ENUM_OF(0, name, sec, table, def, doc)
/* The same for a parameter that acts only with the methods `of`. */
#define INT_OF(of, name, sec, lo, hi, def, doc)                                \
  {#name, sec, LRS_PARAM_INT, OFF(name), NULL, lo, hi, false, false, def, doc, of}
#define REAL_OF(of, name, sec, lo, hi, open, unset, def, doc)                  \
  {#name, sec, LRS_PARAM_REAL, OFF(name), NULL, lo, hi, open, unset, def, doc, of}
#define ENUM_OF(of, name, sec, table, def, doc)                                \
  {#name, sec, LRS_PARAM_ENUM, OFF(name), table, 0, 0, false, false, def, doc, of}
#define GD_ADAM (LRS_PARAM_METHOD(LRS_METHOD_GD) | LRS_PARAM_METHOD(LRS_METHOD_ADAM))
#define GD_ADAM_NONE (GD_ADAM | LRS_PARAM_METHOD(LRS_METHOD_NONE))
#define GF LRS_PARAM_METHOD(LRS_METHOD_GF)
#define ADAM LRS_PARAM_METHOD(LRS_METHOD_ADAM)

static const double BIG = 9007199254740992.0; /* 2^53: exact integers */

/* Canonical order: the grid expands axes in this order, `seed` last. */
static const lrs_param table[] = {
    ENUM(model, "problem", lrs_model_names, LRS_MODEL_TWO_LAYER,
         "two_layer (papers.md §1), lora (§2), reference: GD on W itself (§3.4), or lora_head: "
         "LoRA on a pre-trained classifier head from a data file (§4)"),
    INT(input_dim, "problem", 1, BIG, 10, "n: columns of X / of Y_pre"),
    INT(output_dim, "problem", 1, BIG, 10, "m: columns of Y / rows of Y_pre"),
    INT(samples, "problem", 0, BIG, 0,
        "N: rows of X (two_layer; 0 means N = n); loss = sensing: measurements, ≥ n·m"),
    INT(width, "problem", 1, BIG, 100, "h: hidden width"),
    ENUM(data, "problem", lrs_data_names, LRS_DATA_ORTHOGONAL,
         "X: orthogonal, gaussian, spectrum, identity, or file (data_file)"),
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
         "gaussian or balanced (two_layer, reference); small or spectral (lora, lora_head)"),
    REAL(init_scale, "problem", 0, INFINITY, true, true, 1.0,
         "std of the initial weights (α for lora)"),
    REAL(init_exponent, "problem", 0, INFINITY, false, true, NAN,
         "p: initial std h^-p, i.e. N(0, h^-2p); excludes init_scale"),
    ENUM(loss, "problem", lrs_loss_names, LRS_LOSS_SQUARED,
         "squared, logistic (ℓ2-regularized), huber, sensing (matrix sensing) or softmax "
         "(ℓ2-regularized cross-entropy)"),
    REAL(logistic_lambda, "problem", 0, INFINITY, true, false, 0.1,
         "λ of the logistic and softmax losses"),
    REAL(huber_delta, "problem", 0, INFINITY, true, false, 1.0,
         "threshold δ of the Huber loss"),
    ENUM(method, "solver", lrs_method_names, LRS_METHOD_GD,
         "gd, gf (gradient flow), adam (lr = step_size) or none (theory constants only)"),
    ENUM(step_rule, "solver", lrs_step_rule_names, LRS_STEP_LOCAL,
         "fixed, local, global, backtracking or xu2023"),
    /* GF integrates the flow: no step; only the theory's η0 reads it. */
    REAL_OF(GD_ADAM_NONE, step_size, "solver", 0, INFINITY, true, true, NAN,
            "GD, Adam, none: η (fixed), η0 (local/global/xu2023 bounds; unset: η_max), "
            "η_bt (backtracking), Adam's lr; GF: only the theory's η0"),
    REAL(bt_shrink, "solver", 0, 1, true, false, 0.9,
         "backtracking: η ← τη per shrink (0.9 fits [P1] Fig. 2; App. G.2.1 prints 0.1)"),
    REAL(bt_sufficient, "solver", 0, 1, true, false, 0.5,
         "backtracking: c of the Armijo test (γ of the printed one, 0.9 in App. G.2.1)"),
    ENUM(bt_test, "solver", lrs_bt_test_names, LRS_BT_ARMIJO,
         "backtracking: armijo, L(θ − η∇L) ≤ L − c·η‖∇L‖², or printed (no η; papers.md §3.2)"),
    INT(bt_max_shrinks, "solver", 1, BIG, 1000,
        "backtracking: shrinks per iteration at most, then a line-search failure"),
    REAL_OF(ADAM, adam_beta1, "solver", 0, 1, false, false, 0.9,
         "adam: β1, decay of the gradient's running mean (0 ≤ β1 ≤ 1)"),
    REAL_OF(ADAM, adam_beta2, "solver", 0, 1, false, false, 0.999,
         "adam: β2, decay of the squared gradient's running mean (not [P1]'s β2)"),
    REAL_OF(ADAM, adam_eps, "solver", 0, INFINITY, true, false, 1e-8, "adam: ε added to √v̂"),
    ENUM(xu2023_cap, "solver", lrs_xu_cap_names, LRS_XU_CAP_NONE,
         "xu2023: none, or cap η_t at [P1-2023]'s η_max' (eq. 30)"),
    ENUM(xu2023_grad, "solver", lrs_xu_grad_names, LRS_XU_GRAD_BOUND,
         "xu2023: r_t = √(2KL_t) (bound, as the authors' code) or exact ‖∇ℓ(W_t)‖"),
    REAL(xu2023_c1, "solver", 0, 1, true, false, 0.5, "xu2023 cap: c1 (0 < c1 < 1)"),
    REAL(xu2023_c2, "solver", 1, INFINITY, true, false, 1.5, "xu2023 cap: c2 (c2 > 1)"),
    ENUM(beta2_norm, "solver", lrs_beta2_norm_names, LRS_BETA2_SPECTRAL,
         "β2 with σ_max(W*) (spectral, as printed) or ‖W*‖_F (frobenius, as the figures)"),
    REAL(theory_c, "solver", 0, 1, true, false, 0.5, "c of [P1] §1.5 (0 < c < 1)"),
    REAL(theory_d, "solver", 1, INFINITY, true, false, 1.01, "d of [P1] §1.5 (d > 1)"),
    ENUM(coordinates, "solver", lrs_coords_names, LRS_COORDS_REDUCED,
         "two_layer, h > n + m: reduced (k×k, same iterates, cost independent of h) or full"),
    INT_OF(GD_ADAM, max_iter, "solver", 0, BIG, 1000, "GD, Adam: iterations at most"),
    REAL_OF(GF, horizon, "solver", 0, INFINITY, true, false, 100.0, "GF final time"),
    REAL(tol, "solver", 0, INFINITY, false, false, 1e-24,
         "converged when L − ℓ* ≤ tol (absolute)"),
    REAL(tol_rel, "solver", 0, 1, false, false, 0,
         "also converged when L − ℓ* ≤ tol_rel · (L(0) − ℓ*) (relative; 0: off)"),
    REAL(blowup, "solver", 1, INFINITY, true, false, 1e10,
         "diverged when L > blowup · L(0) or not finite"),
    REAL(max_point_seconds, "solver", 0, INFINITY, false, false, 0,
         "wall-clock limit of one solve, 0 for none"),
    INT_OF(GD_ADAM, record_every, "solver", 0, BIG, 1, "GD, Adam: record every k-th step; 0: log-spaced"),
    INT(records, "solver", 2, 1000000, 200,
        "number of log-spaced records (GF, or GD with record_every = 0)"),
    ENUM_OF(GF, ode_stepper, "solver", lrs_ode_names, LRS_ODE_RK8PD,
         "GF stepper: rk8pd, rkf45, msbdf or dop853"),
    REAL_OF(GF, rtol, "solver", 0, 1, true, false, 1e-10, "GF relative tolerance"),
    REAL_OF(GF, atol, "solver", 0, INFINITY, false, false, 1e-12, "GF absolute tolerance"),
    ENUM_OF(GF, jacobian, "solver", lrs_jacobian_names, LRS_JACOBIAN_ANALYTIC,
            "GF msbdf stepper's Jacobian: analytic or fd"),
    INT(replicate, "sweep", 0, BIG, 0, "the `seed` axis: replicate number"),
};

#undef GD_ADAM
#undef GD_ADAM_NONE
#undef GF
#undef ADAM

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

bool lrs_param_acts(const lrs_param *param, lrs_method method) {
  return param->methods == 0 || (param->methods & LRS_PARAM_METHOD(method)) != 0;
}

lrs_field lrs_param_field(const lrs_param *param) {
  static const lrs_field_type types[] = {[LRS_PARAM_INT] = LRS_FIELD_I64,
                                         [LRS_PARAM_REAL] = LRS_FIELD_F64,
                                         [LRS_PARAM_ENUM] = LRS_FIELD_ENUM};
  return (lrs_field){.name = param->name,
                     .type = types[param->type],
                     .offset = param->offset,
                     .names = param->names,
                     .unit = "",
                     .doc = param->doc};
}

double lrs_param_get(const lrs_point *point, const lrs_param *param) {
  const lrs_field f = lrs_param_field(param);
  return lrs_field_number(&f, point);
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
  lrs_field_format(lrs_param_field(param).type, param->names, value, buf, cap);
}

/* lrs_param_get/set move enums through an int. */
_Static_assert(sizeof(lrs_model_kind) == sizeof(int) && sizeof(lrs_data_kind) == sizeof(int) &&
                   sizeof(lrs_target_kind) == sizeof(int) && sizeof(lrs_init_kind) == sizeof(int) &&
                   sizeof(lrs_loss_kind) == sizeof(int) && sizeof(lrs_step_rule) == sizeof(int) &&
                   sizeof(lrs_method) == sizeof(int) && sizeof(lrs_ode_stepper) == sizeof(int) &&
                   sizeof(lrs_jacobian) == sizeof(int) && sizeof(lrs_pair) == sizeof(int) &&
                   sizeof(lrs_coords) == sizeof(int) && sizeof(lrs_bt_test) == sizeof(int) &&
                   sizeof(lrs_xu_cap) == sizeof(int) && sizeof(lrs_xu_grad) == sizeof(int) &&
                   sizeof(lrs_beta2_norm) == sizeof(int),
               "point enums must be int-sized");
