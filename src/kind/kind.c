/* The kinds catalog (lrsweep/kind.h): lookups generated from the kind lists
 * of lrsweep/point.h, and the generic rules between kinds. */
#include "lrsweep/kind.h"
#include "lrsweep/result.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lrsweep/loss.h"

#define LRS__DECLARE_MODEL(name, text, row) extern const lrs_model_type row;
#define LRS__DECLARE_LOSS(name, text, row) extern const lrs_loss_ops row;
#define LRS__DECLARE_RULE(name, text, row) extern const lrs_step_rule_type row;
LRS_MODEL_LIST(LRS__DECLARE_MODEL)
LRS_LOSS_LIST(LRS__DECLARE_LOSS)
LRS_STEP_RULE_LIST(LRS__DECLARE_RULE)
#undef LRS__DECLARE_MODEL
#undef LRS__DECLARE_LOSS
#undef LRS__DECLARE_RULE

#define LRS__ROW(name, text, row) [name] = &row,
static const lrs_model_type *const models[LRS_MODEL_COUNT] = {LRS_MODEL_LIST(LRS__ROW)};
static const lrs_loss_ops *const losses[LRS_LOSS_COUNT] = {LRS_LOSS_LIST(LRS__ROW)};
static const lrs_step_rule_type *const rules[LRS_STEP_RULE_COUNT] = {
    LRS_STEP_RULE_LIST(LRS__ROW)};
#undef LRS__ROW

const lrs_model_type *lrs_model_type_of(lrs_model_kind kind) {
  return (unsigned)kind < LRS_MODEL_COUNT ? models[kind] : NULL;
}
const lrs_loss_ops *lrs_loss_type_of(lrs_loss_kind kind) {
  return (unsigned)kind < LRS_LOSS_COUNT ? losses[kind] : NULL;
}
const lrs_step_rule_type *lrs_step_rule_type_of(lrs_step_rule rule) {
  return (unsigned)rule < LRS_STEP_RULE_COUNT ? rules[rule] : NULL;
}

bool lrs_violate(lrs_violation *v, lrs_status code, const char *param, const char *fmt, ...) {
  v->code = code;
  v->param = param;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->what, sizeof v->what, fmt, ap);
  va_end(ap);
  return false;
}

/* "a, b or c" (last = " or ") or "a, b, c" (last = ", "): the names whose
 * LRS_KIND_BIT is in mask. */
static void join_names(const char *const *names, int count, uint32_t mask, const char *last,
                       char *buf, size_t cap) {
  int total = 0, done = 0;
  for (int i = 0; i < count; i++)
    total += (mask & LRS_KIND_BIT(i)) != 0;
  buf[0] = '\0';
  for (int i = 0; i < count; i++) {
    if (!(mask & LRS_KIND_BIT(i)))
      continue;
    const size_t len = strlen(buf);
    snprintf(buf + len, cap - len, "%s%s", done == 0 ? "" : done + 1 == total ? last : ", ",
             names[i]);
    done++;
  }
}

