/*
 * lrsweep/sched.h — running a sweep's points over MPI ranks.
 *
 * Roles.  Rank 0 of the communicator coordinates: it resolves point indices
 * to points through a source (the grid, or the caller's points), hands the
 * points out and passes every result to a sink (the store writer).  The
 * other P − 1 ranks work, in groups of G ranks (G = group_size; P − 1 must be
 * a multiple of G); they never see the grid.  The first rank of a group is
 * its leader: it talks to the coordinator and broadcasts each point to its
 * group, and the whole group calls the solver with the group's communicator.
 * With P = 1 (or a singleton run) rank 0 solves the points itself between
 * its coordinator duties.
 *
 * Groups and small points.  With a group_threshold, only points of solver
 * width (lrs_point_solve_width) ≥ group_threshold are solved by a whole group; the coordinator hands a
 * group chunks that are all such points or all smaller ones, and the ranks of
 * a group share a chunk of small points out (rank k of the group takes points
 * k, k + G, ...), each solving its own on MPI_COMM_SELF and sending the
 * results to rank 0 itself.  So a small point's result never depends on G,
 * and a large point's only on G.
 *
 * Protocol (tags on a private duplicate of the communicator):
 *   LRS_SCHED_TAG_READY   leader → 0   one uint64: how many points of the
 *                                      previous chunk were dropped after a
 *                                      STOP (0 otherwise); asks for a chunk.
 *                                      Sent while the chunk's last point is
 *                                      being solved (prefetch), or after the
 *                                      points solved when a STOP cut the
 *                                      chunk; for a shared chunk, once every
 *                                      rank of the group is done with it
 *   LRS_SCHED_TAG_ASSIGN  0 → leader   lrs_point structs (the chunk); an empty
 *                                      message: stop.  The coordinator may
 *                                      hold a READY unanswered while a refill
 *                                      is possible (until every handed-out
 *                                      point is back)
 *   LRS_SCHED_TAG_HEAD    worker → 0   lrs_sched_head (index, rank, records):
 *                                      from the leader, or for a shared chunk
 *                                      from the rank that solved the point
 *   LRS_SCHED_TAG_RECORDS worker → 0   head.n_records lrs_record structs
 *   LRS_SCHED_TAG_STOP    0 → worker   empty: "solve no more of your chunk than
 *                                      the point you are on"; sent once to
 *                                      every rank of a group, at a stop
 *                                      signal or just before its leader's
 *                                      empty ASSIGN.  For a shared chunk, the
 *                                      leader's READY counts the drops of the
 *                                      whole group
 *   LRS_SCHED_TAG_CANCEL  0 → worker   one int, exactly once to every worker
 *                                      rank: 1 "cancel the point you are
 *                                      solving" (every rank of the groups
 *                                      still busy when the drain runs out),
 *                                      or 0 "the run is over" (to the others,
 *                                      once every point is back).  Received
 *                                      from the start; the solver's
 *                                      cancellation poll tests it
 *   LRS_SCHED_TAG_CANCELLED worker → 0 one uint64, the index of a point
 *                                      whose solve was cancelled: not done,
 *                                      it stays pending (from the leader, or
 *                                      for a shared chunk from the rank that
 *                                      was solving it)
 * HEAD and RECORDS of one result follow each other (MPI keeps the order of
 * messages between two ranks).  A result may arrive after its leader's empty
 * ASSIGN (prefetch): the coordinator ends once every leader is stopped and
 * every handed-out point has come back or was reported dropped.  Structs
 * travel as bytes: all ranks must share one binary (a homogeneous cluster),
 * as is usual for MPI jobs.
 *
 * Refill.  A source may add points: when the queue is empty and every
 * handed-out point has come back (and no stop is requested and no point was
 * held back by the walltime), rank 0 asks the source for more indices; they
 * are queued like the first ones and the workers, still waiting, go on.  The
 * run ends when the refill returns none.
 *
 * Scheduling.  Points go out longest-expected-first by the grid's cost model
 * (lrs_point_cost), in chunks that shrink as the queue empties
 * (guided self-scheduling: about remaining / (4 · groups), at most
 * max_chunk), so small points amortize messages and the tail stays balanced.
 * The coordinator never blocks in MPI while waiting: it polls (MPI_Iprobe)
 * with a back-off sleep, so it costs no core on an oversubscribed node.
 * Workers do not wait for it either: a result's HEAD and RECORDS are sent
 * non-blocking from one of 8 slots, each reused once its sends completed.
 *
 * Stopping.  SIGTERM, SIGINT and SIGUSR1 (SLURM's warning signal) make the
 * coordinator stop handing out work and tell every leader (STOP) to drop the
 * rest of its chunk; points already running get up to drain_seconds to
 * finish.  Then every group still solving gets a CANCEL: the solver's loops
 * poll for it (lrs_solve_set_cancel: about every 5 ms, and a group decides
 * together at one iteration), end the solve with LRS_ERR_CANCELLED, and the
 * worker reports the point CANCELLED, which leaves it pending.  The run then
 * returns with report.interrupted set, every rank back, and the caller
 * closes the store and exits with LRS_EXIT_RESUME through MPI_Finalize.
 * With P = 1 the same poll cancels rank 0's own point drain_seconds after it
 * first sees the stop.  Only a group that answers no CANCEL within
 * cancel_seconds (stuck outside every polled loop) is abandoned: the caller
 * then ends the job with MPI_Abort.  Every rank
 * installs the handlers, so a forwarded signal never kills a worker.
 * Under Open MPI 4.1's mpirun, signal mpirun with SIGUSR1 (it forwards it to
 * every rank; the job exits 75).  SIGTERM or SIGINT to mpirun make mpirun
 * itself end the job: rank 0 still drains and closes the store, but mpirun
 * exits 1, not 75 (tests/mainjob/test_mainjob.py).
 *
 * Walltime.  With an end time (a batch job's limit), the coordinator does
 * not start a point whose predicted duration would cross end_time −
 * end_margin: the cost model (lrs_point_cost) times the seconds per
 * unit of cost measured on the points done so far.  The run then ends as
 * interrupted (resumable) instead of being killed mid-point.
 *
 * Results depend only on the points: which rank solved what, and in which
 * order, never changes a result.
 */
