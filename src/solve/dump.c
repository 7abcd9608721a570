/* lrs_solve_dump: a point's problem data and initial weights, by name. */
#include <stdlib.h>

#include "lrsweep/lora.h"
#include "lrsweep/model.h"
#include "lrsweep/solve.h"
#include "lrsweep/two_layer.h"

/* Gathers a matrix into a column-major buffer and emits it. */
static lrs_status emit_mat(lrs_dump_fn emit, void *ctx, const char *name, const lrs_mat *A,
                           const char *doc) {
  size_t rows = lrs_mat_rows(A), cols = lrs_mat_cols(A);
  double *full = malloc((rows * cols > 0 ? rows * cols : 1) * sizeof *full);
  LRS_TRY(LRS_CHECK_ALLOC(full));
  lrs_status st = lrs_mat_get_global(A, full);
  if (st == LRS_OK)
    st = emit(ctx, name, rows, cols, full, doc);
  free(full);
  return st;
}

static lrs_status dump_two_layer(const lrs_model *m, lrs_dump_fn emit, void *ctx) {
  const lrs_problem *P = lrs_two_layer_problem(m);
  LRS_TRY(emit_mat(emit, ctx, "X", P->X, "data X (N×n), rows are samples"));
  LRS_TRY(emit_mat(emit, ctx, "Y", P->Y, "targets Y (N×m); loss ½‖Y − X W1 W2ᵀ‖² for squared"));
  LRS_TRY(emit_mat(emit, ctx, "W1", P->W1_0, "W1(0) (n×h); the model's product is W = W1 W2ᵀ"));
  return emit_mat(emit, ctx, "W2", P->W2_0, "W2(0) (m×h)");
}

static lrs_status dump_lora(lrs_model *m, lrs_dump_fn emit, void *ctx) {
  const lrs_lora_problem *P = lrs_lora_problem_of(m);
  LRS_TRY(emit_mat(emit, ctx, "Y_pre", P->Y_pre, "pre-trained target Y_pre = W2 W1 (m×n)"));
  LRS_TRY(emit_mat(emit, ctx, "dY", P->dY, "fine-tuning change ΔY = σ u vᵀ (m×n)"));
  LRS_TRY(emit_mat(emit, ctx, "W1", P->W1, "pre-trained factor W1 (h×n)"));
  LRS_TRY(emit_mat(emit, ctx, "W2", P->W2, "pre-trained factor W2 (m×h)"));
  LRS_TRY(emit_mat(emit, ctx, "G", P->G, "orthonormal columns G (h×k) of the factors"));
  /* θ = [vec(A1); vec(B1); vec(A2); vec(B2)], each column-major (lora.h). */
  const double *theta = m->ops->params(m);
  const size_t r = P->r, n = P->n, h = P->h, mm = P->m;
  const struct {
    const char *name;
    size_t rows, cols;
    const char *doc;
  } blocks[] = {{"A1", r, n, "initial adapter A1 (r×n); P1 = W1 + B1 A1"},
                {"B1", h, r, "initial adapter B1 (h×r)"},
                {"A2", r, h, "initial adapter A2 (r×h); P2 = W2 + B2 A2"},
                {"B2", mm, r, "initial adapter B2 (m×r); loss ½‖Y_pre + ΔY − P2 P1‖²"}};
  size_t offset = 0;
  for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
    LRS_TRY(emit(ctx, blocks[b].name, blocks[b].rows, blocks[b].cols, theta + offset,
                 blocks[b].doc));
    offset += blocks[b].rows * blocks[b].cols;
  }
  return LRS_OK;
}

lrs_status lrs_solve_dump(const lrs_point *point, lrs_dump_fn emit, void *ctx) {
  lrs_linalg *la = NULL;
  lrs_model *m = NULL;
  lrs_status st = lrs_linalg_create_local(&la);
  if (st == LRS_OK)
    st = lrs_model_create(point, la, &m);
  if (st == LRS_OK)
    st = lrs_two_layer_is(m) ? dump_two_layer(m, emit, ctx) : dump_lora(m, emit, ctx);
  lrs_model_destroy(&m);
  lrs_linalg_destroy(&la);
  return st;
}
