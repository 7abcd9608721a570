/* `lrsweep status`: progress, outcomes, timing and failures of a store. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/store.h"

enum { SLOWEST = 5, FAILURES = 10 };

static bool is_failure(int status) {
  return status == LRS_POINT_ERROR || status == LRS_POINT_TIMEOUT ||
         status == LRS_POINT_NUMERICAL_FAILURE;
}

static lrs_status sweep_status(lrs_store *store, size_t sweep) {
  lrs_store_points *pts = NULL;
  LRS_TRY(lrs_store_read_points(store, sweep, &pts));
  size_t n = lrs_store_points_count(pts);
  size_t counts[LRS_POINT_STATUS_COUNT] = {0}, timed = 0, failures = 0;
  size_t origins[LRS_ORIGIN_COUNT] = {0};
  int32_t generations = 0;
  size_t slow[SLOWEST];
  size_t n_slow = 0;
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    const lrs_store_row *r = lrs_store_points_row(pts, i);
    int s = r->summary.status;
    if (s >= 0 && s < LRS_POINT_STATUS_COUNT)
      counts[s]++;
    failures += is_failure(s);
    if (r->origin >= 0 && r->origin < LRS_ORIGIN_COUNT)
      origins[r->origin]++;
    generations = r->generation > generations ? r->generation : generations;
    double w = r->summary.wall_seconds;
    if (s == LRS_POINT_PENDING || isnan(w))
      continue;
    total += w;
    timed++;
    /* Keep the SLOWEST largest, sorted descending (insertion). */
    size_t k = n_slow < SLOWEST ? n_slow++ : SLOWEST;
    if (k == SLOWEST && w <= lrs_store_points_row(pts, slow[SLOWEST - 1])->summary.wall_seconds)
      continue;
    if (k == SLOWEST)
      k = SLOWEST - 1;
    while (k > 0 && lrs_store_points_row(pts, slow[k - 1])->summary.wall_seconds < w) {
      slow[k] = slow[k - 1];
      k--;
    }
    slow[k] = i;
  }
  size_t done = n - counts[LRS_POINT_PENDING];
  printf("sweep    %s  (sweep file sha256 %.16s..., %zu points)\n",
         lrs_store_sweep_name(store, sweep), lrs_store_sweep_sha256(store, sweep), n);
  printf("progress %zu/%zu done (%.1f%%), %zu pending\n", done, n,
         n ? 100.0 * (double)done / (double)n : 0.0, counts[LRS_POINT_PENDING]);
  if (n > origins[LRS_ORIGIN_GRID])
    printf("refined  %zu grid points + %zu bisection + %zu seed points (%d generation%s)\n",
           origins[LRS_ORIGIN_GRID], origins[LRS_ORIGIN_BISECT], origins[LRS_ORIGIN_SEED],
           (int)generations, generations == 1 ? "" : "s");
  if (lrs_store_points_torn(pts))
    printf("         %zu rows torn by a crash read as pending (the next run redoes them)\n",
           lrs_store_points_torn(pts));
  printf("status  ");
  for (int s = 0; s < LRS_POINT_STATUS_COUNT; s++)
    if (counts[s])
      printf(" %s %zu", lrs_point_status_names[s], counts[s]);
  printf("\n");
  if (timed)
    printf("time     %.6g s in total, %.6g s mean per computed point\n", total,
           total / (double)timed);
  if (n_slow) {
    printf("slowest\n");
    for (size_t k = 0; k < n_slow; k++) {
      const lrs_store_row *r = lrs_store_points_row(pts, slow[k]);
      printf("  #%-8" PRIu64 " %10.6g s  %s\n", r->index, r->summary.wall_seconds,
             lrs_store_points_key(pts, slow[k]));
    }
  }
  if (failures) {
    printf("failures %zu\n", failures);
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < FAILURES; i++) {
      const lrs_store_row *r = lrs_store_points_row(pts, i);
      if (!is_failure(r->summary.status))
        continue;
      printf("  #%-8" PRIu64 " %s: %s  [%s]\n", r->index,
             lrs_point_status_names[r->summary.status],
             r->summary.message[0] ? r->summary.message : "(no message)",
             lrs_store_points_key(pts, i));
      shown++;
    }
    if (failures > shown)
      printf("  ... and %zu more (lrsweep query STORE --where 'status == \"error\"')\n",
             failures - shown);
  }
  lrs_store_points_destroy(&pts);
  return LRS_OK;
}

static int status(int argc, char **argv) {
  const char *path = NULL, *name = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sweep") == 0 && i + 1 < argc)
      name = argv[++i];
    else if (strncmp(argv[i], "--sweep=", 8) == 0)
      name = argv[i] + 8;
    else if (argv[i][0] == '-')
      return lrs_cli_bad_option(&lrs_cli_status, argv[i], i + 1 == argc);
    else if (path)
      return lrs_cli_usage_error("status", "expected one store, got '%s' too", argv[i]);
    else
      path = argv[i];
  }
  if (!path)
    return lrs_cli_usage_error("status", "expected a store (an .h5 file)");
  lrs_store *store = NULL;
  lrs_status st = lrs_store_open(path, &store);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  size_t which = 0;
  if (name)
    st = lrs_store_find_sweep(store, name, &which);
  if (st == LRS_OK) {
    printf("store    %s  (schema %d, written by lrsweep %s, git %s)\n", path,
           lrs_store_schema_version(store), lrs_store_attribute(store, "lrsweep_version"),
           lrs_store_attribute(store, "lrsweep_git"));
    printf("created  %s on %s, MPI size %s\n", lrs_store_attribute(store, "created_utc"),
           lrs_store_attribute(store, "host"), lrs_store_attribute(store, "mpi_size"));
    if (lrs_store_sweep_count(store) == 0)
      printf("sweeps   none yet\n");
  }
  for (size_t s = 0; st == LRS_OK && s < lrs_store_sweep_count(store); s++)
    if (!name || s == which)
      st = sweep_status(store, s);
  lrs_store_close(&store);
  return st == LRS_OK ? LRS_EXIT_OK : lrs_cli_fail(st);
}

const lrs_cli_command lrs_cli_status = {
    "status", "progress, outcomes, timing and failures of a store",
    "usage: lrsweep status STORE [--sweep NAME]\n"
    "\n"
    "Reads the store (also while a sweep writes it, or after a writer was killed)\n"
    "and prints, per sweep (or only NAME): points done and pending, counts by\n"
    "status, total and mean wall time of the computed points, the slowest points,\n"
    "and the failures (error, timeout, numerical_failure) with their messages.\n",
    status};