#ifndef LRSWEEP_SCHED_H
#define LRSWEEP_SCHED_H

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

#include "lrsweep/grid.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"

/* Exit code of a run that stopped early and can be resumed (EX_TEMPFAIL). */
enum { LRS_EXIT_RESUME = 75 };

enum {
  LRS_SCHED_TAG_READY = 7101,
  LRS_SCHED_TAG_ASSIGN,
  LRS_SCHED_TAG_HEAD,
  LRS_SCHED_TAG_RECORDS,
  LRS_SCHED_TAG_STOP,
  LRS_SCHED_TAG_CANCEL,
  LRS_SCHED_TAG_CANCELLED,
};

typedef enum {
  LRS_PROGRESS_AUTO,  /* a live line on a terminal, periodic lines otherwise */
  LRS_PROGRESS_QUIET, /* nothing */
  LRS_PROGRESS_JSON,  /* one JSON object per line, every progress_seconds */
} lrs_progress_mode;

/* Solves one point on `comm` (1 rank, or a group).  lrs_solve_point by default;
 * tests and benchmarks substitute their own. */
typedef lrs_status (*lrs_sched_solve_fn)(const lrs_point *point, MPI_Comm comm,
                                         lrs_result *result);

/* Where the points come from (read on rank 0 only). */
typedef struct lrs_sched_source {
  void *ctx;
  /* The point of `index` (grid points, and points added later by refill). */
  lrs_status (*point)(void *ctx, uint64_t index, lrs_point *point);
  /* Rank 0, when the queue is empty and every handed-out point has come back
   * (and no stop was requested): more indices to run (*more malloc'ed, caller
   * frees; *n_more = 0 ends the run).  NULL: no refill. */
  lrs_status (*refill)(void *ctx, uint64_t **more, uint64_t *n_more);
} lrs_sched_source;

/* The points of `grid` (point = lrs_grid_point), no refill; `grid` must
 * outlive the source. */
lrs_sched_source lrs_sched_grid_source(const lrs_grid *grid);

/* Receives results on rank 0, in completion order. */
typedef struct lrs_sched_sink {
  void *ctx;
  lrs_status (*put)(void *ctx, uint64_t index, const lrs_result *result, int rank);
  /* Called often (every loop turn); `now` is MPI_Wtime().  May flush. */
  lrs_status (*tick)(void *ctx, double now);
} lrs_sched_sink;

