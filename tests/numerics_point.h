/*
 * tests/numerics_point.h — a fully resolved point for numerics tests and
 * benchmarks: the paper's setting (papers.md §1.7) with small h; tests change
 * a few fields.  (The sweep-file defaults of the config room are the
 * authority for users; this is only a test fixture.)
 */
#ifndef LRSWEEP_TEST_NUMERICS_POINT_H
#define LRSWEEP_TEST_NUMERICS_POINT_H

#include <math.h>

#include "lrsweep/point.h"
#include "lrsweep/solve.h"

static inline lrs_point lrs_test_point(void) {
  lrs_point p = {0};
  p.seed = 20250511;
  p.replicate = 0;
  p.model = LRS_MODEL_TWO_LAYER;
  p.input_dim = 10;
  p.output_dim = 10;
  p.samples = 0;
  p.width = 100;
  p.data = LRS_DATA_ORTHOGONAL;
  p.data_sv_min = 1.8;
  p.data_sv_max = 2.3;
  p.target = LRS_TARGET_TEACHER;
  p.sigma2 = 0.01;
  p.planted_std = 1.0;
  p.target_rank = 2;
  p.lora_rank = 4;
  p.balance = 1.05;
  p.delta_scale = 5.0;
  p.delta_pair = LRS_PAIR_TOP;
  p.init = LRS_INIT_GAUSSIAN;
  p.init_scale = 1.0;
  p.init_exponent = NAN;
  p.loss = LRS_LOSS_SQUARED;
  p.logistic_lambda = 0.1;
  p.huber_delta = 1.0;
  p.method = LRS_METHOD_GD;
  p.step_rule = LRS_STEP_LOCAL;
  p.step_size = NAN;
  p.bt_shrink = 0.1;
  p.bt_sufficient = 0.9;
  p.bt_test = LRS_BT_ARMIJO;
  p.bt_max_shrinks = 1000;
  p.xu2023_cap = LRS_XU_CAP_NONE;
  p.xu2023_grad = LRS_XU_GRAD_BOUND;
  p.xu2023_c1 = 0.5;
  p.xu2023_c2 = 1.5;
  p.beta2_norm = LRS_BETA2_SPECTRAL;
  p.theory_c = 0.5;
  p.theory_d = 1.01;
  p.coordinates = LRS_COORDS_REDUCED;
  p.max_iter = 50;
  p.horizon = 50.0;
  p.tol = 0.0;
  p.blowup = 1e10;
  p.max_point_seconds = 0.0;
  p.record_every = 1;
  p.records = 100;
  p.ode_stepper = LRS_ODE_RK8PD;
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.jacobian = LRS_JACOBIAN_ANALYTIC;
  return p;
}

/* The solver tests' small problem: n = 4, m = 3, N = 6 gaussian data, h = 12
 * (noisy targets, init std 0.5); tests set the method and its fields. */
static inline lrs_point lrs_test_small_point(void) {
  lrs_point p = lrs_test_point();
  p.input_dim = 4;
  p.output_dim = 3;
  p.samples = 6;
  p.width = 12;
  p.data = LRS_DATA_GAUSSIAN;
  p.init_scale = 0.5;
  p.sigma2 = 0.2;
  return p;
}

/* Solves p on MPI_COMM_SELF into a new result (the caller destroys it);
 * *st is lrs_solve_point's status. */
static inline lrs_result *lrs_test_solve(const lrs_point *p, lrs_status *st) {
  lrs_result *r = NULL;
  lrs_result_create(16, &r);
  *st = lrs_solve_point(p, MPI_COMM_SELF, r);
  return r;
}

#endif
