/* The solver's entry point (lrsweep/solver.h): GD, GF or theory only. */
#include <math.h>
#include <stdlib.h>

#include "solver_impl.h"

lrs_status lrs_solver_run(lrs_model *model, const lrs_point *point, double deadline,
                          lrs_result *result) {
  lrs_status st = LRS_OK;
  lrs__run run = {.model = model, .p = point, .res = result, .deadline = deadline,
                  .P = model->ops->param_count(model), .theta = model->ops->params(model),
                  .poll_every = 1, .poll_last = lrs_now()};
  if (!(point->tol >= 0.0) || !(point->blowup > 0.0))
    return LRS_RAISE(LRS_ERR_CONFIG, "tol = %g must be ≥ 0 and blowup = %g > 0", point->tol,
                     point->blowup);
  double *own_grad = NULL; /* when the model has no gradient storage to lend */
  if (model->ops->grad_storage) {
    run.grad = model->ops->grad_storage(model);
  } else {
    LRS_TRY(lrs__alloc_doubles(&run, run.P, &own_grad));
    run.grad = own_grad;
  }
  result->summary.loss_evals = result->summary.ls_failures = 0; /* GD sets its own */
  switch (point->method) {
  case LRS_METHOD_GD:
  case LRS_METHOD_ADAM: /* the GD loop with Adam's update (adam.c) */
    LRS_TRY_GOTO(st, lrs__gd_run(&run), done);
    break;
  case LRS_METHOD_GF:
    LRS_TRY_GOTO(st, lrs__gf_run(&run), done);
    break;
  case LRS_METHOD_NONE: {
    double loss;
    LRS_TRY_GOTO(st, model->ops->eval(model, &loss, NULL), done);
    result->summary.loss0 = result->summary.final_loss = loss;
    lrs__set_eta0(&run, lrs__default_eta0(point, model));
    lrs__set_status(result, LRS_POINT_THEORY_ONLY, "%s", "");
    break;
  }
  default:
    st = LRS_RAISE(LRS_ERR_CONFIG, "method %d unknown", (int)point->method);
    goto done;
  }
  result->summary.rhs_evals = run.evals;
  LRS_TRY_GOTO(st, model->ops->summarize(model, &result->summary), done);
  /* Raw losses: the records and the loop work with L − ℓ*. */
  if (isfinite(result->summary.loss_star)) {
    result->summary.loss0 += result->summary.loss_star;
    result->summary.final_loss += result->summary.loss_star;
  }
done:
  free(own_grad);
  /* Local failures after the last collective call (the rate fit's arrays):
   * every rank of a group reports the same status. */
  return lrs_linalg_agree(model->la, st);
}
