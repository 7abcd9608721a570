/* The MPI coordinator and workers (lrsweep/sched.h). */
#include "lrsweep/sched.h"
#include "lrsweep/kind.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lrsweep/problem.h"
#include "lrsweep/solve.h"

/* Head of a result message: the summary travels inside it. */
typedef struct {
  uint64_t index;
  uint64_t n_records;
  int32_t rank;
  int32_t pad_;
  lrs_summary summary;
} lrs_sched_head;

static volatile sig_atomic_t stop_signal;
/* On a worker rank, a second stop signal ends the process: the job's end
 * (SLURM's kill at the time limit, Open MPI's after an MPI_Abort of a stuck
 * job) comes as that signal; a handler that only took note would keep the
 * job waiting for it. */
static volatile sig_atomic_t second_stop_ends;

static void on_stop_signal(int sig) {
  if (stop_signal != 0 && second_stop_ends) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  stop_signal = sig;
}

bool lrs_sched_stop_requested(void) { return stop_signal != 0; }

lrs_status lrs_sched_install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  const int signals[] = {SIGTERM, SIGINT, SIGUSR1};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (sigaction(signals[i], &sa, NULL) != 0)
      return LRS_RAISE(LRS_ERR_INTERNAL, "cannot install the handler of signal %d", signals[i]);
  return LRS_OK;
}

lrs_sched_options lrs_sched_defaults(void) {
  return (lrs_sched_options){.group_size = 1,
                             .max_chunk = 64,
                             .drain_seconds = 60.0,
                             .cancel_seconds = 10.0,
                             .end_margin = 60.0,
                             .progress_seconds = LRS_PROGRESS_SECONDS,
                             .progress = LRS_PROGRESS_AUTO,
                             .solve = NULL};
}

int lrs_sched_auto_group(int workers, int max_group) {
  int g = max_group < workers ? max_group : workers;
  while (g > 1 && workers % g != 0)
    g--;
  return g > 1 ? g : 1;
}

#define MPI_TRY(call) LRS_MPI_TRY(call)

static bool is_failure(lrs_point_status s) {
  return s == LRS_POINT_ERROR || s == LRS_POINT_TIMEOUT || s == LRS_POINT_NUMERICAL_FAILURE;
}

/* ---- solving one point (any rank) ------------------------------------------ */

/* Solves `point`; a solver error becomes a result with status `error`, so one
 * bad point never stops the sweep.  True when the solve was cancelled
 * (LRS_ERR_CANCELLED): then there is no result, and the point stays pending. */
static bool solve_one(const lrs_point *point, lrs_sched_solve_fn solve, MPI_Comm comm,
                      lrs_result *result) {
  lrs_result_reset(result);
  lrs_error_clear();
  lrs_status st = solve(point, comm, result);
  if (st == LRS_ERR_CANCELLED)
    return true;
  if (st != LRS_OK) {
    result->summary.status = LRS_POINT_ERROR;
    snprintf(result->summary.message, sizeof result->summary.message, "%s",
             lrs_error_message()[0] ? lrs_error_message() : lrs_strerror(st));
  }
  return false;
}

static lrs_status grid_point(void *ctx, uint64_t index, lrs_point *point) {
  return lrs_grid_point(ctx, index, point);
}

lrs_sched_source lrs_sched_grid_source(const lrs_grid *grid) {
  return (lrs_sched_source){.ctx = (void *)grid, .point = grid_point, .refill = NULL};
}

/* ---- progress ------------------------------------------------------------------- */

typedef struct {
  lrs_progress_mode mode;
  bool tty;
  double start, last, interval;
  uint64_t total;
  const char *name;
  double cost_total, cost_done; /* lrs_point_cost of the points queued / back */
} progress;

/* Counts an outcome in the report's per-outcome tallies. */
static void count_outcome(lrs_sched_report *r, lrs_point_status s) {
  r->failed += is_failure(s);
  r->converged += s == LRS_POINT_CONVERGED;
  r->max_iter += s == LRS_POINT_MAX_ITER;
  r->diverged += s == LRS_POINT_DIVERGED;
  r->other += !is_failure(s) && s != LRS_POINT_CONVERGED && s != LRS_POINT_MAX_ITER &&
              s != LRS_POINT_DIVERGED;
}

