/*
 * Deterministic synthetic results for the store tests: every summary field
 * and every record field gets a distinct "high entropy" value derived from
 * the point index and a variant number (which attempt wrote it).
 */
#ifndef LRSWEEP_TEST_SYNTH_H
#define LRSWEEP_TEST_SYNTH_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lrsweep/result.h"

static inline lrs_point_status synth_status(uint64_t i, int variant) {
  if (variant > 0 && i % 5 == 3)
    return LRS_POINT_CONVERGED; /* a retry that succeeds */
  return i % 5 == 3 ? LRS_POINT_ERROR : i % 7 == 2 ? LRS_POINT_MAX_ITER : LRS_POINT_CONVERGED;
}

static inline size_t synth_records(uint64_t i) { return 3 + (size_t)(i % 6); }

/* Fills *r (reset first, so padding stays zero) for point i. */
static inline void synth_result(uint64_t i, int variant, lrs_result *r) {
  lrs_result_reset(r);
  lrs_summary *s = &r->summary;
  double b = 2.385 + 0.125 * (double)i + 0.0625 * variant;
  s->status = synth_status(i, variant);
  if (s->status == LRS_POINT_ERROR)
    snprintf(s->message, sizeof s->message, "synthetic failure of point %llu, variant %d",
             (unsigned long long)i, variant);
  s->iterations = 100 + (int64_t)i;
  s->final_time = i % 2 ? NAN : b * 1.5;
  s->rhs_evals = 200 + 3 * (int64_t)i;
  s->loss0 = b;
  s->final_loss = b * 1e-20;
  s->loss_star = 0.0;
  s->rate = 0.5 + 0.001 * (double)i;
  s->rate_r2 = 0.999 - 1e-4 * (double)i;
  s->rate_begin = 2;
  s->rate_end = 40 + (int64_t)i;
  for (int k = 0; k < LRS_RESULT_LEVELS; k++) {
    s->iters_to[k] = k == 2 && i % 3 == 0 ? -1 : 10 * (k + 1) + (int64_t)i;
    s->time_to[k] = b + k;
  }
  s->max_drift = b * 1e-3;
  lrs_theory *t = &s->theory;
  t->applicable = i % 4 != 1;
  t->mu = 1.0;
  t->K = 1.0 + 0.01 * (double)i;
  t->lambda_plus = b + 0.1;
  t->lambda_minus = b + 0.2;
  t->delta_under = b + 0.3;
  t->delta_plus = b + 0.4;
  t->delta_minus = b + 0.5;
  t->beta1 = b + 0.6;
  t->beta2 = b + 0.7;
  t->alpha1 = b + 0.8;
  t->alpha2 = b + 0.9;
  t->mu_bar = b + 1.1;
  t->K_bar0 = b + 1.2;
  t->eta1 = b + 1.3;
  t->eta2 = i % 3 ? INFINITY : b + 1.4;
  t->eta_max = b + 1.5;
  t->eta_max_bound = (lrs_eta_bound)(i % LRS_ETA_BOUND_COUNT);
  t->eta0 = b + 1.6;
  t->rho_bar0 = b + 1.7;
  t->asymptotic_rate = b + 1.8;
  lrs_lora_summary *l = &s->lora;
  l->delta_w = b + 2.1;
  l->sigma_w1 = b + 2.2;
  l->sigma_w2 = b + 2.3;
  l->align_end = b + 2.4;
  l->align_plateau = b + 2.5;
  l->final_floor = b + 2.6;
  l->local_rate = b + 2.7;
  s->wall_seconds = 0.001 * (double)(i + 1) + 0.5 * variant;
  size_t n = synth_records(i);
  for (size_t k = 0; k < n; k++) {
    lrs_record rec;
    rec.step = (int64_t)(10 * k);
    /* Every field after `step` is a double (lrsweep/result.h). */
    double *d = &rec.time;
    size_t nd = (sizeof rec - offsetof(lrs_record, time)) / sizeof(double);
    for (size_t f = 0; f < nd; f++)
      d[f] = b * (double)(k + 1) + 0.01 * (double)f;
    lrs_result_append(r, &rec);
  }
}

#endif
