/* lrs_solve_point: the one door between scheduling and numerics
 * (lrsweep/solve.h). */
#include "lrsweep/solve.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "lrsweep/datafile.h"
#include "lrsweep/linalg.h"
#include "lrsweep/model.h"
#include "lrsweep/solver.h"

/* The local path needs no MPI_Init: see lrsweep/solve.h. */
static lrs_status comm_size(MPI_Comm comm, int *size) {
  int initialized = 0;
  MPI_Initialized(&initialized); /* allowed before MPI_Init */
  if (!initialized) {
    if (comm != MPI_COMM_SELF)
      return LRS_RAISE(LRS_ERR_USAGE,
                       "MPI is not initialized: only MPI_COMM_SELF can be used for a local solve");
    *size = 1;
    return LRS_OK;
  }
  if (MPI_Comm_size(comm, size) != MPI_SUCCESS)
    return LRS_RAISE(LRS_ERR_MPI, "MPI_Comm_size failed on the point's communicator");
  return LRS_OK;
}

/* A point allocates its model's workspaces (hundreds of KB for a small
 * point) and frees them at its end.  With glibc's defaults the freed top of
 * the heap is returned to the kernel (trim threshold 128 KB) and the next
 * point page-faults it back in: ~15% of a small point of a sweep
 * (MALLOC_TRIM_THRESHOLD_ = 256 MiB gave +20% points/s).  So, once per
 * process: keep up to 64 MiB of freed heap, and serve blocks up to 32 MiB
 * (glibc's own ceiling for its dynamic mmap threshold) from the heap.  A
 * process-wide setting; it changes no result. */
static void keep_heap_once(void) {
#if defined(__GLIBC__)
  static bool done = false;
  if (done)
    return;
  done = true;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

void lrs_solve_set_cancel(lrs_cancel_fn fn, void *ctx) { lrs_solver_set_cancel(fn, ctx); }

lrs_status lrs_solve_point(const lrs_point *point, MPI_Comm comm, lrs_result *result) {
  const double start = lrs_now();
  keep_heap_once();
  gsl_set_error_handler_off();
  lrs_result_reset(result);
  lrs_status st = LRS_OK;
  lrs_linalg *la = NULL;
  lrs_model *model = NULL;
  int size = 0;
  LRS_TRY_GOTO(st, comm_size(comm, &size), done);
  if (!(point->max_point_seconds >= 0.0)) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "max_point_seconds = %g must be ≥ 0 (0: no limit)",
                   point->max_point_seconds);
    goto done;
  }
  const double deadline =
      point->max_point_seconds > 0.0 ? start + point->max_point_seconds : INFINITY;
  /* One rank: CBLAS/LAPACKE.  A group: PBLAS/ScaLAPACK on the group's
   * communicator, options from lrs_linalg_dist_defaults (environment); its
   * BLACS grid and scratch made once per communicator and reused by every
   * point solved on it (lrs_linalg_destroy below drops this point's hold). */
  if (size == 1)
    LRS_TRY_GOTO(st, lrs_linalg_create_local(&la), done);
  else
    LRS_TRY_GOTO(st, lrs_linalg_dist_cached(comm, &la), done);
  LRS_TRY_GOTO(st, lrs_model_create(point, la, &model), done);
  LRS_TRY_GOTO(st, lrs_solver_run(model, point, deadline, result), done);
  if (point->data == LRS_DATA_FILE) { /* provenance: which bytes were read */
    snprintf(result->summary.data_file, sizeof result->summary.data_file, "%s", point->data_file);
    LRS_TRY_GOTO(st, lrs_datafile_sha256(point->data_file, result->summary.data_sha256), done);
  }
done:
  lrs_model_destroy(&model);
  lrs_linalg_destroy(&la);
  if (st != LRS_OK) {
    /* A cancelled point has no outcome: it stays pending (lrsweep/solve.h). */
    result->summary.status = st == LRS_ERR_CANCELLED ? LRS_POINT_PENDING : LRS_POINT_ERROR;
    snprintf(result->summary.message, sizeof result->summary.message, "%s",
             lrs_error_message());
  }
  result->summary.wall_seconds = lrs_now() - start;
  return st;
}
