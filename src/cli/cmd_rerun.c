/* `lrsweep rerun STORE --point K`: recompute a stored point and compare. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/linalg.h"
#include "lrsweep/solve.h"
#include "lrsweep/store.h"

/* The largest difference found between the stored and the recomputed result. */
typedef struct {
  double worst;      /* relative difference (∞ for a NaN/non-NaN mismatch) */
  char where[96];
  size_t mismatches; /* values not bit-identical */
} comparison;

/* Counts field f of a and b when they differ; the relative difference of
 * numbers (∞ for NaN against a number, and for text or enum names). */
static void compare(comparison *c, const lrs_field *f, long record, const void *a,
                    const void *b) {
  if (lrs_field_same(f, a, b))
    return;
  c->mismatches++;
  const double x = lrs_field_number(f, a), y = lrs_field_number(f, b);
  const bool named = f->type == LRS_FIELD_TEXT || f->type == LRS_FIELD_ENUM;
  double rel = named || isnan(x) != isnan(y)
                   ? INFINITY
                   : fabs(x - y) / fmax(fmax(fabs(x), fabs(y)), 1e-300);
  if (rel > c->worst || c->mismatches == 1) {
    c->worst = rel;
    if (record >= 0)
      snprintf(c->where, sizeof c->where, "%s of record %ld", f->name, record);
    else
      snprintf(c->where, sizeof c->where, "%s", f->name);
  }
}

/* Every summary field but the run-dependent ones (wall_seconds); with
 * `every_record` false the trajectory was recorded at another resolution
 * and the fields computed from the records are skipped too. */
/* The summary fields i with compared[i] (see main). */
static void compare_summary(comparison *c, const lrs_summary *a, const lrs_summary *b,
                            const bool *compared) {
  for (size_t i = 0; i < lrs_summary_field_count; i++)
    if (compared[i])
      compare(c, &lrs_summary_fields[i], -1, a, b);
}

/* The record count, then the record fields f with compared[f]. */
static void compare_records(comparison *c, const lrs_result *a, const lrs_result *b,
                            const bool *compared) {
  if (a->n_records != b->n_records) {
    const double na = (double)a->n_records, nb = (double)b->n_records;
    const double rel = fabs(na - nb) / fmax(na, nb);
    c->mismatches++;
    if (rel > c->worst || c->mismatches == 1) {
      c->worst = rel;
      snprintf(c->where, sizeof c->where, "record count");
    }
    return;
  }
  for (size_t i = 0; i < a->n_records; i++)
    for (size_t f = 0; f < lrs_record_field_count; f++)
      if (compared[f])
        compare(c, &lrs_record_fields[f], (long)i, &a->records[i], &b->records[i]);
}

/* compared[i] (true on entry for the fields to compare) stays true only for
 * the columns `table` has: one its file predates (docs/store.md) is not
 * compared, and its name is appended to `unstored` ("a, b"). */
static lrs_status keep_stored(lrs_store *store, size_t sweep, lrs_store_table table,
                              const lrs_field *fields, size_t n, bool *compared, char *unstored,
                              size_t cap) {
  for (size_t i = 0; i < n; i++) {
    bool has = true;
    if (compared[i])
      LRS_TRY(lrs_store_column_stored(store, sweep, table, fields[i].name, &has));
    const size_t used = strlen(unstored);
    if (!has && used + strlen(fields[i].name) + 3 < cap)
      snprintf(unstored + used, cap - used, "%s%s", used ? ", " : "", fields[i].name);
    compared[i] = compared[i] && has;
  }
  return LRS_OK;
}

/* Under other BLAS kernels than the store's runs had, a rounding-level
 * difference is expected (lrsweep/linalg.h): says so beside DIFFERS. */
static void blas_note(const lrs_store *store) {
  char stored[LRS_STORE_BLAS_MAX];
  const char *here = lrs_linalg_blas();
  if (lrs_store_blas(store, stored, sizeof stored) != LRS_OK)
    return; /* the comparison stands on its own */
  if (!stored[0])
    printf("note       the store does not say which BLAS its runs used (written before "
           "lrsweep recorded it); this process uses %s, and other BLAS kernels round "
           "differently\n",
           here);
  else if (strcmp(stored, here) != 0)
    printf("note       the store's runs used %s; this process uses %s: other BLAS kernels "
           "round differently, so bits differ (README: Reproducibility)\n",
           stored, here);
}

