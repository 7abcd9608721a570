/*
 * On the dist backend the model ops of a GD/GF iteration never allocate
 * (lrsweep/model.h workspace rule), under mpirun (-n 2 and 4): lrsweep's own
 * malloc/calloc/realloc are counted through the linker's --wrap
 * (tests/lrs_test_alloc.h; calls made inside MPI, BLACS and ScaLAPACK are
 * theirs and not counted) while two_layer's eval, observe (with and without
 * a record: Gram matrices, eigenvalues, projected imbalance drift), account_step
 * and hess_vec, and LoRA's eval, observe and hess_vec run after one warm-up
 * iteration (first-use scratch growth and workspace queries).
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrs_test_alloc.h"
#include "lrs_test_mpi.h"
#include "lrsweep/linalg.h"
#include "lrsweep/model.h"
#include "lrsweep/two_layer.h"
#include "numerics_point.h"

/* `iters` iterations of the ops a GD step with the local rule uses (θ moved
 * by a small fixed step), plus hess_vec; returns the allocations counted
 * after the first iteration, or -1 on an error. */
static long run_ops(lrs_model *m, int iters, bool two_layer) {
  const size_t P = m->ops->param_count(m);
  double *g = malloc((P ? P : 1) * sizeof *g), *hv = malloc((P ? P : 1) * sizeof *hv);
  double *th = m->ops->params(m), L = 0.0;
  long allocs = 0;
  bool ok = true;
  for (int t = 0; t < iters && ok; t++) {
    lrs_test_alloc_begin(t > 0);
    ok &= m->ops->eval(m, &L, g) == LRS_OK;
    double gn2 = 0.0;
    ok &= lrs_model_norm2(m, g, &gn2) == LRS_OK;
    lrs_record rec = lrs_record_unset();
    const lrs_observe obs = {.step = t, .time = 1e-3 * t, .loss = L, .grad_norm2 = gn2,
                             .finite = true, .discrete = true};
    ok &= m->ops->observe(m, &obs, t % 2 ? &rec : NULL) == LRS_OK;
    if (two_layer) {
      lrs_local_consts lc;
      ok &= lrs_two_layer_local(m, &lc) == LRS_OK;
    }
    if (m->ops->account_step)
      ok &= m->ops->account_step(m, 1e-4, t % 2 ? &rec : NULL) == LRS_OK;
    if (m->ops->hess_vec)
      ok &= m->ops->hess_vec(m, g, hv) == LRS_OK;
    for (size_t i = 0; i < P; i++)
      th[i] -= 1e-4 * g[i];
    allocs += lrs_test_alloc_end();
  }
  free(g);
  free(hv);
  return ok ? allocs : -1;
}

int main(int argc, char **argv) {
  int rank = 0, size = 1;
  lrs_test_mpi_init(&argc, &argv, &rank, &size);
  gsl_set_error_handler_off();

  lrs_linalg_dist_opts o = lrs_linalg_dist_defaults();
  o.block = 4; /* small matrices spread over every rank */
  for (int which = 0; which < 3; which++) {
    lrs_point p = lrs_test_point();
    const char *name = "two_layer (h > n+m: projected drift)";
    if (which == 1) {
      p.width = 16; /* h ≤ n+m: the h×h drift */
      name = "two_layer (h ≤ n+m: h×h drift)";
    } else if (which == 2) {
      p.model = LRS_MODEL_LORA;
      p.init = LRS_INIT_SMALL;
      p.init_scale = 1e-2;
      p.width = 40;
      name = "lora";
    }
    lrs_linalg *la = NULL;
    lrs_model *m = NULL;
    lrs_status st = lrs_linalg_create_dist(MPI_COMM_WORLD, &o, &la);
    lrs_test_alloc_begin(true); /* the wrap works: creation does allocate */
    if (st == LRS_OK)
      st = lrs_model_create(&p, la, &m);
    const long count = lrs_test_alloc_end();
    LRS_CHECK(lrs_test_all_ranks(st == LRS_OK && count > 0),
              "%s: creation counted %ld allocations", name, count);
    const long allocs = st == LRS_OK ? run_ops(m, 12, which < 2) : -1;
    LRS_CHECK(lrs_test_all_ranks(allocs == 0),
              "%s on %d ranks: %ld allocations in 11 iterations", name, size, allocs);
    lrs_model_destroy(&m);
    lrs_linalg_destroy(&la);
  }
  return lrs_test_mpi_done();
}
