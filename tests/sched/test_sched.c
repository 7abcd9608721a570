/*
 * The coordinator/worker protocol under mpirun (any P): every pending point
 * reaches the sink exactly once with its own result, groups see their size
 * (all points on groups, or with a group threshold only the wide ones),
 * refills run every added point once, and real solves give the same bits as
 * a local solve on rank 0 (wide points on groups of G > 1: within 1e-9, or
 * 1e-13 of the initial excess where L − ℓ* is down at its rounding level).
 * usage: test_sched GROUP_SIZE
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrs_test.h"
#include "lrs_test_mpi.h"
#include "lrsweep/sched.h"
#include "lrsweep/solve.h"

static int group_size = 1;
static uint64_t extra_records = 0; /* > 0: results above the MPI eager limit */
enum { THRESHOLD = 40 }; /* the grid's widths: 20 (shared out) and 48 (groups) */

/* A fake solve whose result is a function of the index alone. */
static lrs_status fake_solve(const lrs_point *p, MPI_Comm comm, lrs_result *r) {
  int size;
  MPI_Comm_size(comm, &size);
  r->summary.status = p->index % 7 == 3 ? LRS_POINT_DIVERGED : LRS_POINT_CONVERGED;
  r->summary.iterations = (int64_t)(p->index * 7 % 13);
  r->summary.final_loss = 1.0 / (double)(p->index + 1);
  r->summary.rhs_evals = size; /* lets the test see the group size */
  for (uint64_t k = 0; k <= p->index % 5 + extra_records; k++) {
    lrs_record rec = lrs_record_unset();
    rec.step = (int64_t)k;
    rec.loss = (double)p->index + (double)k / 10.0;
    LRS_TRY(lrs_result_append(r, &rec));
  }
  return LRS_OK;
}

typedef struct {
  const lrs_grid *grid;
  int64_t threshold; /* the run's group_threshold */
  uint64_t n;
  int *seen;
  bool content_ok, size_ok;
  lrs_result **kept; /* copies of real results, when keeping */
} collector;

static lrs_status collect_fake(void *ctx, uint64_t index, const lrs_result *r, int rank) {
  collector *c = ctx;
  if (index >= c->n)
    return LRS_RAISE(LRS_ERR_INTERNAL, "index %llu out of range", (unsigned long long)index);
  c->seen[index]++;
  bool ok = r->summary.iterations == (int64_t)(index * 7 % 13) &&
            r->summary.final_loss == 1.0 / (double)(index + 1) &&
            r->n_records == index % 5 + 1 + extra_records;
  for (size_t k = 0; ok && k < r->n_records; k++)
    ok = r->records[k].step == (int64_t)k &&
         r->records[k].loss == (double)index + (double)k / 10.0;
  c->content_ok &= ok;
  lrs_point p;
  LRS_TRY(lrs_grid_point(c->grid, index % lrs_grid_size(c->grid), &p));
  int expect = group_size > 1 && p.width >= c->threshold ? group_size : 1;
  c->size_ok &= r->summary.rhs_evals == expect && (rank > 0 || group_size == 1);
  return LRS_OK;
}

static lrs_status collect_real(void *ctx, uint64_t index, const lrs_result *r, int rank) {
  (void)rank;
  collector *c = ctx;
  c->seen[index]++;
  LRS_TRY(lrs_result_create(r->n_records, &c->kept[index]));
  c->kept[index]->summary = r->summary;
  for (size_t k = 0; k < r->n_records; k++)
    LRS_TRY(lrs_result_append(c->kept[index], &r->records[k]));
  return LRS_OK;
}

/* A coordinator slower than its workers: 2 ms per result. */
static lrs_status collect_slow(void *ctx, uint64_t index, const lrs_result *r, int rank) {
  const struct timespec ts = {0, 2000000L};
  nanosleep(&ts, NULL);
  return collect_fake(ctx, index, r, rank);
}

/* Raises SIGUSR1 on rank 0 once `stop_after` results have arrived. */
static uint64_t delivered, stop_after;
static lrs_status collect_then_stop(void *ctx, uint64_t index, const lrs_result *r, int rank) {
  LRS_TRY(collect_fake(ctx, index, r, rank));
  if (++delivered == stop_after)
    raise(SIGUSR1);
  return LRS_OK;
}

static lrs_status no_tick(void *ctx, double now) {
  (void)ctx;
  (void)now;
  return LRS_OK;
}

/* A source whose refills add points beyond the grid (index ≥ grid size:
 * grid point index % size, renumbered) in rounds of 10 and 15, then none. */
