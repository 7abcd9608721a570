/*
 * OpenBLAS dgemm rate on this machine: C (M×N) ← A (M×K) · B (K×N), best of
 * REPS timed calls after one warm-up, printed as one JSON object.  The
 * reference of the large-point efficiency in tests/bench/run.sh.
 * usage: bench_dgemm M N K [REPS]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_dgemm M N K [REPS]\n");
    return 2;
  }
  const long m = atol(argv[1]), n = atol(argv[2]), k = atol(argv[3]);
  const int reps = argc > 4 ? atoi(argv[4]) : 5;
  if (m < 1 || n < 1 || k < 1 || reps < 1) {
    fprintf(stderr, "bench_dgemm: sizes and REPS must be ≥ 1\n");
    return 2;
  }
  double *a = malloc((size_t)(m * k) * sizeof *a), *b = malloc((size_t)(k * n) * sizeof *b),
         *c = malloc((size_t)(m * n) * sizeof *c);
  int rc = 1;
  if (!a || !b || !c) {
    fprintf(stderr, "bench_dgemm: out of memory\n");
    goto done;
  }
  for (long i = 0; i < m * k; i++)
    a[i] = (double)(i % 13) / 13.0 - 0.4;
  for (long i = 0; i < k * n; i++)
    b[i] = (double)(i % 11) / 11.0 - 0.45;
  double best = 1e300;
  for (int r = 0; r <= reps; r++) {
    const double t0 = now();
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0, a,
                (int)m, b, (int)k, 0.0, c, (int)m);
    const double t = now() - t0;
    if (r > 0 && t < best) /* r = 0 warms up */
      best = t;
  }
  printf("{\"m\": %ld, \"n\": %ld, \"k\": %ld, \"seconds\": %.6g, \"gflops\": %.4g, "
         "\"check\": %.6g}\n",
         m, n, k, best, 2.0 * (double)m * (double)n * (double)k / best * 1e-9, c[(m * n) / 2]);
  rc = 0;
done:
  free(a);
  free(b);
  free(c);
  return rc;
}
