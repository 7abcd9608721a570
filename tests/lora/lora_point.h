/*
 * tests/lora/lora_point.h — a fully resolved LoRA point for the lora tests:
 * the paper's setting (papers.md §2.4) with GD; tests change a few fields.
 * It is tests/numerics_point.h's point with the LoRA fields set (data,
 * target and target_rank too: they enter the random streams' seeds).
 */
#ifndef LRSWEEP_TEST_LORA_POINT_H
#define LRSWEEP_TEST_LORA_POINT_H

#include "numerics_point.h"

static inline lrs_point lrs_test_lora_point(void) {
  lrs_point p = lrs_test_point();
  p.seed = 20250306;
  p.model = LRS_MODEL_LORA;
  p.data = LRS_DATA_GAUSSIAN;
  p.target = LRS_TARGET_PLANTED;
  p.sigma2 = 0.0;
  p.target_rank = 1;
  p.init = LRS_INIT_SMALL;
  p.init_scale = 1e-3;
  p.step_rule = LRS_STEP_FIXED;
  p.step_size = 1e-4;
  p.max_iter = 50000;
  p.horizon = 5.0;
  p.record_every = 100;
  p.atol = 1e-14;
  return p;
}

#endif