bool lrs_kind_check_model(const lrs_point *p, lrs_violation *v) {
  const lrs_model_type *model = lrs_model_type_of(p->model);
  if (!model)
    return lrs_violate(v, LRS_ERR_CONFIG, "model", "model kind %d unknown", (int)p->model);
  if (!lrs_loss_type_of(p->loss))
    return lrs_violate(v, LRS_ERR_CONFIG, "loss", "loss kind %d unknown", (int)p->loss);
  if ((unsigned)p->init >= LRS_INIT_COUNT)
    return lrs_violate(v, LRS_ERR_CONFIG, "init", "init kind %d unknown", (int)p->init);
  if (p->data == LRS_DATA_FILE && !model->data_file)
    return lrs_violate(v, LRS_ERR_CONFIG, "data",
                       "data = \"file\": model %s does not read a data file (it makes its own "
                       "data)", lrs_model_names[p->model]);
  if (p->data == LRS_DATA_FILE && lrs_loss_type_of(p->loss)->vectorized)
    return lrs_violate(v, LRS_ERR_CONFIG, "data",
                       "data = \"file\": loss %s draws its own sensing operator",
                       lrs_loss_names[p->loss]);
  if (model->check && !model->check(p, v))
    return false;
  char list[256], others[256];
  if (!(model->inits & LRS_KIND_BIT(p->init))) {
    uint32_t takers = 0;
    for (int i = 0; i < LRS_MODEL_COUNT; i++)
      if (models[i]->inits & LRS_KIND_BIT(p->init))
        takers |= LRS_KIND_BIT(i);
    join_names(lrs_init_names, LRS_INIT_COUNT, model->inits, " or ", list, sizeof list);
    join_names(lrs_model_names, LRS_MODEL_COUNT, takers, " or ", others, sizeof others);
    return lrs_violate(v, LRS_ERR_CONFIG, "init", "init = \"%s\" is for %s; model %s takes %s",
                       lrs_init_names[p->init], others, lrs_model_names[p->model], list);
  }
  if (!(model->losses & LRS_KIND_BIT(p->loss))) {
    join_names(lrs_loss_names, LRS_LOSS_COUNT, model->losses, " or ", list, sizeof list);
    return lrs_violate(v, LRS_ERR_CONFIG, "loss", "model %s trains the %s loss only, not %s",
                       lrs_model_names[p->model], list, lrs_loss_names[p->loss]);
  }
  const lrs_loss_ops *loss = lrs_loss_type_of(p->loss);
  return !loss->check_point || loss->check_point(p, v);
}

bool lrs_kind_check_method(const lrs_point *p, lrs_violation *v) {
  if (p->method == LRS_METHOD_ADAM) /* any model and loss; papers.md §4 */
    return isfinite(p->step_size) && p->step_size > 0.0
               ? (p->adam_beta1 < 1.0 && p->adam_beta2 < 1.0) ||
                     lrs_violate(v, LRS_ERR_CONFIG, p->adam_beta1 < 1.0 ? "adam_beta2" : "adam_beta1",
                                 "method = \"adam\" needs adam_beta1, adam_beta2 < 1 (the bias "
                                 "correction divides by 1 − β^t)")
               : lrs_violate(v, LRS_ERR_CONFIG, "method",
                             "method = \"adam\" needs step_size (> 0), its learning rate");
  if (p->method != LRS_METHOD_GD)
    return true;
  const lrs_step_rule_type *rule = lrs_step_rule_type_of(p->step_rule);
  if (!rule)
    return lrs_violate(v, LRS_ERR_CONFIG, "step_rule", "step_rule %d unknown",
                       (int)p->step_rule);
  const char *name = lrs_step_rule_names[p->step_rule];
  char list[256], others[256];
  uint32_t implemented = 0, without_p1 = 0, p1_models = 0, covered = 0;
  for (int i = 0; i < LRS_STEP_RULE_COUNT; i++) {
    implemented |= rules[i]->choose ? LRS_KIND_BIT(i) : 0;
    without_p1 |= rules[i]->choose && !rules[i]->needs_p1 ? LRS_KIND_BIT(i) : 0;
  }
  for (int i = 0; i < LRS_MODEL_COUNT; i++)
    p1_models |= models[i]->p1_theory ? LRS_KIND_BIT(i) : 0;
  for (int i = 0; i < LRS_LOSS_COUNT; i++)
    covered |= losses[i]->covered ? LRS_KIND_BIT(i) : 0;
  if (!rule->choose) {
    join_names(lrs_step_rule_names, LRS_STEP_RULE_COUNT, implemented, " or ", list, sizeof list);
    return lrs_violate(v, LRS_ERR_UNSUPPORTED, "step_rule",
                       "step_rule = \"%s\" is not implemented (papers.md §1.6 lists it as "
                       "optional); use %s",
                       name, list);
  }
  if (rule->needs_p1 && !lrs_model_type_of(p->model)->p1_theory) {
    join_names(lrs_model_names, LRS_MODEL_COUNT, p1_models, " or ", list, sizeof list);
    join_names(lrs_step_rule_names, LRS_STEP_RULE_COUNT, without_p1, " or ", others, sizeof others);
    return lrs_violate(v, LRS_ERR_UNSUPPORTED, "step_rule",
                       "step_rule = \"%s\" uses [P1] theory, defined for %s only; model %s "
                       "takes %s",
                       name, list, lrs_model_names[p->model], others);
  }
  const lrs_loss_ops *loss = lrs_loss_type_of(p->loss);
  if (rule->needs_p1 && !loss->covered) {
    join_names(lrs_loss_names, LRS_LOSS_COUNT, covered, ", ", list, sizeof list);
    return lrs_violate(v, LRS_ERR_UNSUPPORTED, "step_rule",
                       "step_rule = \"%s\" needs a loss covered by [P1] (%s); %s is %s", name,
                       list, lrs_loss_names[p->loss], loss->uncovered_why);
  }
  if (rule->losses && !(rule->losses & LRS_KIND_BIT(p->loss))) {
    join_names(lrs_loss_names, LRS_LOSS_COUNT, rule->losses, " or ", list, sizeof list);
    return lrs_violate(v, LRS_ERR_UNSUPPORTED, "step_rule",
                       "step_rule = \"%s\" is defined for the %s loss only, not %s", name, list,
                       lrs_loss_names[p->loss]);
  }
  return !rule->check || rule->check(p, v);
}

