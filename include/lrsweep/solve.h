/*
 * lrsweep/solve.h — the one door between scheduling and numerics.
 *
 * lrs_solve_point(point, comm, result) builds the backend, the problem and the
 * model a point describes, runs the solver it asks for (GD, GF, or none), and
 * fills `result` (summary + trajectory records).  The scheduler, `lrsweep run
 * --point K`, rerun, tests and benchmarks all call this and nothing else of
 * the numerics.
 */
#ifndef LRSWEEP_SOLVE_H
#define LRSWEEP_SOLVE_H

#include <mpi.h>

#include "lrsweep/model.h"
#include "lrsweep/point.h"
#include "lrsweep/result.h"
#include "lrsweep/solver.h"
#include "lrsweep/status.h"

/*
 * Solves one point.
 *
 * comm: the group the point is solved on.  A 1-rank communicator gives the
 *   local solve (CBLAS/LAPACKE backend).  MPI need NOT be initialized for the
 *   local path: if MPI_Initialized() is false, comm must be MPI_COMM_SELF (its
 *   handle is compared, no MPI call is made); if MPI is initialized, any comm
 *   with MPI_Comm_size == 1 works.  A communicator of G > 1 ranks gives the
 *   distributed solve: the `dist` backend (lrs_linalg_dist_cached: made with
 *   lrs_linalg_dist_defaults() — block LRS_DIST_BLOCK or 64, near-square
 *   grid — at the first point on comm, reused by later ones, released when
 *   comm is freed or at MPI_Finalize) and the same model and solver code.  Every rank generates the
 *   whole problem from the point's random streams and keeps its blocks, so
 *   the data and initial weights are those of the local solve; every rank
 *   gets the same result (summary, records), equal to the local solve's up
 *   to rounding (tests/solve/test_solve_dist.c: relative 1e-10 on the
 *   trajectory, same iteration counts and statuses).  GF with msbdf is
 *   LRS_ERR_UNSUPPORTED on G > 1.  Collective on comm.
 * result: an allocated result (lrs_result_create); it is reset first and then
 *   filled: summary (status, message, counts, losses, rate fit, levels, theory,
 *   wall_seconds) and records.
 *
 * Returns LRS_OK whenever a result was produced — including points whose
 * summary.status is diverged, numerical_failure, timeout, max_iter, error
 * (e.g. η_max not positive) or theory_only.  Other statuses are resource or
 * programming errors, or unsupported requests: LRS_ERR_UNSUPPORTED (step
 * rule xu2023, msbdf on a too large problem or on G > 1), LRS_ERR_CONFIG (an inconsistent point: the message names the
 * field), LRS_ERR_NOMEM, LRS_ERR_LINALG, LRS_ERR_GSL, LRS_ERR_MPI.  On such a
 * status result->summary.status is LRS_POINT_ERROR and summary.message holds
 * lrs_error_message().  LRS_ERR_CANCELLED: the poll installed with
 * lrs_solve_set_cancel asked the solve to stop (on every rank of comm at the
 * same iteration); the point has no result (summary.status stays pending)
 * and must not be stored.
 *
 * Side effect: turns off GSL's abort-on-error handler (gsl_set_error_handler_off).
 */
lrs_status lrs_solve_point(const lrs_point *point, MPI_Comm comm, lrs_result *result);

/*
 * Installs `fn` as the cooperative-cancellation poll of every later solve on
 * this process (NULL removes it): the solver's long loops ask it about every
 * LRS_CANCEL_SYNC_SECONDS and end the solve with LRS_ERR_CANCELLED when it
 * answers true (lrsweep/solver.h, COOPERATIVE CANCELLATION).  A point solved
 * on a group needs it installed on every rank of the group (or on none); one
 * rank's true cancels the whole group.  Not collective.
 */
void lrs_solve_set_cancel(lrs_cancel_fn fn, void *ctx);

/*
 * Builds the point's problem (no training) and hands its data and initial
 * weights to `emit`, so an independent implementation can redo the point:
 *   two_layer: X (N×n), Y (N×m), W1 (n×h), W2 (m×h) at t = 0;
 *   lora:      Y_pre (m×n), dY (m×n), W1 (h×n), W2 (m×h), G (h×k), and the
 *              initial adapters A1 (r×n), B1 (h×r), A2 (r×h), B2 (m×r).
 * Local (needs no MPI).  Statuses: those of lrs_model_create, LRS_ERR_NOMEM,
 * and whatever `emit` returns.
 */
lrs_status lrs_solve_dump(const lrs_point *point, lrs_dump_fn emit, void *ctx);

#endif