static void progress_show(progress *p, const lrs_sched_report *r, double now, bool final) {
  if (p->mode == LRS_PROGRESS_QUIET)
    return;
  bool live = p->tty && p->mode == LRS_PROGRESS_AUTO;
  double elapsed = now - p->start;
  double interval =
      live ? LRS_PROGRESS_LIVE_SECONDS : lrs_progress_interval(elapsed, p->interval);
  if (!final && now - p->last < interval)
    return;
  p->last = now;
  double rate = elapsed > 0 ? (double)r->done / elapsed : 0;
  /* ETA by the cost model: the cost still queued at the cost per second so
   * far (the points are of very different sizes; their count is not). */
  double eta = p->cost_done > 0 && elapsed > 0
                   ? (p->cost_total - p->cost_done) / (p->cost_done / elapsed)
                   : -1;
  if (eta < 0 && p->cost_done > 0)
    eta = 0;
  char stamp[32];
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const char *name = p->name ? p->name : "";
  if (p->mode == LRS_PROGRESS_JSON) {
    printf("{\"sweep\": \"%s\", \"time\": \"%s\", \"done\": %llu, \"total\": %llu, "
           "\"converged\": %llu, \"max_iter\": %llu, \"diverged\": %llu, \"failed\": %llu, "
           "\"elapsed\": %.1f, \"points_per_second\": %.4g, \"eta_seconds\": %.0f, "
           "\"final\": %s}\n",
           name, stamp, (unsigned long long)r->done, (unsigned long long)p->total,
           (unsigned long long)r->converged, (unsigned long long)r->max_iter,
           (unsigned long long)r->diverged, (unsigned long long)r->failed, elapsed, rate, eta,
           final ? "true" : "false");
    fflush(stdout);
    return;
  }
  if (final && p->total == 0)
    return; /* nothing ran: the caller said "nothing to do" */
  char eta_text[32] = "?";
  if (eta >= 0)
    snprintf(eta_text, sizeof eta_text, "%d:%02d:%02d", (int)(eta / 3600),
             (int)(eta / 60) % 60, (int)eta % 60);
  /* The other outcomes are named when there are any, so that the counts add
   * up to the points done. */
  char other[48] = "";
  if (r->other)
    snprintf(other, sizeof other, ", %llu other", (unsigned long long)r->other);
  char line[384]; /* the name is at most 63 bytes */
  snprintf(line, sizeof line,
           "%llu/%llu points (%.0f%%): %llu converged, %llu max_iter, %llu diverged, %llu "
           "failed%s; %.3g points/s, ETA %s [%s %s]",
           (unsigned long long)r->done, (unsigned long long)p->total,
           p->total ? 100.0 * (double)r->done / (double)p->total : 100.0,
           (unsigned long long)r->converged, (unsigned long long)r->max_iter,
           (unsigned long long)r->diverged, (unsigned long long)r->failed, other, rate, eta_text,
           name, stamp);
  if (live && !final) /* rewritten in place: it must not wrap */
    lrs_fit_terminal(STDERR_FILENO, line);
  fprintf(stderr, live ? "\r%s\x1b[K%s" : "%s%s", line, live && !final ? "" : "\n");
  fflush(stderr);
}

/* ---- the queue ------------------------------------------------------------------ */

typedef struct {
  double cost;
  uint64_t draws; /* the INIT stream's seed: equal for points that share draws */
  uint64_t index;
  bool on_group; /* solved by a whole group, not shared out (see on_group) */
} queued;

static int longest_first(const void *a, const void *b) {
  const queued *x = a, *y = b;
  if (x->cost != y->cost)
    return x->cost < y->cost ? 1 : -1;
  /* Points of equal cost that share their random draws (common random
   * numbers) next to each other, so they travel in one chunk and the
   * worker's set-up cache (lrsweep/problem.h) serves the later ones.  The
   * order changes no result. */
  if (x->draws != y->draws)
    return x->draws < y->draws ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Whether a group solves `p` together (else its members share such points out
 * and each solves its own on MPI_COMM_SELF). */
static bool on_group(const lrs_sched_options *opt, const lrs_point *p) {
  return opt->group_size > 1 && lrs_point_solve_width(p) >= opt->group_threshold;
}

/* The points of `indices`, longest first by the cost model. */
static lrs_status make_queue(const lrs_sched_source *src, const lrs_sched_options *opt,
                             const uint64_t *indices, uint64_t n, queued **out) {
  queued *q = malloc((n ? n : 1) * sizeof *q);
  if (!q)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a queue of %llu points",
                     (unsigned long long)n);
  lrs_point p;
  for (uint64_t i = 0; i < n; i++) {
    lrs_status st = src->point(src->ctx, indices[i], &p);
    if (st != LRS_OK) {
      free(q);
      return st;
    }
    q[i] = (queued){lrs_point_cost(&p), lrs_point_stream_seed(&p, LRS_STREAM_INIT), indices[i],
                    on_group(opt, &p)};
  }
  qsort(q, n, sizeof *q, longest_first);
  *out = q;
  return LRS_OK;
}

/* ---- rank 0 ------------------------------------------------------------------------ */

/* What the coordinator knows of one leader (index: its rank; of a group
 * member only `stop` is used). */
typedef struct {
  uint64_t out;    /* points handed out and neither back nor reported dropped */
  bool waiting;    /* its READY is not answered yet */
  bool stopped;    /* STOP sent */
  bool finished;   /* empty ASSIGN sent */
  MPI_Request stop; /* the STOP's send, or MPI_REQUEST_NULL */
  MPI_Request cancel; /* the CANCEL's send (any rank), or MPI_REQUEST_NULL */
  bool cancel_sent;   /* this rank's one CANCEL (cancel now, or the run's end) */
  /* The last ASSIGN's send and its buffer (max_chunk points, made on first
   * use): nonblocking, so that a leader still solving, which receives it only
   * then, never holds up the coordinator (or its drain deadline). */
  MPI_Request assign;
  lrs_point *assign_buf;
} leader_state;

typedef struct {
  MPI_Comm comm;
  const lrs_sched_source *src;
  const lrs_sched_options *opt;
  lrs_sched_sink *sink;
  lrs_sched_report *report;
  queued *queue;
  uint64_t n_queue, next;
  bool exhausted;   /* no more points will be queued */
  bool source_done; /* the source has no more (no refill, or it returned none) */
  /* Walltime: the cost model's flops, scaled by seconds per flop learned from
   * the points done so far, predict whether a point still fits. */
  double cost_done, seconds_done;
  progress prog;
  lrs_result *result; /* receive buffer, reused */
  leader_state *leaders;
  /* The first failure of the sink or the source (a store write, a refinement
   * round): the workers are stopped and drained, results that still come
   * back are dropped, and the run returns it. */
  lrs_status failed;
  char failed_message[1024];
  double stop_seen; /* P = 1: lrs_now() when the cancellation poll first saw a stop */
} coordinator;

/* Records the coordinator's first failure; MPI failures are returned (the
 * workers cannot be reached in order: the caller ends the job). */
static lrs_status note_failure(coordinator *c, lrs_status st) {
  if (st == LRS_OK || st == LRS_ERR_MPI)
    return st;
  if (c->failed == LRS_OK) {
    c->failed = st;
    snprintf(c->failed_message, sizeof c->failed_message, "%s", lrs_error_message());
  }
  return LRS_OK;
}

