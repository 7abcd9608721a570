/* The point-result struct (lrsweep/result.h). */
#include "lrsweep/result.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LRS__NAME(name, text) text,
const char *const lrs_point_status_names[] = {LRS_POINT_STATUS_LIST(LRS__NAME) NULL};
const char *const lrs_eta_bound_names[] = {LRS_ETA_BOUND_LIST(LRS__NAME) NULL};
#undef LRS__NAME

#define F(name, type) {#name, offsetof(lrs_record, name), type}
#define D(name) F(name, LRS_FIELD_DOUBLE)
const lrs_field lrs_record_fields[] = {
    F(step, LRS_FIELD_INT64), D(time), D(loss), D(grad_norm), D(step_size),
    D(sigma_min2_T), D(sigma_max2_T), D(mu_t), D(K_t), D(rho_t), D(bound_local),
    D(bound_global), D(bound_const), D(imbalance_drift), D(loss_signal), D(loss_noise),
    D(log10_misalign), D(z1_fro), D(z2_fro), D(z1_spec), D(z2_spec), D(z_ratio),
    D(signal_coord),
};
#undef D
#undef F
const size_t lrs_record_field_count = sizeof lrs_record_fields / sizeof lrs_record_fields[0];
/* Every field listed once: the table covers the whole struct. */
_Static_assert(sizeof(lrs_record) == sizeof(int64_t) + 22 * sizeof(double),
               "lrs_record changed: update lrs_record_fields");

const double lrs_result_levels[LRS_RESULT_LEVELS] = {1e-3, 1e-6, 1e-10};

lrs_record lrs_record_unset(void) {
  lrs_record r;
  for (size_t i = 0; i < lrs_record_field_count; i++) {
    char *at = (char *)&r + lrs_record_fields[i].offset;
    if (lrs_record_fields[i].type == LRS_FIELD_DOUBLE)
      *(double *)(void *)at = NAN;
    else
      *(int64_t *)(void *)at = -1;
  }
  return r;
}

static void summary_unset(lrs_summary *s) {
  memset(s, 0, sizeof *s);
  s->status = LRS_POINT_PENDING;
  s->iterations = -1;
  s->rhs_evals = -1;
  s->loss_evals = s->ls_failures = -1;
  s->final_time = s->loss0 = s->final_loss = s->loss_star = NAN;
  s->rate = s->rate_r2 = s->max_drift = s->wall_seconds = NAN;
  s->rate_begin = s->rate_end = -1;
  for (int i = 0; i < LRS_RESULT_LEVELS; i++) {
    s->iters_to[i] = -1;
    s->time_to[i] = NAN;
  }
  lrs_theory *t = &s->theory;
  t->applicable = false;
  t->eta_max_bound = LRS_ETA_BOUND_NONE;
  t->mu = t->K = t->lambda_plus = t->lambda_minus = t->delta_under = NAN;
  t->delta_plus = t->delta_minus = t->beta1 = t->beta2 = NAN;
  t->alpha1 = t->alpha2 = t->mu_bar = t->K_bar0 = NAN;
  t->eta1 = t->eta2 = t->eta_max = t->eta0 = t->rho_bar0 = NAN;
  t->asymptotic_rate = NAN;
  t->beta2_fro = t->alpha2_fro = t->asymptotic_rate_fro = NAN;
  lrs_lora_summary *l = &s->lora;
  l->delta_w = l->sigma_w1 = l->sigma_w2 = l->align_end = NAN;
  l->align_plateau = l->final_floor = l->local_rate = NAN;
}

lrs_status lrs_result_create(size_t capacity, lrs_result **result) {
  *result = NULL;
  lrs_result *r = calloc(1, sizeof *r);
  LRS_TRY(LRS_CHECK_ALLOC(r));
  if (capacity > 0) {
    r->records = malloc(capacity * sizeof *r->records);
    if (!r->records) {
      free(r);
      return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu trajectory records",
                       capacity);
    }
  }
  r->cap_records = capacity;
  summary_unset(&r->summary);
  *result = r;
  return LRS_OK;
}

void lrs_result_destroy(lrs_result **result) {
  if (!result || !*result)
    return;
  free((*result)->records);
  free(*result);
  *result = NULL;
}

void lrs_result_reset(lrs_result *result) {
  result->n_records = 0;
  summary_unset(&result->summary);
}

lrs_status lrs_result_reserve(lrs_result *result, size_t capacity) {
  if (capacity <= result->cap_records)
    return LRS_OK;
  if (capacity > SIZE_MAX / sizeof *result->records)
    return LRS_RAISE(LRS_ERR_NOMEM, "%zu trajectory records do not fit in memory",
                     capacity);
  lrs_record *grown = realloc(result->records, capacity * sizeof *grown);
  if (!grown)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu trajectory records",
                     capacity);
  result->records = grown;
  result->cap_records = capacity;
  return LRS_OK;
}

lrs_status lrs_result_append(lrs_result *result, const lrs_record *rec) {
  if (result->n_records == result->cap_records)
    LRS_TRY(lrs_result_reserve(result, result->cap_records ? 2 * result->cap_records : 64));
  result->records[result->n_records++] = *rec;
  return LRS_OK;
}
