/*
 * tests/model/model_fd.h — a model's gradient (ops->eval) against central
 * differences of its loss, for the tests of every model kind.
 */
#ifndef LRSWEEP_TEST_MODEL_FD_H
#define LRSWEEP_TEST_MODEL_FD_H

#include <math.h>
#include <stdlib.h>

#include "lrsweep/model.h"

/* ‖∇L − FD‖/‖∇L‖ at the model's θ, each entry differenced with the step
 * rel_step·max(1, |θ_i|); θ is left as it was. */
static inline double fd_gradient_error(lrs_model *m, double rel_step) {
  const size_t P = m->ops->param_count(m);
  double *th = m->ops->params(m), *g = malloc(P * sizeof *g);
  double L, Lp, Lm, num = 0.0, den = 0.0;
  m->ops->eval(m, &L, g);
  for (size_t i = 0; i < P; i++) {
    const double x = th[i], h = rel_step * fmax(1.0, fabs(x));
    th[i] = x + h;
    m->ops->eval(m, &Lp, NULL);
    th[i] = x - h;
    m->ops->eval(m, &Lm, NULL);
    th[i] = x;
    const double fd = (Lp - Lm) / (2.0 * h);
    num += (g[i] - fd) * (g[i] - fd);
    den += g[i] * g[i];
  }
  free(g);
  return sqrt(num / den);
}

#endif