static lrs_status deliver(coordinator *c, uint64_t index, int rank) {
  if (c->failed != LRS_OK)
    return LRS_OK; /* nowhere to put it */
  lrs_point p;
  if (c->src->point(c->src->ctx, index, &p) == LRS_OK) {
    c->prog.cost_done += lrs_point_cost(&p);
    if (c->result->summary.wall_seconds > 0) {
      c->cost_done += lrs_point_cost(&p);
      c->seconds_done += c->result->summary.wall_seconds;
    }
  }
  c->report->done++;
  count_outcome(c->report, c->result->summary.status);
  return c->sink->put(c->sink->ctx, index, c->result, rank);
}

static double wall_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* How many of the next `want` queued points are predicted to finish before
 * the job's end (all of them without an end time or before any measurement);
 * sets report->walltime_stop when the queue is cut. */
static uint64_t fit_before_end(coordinator *c, uint64_t want) {
  if (c->opt->end_time <= 0 || c->cost_done <= 0 || want == 0)
    return want;
  const double per_cost = c->seconds_done / c->cost_done;
  double left = c->opt->end_time - wall_clock() - c->opt->end_margin;
  uint64_t k = 0;
  while (k < want) {
    left -= c->queue[c->next + k].cost * per_cost;
    if (left < 0)
      break;
    k++;
  }
  if (k < want) {
    c->report->walltime_stop = true;
    c->report->interrupted = true;
  }
  return k;
}

/* With the queue empty: asks the source for more points, unless the run is
 * over (no refill, a stop, points held back by the walltime). */
static lrs_status refill(coordinator *c) {
  if (!c->src->refill || lrs_sched_stop_requested() || c->report->walltime_stop) {
    c->exhausted = true;
    return LRS_OK;
  }
  uint64_t *more = NULL, n_more = 0;
  LRS_TRY(c->src->refill(c->src->ctx, &more, &n_more));
  queued *q = NULL;
  lrs_status st = n_more ? make_queue(c->src, c->opt, more, n_more, &q) : LRS_OK;
  free(more);
  LRS_TRY(st);
  c->exhausted = c->source_done = n_more == 0;
  if (n_more) {
    free(c->queue);
    c->queue = q;
    c->n_queue = n_more;
    c->next = 0;
    c->prog.total += n_more;
    for (uint64_t i = 0; i < n_more; i++)
      c->prog.cost_total += q[i].cost;
  }
  return LRS_OK;
}

/* Sleeps a little longer each idle turn, from 10 µs up to 1 ms: waiting costs
 * no core, and a worker asking for work waits at most about a millisecond. */
static void idle(int *turns) {
  long ns = 10000L << (*turns < 7 ? *turns : 7);
  if (ns > 1000000L)
    ns = 1000000L;
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
  (*turns)++;
}

/* P = 1: the cancellation poll of rank 0's own solves (lrs_solve_set_cancel).
 * A stop lets the running point go on for drain_seconds from when the poll
 * first sees it, then cancels it. */
static bool alone_poll(void *ctx, const lrs_solver_progress *at) {
  (void)at;
  coordinator *c = ctx;
  if (!lrs_sched_stop_requested())
    return false;
  const double now = lrs_now();
  if (c->stop_seen == 0)
    c->stop_seen = now;
  return now - c->stop_seen >= c->opt->drain_seconds;
}

static lrs_status serve_alone(coordinator *c) {
  lrs_sched_solve_fn solve = c->opt->solve ? c->opt->solve : lrs_solve_point;
  lrs_point point;
  lrs_solve_set_cancel(alone_poll, c);
  while (!c->exhausted) {
    if (c->next == c->n_queue) {
      LRS_TRY(refill(c));
      continue;
    }
    if (lrs_sched_stop_requested() || fit_before_end(c, 1) == 0) {
      c->report->interrupted = true;
      break;
    }
    uint64_t index = c->queue[c->next++].index;
    LRS_TRY(c->src->point(c->src->ctx, index, &point));
    if (solve_one(&point, solve, MPI_COMM_SELF, c->result)) {
      c->report->cancelled++; /* nothing stored: pending for the next run */
      c->report->interrupted = true;
      break;
    }
    LRS_TRY(deliver(c, index, 0));
    double now = MPI_Wtime();
    LRS_TRY(c->sink->tick(c->sink->ctx, now));
    progress_show(&c->prog, c->report, now, false);
  }
  return LRS_OK;
}

/* The leader of worker `rank`'s group. */
static int leader_of(const coordinator *c, int rank) {
  return 1 + (rank - 1) / c->opt->group_size * c->opt->group_size;
}

static lrs_status receive_result(coordinator *c, int source) {
  lrs_sched_head head;
  MPI_TRY(MPI_Recv(&head, sizeof head, MPI_BYTE, source, LRS_SCHED_TAG_HEAD, c->comm,
                   MPI_STATUS_IGNORE));
  lrs_result_reset(c->result);
  LRS_TRY(lrs_result_reserve(c->result, head.n_records));
  int bytes;
  LRS_TRY(lrs_to_int(head.n_records * sizeof(lrs_record), &bytes, "result records"));
  MPI_TRY(MPI_Recv(c->result->records, bytes, MPI_BYTE, source, LRS_SCHED_TAG_RECORDS, c->comm,
                   MPI_STATUS_IGNORE));
  c->result->n_records = head.n_records;
  c->result->summary = head.summary;
  c->leaders[leader_of(c, source)].out--;
  return deliver(c, head.index, head.rank);
}

