/* Merging stores of one sweep file (job arrays): lrsweep/store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/store.h"

/* What the output holds for a point, to recognize duplicates. */
typedef struct {
  bool taken;
  int status;
  int64_t iterations;
  double final_loss;
} seen_point;

static bool same_result(const seen_point *s, const lrs_summary *b) {
  return s->status == (int)b->status && s->iterations == b->iterations &&
         memcmp(&s->final_loss, &b->final_loss, sizeof s->final_loss) == 0;
}

/* Whether `list` ("a, b") names `col`. */
static bool listed(const char *list, const char *col) {
  const size_t n = strlen(col);
  for (const char *p = strstr(list, col); p; p = strstr(p + 1, col))
    if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
      return true;
  return false;
}

static lrs_status merge_sweep(const char *out_path, lrs_store **in, size_t n_in,
                              const char *name, lrs_merge_report *rep) {
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_store_writer *w = NULL;
  lrs_result *result = NULL;
  seen_point *seen = NULL;
  lrs_store_points *points = NULL;
  size_t sweep0;
  lrs_status st = lrs_store_find_sweep(in[0], name, &sweep0);
  const char *sha = st == LRS_OK ? lrs_store_sweep_sha256(in[0], sweep0) : NULL;
  if (st != LRS_OK)
    goto done;
  LRS_TRY_GOTO(st, lrs_store_load_config(in[0], sweep0, &cfg), done);
  LRS_TRY_GOTO(st, lrs_grid_create(cfg, &grid), done);
  lrs_store_options opt = lrs_store_options_default();
  LRS_TRY_GOTO(st, lrs_store_writer_open(out_path, grid, &opt, &w), done);
  LRS_TRY_GOTO(st, lrs_result_create(0, &result), done);
  seen = calloc((size_t)lrs_grid_size(grid), sizeof *seen);
  LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(seen), done);
  /* Points the output already holds count as taken (merging into a store). */
  for (uint64_t i = 0; i < lrs_grid_size(grid); i++)
    seen[i].taken = !lrs_store_needs(w, i);

  for (size_t k = 0; k < n_in; k++) {
    size_t sweep;
    if (lrs_store_find_sweep(in[k], name, &sweep) != LRS_OK) {
      st = LRS_RAISE(LRS_ERR_STORE, "%s has no sweep '%s' (stores of one sweep file only)",
                     lrs_store_path(in[k]), name);
      goto done;
    }
    if (strcmp(lrs_store_sweep_sha256(in[k], sweep), sha) != 0) {
      st = LRS_RAISE(LRS_ERR_STORE,
                     "%s: sweep '%s' comes from another sweep file than in %s (SHA-256 %.12s... "
                     "vs %.12s...); merge refuses to mix sweep files",
                     lrs_store_path(in[k]), name, lrs_store_path(in[0]),
                     lrs_store_sweep_sha256(in[k], sweep), sha);
      goto done;
    }
    for (size_t f = 0; f < lrs_record_field_count; f++) {
      const char *col = lrs_record_fields[f].name;
      bool has;
      LRS_TRY_GOTO(st, lrs_store_column_stored(in[k], sweep, LRS_STORE_RECORDS, col, &has), done);
      const size_t used = strlen(rep->unstored);
      if (!has && !listed(rep->unstored, col) && used + strlen(col) + 3 < sizeof rep->unstored)
        snprintf(rep->unstored + used, sizeof rep->unstored - used, "%s%s", used ? ", " : "", col);
    }
    LRS_TRY_GOTO(st, lrs_store_read_points(in[k], sweep, &points), done);
    for (size_t i = 0; i < lrs_store_points_count(points); i++) {
      const lrs_store_row *row = lrs_store_points_row(points, i);
      if (row->summary.status == LRS_POINT_PENDING || row->index >= lrs_grid_size(grid))
        continue;
      seen_point *s = &seen[row->index];
      if (s->taken) {
        if (same_result(s, &row->summary)) {
          rep->duplicates++;
        } else {
          if (rep->conflicts++ == 0)
            snprintf(rep->first_conflict, sizeof rep->first_conflict,
                     "point %llu (%s) differs between inputs; the first input's result kept",
                     (unsigned long long)row->index, lrs_store_points_key(points, i));
        }
        continue;
      }
      LRS_TRY_GOTO(st, lrs_store_read_result(in[k], sweep, row->index, NULL, result), done);
      LRS_TRY_GOTO(st, lrs_store_put(w, row->index, result, row->rank), done);
      *s = (seen_point){true, (int)row->summary.status, row->summary.iterations,
                        row->summary.final_loss};
      rep->merged++;
    }
    lrs_store_points_destroy(&points);
  }
  for (uint64_t i = 0; i < lrs_grid_size(grid); i++)
    rep->missing += !seen[i].taken;
done:
  lrs_store_points_destroy(&points);
  free(seen);
  lrs_result_destroy(&result);
  {
    lrs_status closed = lrs_store_writer_close(&w);
    if (st == LRS_OK)
      st = closed;
  }
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st;
}

lrs_status lrs_store_merge(const char *out_path, const char *const *inputs, size_t n_inputs,
                           lrs_merge_report *report) {
  *report = (lrs_merge_report){0};
  if (n_inputs == 0)
    return LRS_RAISE(LRS_ERR_USAGE, "merge needs at least one input store");
  lrs_store **in = calloc(n_inputs, sizeof *in);
  LRS_TRY(LRS_CHECK_ALLOC(in));
  lrs_status st = LRS_OK;
  for (size_t k = 0; k < n_inputs && st == LRS_OK; k++) {
    if (strcmp(inputs[k], out_path) == 0)
      st = LRS_RAISE(LRS_ERR_USAGE, "%s is both the output and an input", out_path);
    else
      st = lrs_store_open(inputs[k], &in[k]);
  }
  for (size_t s = 0; st == LRS_OK && s < lrs_store_sweep_count(in[0]); s++)
    st = merge_sweep(out_path, in, n_inputs, lrs_store_sweep_name(in[0], s), report);
  for (size_t k = 0; k < n_inputs; k++)
    lrs_store_close(&in[k]);
  free(in);
  return st;
}