typedef struct {
  const lrs_grid *grid;
  collector *seen;
  int rounds;
  uint64_t next;        /* first index of the next round */
  uint64_t queued;      /* points given to the scheduler so far */
  bool all_back_first;  /* every refill came after all queued points came back */
} growing;

static lrs_status growing_point(void *ctx, uint64_t index, lrs_point *p) {
  const growing *g = ctx;
  LRS_TRY(lrs_grid_point(g->grid, index % lrs_grid_size(g->grid), p));
  p->index = index;
  return LRS_OK;
}

static lrs_status growing_refill(void *ctx, uint64_t **more, uint64_t *n_more) {
  growing *g = ctx;
  uint64_t back = 0;
  for (uint64_t i = 0; i < g->seen->n; i++)
    back += (uint64_t)g->seen->seen[i];
  g->all_back_first &= back == g->queued;
  *n_more = g->rounds == 0 ? 10 : g->rounds == 1 ? 15 : 0;
  *more = malloc((*n_more ? *n_more : 1) * sizeof **more);
  LRS_TRY(LRS_CHECK_ALLOC(*more));
  for (uint64_t k = 0; k < *n_more; k++)
    (*more)[k] = g->next + k;
  g->next += *n_more;
  g->queued += *n_more;
  g->rounds++;
  return LRS_OK;
}