/* A worker's CANCELLED: its point was cancelled mid-solve and stays pending. */
static lrs_status receive_cancelled(coordinator *c, int source) {
  uint64_t index;
  MPI_TRY(MPI_Recv(&index, 1, MPI_UINT64_T, source, LRS_SCHED_TAG_CANCELLED, c->comm,
                   MPI_STATUS_IGNORE));
  c->leaders[leader_of(c, source)].out--;
  c->report->cancelled++;
  return LRS_OK;
}

static lrs_status receive_ready(coordinator *c, int leader) {
  uint64_t dropped;
  MPI_TRY(MPI_Recv(&dropped, 1, MPI_UINT64_T, leader, LRS_SCHED_TAG_READY, c->comm,
                   MPI_STATUS_IGNORE));
  c->leaders[leader].out -= dropped;
  c->leaders[leader].waiting = true;
  return LRS_OK;
}

/* Tells `leader`'s group to solve no more points of its chunk than the ones
 * it is on (once per group, to every rank of it; every group gets one before
 * its leader's empty assignment). */
static lrs_status send_stop(coordinator *c, int leader) {
  if (c->leaders[leader].stopped)
    return LRS_OK;
  c->leaders[leader].stopped = true;
  for (int r = leader; r < leader + c->opt->group_size; r++)
    MPI_TRY(MPI_Isend(NULL, 0, MPI_BYTE, r, LRS_SCHED_TAG_STOP, c->comm, &c->leaders[r].stop));
  return LRS_OK;
}

/* CANCEL's payloads: cancel the running point now, or the run is over (sent
 * once every point is back, so that every worker's receive is matched). */
static const int cancel_now = 1, cancel_run_over = 0;

/* Sends rank r its one CANCEL (`what`: cancel_now or cancel_run_over). */
static lrs_status send_cancel(coordinator *c, int r, const int *what) {
  leader_state *l = &c->leaders[r];
  if (l->cancel_sent)
    return LRS_OK;
  l->cancel_sent = true;
  MPI_TRY(MPI_Isend(what, 1, MPI_INT, r, LRS_SCHED_TAG_CANCEL, c->comm, &l->cancel));
  return LRS_OK;
}

/* Answers a waiting leader with a chunk, or with the stop when the run is
 * over for it; leaves it waiting while a refill may still bring points. */
static lrs_status answer(coordinator *c, int leader, int n_groups, bool draining) {
  leader_state *l = &c->leaders[leader];
  uint64_t left = c->n_queue - c->next;
  if (!draining && left == 0 && !c->exhausted)
    return LRS_OK;
  uint64_t chunk = draining ? 0 : (left + 4 * (uint64_t)n_groups - 1) / (4 * (uint64_t)n_groups);
  const queued *q = c->queue + c->next;
  if (chunk > 0 && !q[0].on_group && chunk < (uint64_t)c->opt->group_size)
    chunk = (uint64_t)c->opt->group_size; /* a shared chunk keeps every member busy */
  if (chunk > (uint64_t)c->opt->max_chunk)
    chunk = (uint64_t)c->opt->max_chunk;
  if (chunk > left)
    chunk = left;
  /* A chunk is all group points or all shared points. */
  for (uint64_t k = 1; k < chunk; k++)
    if (q[k].on_group != q[0].on_group)
      chunk = k;
  chunk = fit_before_end(c, chunk);
  /* The leader received its last ASSIGN before it asked again: at most a
   * local completion to wait for. */
  MPI_TRY(MPI_Wait(&l->assign, MPI_STATUS_IGNORE));
  if (!l->assign_buf) {
    l->assign_buf = malloc((size_t)c->opt->max_chunk * sizeof *l->assign_buf);
    LRS_TRY(LRS_CHECK_ALLOC(l->assign_buf));
  }
  for (uint64_t k = 0; k < chunk; k++)
    LRS_TRY(c->src->point(c->src->ctx, c->queue[c->next + k].index, &l->assign_buf[k]));
  if (chunk == 0)
    LRS_TRY(send_stop(c, leader)); /* before the empty assignment: the leader waits for it */
  MPI_TRY(MPI_Isend(l->assign_buf, (int)(chunk * sizeof *l->assign_buf), MPI_BYTE, leader,
                    LRS_SCHED_TAG_ASSIGN, c->comm, &l->assign));
  c->next += chunk;
  l->out += chunk;
  l->waiting = false;
  l->finished = chunk == 0;
  return LRS_OK;
}

/* Leaders still busy: not finished, or with points out. */
static int busy_leaders(const coordinator *c, int n_groups) {
  int busy = 0;
  for (int g = 0; g < n_groups; g++) {
    const leader_state *l = &c->leaders[1 + g * c->opt->group_size];
    busy += !l->finished || l->out > 0;
  }
  return busy;
}

static uint64_t points_out(const coordinator *c, int n_groups) {
  uint64_t out = 0;
  for (int g = 0; g < n_groups; g++)
    out += c->leaders[1 + g * c->opt->group_size].out;
  return out;
}

