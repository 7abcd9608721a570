/*
 * Points in one process: solves every point of a sweep file with
 * lrs_solve_point in a plain loop (no scheduler, no store, no MPI), as one
 * worker does, and prints one JSON line: points per second and the mean
 * wall_seconds of a point.  `perf record` on it shows where a worker's time
 * goes without mpirun's start-up in the profile.
 *
 * usage: bench_points SWEEP.toml [REPEATS] [ORDER]
 *   REPEATS: run the whole grid this many times (default 1)
 *   ORDER:   `forward` (default), `reverse` (the grid's last point first) or
 *            `grouped` (points sharing draws together, as lrs_sched_run
 *            queues equal-cost points)
 * cpu_points_per_second divides by the process's CPU time, steadier than
 * the wall time on a shared machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrsweep/grid.h"
#include "lrsweep/point.h"
#include "lrsweep/problem.h"
#include "lrsweep/solve.h"

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  uint64_t draws, index;
} slot;

static int by_draws(const void *a, const void *b) {
  const slot *x = a, *y = b;
  if (x->draws != y->draws)
    return x->draws < y->draws ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: bench_points SWEEP.toml [REPEATS] [forward|reverse]\n");
    return 2;
  }
  const long repeats = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
  const char *order = argc > 3 ? argv[3] : "forward";
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_result *res = NULL;
  lrs_status st = lrs_config_load_file(argv[1], &cfg);
  if (st == LRS_OK)
    st = lrs_grid_create(cfg, &grid);
  if (st == LRS_OK)
    st = lrs_result_create(64, &res);
  const uint64_t n = st == LRS_OK ? lrs_grid_size(grid) : 0;
  slot *seq = malloc((n ? n : 1) * sizeof *seq);
  if (st == LRS_OK && !seq)
    st = LRS_ERR_NOMEM;
  for (uint64_t i = 0; st == LRS_OK && i < n; i++) {
    lrs_point p;
    seq[i].index = strcmp(order, "reverse") == 0 ? n - 1 - i : i;
    st = lrs_grid_point(grid, seq[i].index, &p);
    seq[i].draws = strcmp(order, "grouped") == 0 ? lrs_point_stream_seed(&p, LRS_STREAM_INIT) : 0;
  }
  if (st == LRS_OK)
    qsort(seq, n, sizeof *seq, by_draws);
  double point_seconds = 0.0, checksum = 0.0;
  uint64_t solved = 0;
  const double t0 = now(), c0 = cpu_now();
  for (long r = 0; st == LRS_OK && r < repeats; r++)
    for (uint64_t i = 0; st == LRS_OK && i < n; i++) {
      lrs_point p;
      st = lrs_grid_point(grid, seq[i].index, &p);
      if (st == LRS_OK)
        st = lrs_solve_point(&p, MPI_COMM_SELF, res);
      if (st == LRS_OK) {
        point_seconds += res->summary.wall_seconds;
        checksum += res->summary.final_loss;
        solved++;
      }
    }
  const double seconds = now() - t0, cpu = cpu_now() - c0;
  free(seq);
#ifdef LRS_HAVE_SETUP_CACHE
  const lrs_setup_cache_stats cs = lrs_setup_cache_stats_get();
#else /* a tree from before the cache (the benchmarks' base) */
  const struct { unsigned long long hits, misses; } cs = {0, 0};
#endif
  if (st != LRS_OK)
    fprintf(stderr, "bench_points: %s\n", lrs_error_message());
  printf("{\"points\": %llu, \"seconds\": %.4f, \"points_per_second\": %.1f, "
         "\"cpu_points_per_second\": %.1f, \"cache_hits\": %llu, \"cache_misses\": %llu, "
         "\"mean_point_seconds\": %.3e, \"checksum\": %.17g, \"ok\": %s}\n",
         (unsigned long long)solved, seconds, (double)solved / seconds, (double)solved / cpu,
         (unsigned long long)cs.hits, (unsigned long long)cs.misses,
         solved ? point_seconds / (double)solved : 0.0, checksum, st == LRS_OK ? "true" : "false");
  lrs_result_destroy(&res);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st == LRS_OK ? 0 : 1;
}
