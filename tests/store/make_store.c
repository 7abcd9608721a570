/* Test helper: writes synthetic results (tests/store/synth.h) for a sweep
 * file into a store, as a run would.
 * usage: make_store SWEEP.toml STORE [POINTS]  (POINTS: first N, default all) */
#include <stdio.h>
#include <stdlib.h>

#include "lrsweep/store.h"
#include "synth.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: make_store SWEEP.toml STORE [POINTS]\n");
    return 2;
  }
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_store_writer *w = NULL;
  lrs_result *r = NULL;
  lrs_status st = lrs_config_load_file(argv[1], &cfg);
  if (st == LRS_OK)
    st = lrs_grid_create(cfg, &grid);
  lrs_store_options o = lrs_store_options_default();
  o.mpi_size = 2;
  if (st == LRS_OK)
    st = lrs_store_writer_open(argv[2], grid, &o, &w);
  if (st == LRS_OK)
    st = lrs_result_create(16, &r);
  uint64_t n = st == LRS_OK ? lrs_grid_size(grid) : 0;
  if (argc > 3 && strtoull(argv[3], NULL, 10) < n)
    n = strtoull(argv[3], NULL, 10);
  for (uint64_t i = 0; i < n && st == LRS_OK; i++) {
    if (!lrs_store_needs(w, i))
      continue;
    synth_result(i, 0, r);
    st = lrs_store_put(w, i, r, (int)(i % 2));
  }
  lrs_status cst = lrs_store_writer_close(&w);
  st = st != LRS_OK ? st : cst;
  lrs_result_destroy(&r);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  if (st != LRS_OK) {
    fprintf(stderr, "make_store: %s\n", lrs_error_message());
    return 1;
  }
  return 0;
}
