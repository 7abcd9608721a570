/* The non-overparametrized reference model: GD and GF on W ∈ R^{n×m} itself,
 * minimizing ℓ(W) (papers.md §1.1, §3.4; [P1] App. G.2's reference run). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/kind.h"
#include "lrsweep/loss.h"
#include "lrsweep/model.h"
#include "lrsweep/problem.h"
#include "model_private.h"

typedef struct ref {
  lrs_problem *P; /* owned: the two_layer draws of the same point */
  lrs_loss *loss; /* owned */
  lrs_mat *W, *G; /* θ = W (n×m) and ∇ℓ(W) */
  size_t n_local; /* this rank's entries of W */
  double star, no_entries;
} ref;

static ref *impl(const lrs_model *m) { return m->impl; }

static size_t op_param_count(const lrs_model *m) { return impl(m)->n_local; }
static double *op_params(lrs_model *m) { return lrs_mat_local(impl(m)->W).data; }
static double *op_grad_storage(lrs_model *m) {
  ref *t = impl(m);
  return t->n_local ? lrs_mat_local(t->G).data : &t->no_entries;
}

static lrs_status op_eval(lrs_model *m, double *excess, double *grad) {
  ref *t = impl(m);
  double v;
  LRS_TRY(lrs_loss_eval(t->loss, t->W, &v, t->G));
  LRS_TRY(lrs_loss_excess(t->loss, v, excess));
  const double *g = lrs_mat_local(t->G).data;
  if (grad && grad != g)
    memcpy(grad, g, t->n_local * sizeof *grad);
  return LRS_OK;
}

/* No record fields beyond the solver's (loss, ‖∇ℓ‖, η). */
static lrs_status op_observe(lrs_model *m, const lrs_observe *obs, lrs_record *rec) {
  return LRS_OK;
}

/* The default step 1/K (= 1/σ²_max(X) for the squared loss, App. G.2). */
static double op_eta_max(const lrs_model *m) { return 1.0 / lrs_loss_K(impl(m)->loss); }

static lrs_status op_dump(lrs_model *m, lrs_dump_fn emit, void *ctx) {
  const ref *t = impl(m);
  LRS_TRY(lrs__model_emit_data(emit, ctx, t->P, t->loss, "W"));
  return lrs_model_emit_mat(emit, ctx, "W", t->W, "W(0) = W1(0) W2(0)ᵀ (n×m) of the same draws");
}

static lrs_status op_summarize(lrs_model *m, lrs_summary *s) {
  return lrs__model_summarize_untheorized(impl(m)->loss, impl(m)->star, s);
}

static void op_destroy(lrs_model *m) {
  ref *t = impl(m);
  if (!t)
    return;
  lrs_mat_destroy(&t->W);
  lrs_mat_destroy(&t->G);
  lrs_loss_destroy(&t->loss);
  lrs_problem_destroy(&t->P);
  free(t);
  m->impl = NULL;
}

static const lrs_model_ops reference_ops = {
    .kind = LRS_MODEL_REFERENCE,
    .param_count = op_param_count,
    .params = op_params,
    .eval = op_eval,
    .grad_storage = op_grad_storage,
    .observe = op_observe,
    .eta_max = op_eta_max,
    .dump = op_dump,
    .summarize = op_summarize,
    .destroy = op_destroy,
};

/* ------------------------------------------------------------ the catalog row */

static lrs_status init(const lrs_point *point, lrs_model *shell) {
  ref *t = calloc(1, sizeof *t);
  LRS_TRY(lrs_linalg_agree(shell->la, LRS_CHECK_ALLOC(t)));
  shell->ops = &reference_ops;
  shell->impl = t;
  /* The draws of the two_layer point with the same parameters (its
   * problem's width h included): X, Y and W(0) = W1(0)W2(0)ᵀ. */
  lrs_point p = *point;
  p.model = LRS_MODEL_TWO_LAYER;
  LRS_TRY(lrs_problem_create(&p, shell->la, &t->P));
  const size_t n = t->P->n, m = t->P->m;
  LRS_TRY(lrs_mat_create(shell->la, n, m, &t->W));
  LRS_TRY(lrs_mat_create(shell->la, n, m, &t->G));
  const lrs_mat_block b = lrs_mat_local(t->W);
  t->n_local = b.rows * b.cols;
  const lrs_loss_params lp = {.kind = point->loss,
                              .lambda = point->logistic_lambda,
                              .delta = point->huber_delta};
  LRS_TRY(lrs_loss_create(&lp, t->P->X, t->P->Y, m, &t->loss));
  LRS_TRY(lrs_loss_minimize(t->loss, NULL, t->W, &t->star)); /* W is scratch here */
  return lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, t->P->W1_0, t->P->W2_0, 0.0, t->W);
}

/* The same data rules as two_layer's draws (square data, spectrum N ≥ n). */
static bool check(const lrs_point *p, lrs_violation *v) {
  lrs_point q = *p;
  q.model = LRS_MODEL_TWO_LAYER;
  return lrs_model_type_of(LRS_MODEL_TWO_LAYER)->check(&q, v);
}

static int64_t solve_width(const lrs_point *p) { return p->output_dim; }

static void cost(const lrs_point *p, double *per_eval, double *setup) {
  const double n = (double)p->input_dim, m = (double)p->output_dim, h = (double)p->width;
  const double N = p->samples > 0 ? (double)p->samples : n;
  *per_eval = 4 * N * n * m;   /* XW and Xᵀ(XW − Y) */
  *setup = 2 * n * m * h;      /* W1(0)W2(0)ᵀ */
}

const lrs_model_type lrs_reference_type = {
    .inits = LRS_KIND_BIT(LRS_INIT_GAUSSIAN) | LRS_KIND_BIT(LRS_INIT_BALANCED),
    .losses = UINT32_MAX, /* every loss: ℓ is reached through lrsweep/loss.h only */
    .p1_theory = false,
    .default_step = true,
    .data_file = true,
    .check = check,
    .solve_width = solve_width,
    .cost = cost,
    .init = init,
};
