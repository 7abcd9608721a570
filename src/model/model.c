/* The model shell and its one construction path (lrsweep/model.h). */
#include "lrsweep/model.h"

#include <stdio.h>
#include <stdlib.h>

#include "lrsweep/kind.h"
#include "model_private.h"

lrs_status lrs_model_shell_create(lrs_linalg *la, lrs_model **model) {
  *model = calloc(1, sizeof **model);
  LRS_TRY(lrs_linalg_agree(la, LRS_CHECK_ALLOC(*model)));
  (*model)->la = la;
  return LRS_OK;
}

lrs_status lrs_model_create(const lrs_point *point, lrs_linalg *la, lrs_model **model) {
  *model = NULL;
  LRS_TRY(lrs_kind_model_ok(point));
  LRS_TRY(lrs_model_shell_create(la, model));
  const lrs_status st = lrs_model_type_of(point->model)->init(point, *model);
  if (st != LRS_OK)
    lrs_model_destroy(model);
  return st;
}

void lrs_model_destroy(lrs_model **model) {
  if (!model || !*model)
    return;
  if ((*model)->ops && (*model)->ops->destroy)
    (*model)->ops->destroy(*model);
  free(*model);
  *model = NULL;
}

lrs_status lrs_model_emit_mat(lrs_dump_fn emit, void *ctx, const char *name, const lrs_mat *A,
                              const char *doc) {
  const size_t rows = lrs_mat_rows(A), cols = lrs_mat_cols(A);
  double *full = malloc((rows * cols > 0 ? rows * cols : 1) * sizeof *full);
  LRS_TRY(LRS_CHECK_ALLOC(full));
  lrs_status st = lrs_mat_get_global(A, full);
  if (st == LRS_OK)
    st = emit(ctx, name, rows, cols, full, doc);
  free(full);
  return st;
}

lrs_status lrs__model_summarize_untheorized(const lrs_loss *loss, double star, lrs_summary *s) {
  s->loss_star = star;
  s->theory.applicable = false;
  s->theory.mu = lrs_loss_mu(loss);
  s->theory.K = lrs_loss_K(loss);
  return LRS_OK;
}

void lrs__model_key_loss(lrs_setup_key *key, const lrs_loss_params *lp) {
  lrs_setup_key_add(key, (uint64_t)lp->kind);
  lrs_setup_key_add_double(key, lp->lambda);
  lrs_setup_key_add_double(key, lp->delta);
  const lrs_loss_kind k = lp->kind;
  if (k != LRS_LOSS_SQUARED && k != LRS_LOSS_LOGISTIC && k != LRS_LOSS_HUBER &&
      k != LRS_LOSS_SENSING && k != LRS_LOSS_SOFTMAX)
    lrs_setup_key_invalidate(key);
}

lrs_status lrs__model_minimize_kept(lrs_loss *loss, const lrs_setup_key *key, lrs_mat *Wstar,
                                    double *star) {
  const size_t nm = lrs_mat_rows(Wstar) * lrs_mat_cols(Wstar);
  const bool keep = key && lrs_setup_key_valid(key);
  const double *hit = keep ? lrs_setup_cache_get(key, (nm + 1) * sizeof *hit) : NULL;
  if (hit) {
    *star = hit[nm];
    LRS_TRY(lrs_mat_set_global(Wstar, hit));
    return lrs_loss_set_minimum(loss, Wstar, *star);
  }
  LRS_TRY(lrs_loss_minimize(loss, NULL, Wstar, star));
  if (!keep)
    return LRS_OK;
  double *entry = malloc((nm + 1) * sizeof *entry);
  LRS_TRY(LRS_CHECK_ALLOC(entry));
  const lrs_status st = lrs_mat_get_global(Wstar, entry);
  entry[nm] = *star;
  if (st == LRS_OK)
    lrs_setup_cache_put(key, entry, (nm + 1) * sizeof *entry);
  free(entry);
  return st;
}

lrs_status lrs__model_emit_data(lrs_dump_fn emit, void *ctx, const lrs_problem *P,
                                const lrs_loss *loss, const char *product) {
  char doc[128];
  if (lrs_loss_ops_of(loss)->vectorized) { /* sensing (lrsweep/problem.h) */
    snprintf(doc, sizeof doc, "measurements y (N×1); loss ½‖X vec(%s) − y‖²", product);
    LRS_TRY(lrs_model_emit_mat(emit, ctx, "X", P->X,
                               "sensing operator (N×nm), row i = vec(A_i)ᵀ column-major"));
    return lrs_model_emit_mat(emit, ctx, "Y", P->Y, doc);
  }
  snprintf(doc, sizeof doc, "targets Y (N×m); loss ½‖Y − X %s‖² for squared", product);
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "X", P->X, "data X (N×n), rows are samples"));
  return lrs_model_emit_mat(emit, ctx, "Y", P->Y, doc);
}

lrs_status lrs_model_norm2(const lrs_model *m, const double *v, double *out) {
  const size_t P = m->ops->param_count(m), lanes = 8, body = P - P % lanes;
  /* Eight independent partial sums (a fixed order, so still reproducible),
   * which the compiler keeps in SIMD registers. */
  double acc[8] = {0.0};
  for (size_t i = 0; i < body; i += lanes)
    for (size_t j = 0; j < lanes; j++)
      acc[j] += v[i + j] * v[i + j];
  for (size_t i = body; i < P; i++)
    acc[i - body] += v[i] * v[i];
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  LRS_TRY(lrs_linalg_sum(m->la, &s, 1));
  *out = s;
  return LRS_OK;
}