typedef struct lrs_sched_options {
  int group_size;           /* ranks per group (default 1) */
  int64_t group_threshold;  /* with group_size > 1: points of solver width ≥ this
                               are solved by a whole group, smaller ones are
                               shared out among its ranks, each solved on
                               MPI_COMM_SELF; 0 (default): all by groups */
  int max_chunk;            /* most points per assignment (default 64) */
  double drain_seconds;     /* grace for running points after a stop signal (60);
                               then they are cancelled (left pending) */
  double cancel_seconds;    /* after the drain: how long a cancel may take before
                               the group counts as stuck (report.abandoned; 10) */
  double progress_seconds;  /* longest interval of progress lines off a terminal (30):
                               the first comes after 2 s, then every half of the
                               elapsed time, up to this */
  const char *name;         /* the sweep's name, shown in progress (NULL: none) */
  lrs_progress_mode progress;
  lrs_sched_solve_fn solve; /* NULL: lrs_solve_point */
  double end_time;          /* the job's end (Unix seconds), 0 for none */
  double end_margin;        /* seconds kept free before end_time (60) */
} lrs_sched_options;

typedef struct lrs_sched_report {
  uint64_t done;     /* results passed to the sink */
  uint64_t failed;   /* of which status error, timeout or numerical_failure */
  uint64_t converged, max_iter, diverged; /* of which these outcomes */
  uint64_t other;    /* and the rest: max_time, theory_only, rule_undefined */
  bool interrupted;  /* stopped before all points ran, or before a refilling
                        source was asked for its next round */
  uint64_t cancelled; /* points cancelled mid-solve after the drain (pending) */
  int abandoned;     /* groups that did not answer a cancel within
                        cancel_seconds (or after an MPI failure): the caller
                        must close the store, then MPI_Abort */
  bool walltime_stop; /* points were held back: predicted past end_time */
  double seconds;
} lrs_sched_report;

/* Defaults for every option. */
lrs_sched_options lrs_sched_defaults(void);

/* Default of [run] auto_group_size and group_threshold (width h). */
enum { LRS_SCHED_AUTO_GROUP = 2, LRS_SCHED_GROUP_THRESHOLD = 8192 };

/* group_size = "auto" on `workers` worker ranks (P − 1): the largest G ≤
 * max_group that divides `workers` (1 when none larger does, or no workers). */
int lrs_sched_auto_group(int workers, int max_group);

/*
 * Runs `pending` (indices of `source`'s points), then whatever the source's
 * refill adds, to completion or interruption.  Collective on `comm`: every
 * rank calls it with the same options; `source`, `pending`, `n_pending` and
 * `sink` are read on rank 0 only (other ranks may pass NULL).  The report is
 * filled on rank 0; its `done` counts refilled points too.  A point whose
 * solve fails becomes a result with status `error` (the sweep goes on).
 * A failure of the sink or the source on rank 0 (a store write) ends the run
 * on every rank: the coordinator stops the workers as for a signal, drops
 * the results still coming back, and returns the first failure on rank 0
 * once every worker has returned (LRS_OK there: the caller agrees on the
 * exit code).  Points still solving after drain_seconds are cancelled
 * (report.cancelled; they stay pending).  MPI failures, and groups still
 * solving cancel_seconds after their CANCEL, set report.abandoned on rank 0:
 * the caller closes the store and aborts the job.  A worker's own failure (LRS_ERR_NOMEM, LRS_ERR_MPI) is returned on
 * that worker, which cannot tell rank 0: the caller aborts the job.
 */
lrs_status lrs_sched_run(MPI_Comm comm, const lrs_sched_source *source, const uint64_t *pending,
                         uint64_t n_pending, const lrs_sched_options *options,
                         lrs_sched_sink *sink, lrs_sched_report *report);

/* Installs the stop handlers of SIGTERM, SIGINT and SIGUSR1 (lrs_sched_run
 * does; a caller installs them earlier so that a stop before the run is
 * noticed, not fatal).  On worker ranks (rank ≠ 0 of lrs_sched_run) a second
 * stop signal ends the process as if no handler were installed.
 * Statuses: LRS_ERR_INTERNAL. */
lrs_status lrs_sched_install_handlers(void);
/* True once SIGTERM, SIGINT or SIGUSR1 has arrived (handlers installed by
 * lrs_sched_install_handlers or lrs_sched_run). */
bool lrs_sched_stop_requested(void);

#endif
