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
  const size_t P = m->ops->param_count(m);
  double s = 0.0;
  for (size_t i = 0; i < P; i++)
    s += v[i] * v[i];
  LRS_TRY(lrs_linalg_sum(m->la, &s, 1));
  *out = s;
  return LRS_OK;
}
