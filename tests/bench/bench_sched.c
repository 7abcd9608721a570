/*
 * Coordinator benchmark: runs N synthetic points through lrs_sched_run and
 * prints points per second (rank 0).  MODE `work`: every point costs the same
 * fixed CPU work (dgemm on 96×96 matrices); MODE `tiny`: points cost nothing,
 * so the rate is the coordinator's ceiling; MODE `alone`: the `work` points in
 * a plain loop, no scheduler (two of these at once measure what two cores
 * give two independent copies: the ceiling of 2 workers vs 1).
 * usage: mpirun -np P bench_sched work|tiny|alone N
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The `work` points in a plain loop on this rank. */
static lrs_status run_alone(uint64_t n, uint64_t *delivered) {
  lrs_result *r = NULL;
  lrs_point p = {0};
  lrs_status st = lrs_result_create(1, &r);
  for (p.index = 0; st == LRS_OK && p.index < n; p.index++, ++*delivered)
    st = work_solve(&p, MPI_COMM_SELF, r);
  lrs_result_destroy(&r);
  return st;
}

static lrs_status run_sched(bool work, uint64_t n, uint64_t *delivered) {
  char text[128];
  snprintf(text, sizeof text, "[sweep]\nreplicates = %llu\n", (unsigned long long)n);
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  uint64_t *pending = malloc((n ? n : 1) * sizeof *pending);
  lrs_status st = LRS_CHECK_ALLOC(pending);
  if (st == LRS_OK)
    st = lrs_config_load_string(text, strlen(text), "bench.toml", &cfg);
  if (st == LRS_OK)
    st = lrs_grid_create(cfg, &grid);
  for (uint64_t i = 0; st == LRS_OK && i < n; i++)
    pending[i] = i;
  lrs_sched_options opt = lrs_sched_defaults();
  opt.progress = LRS_PROGRESS_QUIET;
  opt.solve = work ? work_solve : tiny_solve;
  lrs_sched_sink sink = {delivered, count_put, no_tick};
  lrs_sched_report report;
  lrs_sched_source source = lrs_sched_grid_source(grid);
  if (st == LRS_OK)
    st = lrs_sched_run(MPI_COMM_WORLD, &source, pending, n, &opt, &sink, &report);
  free(pending);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const char *mode = argc == 3 ? argv[1] : "";
  if (strcmp(mode, "work") != 0 && strcmp(mode, "tiny") != 0 && strcmp(mode, "alone") != 0) {
    if (rank == 0)
      fprintf(stderr, "usage: bench_sched work|tiny|alone N\n");
    MPI_Finalize();
    return 2;
  }
  uint64_t n = strtoull(argv[2], NULL, 10), delivered = 0;
  for (int i = 0; i < DIM * DIM; i++) {
    a[i] = (double)(i % 7) / 7.0;
    b[i] = (double)(i % 5) / 5.0;
  }
  double t0 = MPI_Wtime(), cpu0 = cpu_seconds();
  lrs_status st = strcmp(mode, "alone") == 0 ? run_alone(n, &delivered)
                                             : run_sched(strcmp(mode, "work") == 0, n, &delivered);
  double seconds = MPI_Wtime() - t0, cpu = cpu_seconds() - cpu0;
  if (st != LRS_OK)
    fprintf(stderr, "bench_sched: %s\n", lrs_error_message());
  /* Rank 0's CPU time: in `work` mode with P > 1, the coordinator's cost. */
  if (rank == 0)
    printf("{\"mode\": \"%s\", \"ranks\": %d, \"points\": %llu, \"seconds\": %.4f, "
           "\"points_per_second\": %.1f, \"rank0_cpu_seconds\": %.4f, \"ok\": %s}\n",
           mode, size, (unsigned long long)delivered, seconds, (double)delivered / seconds, cpu,
           st == LRS_OK && delivered == n ? "true" : "false");
  MPI_Finalize();
  return st == LRS_OK ? 0 : 1;
}
