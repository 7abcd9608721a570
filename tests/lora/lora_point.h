/*
 * tests/lora/lora_point.h — a fully resolved LoRA point for the lora tests:
 * the paper's setting (papers.md §2.4) with GD; tests change a few fields.
 */
#ifndef LRSWEEP_TEST_LORA_POINT_H
#define LRSWEEP_TEST_LORA_POINT_H

#include <math.h>

#include "lrsweep/point.h"

static inline lrs_point lrs_test_lora_point(void) {
  lrs_point p = {0};
  p.seed = 20250306;
  p.replicate = 0;
  p.model = LRS_MODEL_LORA;
  p.input_dim = 10;
  p.output_dim = 10;
  p.samples = 0;
  p.width = 100;
  p.data = LRS_DATA_GAUSSIAN;
  p.target = LRS_TARGET_PLANTED;
  p.sigma2 = 0.0;
  p.planted_std = 1.0;
  p.target_rank = 1;
  p.lora_rank = 4;
  p.balance = 1.05;
  p.delta_scale = 5.0;
  p.delta_pair = LRS_PAIR_TOP;
  p.init = LRS_INIT_SMALL;
  p.init_scale = 1e-3;
  p.init_exponent = NAN;
  p.loss = LRS_LOSS_SQUARED;
  p.logistic_lambda = 0.1;
  p.huber_delta = 1.0;
  p.method = LRS_METHOD_GD;
  p.step_rule = LRS_STEP_FIXED;
  p.step_size = 1e-4;
  p.bt_shrink = 0.1;
  p.bt_sufficient = 0.9;
  p.theory_c = 0.5;
  p.theory_d = 1.01;
  p.max_iter = 50000;
  p.horizon = 5.0;
  p.tol = 0.0;
  p.blowup = 1e10;
  p.max_point_seconds = 0.0;
  p.record_every = 100;
  p.records = 100;
  p.ode_stepper = LRS_ODE_RK8PD;
  p.rtol = 1e-10;
  p.atol = 1e-14;
  p.jacobian = LRS_JACOBIAN_ANALYTIC;
  return p;
}

#endif
