/*
 * tests/solver/d0_norm.h — ‖D(0)‖ = ‖W1ᵀW1 − W2ᵀW2‖ of a point's generated
 * B0 = [W1(0); W2(0)], by plain loops over the h×h imbalance (the independent
 * reference the solver tests hold the recorded drift against).
 */
#ifndef LRSWEEP_TEST_D0_NORM_H
#define LRSWEEP_TEST_D0_NORM_H

#include <math.h>
#include <stdlib.h>

#include "lrsweep/linalg.h"
#include "lrsweep/problem.h"

static inline double d0_norm(const lrs_point *p) {
  lrs_linalg *la = NULL;
  lrs_problem *P = NULL;
  lrs_linalg_create_local(&la);
  lrs_problem_create(p, la, &P);
  const size_t n = P->n, m = P->m, h = P->h, k = n + m;
  double *B = malloc(k * h * sizeof *B), s = 0.0;
  lrs_mat_get_global(P->B0, B);
  for (size_t a = 0; a < h; a++)
    for (size_t b = 0; b < h; b++) {
      double d = 0.0;
      for (size_t r = 0; r < k; r++)
        d += (r < n ? 1.0 : -1.0) * B[r + a * k] * B[r + b * k];
      s += d * d;
    }
  free(B);
  lrs_problem_destroy(&P);
  lrs_linalg_destroy(&la);
  return sqrt(s);
}

#endif