static int rerun(int argc, char **argv) {
  const char *path = NULL, *sweep_name = NULL, *point_text = NULL, *output = NULL, *dump = NULL;
  long every = 0;
  bool quiet = false;
  for (int i = 1; i < argc; i++) {
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (val && strcmp(argv[i], "--point") == 0)
      point_text = argv[++i];
    else if (val && strcmp(argv[i], "--sweep") == 0)
      sweep_name = argv[++i];
    else if (val && strcmp(argv[i], "--output") == 0)
      output = argv[++i];
    else if (val && strcmp(argv[i], "--dump") == 0)
      dump = argv[++i];
    else if (strcmp(argv[i], "--quiet") == 0)
      quiet = true;
    else if (val && strcmp(argv[i], "--every") == 0) {
      char *end;
      every = strtol(argv[++i], &end, 10);
      if (*end || every < 1)
        return lrs_cli_usage_error("rerun", "--every expects an integer ≥ 1, not '%s'", argv[i]);
    } else if (argv[i][0] == '-')
      return lrs_cli_bad_option(&lrs_cli_rerun, argv[i], i + 1 == argc);
    else if (path)
      return lrs_cli_usage_error("rerun", "expected one store, got '%s' and '%s'", path,
                                  argv[i]);
    else
      path = argv[i];
  }
  if (!path || !point_text)
    return lrs_cli_usage_error("rerun", "expected a store and --point K");
  if (every > 0 && !output)
    return lrs_cli_usage_error("rerun", "--every needs --output FILE.tsv for the trajectory");
  char *end;
  unsigned long long index = strtoull(point_text, &end, 10);
  if (*end || !*point_text || point_text[0] == '-')
    return lrs_cli_usage_error("rerun", "--point expects a point index, not '%s'", point_text);

  lrs_store *store = NULL;
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_result *stored = NULL, *again = NULL;
  lrs_store_row row;
  size_t sweep;
  lrs_point point;
  char key[LRS_GRID_KEY_MAX];
  comparison cmp = {0};
  bool *compared = NULL; /* the summary's fields, then the records' */
  int code = LRS_EXIT_OK;
  lrs_status st = lrs_store_open(path, &store);
  if (st != LRS_OK)
    goto done;
  LRS_TRY_GOTO(st, lrs_store_find_sweep(store, sweep_name, &sweep), done);
  LRS_TRY_GOTO(st, lrs_store_load_config(store, sweep, &cfg), done);
  if ((st = lrs_config_check_data_file(cfg)) != LRS_OK) { /* README, "data_file" */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", lrs_error_message());
    st = LRS_RAISE(st, "%s; rerun resolves data_file against the sweep file as the run named "
                   "it: run rerun from the directory the sweep ran in", msg);
    goto done;
  }
  LRS_TRY_GOTO(st, lrs_grid_create(cfg, &grid), done);
  LRS_TRY_GOTO(st, lrs_result_create(0, &stored), done);
  LRS_TRY_GOTO(st, lrs_result_create(0, &again), done);
  st = lrs_store_read_result(store, sweep, index, &row, stored);
  if (st == LRS_ERR_RANGE) { /* say which indices there are, as `run` does */
    lrs_store_points *pts = NULL;
    size_t rows = 0;
    if (lrs_store_read_points(store, sweep, &pts) == LRS_OK)
      rows = lrs_store_points_count(pts);
    lrs_store_points_destroy(&pts);
    if (rows > 0)
      st = LRS_RAISE(LRS_ERR_USAGE, "--point %llu: sweep %s has no such point (it has %zu "
                     "point%s, 0..%zu)", index, lrs_store_sweep_name(store, sweep), rows,
                     rows == 1 ? "" : "s", rows - 1);
    else
      st = LRS_RAISE(LRS_ERR_USAGE, "--point %llu: sweep %s has no such point", index,
                     lrs_store_sweep_name(store, sweep));
    goto done;
  }
  if (st != LRS_OK)
    goto done;
  /* Grid points from the sweep file; refinement rows hold their own point. */
  if (index < lrs_grid_size(grid))
    LRS_TRY_GOTO(st, lrs_grid_point(grid, index, &point), done);
  else
    point = row.point;
  LRS_TRY_GOTO(st, lrs_grid_key(grid, &point, key, sizeof key), done);
  if (dump)
    LRS_TRY_GOTO(st, lrs_cli_dump_point(dump, key, lrs_config_text(cfg, NULL), &point), done);
  if (row.summary.status == LRS_POINT_PENDING) {
    st = LRS_RAISE(LRS_ERR_USAGE, "point %llu (%s) has not been computed yet", index, key);
    goto done;
  }
  if (every > 0)
    point.record_every = every;
  LRS_TRY_GOTO(st, lrs_cli_solve_watched(&point, "rerun", index, quiet, again), done);

  /* The columns compared: the summary's, except those that depend on the
   * run (or, under --every, on the record resolution), and without --every
   * the records'; of them, those the store predates are named instead. */
  const size_t ns = lrs_summary_field_count, nr = lrs_record_field_count;
  compared = calloc(ns + nr, sizeof *compared);
  LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(compared), done);
  for (size_t i = 0; i < ns; i++) {
    const unsigned kind = lrs_summary_fields[i].flags;
    compared[i] =
        !(kind & LRS_FIELD_RUN_DEPENDENT) && !(every > 0 && (kind & LRS_FIELD_PER_RECORD));
  }
  for (size_t i = 0; i < nr; i++)
    compared[ns + i] = every == 0;
  char unstored[512] = "";
  LRS_TRY_GOTO(st, keep_stored(store, sweep, LRS_STORE_POINTS, lrs_summary_fields, ns, compared,
                               unstored, sizeof unstored), done);
  LRS_TRY_GOTO(st, keep_stored(store, sweep, LRS_STORE_RECORDS, lrs_record_fields, nr,
                               compared + ns, unstored, sizeof unstored), done);
  compare_summary(&cmp, &row.summary, &again->summary, compared);
  if (every == 0)
    compare_records(&cmp, stored, again, compared + ns);
  printf("point      %llu  %s\n", index, key);
  printf("status     %s (stored %s)\n", lrs_point_status_names[again->summary.status],
         lrs_point_status_names[row.summary.status]);
  if (cmp.mismatches == 0)
    printf("identical  %s bit for bit%s\n", every ? "summary" : "summary and trajectory",
           every ? " (the trajectory was recorded at another resolution)" : "");
  else {
    printf("DIFFERS    %zu values; largest relative difference %.3g in %s\n", cmp.mismatches,
           cmp.worst, cmp.where);
    blas_note(store);
    code = LRS_EXIT_FAILURE;
  }
  if (unstored[0])
    printf("note       not compared: %s (the store predates these columns)\n", unstored);
  if (output) {
    FILE *out = fopen(output, "w");
    if (!out) {
      st = LRS_RAISE(LRS_ERR_IO, "%s: cannot write the trajectory", output);
      goto done;
    }
    lrs_cli_print_trajectory(out, again);
    if (fclose(out) != 0) {
      st = LRS_RAISE(LRS_ERR_IO, "%s: write failed", output);
      goto done;
    }
    printf("trajectory %zu records written to %s\n", again->n_records, output);
  }