static lrs_status serve_workers(coordinator *c, int size) {
  const int n_groups = (size - 1) / c->opt->group_size;
  const int G = c->opt->group_size;
  int turns = 0;
  bool draining = false, cancelling = false;
  double deadline = 0;
  while (busy_leaders(c, n_groups) > 0) {
    double now = MPI_Wtime();
    if (!draining && (lrs_sched_stop_requested() || c->failed != LRS_OK)) {
      /* Running points may finish; the rest of every leader's chunk may not. */
      draining = true;
      deadline = now + c->opt->drain_seconds;
      for (int g = 0; g < n_groups; g++)
        LRS_TRY(send_stop(c, 1 + g * c->opt->group_size));
    }
    if (draining && now > deadline && !cancelling) {
      /* The drain is over: every group still solving cancels its point (its
       * ranks poll for CANCEL inside the solver loops, lrs_solve_set_cancel),
       * reports it CANCELLED and goes home; the point stays pending. */
      cancelling = true;
      deadline = now + c->opt->cancel_seconds;
      for (int g = 0; g < n_groups; g++) {
        const leader_state *l = &c->leaders[1 + g * G];
        if (!l->finished || l->out > 0)
          for (int r = 1 + g * G; r < 1 + (g + 1) * G; r++)
            LRS_TRY(send_cancel(c, r, &cancel_now));
      }
    } else if (cancelling && now > deadline) {
      /* A group that answers no cancel within cancel_seconds is stuck
       * (outside every polled loop: a huge set-up, a hung collective): the
       * caller closes the store and ends the job with MPI_Abort. */
      c->report->abandoned = busy_leaders(c, n_groups);
      break;
    }
    /* A refill waits until every point is back (the source may use their
     * results); without one the run is over once the queue is empty. */
    if (!draining && !c->exhausted && c->next == c->n_queue &&
        (!c->src->refill || points_out(c, n_groups) == 0))
      LRS_TRY(note_failure(c, refill(c)));
    for (int r = 1; r < size; r++)
      if (c->leaders[r].waiting)
        LRS_TRY(note_failure(c, answer(c, r, n_groups, draining || c->failed != LRS_OK)));
    int flag;
    MPI_Status status;
    MPI_TRY(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &status));
    if (flag) {
      turns = 0;
      if (status.MPI_TAG == LRS_SCHED_TAG_HEAD)
        LRS_TRY(note_failure(c, receive_result(c, status.MPI_SOURCE)));
      else if (status.MPI_TAG == LRS_SCHED_TAG_READY)
        LRS_TRY(receive_ready(c, status.MPI_SOURCE));
      else if (status.MPI_TAG == LRS_SCHED_TAG_CANCELLED)
        LRS_TRY(receive_cancelled(c, status.MPI_SOURCE));
      else
        return LRS_RAISE(LRS_ERR_MPI, "unexpected message tag %d from rank %d", status.MPI_TAG,
                         status.MPI_SOURCE);
    } else {
      if (c->failed == LRS_OK)
        LRS_TRY(note_failure(c, c->sink->tick(c->sink->ctx, now)));
      progress_show(&c->prog, c->report, now, false);
      idle(&turns);
    }
  }
  /* Every point is back: the workers that got no CANCEL get the run's end in
   * its place (each waits for its one CANCEL before it returns). */
  for (int r = 1; c->report->abandoned == 0 && r < size; r++)
    LRS_TRY(send_cancel(c, r, &cancel_run_over));
  /* Every worker has its STOP, last ASSIGN and CANCEL (it waited for them)
   * unless groups were abandoned. */
  for (int r = 1; r < size; r++) {
    MPI_Request *sent[3] = {&c->leaders[r].stop, &c->leaders[r].assign, &c->leaders[r].cancel};
    for (int k = 0; k < 3; k++) {
      if (c->report->abandoned == 0 && *sent[k] != MPI_REQUEST_NULL)
        MPI_TRY(MPI_Wait(sent[k], MPI_STATUS_IGNORE));
      if (*sent[k] != MPI_REQUEST_NULL) {
        MPI_Request_free(sent[k]);
        if (k == 1) /* MPI may still read it until the job ends: left to the abort */
          c->leaders[r].assign_buf = NULL;
      }
    }
  }
  if (c->failed != LRS_OK) /* the message the drain may have overwritten */
    return LRS_RAISE(c->failed, "%s", c->failed_message);
  return LRS_OK;
}

static lrs_status coordinate(MPI_Comm comm, int size, const lrs_sched_source *src,
                             const uint64_t *pending, uint64_t n_pending,
                             const lrs_sched_options *opt, lrs_sched_sink *sink,
                             lrs_sched_report *report) {
  coordinator c = {.comm = comm, .src = src, .opt = opt, .sink = sink, .report = report,
                   .source_done = !src->refill};
  c.prog = (progress){.mode = opt->progress,
                      .tty = isatty(STDERR_FILENO) != 0,
                      .start = MPI_Wtime(),
                      .interval = opt->progress_seconds,
                      .total = n_pending,
                      .name = opt->name};
  c.prog.last = c.prog.start;
  lrs_status st = make_queue(src, opt, pending, n_pending, &c.queue);
  for (uint64_t i = 0; st == LRS_OK && i < n_pending; i++)
    c.prog.cost_total += c.queue[i].cost;
  if (st == LRS_OK)
    st = lrs_result_create(256, &c.result);
  c.leaders = calloc((size_t)size, sizeof *c.leaders);
  if (st == LRS_OK && !c.leaders)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %d ranks", size);
  for (int r = 0; st == LRS_OK && r < size; r++)
    c.leaders[r].stop = c.leaders[r].assign = c.leaders[r].cancel = MPI_REQUEST_NULL;
  c.n_queue = n_pending;
  if (st == LRS_OK)
    st = size == 1 ? serve_alone(&c) : serve_workers(&c, size);
  else if (size > 1 && c.leaders) {
    /* The workers wait for work: stop them before returning the failure. */
    free(c.queue);
    c.queue = NULL;
    c.n_queue = c.next = 0;
    c.exhausted = true;
    if (c.result || lrs_result_create(256, &c.result) == LRS_OK) {
      note_failure(&c, st);
      for (int r = 0; r < size; r++)
        c.leaders[r].stop = c.leaders[r].assign = c.leaders[r].cancel = MPI_REQUEST_NULL;
      st = serve_workers(&c, size);
    } else {
      report->abandoned = (size - 1) / opt->group_size; /* the caller ends the job */
    }
  } else if (size > 1) {
    report->abandoned = (size - 1) / opt->group_size;
  }
  /* A failed MPI call left the workers in an unknown state: the caller ends
   * the job (a drained failure has every worker back). */
  if (st != LRS_OK && size > 1 && c.failed == LRS_OK && report->abandoned == 0)
    report->abandoned = (size - 1) / opt->group_size;
  /* Interrupted when any point did not come back (never handed out, dropped
   * from a chunk after the STOP, or abandoned in a group), or when a stop
   * came between a refilling source's rounds (its next round never asked). */
  report->interrupted = report->done < c.prog.total || !c.source_done;
  report->seconds = MPI_Wtime() - c.prog.start;
  if (st == LRS_OK)
    progress_show(&c.prog, report, MPI_Wtime(), true);
  lrs_result_destroy(&c.result);
  for (int r = 0; c.leaders && r < size; r++)
    free(c.leaders[r].assign_buf);
  free(c.leaders);
  free(c.queue);
  return st;
}

