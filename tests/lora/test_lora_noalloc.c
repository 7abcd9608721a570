/* The LoRA ops never allocate after creation (lrsweep/model.h workspace
 * rule): malloc/calloc/realloc of the library are counted through the
 * linker's --wrap (tests/lrs_test_alloc.h) while eval, observe (with and
 * without a record), hess_vec and summarize run on both inits. */
#include <gsl/gsl_errno.h>
#include <stdlib.h>

#include "lora_point.h"
#include "lora_ref.h"
#include "lrs_test.h"
#include "lrs_test_alloc.h"

int main(void) {
  gsl_set_error_handler_off();
  const lrs_init_kind inits[2] = {LRS_INIT_SMALL, LRS_INIT_SPECTRAL};
  for (int k = 0; k < 2; k++) {
    lrs_point p = lrs_test_lora_point();
    p.init = inits[k];
    p.method = LRS_METHOD_GF;
    p.records = 10; /* a 64-pair local_rate buffer: 200 records decimate it */
    lrs_linalg *la = NULL;
    lrs_model *m = NULL;
    REF_OK(lrs_linalg_create_local(&la));
    REF_OK(lrs_lora_create(&p, la, &m));
    const size_t P = m->ops->param_count(m);
    double *g = ref_alloc(P), *hv = ref_alloc(P), *th = m->ops->params(m), L = 0.0;
    lrs_summary s;
    memset(&s, 0, sizeof s);
    lrs_test_alloc_begin(true);
    for (int t = 0; t < 200; t++) {
      REF_OK(m->ops->eval(m, &L, g));
      lrs_record rec = lrs_record_unset();
      const lrs_observe obs = {.step = t, .time = 1e-3 * t, .loss = L, .grad_norm2 = 1.0,
                               .finite = true, .discrete = false};
      REF_OK(m->ops->observe(m, &obs, t % 3 ? &rec : NULL));
      REF_OK(m->ops->hess_vec(m, g, hv));
      for (size_t i = 0; i < P; i++)
        th[i] -= 1e-3 * g[i];
    }
    REF_OK(m->ops->summarize(m, &s));
    long count = lrs_test_alloc_end();
    LRS_CHECK(count == 0,
              "%s: 200 × (eval, observe, hess_vec) + summarize: %ld allocations",
              lrs_init_names[p.init], count);
    lrs_mat *M = NULL; /* control: the counter does see library allocations */
    lrs_test_alloc_begin(true);
    REF_OK(lrs_mat_create(la, 3, 3, &M));
    count = lrs_test_alloc_end();
    LRS_CHECK(count > 0, "control: lrs_mat_create is counted (%ld allocations)", count);
    lrs_mat_destroy(&M);
    free(g);
    free(hv);
    lrs_model_destroy(&m);
    lrs_linalg_destroy(&la);
  }
  return lrs_test_done();
}
