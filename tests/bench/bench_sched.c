/*
 * Coordinator benchmark: runs N synthetic points through lrs_sched_run and
 * prints points per second (rank 0).  MODE `work`: every point costs the same
 * fixed CPU work (dgemm on 96×96 matrices); MODE `tiny`: points cost nothing,
 * so the rate is the coordinator's ceiling.
 * usage: mpirun -np P bench_sched work|tiny N
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/sched.h"

enum { DIM = 96, REPS = 200 };
static double a[DIM * DIM], b[DIM * DIM], c[DIM * DIM];

static lrs_status work_solve(const lrs_point *p, MPI_Comm comm, lrs_result *r) {
  (void)comm;
  for (int k = 0; k < REPS; k++)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, DIM, DIM, DIM, 1.0 / DIM, a, DIM, b,
                DIM, 0.0, c, DIM);
  r->summary.status = LRS_POINT_CONVERGED;
  r->summary.final_loss = c[p->index % (DIM * DIM)];
  return LRS_OK;
}

static lrs_status tiny_solve(const lrs_point *p, MPI_Comm comm, lrs_result *r) {
  (void)comm;
  r->summary.status = LRS_POINT_CONVERGED;
  r->summary.iterations = (int64_t)p->index;
  return LRS_OK;
}

static lrs_status count_put(void *ctx, uint64_t index, const lrs_result *r, int rank) {
  (void)index, (void)r, (void)rank;
  ++*(uint64_t *)ctx;
  return LRS_OK;
}
static lrs_status no_tick(void *ctx, double now) {
  (void)ctx, (void)now;
  return LRS_OK;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 3) {
    if (rank == 0)
      fprintf(stderr, "usage: bench_sched work|tiny N\n");
    MPI_Finalize();
    return 2;
  }
  bool work = strcmp(argv[1], "work") == 0;
  uint64_t n = strtoull(argv[2], NULL, 10);
  for (int i = 0; i < DIM * DIM; i++) {
    a[i] = (double)(i % 7) / 7.0;
    b[i] = (double)(i % 5) / 5.0;
  }
  char text[128];
  snprintf(text, sizeof text, "[sweep]\nreplicates = %llu\n", (unsigned long long)n);
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  if (lrs_config_load_string(text, strlen(text), "bench.toml", &cfg) != LRS_OK ||
      lrs_grid_create(cfg, &grid) != LRS_OK) {
    fprintf(stderr, "bench_sched: %s\n", lrs_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  uint64_t *pending = malloc(n * sizeof *pending), delivered = 0;
  for (uint64_t i = 0; i < n; i++)
    pending[i] = i;
  lrs_sched_options opt = lrs_sched_defaults();
  opt.progress = LRS_PROGRESS_QUIET;
  opt.solve = work ? work_solve : tiny_solve;
  lrs_sched_sink sink = {&delivered, count_put, no_tick};
  lrs_sched_report report;
  lrs_sched_source source = lrs_sched_grid_source(grid);
  lrs_status st = lrs_sched_run(MPI_COMM_WORLD, &source, pending, n, &opt, &sink, &report);
  if (rank == 0)
    printf("{\"mode\": \"%s\", \"ranks\": %d, \"points\": %llu, \"seconds\": %.4f, "
           "\"points_per_second\": %.1f, \"ok\": %s}\n",
           argv[1], size, (unsigned long long)delivered, report.seconds,
           (double)delivered / report.seconds, st == LRS_OK && delivered == n ? "true" : "false");
  free(pending);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  MPI_Finalize();
  return st == LRS_OK ? 0 : 1;
}