/* ---- ranks 1 .. P-1 ------------------------------------------------------------- */

/* Results on their way to rank 0, sent without waiting: a blocking send of
 * the records (above the eager limit) would hold a worker until the
 * coordinator wakes from its back-off or finishes a store write, which cost
 * small points a third of their time.  A slot is reused once its two sends
 * completed; with every slot in flight the oldest is waited for. */
enum { OUTBOX_SLOTS = 8 };

/* A worker's one CANCEL from rank 0, received from the start: the
 * cancellation poll of its solves (lrs_solve_set_cancel) tests it. */
typedef struct worker_cancel {
  MPI_Request req; /* the posted receive; MPI_REQUEST_NULL once it completed */
  int value;       /* cancel_now, or cancel_run_over (only when nothing runs) */
  bool cancel;     /* cancel_now arrived: every later solve ends at its first sync */
  double last_test; /* lrs_now() of the last MPI_Test */
} worker_cancel;

/* MPI_Test runs Open MPI's progress engine (microseconds): at most once per
 * LRS_CANCEL_SYNC_SECONDS across points, not at every point's first syncs
 * (on 0.4 ms points that cost 12% of a sweep's points/s).  A group stays
 * consistent: the solver reduces the verdicts of its ranks. */
static bool worker_poll(void *ctx, const lrs_solver_progress *at) {
  (void)at;
  worker_cancel *w = ctx;
  if (w->cancel || w->req == MPI_REQUEST_NULL)
    return w->cancel;
  const double now = lrs_now();
  if (now - w->last_test < LRS_CANCEL_SYNC_SECONDS)
    return false;
  w->last_test = now;
  int flag = 0;
  if (MPI_Test(&w->req, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag)
    w->cancel = w->value == cancel_now;
  return w->cancel;
}

typedef struct outbox {
  MPI_Comm comm;
  int rank;
  worker_cancel cancel; /* with the outbox: both are the worker's link to rank 0 */
  int next; /* the slot to post into */
  MPI_Request req[OUTBOX_SLOTS][2];
  lrs_sched_head head[OUTBOX_SLOTS];
  lrs_record *records[OUTBOX_SLOTS];
  size_t cap[OUTBOX_SLOTS];
} outbox;

static void outbox_init(outbox *o, MPI_Comm comm, int rank) {
  *o = (outbox){.comm = comm, .rank = rank, .cancel = {.req = MPI_REQUEST_NULL}};
  for (int i = 0; i < OUTBOX_SLOTS; i++)
    o->req[i][0] = o->req[i][1] = MPI_REQUEST_NULL;
}

/* Copies result r of point `index` into the next slot and posts its sends. */
static lrs_status outbox_post(outbox *o, uint64_t index, const lrs_result *r) {
  const int k = o->next;
  MPI_TRY(MPI_Waitall(2, o->req[k], MPI_STATUSES_IGNORE));
  int bytes;
  LRS_TRY(lrs_to_int(r->n_records * sizeof(lrs_record), &bytes, "result records"));
  LRS_TRY(LRS_GROW(o->records[k], o->cap[k], r->n_records));
  if (r->n_records) /* a failed point may have none (and no buffer yet) */
    memcpy(o->records[k], r->records, r->n_records * sizeof *r->records);
  o->head[k] = (lrs_sched_head){.index = index, .n_records = r->n_records, .rank = o->rank,
                                .summary = r->summary};
  MPI_TRY(MPI_Isend(&o->head[k], sizeof o->head[k], MPI_BYTE, 0, LRS_SCHED_TAG_HEAD, o->comm,
                    &o->req[k][0]));
  MPI_TRY(MPI_Isend(o->records[k], bytes, MPI_BYTE, 0, LRS_SCHED_TAG_RECORDS, o->comm,
                    &o->req[k][1]));
  o->next = (k + 1) % OUTBOX_SLOTS;
  return LRS_OK;
}

/* Tells rank 0 that point `index` was cancelled mid-solve (no result: it
 * stays pending).  Eight bytes: sent eagerly, never waits for rank 0. */
static lrs_status send_cancelled(outbox *o, uint64_t index) {
  MPI_TRY(MPI_Send(&index, 1, MPI_UINT64_T, 0, LRS_SCHED_TAG_CANCELLED, o->comm));
  return LRS_OK;
}

/* Waits until every posted result has left (rank 0 received it). */
static lrs_status outbox_flush(outbox *o) {
  MPI_TRY(MPI_Waitall(2 * OUTBOX_SLOTS, &o->req[0][0], MPI_STATUSES_IGNORE));
  return LRS_OK;
}

static void outbox_free(outbox *o) {
  for (int i = 0; i < OUTBOX_SLOTS; i++)
    free(o->records[i]);
}

/* What a leader broadcasts to its group before the points. */
typedef struct {
  int32_t kind; /* JOB_END, JOB_POINT (one point, solved together), JOB_SHARE */
  int32_t count; /* points that follow */
} group_job;

enum { JOB_END, JOB_POINT, JOB_SHARE };

/* Relays a job and its points from the leader to its group. */
static lrs_status relay(MPI_Comm group, group_job *job, lrs_point *points) {
  MPI_TRY(MPI_Bcast(job, sizeof *job, MPI_BYTE, 0, group));
  if (job->count > 0)
    MPI_TRY(MPI_Bcast(points, (int)((size_t)job->count * sizeof *points), MPI_BYTE, 0, group));
  return LRS_OK;
}

/* This rank's share of a shared chunk: every group_size-th point from its
 * group rank, each solved alone on MPI_COMM_SELF (as on a group of one, so
 * its result does not depend on G) and sent to rank 0 by this rank.  After a
 * STOP the rest is dropped; the drops of the whole group are summed on the
 * leader (`*dropped`, for its next READY). */
static lrs_status solve_share(outbox *out, MPI_Comm group, const lrs_point *chunk, int count,
                              lrs_sched_solve_fn solve, lrs_result *result,
                              MPI_Request *stop_req, int *stopped, uint64_t *dropped) {
  int g_rank, g_size;
  uint64_t mine = 0;
  MPI_TRY(MPI_Comm_rank(group, &g_rank));
  MPI_TRY(MPI_Comm_size(group, &g_size));
  for (int i = g_rank; i < count; i += g_size) {
    if (*stopped || out->cancel.cancel) {
      mine++;
      continue;
    }
    if (solve_one(&chunk[i], solve, MPI_COMM_SELF, result))
      LRS_TRY(send_cancelled(out, chunk[i].index)); /* and the rest is dropped */
    else
      LRS_TRY(outbox_post(out, chunk[i].index, result));
    MPI_TRY(MPI_Test(stop_req, stopped, MPI_STATUS_IGNORE));
  }
  MPI_TRY(MPI_Reduce(&mine, dropped, 1, MPI_UINT64_T, MPI_SUM, 0, group));
  return LRS_OK;
}

/* Asks for the next chunk (READY carrying the count of dropped points) and
 * posts its receive into `chunk`. */
static lrs_status ask(MPI_Comm comm, int max_chunk, lrs_point *chunk, uint64_t *dropped,
                      MPI_Request req[2]) {
  MPI_TRY(MPI_Isend(dropped, 1, MPI_UINT64_T, 0, LRS_SCHED_TAG_READY, comm, &req[0]));
  MPI_TRY(MPI_Irecv(chunk, (int)((size_t)max_chunk * sizeof *chunk), MPI_BYTE, 0,
                    LRS_SCHED_TAG_ASSIGN, comm, &req[1]));
  return LRS_OK;
}

/* A group leader: asks for chunks until told to stop.  A chunk of group
 * points goes to the group point by point (a group of one relays to itself
 * for free), and the leader asks for the next chunk while solving the last
 * one, so no worker waits for the coordinator between chunks.  A shared chunk
 * goes to the group at once, each rank solves its share, then the leader
 * asks.  The coordinator's STOP (posted as a receive from the start) ends the
 * current chunk after the points being solved; it always precedes the empty
 * assignment. */
static lrs_status lead(outbox *out, MPI_Comm group, const lrs_sched_options *opt,
                       lrs_sched_solve_fn solve, lrs_point *chunk, lrs_result *result) {
  const MPI_Comm comm = out->comm;
  MPI_Request stop_req = MPI_REQUEST_NULL, req[2];
  int stopped = 0;
  uint64_t dropped = 0; /* READY's payload: left alone until its send completes */
  MPI_TRY(MPI_Irecv(NULL, 0, MPI_BYTE, 0, LRS_SCHED_TAG_STOP, comm, &stop_req));
  LRS_TRY(ask(comm, opt->max_chunk, chunk, &dropped, req));
  for (;;) {
    MPI_Status status[2];
    int bytes = 0;
    MPI_TRY(MPI_Waitall(2, req, status));
    MPI_TRY(MPI_Get_count(&status[1], MPI_BYTE, &bytes));
    const int count = bytes / (int)sizeof *chunk;
    if (count == 0) {
      group_job end = {JOB_END, 0};
      if (!stopped)
        MPI_TRY(MPI_Wait(&stop_req, MPI_STATUS_IGNORE));
      return relay(group, &end, NULL);
    }
    if (!on_group(opt, &chunk[0]) && opt->group_size > 1) {
      group_job share = {JOB_SHARE, count};
      LRS_TRY(relay(group, &share, chunk));
      LRS_TRY(solve_share(out, group, chunk, count, solve, result, &stop_req, &stopped,
                          &dropped));
      LRS_TRY(ask(comm, opt->max_chunk, chunk, &dropped, req));
      continue;
    }
    int i = 0;
    /* After a CANCEL no point starts (the leader alone decides: the group
     * waits in the relay). */
    for (; i < count && !stopped && !out->cancel.cancel; i++) {
      lrs_point point = chunk[i]; /* the next chunk may arrive into `chunk` */
      group_job one = {JOB_POINT, 1};
      if (i == count - 1) {
        dropped = 0;
        LRS_TRY(ask(comm, opt->max_chunk, chunk, &dropped, req));
      }
      LRS_TRY(relay(group, &one, &point));
      /* A cancel ends the solve on every rank of the group at once (the
       * solver reduces the verdict); the leader reports it. */
      if (solve_one(&point, solve, group, result))
        LRS_TRY(send_cancelled(out, point.index));
      else
        LRS_TRY(outbox_post(out, point.index, result));
      MPI_TRY(MPI_Test(&stop_req, &stopped, MPI_STATUS_IGNORE));
    }
    if (i < count) { /* cut by the STOP or a CANCEL: not asked yet */
      dropped = (uint64_t)(count - i);
      LRS_TRY(ask(comm, opt->max_chunk, chunk, &dropped, req));
    }
  }
}

/* A group member: does whatever job its leader relays, until the end. */
static lrs_status follow(outbox *out, MPI_Comm group, lrs_sched_solve_fn solve,
                         lrs_point *chunk, lrs_result *result) {
  const MPI_Comm comm = out->comm;
  MPI_Request stop_req = MPI_REQUEST_NULL;
  int stopped = 0;
  uint64_t dropped; /* significant on the leader only */
  MPI_TRY(MPI_Irecv(NULL, 0, MPI_BYTE, 0, LRS_SCHED_TAG_STOP, comm, &stop_req));
  for (;;) {
    group_job job;
    LRS_TRY(relay(group, &job, chunk));
    if (job.kind == JOB_END) {
      if (!stopped)
        MPI_TRY(MPI_Wait(&stop_req, MPI_STATUS_IGNORE));
      return LRS_OK;
    }
    if (job.kind == JOB_POINT) /* cancelled or not, the leader tells rank 0 */
      (void)solve_one(&chunk[0], solve, group, result);
    else
      LRS_TRY(solve_share(out, group, chunk, job.count, solve, result, &stop_req, &stopped,
                          &dropped));
  }
}

static lrs_status work(MPI_Comm comm, MPI_Comm group, int rank, const lrs_sched_options *opt) {
  lrs_sched_solve_fn solve = opt->solve ? opt->solve : lrs_solve_point;
  int group_rank;
  MPI_TRY(MPI_Comm_rank(group, &group_rank));
  lrs_result *result = NULL;
  lrs_point *chunk = malloc((size_t)opt->max_chunk * sizeof *chunk);
  lrs_status st = LRS_CHECK_ALLOC(chunk);
  if (st == LRS_OK)
    st = lrs_result_create(256, &result);
  outbox out;
  outbox_init(&out, comm, rank);
  if (st == LRS_OK)
    st = lrs_mpi_check(MPI_Irecv(&out.cancel.value, 1, MPI_INT, 0, LRS_SCHED_TAG_CANCEL, comm,
                                 &out.cancel.req),
                       "MPI_Irecv (CANCEL)");
  lrs_solve_set_cancel(worker_poll, &out.cancel); /* on every worker: groups sync alike */
  if (st == LRS_OK)
    st = group_rank == 0 ? lead(&out, group, opt, solve, chunk, result)
                         : follow(&out, group, solve, chunk, result);
  lrs_solve_set_cancel(NULL, NULL);
  if (st == LRS_OK)
    st = outbox_flush(&out);
  if (st == LRS_OK) /* the one CANCEL: sent at the latest once every point is back */
    st = lrs_mpi_check(MPI_Wait(&out.cancel.req, MPI_STATUS_IGNORE), "MPI_Wait (CANCEL)");
  if (st == LRS_OK) /* else sends may be in flight from the slots: the job aborts */
    outbox_free(&out);
  lrs_result_destroy(&result);
  free(chunk);
  return st;
}

lrs_status lrs_sched_run(MPI_Comm comm, const lrs_sched_source *source, const uint64_t *pending,
                         uint64_t n_pending, const lrs_sched_options *options,
                         lrs_sched_sink *sink, lrs_sched_report *report) {
  lrs_sched_options opt = options ? *options : lrs_sched_defaults();
  int rank, size;
  MPI_Comm own = MPI_COMM_NULL, group = MPI_COMM_NULL;
  LRS_TRY(lrs_sched_install_handlers());
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  second_stop_ends = rank != 0;
  MPI_TRY(MPI_Comm_size(comm, &size));
  if (opt.group_size < 1 || (size > 1 && (size - 1) % opt.group_size != 0))
    return LRS_RAISE(LRS_ERR_USAGE,
                     "%d worker rank%s cannot form groups of %d: use P = 1 + k·%d ranks",
                     size - 1, size == 2 ? "" : "s", opt.group_size, opt.group_size);
  if (opt.max_chunk < 1)
    opt.max_chunk = 1;
  /* Points travel as bytes in an int count. */
  if ((size_t)opt.max_chunk > (size_t)INT_MAX / sizeof(lrs_point))
    opt.max_chunk = (int)((size_t)INT_MAX / sizeof(lrs_point));
  /* Library traffic on a communicator of its own; MPI errors come back as codes. */
  MPI_TRY(MPI_Comm_dup(comm, &own));
  MPI_Comm_set_errhandler(own, MPI_ERRORS_RETURN);
  int color = rank == 0 ? MPI_UNDEFINED : (rank - 1) / opt.group_size;
  lrs_status st = lrs_mpi_check(MPI_Comm_split(own, color, rank, &group), "MPI_Comm_split");
  if (st == LRS_OK && group != MPI_COMM_NULL)
    MPI_Comm_set_errhandler(group, MPI_ERRORS_RETURN);
  if (st == LRS_OK) {
    if (rank == 0) {
      *report = (lrs_sched_report){0};
      st = coordinate(own, size, source, pending, n_pending, &opt, sink, report);
    } else {
      st = work(own, group, rank, &opt);
    }
  }
  if (group != MPI_COMM_NULL)
    MPI_Comm_free(&group);
  lrs_solve_set_cancel(NULL, NULL); /* P = 1: rank 0's own poll (serve_alone) */
  /* The set-up cache lives as long as this rank's loop over points
   * (lrsweep/problem.h): its memory goes back with the run's end. */
  lrs_setup_cache_clear();
  /* An interrupted coordinator may leave workers mid-point: do not free the
   * shared communicator collectively then (the caller aborts the job). */
  if (!(rank == 0 && report->abandoned > 0))
    MPI_Comm_free(&own);
  return st;
}
