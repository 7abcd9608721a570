/* Point name tables, stream seeds and the init std (lrsweep/point.h). */
#include "lrsweep/point.h"

#include <math.h>
#include <string.h>

#define LRS__NAME(name, text) text,
#define LRS__KIND_NAME(name, text, row) text,
const char *const lrs_model_names[] = {LRS_MODEL_LIST(LRS__KIND_NAME) NULL};
const char *const lrs_data_names[] = {LRS_DATA_LIST(LRS__NAME) NULL};
const char *const lrs_target_names[] = {LRS_TARGET_LIST(LRS__NAME) NULL};
const char *const lrs_init_names[] = {LRS_INIT_LIST(LRS__NAME) NULL};
const char *const lrs_loss_names[] = {LRS_LOSS_LIST(LRS__KIND_NAME) NULL};
const char *const lrs_step_rule_names[] = {LRS_STEP_RULE_LIST(LRS__KIND_NAME) NULL};
const char *const lrs_method_names[] = {LRS_METHOD_LIST(LRS__NAME) NULL};
const char *const lrs_ode_names[] = {LRS_ODE_LIST(LRS__NAME) NULL};
const char *const lrs_coords_names[] = {LRS_COORDS_LIST(LRS__NAME) NULL};
const char *const lrs_jacobian_names[] = {LRS_JACOBIAN_LIST(LRS__NAME) NULL};
const char *const lrs_pair_names[] = {LRS_PAIR_LIST(LRS__NAME) NULL};
const char *const lrs_beta2_norm_names[] = {LRS_BETA2_NORM_LIST(LRS__NAME) NULL};
const char *const lrs_xu_cap_names[] = {LRS_XU_CAP_LIST(LRS__NAME) NULL};
const char *const lrs_xu_grad_names[] = {LRS_XU_GRAD_LIST(LRS__NAME) NULL};
const char *const lrs_bt_test_names[] = {LRS_BT_TEST_LIST(LRS__NAME) NULL};
#undef LRS__NAME
#undef LRS__KIND_NAME

int lrs_name_lookup(const char *const *names, const char *name) {
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0)
      return i;
  return -1;
}

/* SplitMix64's finalizer: a bijective 64-bit mixer, so distinct inputs
 * never collide in one step and every input bit reaches every output bit. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t absorb(uint64_t h, uint64_t v) {
  return mix64(h ^ mix64(v + 0x9e3779b97f4a7c15ULL));
}

uint64_t lrs_point_stream_seed(const lrs_point *p, lrs_stream stream) {
  /* Only problem-defining integers and enums: see the header for why scales
   * and solver settings stay out (common random numbers). */
  const uint64_t fields[] = {
      p->seed,
      (uint64_t)p->replicate,
      (uint64_t)stream,
      (uint64_t)p->model,
      (uint64_t)p->input_dim,
      (uint64_t)p->output_dim,
      (uint64_t)p->samples,
      (uint64_t)p->width,
      (uint64_t)p->data,
      (uint64_t)p->target,
      (uint64_t)p->target_rank,
      (uint64_t)p->lora_rank,
      (uint64_t)p->delta_pair,
  };
  uint64_t h = 0x6c72737765657031ULL; /* "lrsweep1": bump to change all seeds */
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    h = absorb(h, fields[i]);
  return h;
}

double lrs_point_init_std(const lrs_point *p) {
  if (!isnan(p->init_scale))
    return p->init_scale;
  return pow((double)p->width, -p->init_exponent);
}