static const char *const sweep_text = "[sweep]\nreplicates = 4\n"
                                      "[solver]\nmax_iter = 12\nstep_rule = \"fixed\"\n"
                                      "coordinates = \"full\"\n" /* solve width h */
                                      "[problem]\ninput_dim = 4\noutput_dim = 3\n"
                                      "[grid]\nstep_size = [0.01, 0.02, 0.005]\n"
                                      "width = [20, 48]\n"
                                      "sigma2 = [0.01, 0.1, 1.0]\n";

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc > 1)
    group_size = atoi(argv[1]);
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_config_load_string(sweep_text, strlen(sweep_text), "sched.toml", &cfg);
  lrs_grid_create(cfg, &grid);
  uint64_t n = lrs_grid_size(grid); /* 72 */

  /* Every other point pending, as after a partial run. */
  uint64_t pending[128], n_pending = 0;
  for (uint64_t i = 0; i < n; i += 2)
    pending[n_pending++] = i;

  lrs_sched_options opt = lrs_sched_defaults();
  opt.group_size = group_size;
  opt.progress = LRS_PROGRESS_QUIET;
  opt.max_chunk = 3;
  opt.solve = fake_solve;
  collector c = {.grid = grid, .n = n, .seen = calloc(n, sizeof(int)), .content_ok = true, .size_ok = true};
  lrs_sched_sink sink = {&c, collect_fake, no_tick};
  lrs_sched_report report;
  lrs_sched_source source = lrs_sched_grid_source(grid);
  lrs_status st = lrs_sched_run(MPI_COMM_WORLD, &source, pending, n_pending, &opt, &sink, &report);
  if (rank == 0) {
    LRS_CHECK(st == LRS_OK, "fake sweep on %d ranks, groups of %d: %s", size, group_size,
              lrs_error_message());
    bool once = true;
    for (uint64_t i = 0; i < n; i++)
      once &= c.seen[i] == (i % 2 == 0 ? 1 : 0);
    LRS_CHECK(once, "each pending point delivered exactly once, others never");
    LRS_CHECK(c.content_ok, "each result is its own point's, records intact");
    LRS_CHECK(c.size_ok, "points solved on groups of %d ranks (by a worker when P > 1)",
              group_size);
    LRS_CHECK(report.done == n_pending && report.failed == 0 && !report.interrupted,
              "report: %llu done, none failed", (unsigned long long)report.done);
  }

  /* A slow coordinator and results of 8 KiB (rendezvous sends): every worker
   * has more results in flight than its outbox's 8 slots, so slots are reused
   * only after their sends completed; each result must arrive intact. */
  {
    memset(c.seen, 0, n * sizeof(int));
    extra_records = 40;
    opt.max_chunk = 64;
    sink.put = collect_slow;
    st = lrs_sched_run(MPI_COMM_WORLD, &source, pending, n_pending, &opt, &sink, &report);
    if (rank == 0) {
      bool once = true;
      for (uint64_t i = 0; i < n; i++)
        once &= c.seen[i] == (i % 2 == 0 ? 1 : 0);
      LRS_CHECK(st == LRS_OK && once && c.content_ok,
                "slow coordinator, %llu-record results: each delivered once and intact",
                (unsigned long long)(extra_records + 1));
    }
    extra_records = 0;
    opt.max_chunk = 3;
    sink.put = collect_fake;
  }

  /* Refills: two rounds of points beyond the grid, each solved once, after
   * every earlier point is back; workers stay for every round. */
  opt.group_threshold = THRESHOLD;
  collector grown = {.grid = grid, .threshold = THRESHOLD, .n = n + 25, .seen = calloc(n + 25, sizeof(int)), .content_ok = true,
                     .size_ok = true};
  growing g = {.grid = grid, .seen = &grown, .next = n, .queued = n_pending,
               .all_back_first = true};
  lrs_sched_source refilling = {&g, growing_point, growing_refill};
  sink.ctx = &grown;
  st = lrs_sched_run(MPI_COMM_WORLD, &refilling, pending, n_pending, &opt, &sink, &report);
  if (rank == 0) {
    bool once = true;
    for (uint64_t i = 0; i < n + 25; i++)
      once &= grown.seen[i] == (i >= n || i % 2 == 0 ? 1 : 0);
    LRS_CHECK(st == LRS_OK && once && grown.content_ok && grown.size_ok,
              "refilled points (2 rounds) each solved exactly once, by their own index");
    LRS_CHECK(g.rounds == 3 && g.all_back_first,
              "refill called 3 times, each once every queued point was back");
    LRS_CHECK(report.done == n_pending + 25 && !report.interrupted,
              "report counts refilled points: %llu done", (unsigned long long)report.done);
  }
  free(grown.seen);
  sink.ctx = &c;

  /* Real solves: same bits as a local solve, whatever the rank count; wide
   * points on groups of G > 1 within 1e-9 (the dist backend sums in another
   * order), or 1e-13 of L0 − ℓ* once the excess L − ℓ* is a few ulps of L
   * (12 iterations take it from 6e-4 to 1e-16 here). */
  {
    memset(c.seen, 0, n * sizeof(int));
    c.kept = calloc(n, sizeof *c.kept);
    opt.solve = NULL;
    sink.put = collect_real;
    st = lrs_sched_run(MPI_COMM_WORLD, &source, pending, n_pending, &opt, &sink, &report);
    if (rank == 0) {
      bool same = st == LRS_OK;
      int n_group = 0;
      lrs_result *local = NULL;
      lrs_result_create(64, &local);
      for (uint64_t k = 0; same && k < n_pending; k++) {
        lrs_point p;
        lrs_grid_point(grid, pending[k], &p);
        lrs_solve_point(&p, MPI_COMM_SELF, local);
        const lrs_result *got = c.kept[pending[k]];
        same = got && got->n_records == local->n_records &&
               got->summary.status == local->summary.status &&
               got->summary.iterations == local->summary.iterations;
        if (group_size > 1 && p.width >= THRESHOLD) {
          for (size_t j = 0; same && j < local->n_records; j++)
            same = fabs(got->records[j].loss - local->records[j].loss) <=
                   1e-9 * fabs(local->records[j].loss) + 1e-13 * fabs(local->records[0].loss);
          n_group++;
          continue;
        }
        same = same &&
               memcmp(&got->summary.final_loss, &local->summary.final_loss, sizeof(double)) == 0;
        for (size_t j = 0; same && j < local->n_records; j++)
          same = memcmp(&got->records[j].loss, &local->records[j].loss, sizeof(double)) == 0;
      }
      LRS_CHECK(same, "real solves on %d ranks (groups of %d, threshold h = %d: %d on groups) "
                "equal local solves", size, group_size, THRESHOLD, n_group);
      lrs_result_destroy(&local);
      for (uint64_t i = 0; i < n; i++)
        lrs_result_destroy(&c.kept[i]);
    }
    free(c.kept);
  }
  /* Last (the stop flag stays set): a stop once the first round is back and
   * before the refill is asked must leave the run interrupted, not done. */
  {
    opt.solve = fake_solve;
    opt.group_threshold = 0;
    collector first = {.grid = grid, .n = n + 25, .seen = calloc(n + 25, sizeof(int)),
                       .content_ok = true, .size_ok = true};
    growing later = {.grid = grid, .seen = &first, .next = n, .queued = n_pending,
                 .all_back_first = true};
    lrs_sched_source later_src = {&later, growing_point, growing_refill};
    lrs_sched_sink stopping = {&first, collect_then_stop, no_tick};
    stop_after = n_pending;
    st = lrs_sched_run(MPI_COMM_WORLD, &later_src, pending, n_pending, &opt, &stopping, &report);
    if (rank == 0)
      LRS_CHECK(st == LRS_OK && lrs_sched_stop_requested() && later.rounds == 0 &&
                    report.done == n_pending && report.interrupted,
                "a stop between rounds: %llu done, refill never asked, run interrupted",
                (unsigned long long)report.done);
    free(first.seen);
  }
  free(c.seen);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return lrs_test_mpi_done_root(rank);
}