done:
  free(compared);
  lrs_result_destroy(&stored);
  lrs_result_destroy(&again);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  lrs_store_close(&store);
  return st == LRS_OK ? code : lrs_cli_fail(st);
}

const lrs_cli_command lrs_cli_rerun = {
    "rerun", "recompute a stored point and compare it with the store",
    "usage: lrsweep rerun STORE --point K [--sweep NAME] [--every N --output FILE.tsv]\n"
    "                     [--dump FILE.h5] [--quiet]\n"
    "\n"
    "Rebuilds point K from the sweep file stored in STORE, solves it in this\n"
    "process, and compares the result with the stored row and trajectory: results\n"
    "are expected to be bit-identical under the same BLAS kernels; otherwise it\n"
    "prints the number of differing values and the largest relative difference\n"
    "(and a note when the store's runs used other BLAS kernels), and exits 1.\n"
    "\n"
    "  --sweep NAME    the sweep (needed when the store holds several)\n"
    "  --every N       record every N-th step (e.g. 1: full resolution); only the\n"
    "                  summary is compared then\n"
    "  --output FILE   write the recomputed trajectory as TSV\n"
    "  --dump FILE.h5  write the point's problem data and initial weights (see\n"
    "                  README: Point dumps)\n"
    "  --quiet         no progress lines on stderr (as `lrsweep run`)\n",
    rerun};