bool lrs_kind_check_point(const lrs_point *p, lrs_violation *v) {
  if (!lrs_kind_check_model(p, v))
    return false;
  if (p->method == LRS_METHOD_GD && (unsigned)p->step_rule < LRS_STEP_RULE_COUNT &&
      rules[p->step_rule]->needs_step_size && isnan(p->step_size) &&
      !models[p->model]->default_step)
    return lrs_violate(v, LRS_ERR_CONFIG, "step_rule",
                       "step_rule = \"%s\" needs step_size (> 0) in [solver] or [grid]",
                       lrs_step_rule_names[p->step_rule]);
  return lrs_kind_check_method(p, v);
}

static lrs_status raise(bool ok, const lrs_violation *v) {
  return ok ? LRS_OK : LRS_RAISE(v->code, "%s", v->what);
}
lrs_status lrs_kind_model_ok(const lrs_point *p) {
  lrs_violation v;
  return raise(lrs_kind_check_model(p, &v), &v);
}
lrs_status lrs_kind_method_ok(const lrs_point *p) {
  lrs_violation v;
  return raise(lrs_kind_check_method(p, &v), &v);
}

int64_t lrs_point_solve_width(const lrs_point *p) {
  return lrs_model_type_of(p->model)->solve_width(p);
}

double lrs_point_cost(const lrs_point *p) {
  double per_eval = 0.0, setup = 0.0, evals;
  lrs_model_type_of(p->model)->cost(p, &per_eval, &setup);
  switch (p->method) {
  case LRS_METHOD_NONE:
    evals = 1;
    break;
  case LRS_METHOD_ADAM:
    evals = (double)p->max_iter;
    break;
  case LRS_METHOD_GF:
    /* Unknown step count: an rk8pd step is 13 evaluations; assume ~10 steps
     * per unit of log-time between records. */
    evals = 13.0 * 10.0 * (double)p->records;
    break;
  default:
    evals = (double)p->max_iter * lrs_step_rule_type_of(p->step_rule)->evals_per_step;
    break;
  }
  return setup + per_eval * (evals + 1);
}

int64_t lrs_point_max_records(const lrs_point *p) {
  /* GD and Adam, k > 0: the steps 0, k, 2k, ... before the last iteration
   * (⌈max_iter/k⌉ ≤ ⌊max_iter/k⌋ + 1) and the final state.  Log-spaced (GF,
   * or k = 0): t = 0, at most max(records, 1) distinct record times or steps
   * (the last of them the horizon or max_iter, which the final state takes),
   * and a stop between two of them. */
  if (p->method != LRS_METHOD_GF && p->record_every > 0)
    return p->max_iter / p->record_every + 2;
  return (p->records > 1 ? p->records : 1) + 1;
}

double lrs_point_memory(const lrs_point *p) {
  const double nm = (double)(p->input_dim + p->output_dim);
  /* The loop's ~10 copies at the solve width; a set-up at a narrower one
   * still makes the h-wide W1(0), W2(0), B(0)ᵀ and its basis (3 copies). */
  const double loop = 8.0 * 10.0 * nm * (double)lrs_point_solve_width(p),
               setup = 8.0 * 3.0 * nm * (double)p->width;
  return (loop > setup ? loop : setup) + lrs_loss_memory(p) +
         (double)lrs_point_max_records(p) * (double)sizeof(lrs_record);
}
