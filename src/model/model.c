/* Model dispatch (lrsweep/model.h). */
#include "lrsweep/model.h"

#include <stdlib.h>

#include "lrsweep/lora.h"
#include "lrsweep/two_layer.h"

lrs_status lrs_model_create(const lrs_point *point, lrs_linalg *la, lrs_model **model) {
  *model = NULL;
  switch (point->model) {
  case LRS_MODEL_TWO_LAYER:
    return lrs_two_layer_create(point, la, model);
  case LRS_MODEL_LORA:
    return lrs_lora_create(point, la, model);
  default:
    return LRS_RAISE(LRS_ERR_CONFIG, "model kind %d unknown", (int)point->model);
  }
}

void lrs_model_destroy(lrs_model **model) {
  if (!model || !*model)
    return;
  if ((*model)->ops && (*model)->ops->destroy)
    (*model)->ops->destroy(*model);
  free(*model);
  *model = NULL;
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
