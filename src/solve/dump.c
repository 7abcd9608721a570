/* lrs_solve_dump: a point's problem data and initial weights, by name. */
#include "lrsweep/solve.h"

lrs_status lrs_solve_dump(const lrs_point *point, lrs_dump_fn emit, void *ctx) {
  lrs_linalg *la = NULL;
  lrs_model *m = NULL;
  lrs_status st = lrs_linalg_create_local(&la);
  if (st == LRS_OK)
    st = lrs_model_create(point, la, &m);
  if (st == LRS_OK)
    st = m->ops->dump(m, emit, ctx);
  lrs_model_destroy(&m);
  lrs_linalg_destroy(&la);
  return st;
}
