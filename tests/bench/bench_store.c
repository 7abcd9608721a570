/*
 * Store benchmark: writes 10^5 points with 100-record trajectories through
 * the writer (batched flushes, as a sweep would), then reads the points table
 * back, and prints times, rates, the file size and its ratio to the raw data
 * (packed rows + packed records).  Not run by `meson test`; run it with
 * `meson test -C build --benchmark` or directly: bench_store [DIR] [POINTS].
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lrsweep/store.h"

enum { RECORDS = 100 };

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  long want = argc > 2 ? atol(argv[2]) : 100000;
  /* 100 widths × 100 step sizes × 10 seeds = 10^5 points (fewer: fewer widths). */
  long widths = want / 1000 > 0 ? want / 1000 : 1;
  char text[512];
  snprintf(text, sizeof text,
           "[sweep]\nname = \"bench\"\nreplicates = 10\n[solver]\nstep_rule = \"fixed\"\n"
           "[grid]\nwidth = { lin = [100, %ld], num = %ld }\n"
           "step_size = { log = [1e-5, 1e-1], num = 100 }\n",
           100 + 10 * (widths - 1), widths);
  char path[600];
  snprintf(path, sizeof path, "%s/lrs-bench-%ld.h5", dir, (long)getpid());
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_store_writer *w = NULL;
  lrs_result *r = NULL;
  lrs_store *rd = NULL;
  lrs_store_points *pts = NULL;
  lrs_status st = lrs_config_load_string(text, strlen(text), "bench.toml", &cfg);
  if (st == LRS_OK)
    st = lrs_grid_create(cfg, &grid);
  if (st != LRS_OK) {
    fprintf(stderr, "bench_store: %s\n", lrs_error_message());
    return 1;
  }
  uint64_t n = lrs_grid_size(grid);
  lrs_result_create(RECORDS, &r);
  double t0 = lrs_now();
  st = lrs_store_writer_open(path, grid, NULL, &w);
  double t_open = lrs_now() - t0;
  double t1 = lrs_now();
  for (uint64_t i = 0; i < n && st == LRS_OK; i++) {
    /* A synthetic result: deterministic, every field set. */
    lrs_result_reset(r);
    r->summary.status = LRS_POINT_CONVERGED;
    r->summary.iterations = RECORDS;
    r->summary.loss0 = 2.385 + 1e-5 * (double)i;
    r->summary.rate = 0.5;
    r->summary.wall_seconds = 1e-3;
    for (int k = 0; k < RECORDS; k++) {
      lrs_record rec = lrs_record_unset();
      rec.step = k;
      rec.time = k;
      rec.loss = r->summary.loss0 * (double)(RECORDS - k);
      rec.grad_norm = 1.0 / (k + 1);
      lrs_result_append(r, &rec);
    }
    st = lrs_store_put(w, i, r, 0);
    if (st == LRS_OK && (i & 1023) == 0)
      st = lrs_store_maybe_flush(w, lrs_now());
  }
  double t_put = lrs_now() - t1;
  double t2 = lrs_now();
  lrs_status cst = lrs_store_writer_close(&w);
  double t_close = lrs_now() - t2;
  st = st != LRS_OK ? st : cst;
  if (st != LRS_OK) {
    fprintf(stderr, "bench_store: %s\n", lrs_error_message());
    unlink(path);
    return 1;
  }
  double t_write = lrs_now() - t0;
  double t3 = lrs_now();
  st = lrs_store_open(path, &rd);
  if (st == LRS_OK)
    st = lrs_store_read_points(rd, 0, &pts);
  double t_read = lrs_now() - t3;
  lrs_result *one = NULL;
  lrs_result_create(0, &one);
  double t4 = lrs_now();
  for (int k = 0; k < 100 && st == LRS_OK; k++)
    st = lrs_store_read_result(rd, 0, (uint64_t)k * (n / 100), NULL, one);
  double t_one = (lrs_now() - t4) / 100;

  /* Raw data: the packed sizes of the HDF5 row and record types. */
  size_t row_bytes = 0, rec_bytes = 0;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "/sweeps/bench/points", H5P_DEFAULT), t = H5Dget_type(d);
  row_bytes = H5Tget_size(t);
  H5Tclose(t);
  H5Dclose(d);
  d = H5Dopen2(f, "/sweeps/bench/trajectories", H5P_DEFAULT);
  t = H5Dget_type(d);
  rec_bytes = H5Tget_size(t);
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(f);
  struct stat sb;
  stat(path, &sb);
  double raw = (double)n * (double)row_bytes + (double)n * RECORDS * (double)rec_bytes;
  double file = (double)sb.st_size;
  printf("points            %llu, %d records each (%llu records)\n", (unsigned long long)n,
         RECORDS, (unsigned long long)n * RECORDS);
  printf("row / record      %zu / %zu bytes packed\n", row_bytes, rec_bytes);
  printf("create            %.3f s (keys, every pending row, rename)\n", t_open);
  printf("put + flushes     %.3f s (%.0f points/s, %.0f MB/s of raw data)\n", t_put,
         (double)n / t_put, raw / t_put / 1e6);
  printf("close             %.3f s (last flush)\n", t_close);
  printf("write total       %.3f s\n", t_write);
  printf("read points       %.3f s (whole table)\n", t_read);
  printf("read one point    %.3f ms (row + trajectory)\n", 1e3 * t_one);
  printf("raw data          %.1f MB\n", raw / 1e6);
  printf("file              %.1f MB\n", file / 1e6);
  printf("file / raw        %.3f %s\n", file / raw, file / raw <= 2.0 ? "(within 2x)" : "(OVER 2x)");
  lrs_result_destroy(&one);
  lrs_result_destroy(&r);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&rd);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  unlink(path);
  return st == LRS_OK && file / raw <= 2.0 ? 0 : 1;
}
