/*
 * Adaptive refinement (lrsweep/refine.h) driven without the scheduler:
 * solve every pending row, store it, observe it, ask for the next round.
 *
 * Closed form.  Scalar two_layer (n = m = h = N = 1, X = 1), balanced init,
 * teacher target y = w1(0)w2(0) + σ²ε, L = ½(w1w2 − y)².  GD keeps
 * w1² − w2² = 0 exactly (it scales by 1 − η²r²), so it can only converge to
 * the balanced minimum w1² = w2² = |y|, where the Hessian is
 * [[w2², y], [y, w1²]] with λ_max = 2|y|: GD converges iff η < 2/λ_max = 1/|y|
 * (and no other minimum is flatter).  The refined boundary of
 * status == "converged" along step_size must land within rtol of 1/|y|.
 */
#include <math.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lrs_test.h"
#include "lrsweep/config.h"
#include "lrsweep/grid.h"
#include "lrsweep/linalg.h"
#include "lrsweep/problem.h"
#include "lrsweep/query.h"
#include "lrsweep/rate.h"
#include "lrsweep/refine.h"
#include "lrsweep/solve.h"
#include "lrsweep/store.h"

static char dir[] = "/tmp/lrs-refine-test-XXXXXX";

#define THRESHOLD_SWEEP(INIT_SCALES)                                            \
    "[sweep]\nname = \"threshold\"\n" \
    "[problem]\nmodel = \"two_layer\"\ninput_dim = 1\noutput_dim = 1\nsamples = 1\n" \
    "width = 1\ndata = \"identity\"\ntarget = \"teacher\"\ninit = \"balanced\"\n" \
    "sigma2 = 1e-3\n" \
    "[solver]\nmethod = \"gd\"\nstep_rule = \"fixed\"\nmax_iter = 100000\ntol = 1e-20\n" \
    "record_every = 0\nrecords = 40\n" \
    "[grid]\nstep_size = { log = [0.01, 100.0], num = 9 }\ninit_scale = " INIT_SCALES "\n"  \
    "[refine]\naxis = \"step_size\"\npredicate = 'status == \"converged\"'\nrtol = 1e-3\n"
static const char *threshold_sweep = THRESHOLD_SWEEP("[0.5, 1.0, 2.0]");

/* Rates of GD on a small two_layer problem whose rate varies with the seed. */
static const char *rate_sweep =
    "[sweep]\nname = \"rates\"\nreplicates = 3\n"
    "[problem]\nmodel = \"two_layer\"\ninput_dim = 3\noutput_dim = 3\nwidth = 8\n"
    "data = \"gaussian\"\nsamples = 6\ntarget = \"planted\"\nsigma2 = 0.1\n"
    "[solver]\nmethod = \"gd\"\nstep_rule = \"fixed\"\nstep_size = 0.01\nmax_iter = 400\n"
    "record_every = 0\nrecords = 60\n"
    "[grid]\ninit_scale = [0.3, 0.6]\n"
    "[refine]\nrate_ci = 0.02\nmax_seeds = 24\nseed_batch = 4\n";

typedef struct sweep {
  lrs_config *cfg;
  lrs_grid *grid;
} sweep;

static sweep load(const char *text, const char *name) {
  sweep s = {0};
  if (lrs_config_load_string(text, strlen(text), name, &s.cfg) != LRS_OK ||
      lrs_grid_create(s.cfg, &s.grid) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  return s;
}

static void unload(sweep *s) {
  lrs_grid_destroy(&s->grid);
  lrs_config_destroy(&s->cfg);
}

/* Solves, stores and observes every row still to do; returns how many. */
static uint64_t run_pending(lrs_store_writer *w, lrs_refine *r, lrs_result *res, uint64_t limit) {
  uint64_t done = 0;
  for (uint64_t i = 0; i < lrs_store_row_count(w) && done < limit; i++) {
    if (!lrs_store_needs(w, i))
      continue;
    lrs_point p;
    lrs_result_reset(res);
    if (lrs_refine_point(r, i, &p) != LRS_OK || lrs_solve_point(&p, MPI_COMM_SELF, res) != LRS_OK ||
        lrs_store_put(w, i, res, 0) != LRS_OK || lrs_refine_observe(r, i, res) != LRS_OK) {
      printf("Bail out! row %llu: %s\n", (unsigned long long)i, lrs_error_message());
      exit(1);
    }
    done++;
  }
  if (lrs_store_flush(w) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  return done;
}

/* Runs the sweep into `path` to completion; with stop_after > 0, first
 * stops after that many solves mid-refinement and reopens (a resume). */
static uint64_t last_round; /* rows proposed by the last round of refine_to_end */

static lrs_refine_report refine_to_end(const sweep *s, const char *path, uint64_t stop_after,
                                       uint64_t *solves) {
  lrs_store_options o = lrs_store_options_default();
  lrs_store_writer *w = NULL;
  lrs_refine *r = NULL;
  lrs_result *res = NULL;
  lrs_refine_report report = {0};
  *solves = 0;
  if (lrs_result_create(64, &res) != LRS_OK || lrs_store_writer_open(path, s->grid, &o, &w) != LRS_OK ||
      lrs_refine_create(s->grid, w, &r) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  uint64_t budget = stop_after ? stop_after : UINT64_MAX;
  last_round = 0;
  for (;;) {
    uint64_t n = run_pending(w, r, res, budget - *solves);
    *solves += n;
    if (stop_after && *solves >= stop_after) {
      /* "Killed": close and reopen the store, a new engine reads it back. */
      lrs_refine_destroy(&r);
      lrs_store_writer_close(&w);
      stop_after = 0;
      budget = UINT64_MAX;
      if (lrs_store_writer_open(path, s->grid, &o, &w) != LRS_OK ||
          lrs_refine_create(s->grid, w, &r) != LRS_OK) {
        printf("Bail out! %s\n", lrs_error_message());
        exit(1);
      }
      continue;
    }
    uint64_t *more = NULL, n_more = 0;
    if (lrs_refine_next(r, &more, &n_more) != LRS_OK) {
      printf("Bail out! %s\n", lrs_error_message());
      exit(1);
    }
    free(more);
    if (n_more == 0)
      break;
    last_round = n_more;
  }
  report = *lrs_refine_get_report(r);
  lrs_refine_destroy(&r);
  lrs_store_writer_close(&w);
  lrs_result_destroy(&res);
  return report;
}

/* y of a scalar point: its problem's target, generated independently of the solve. */
static double scalar_target(const lrs_point *p) {
  lrs_linalg *la = NULL;
  lrs_problem *prob = NULL;
  double y = NAN;
  if (lrs_linalg_create_local(&la) == LRS_OK && lrs_problem_create(p, la, &prob) == LRS_OK)
    lrs_mat_get_global(prob->Y, &y);
  lrs_problem_destroy(&prob);
  lrs_linalg_destroy(&la);
  return y;
}

static const char *path_in(const char *name) {
  static char buf[4][512];
  static int next;
  char *p = buf[next++ % 4];
  snprintf(p, 512, "%s/%s", dir, name);
  return p;
}

static void threshold_checks(void) {
  sweep s = load(threshold_sweep, "threshold.toml");
  uint64_t solves;
  const char *path = path_in("threshold.h5");
  lrs_refine_report rep = refine_to_end(&s, path, 0, &solves);
  LRS_CHECK(rep.cells == 3 && rep.cells_no_flip == 0 && rep.cells_capped == 0 &&
                rep.cells_open == 0,
            "3 cells, each with a flip, all brackets narrowed (open %llu, capped %llu)",
            (unsigned long long)rep.cells_open, (unsigned long long)rep.cells_capped);

  /* The boundary as `query --boundary` computes it from the store. */
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  lrs_query_table table;
  lrs_query_expr *pred = NULL, *done = NULL;
  lrs_query_boundary *b = NULL;
  size_t *rows = NULL, n_rows = 0, sweep_i = 0;
  if (lrs_store_open(path, &st) != LRS_OK || lrs_store_find_sweep(st, NULL, &sweep_i) != LRS_OK ||
      lrs_store_read_points(st, sweep_i, &pts) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  lrs_query_table_from_store(pts, &table);
  if (lrs_query_parse("status == \"converged\"", &table, &pred) != LRS_OK ||
      lrs_query_parse("status != \"pending\"", &table, &done) != LRS_OK ||
      lrs_query_filter(done, &table, &rows, &n_rows) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  size_t cell_cols[] = {(size_t)lrs_query_column_index(&table, "init_scale"),
                        (size_t)lrs_query_column_index(&table, "seed")};
  size_t axis = (size_t)lrs_query_column_index(&table, "step_size");
  LRS_CHECK(lrs_query_boundary_make(&table, rows, n_rows, axis, cell_cols, 2, pred, true, &b) ==
                    LRS_OK &&
                b->n_cells == 3,
            "query boundary: 3 cells");
  size_t n_grid = lrs_grid_size(s.grid), n_total = lrs_store_points_count(pts);
  for (size_t c = 0; b && c < b->n_cells; c++) {
    const lrs_query_boundary_cell *cell = &b->cells[c];
    const lrs_store_row *row = lrs_store_points_row(pts, cell->rep);
    double eta_star = 1.0 / fabs(scalar_target(&row->point));
    LRS_CHECK(cell->flips == 1 && cell->lo_holds, "init_scale %g: one flip, converged below it",
              row->point.init_scale);
    LRS_CHECK(cell->hi / cell->lo - 1 <= 1e-3, "init_scale %g: bracket [%.9g, %.9g] within rtol",
              row->point.init_scale, cell->lo, cell->hi);
    LRS_CHECK(fabs(cell->value / eta_star - 1) <= 1e-3,
              "init_scale %g: boundary %.9g vs closed form 1/|y| = %.9g (rel. error %.2e)",
              row->point.init_scale, cell->value, eta_star, fabs(cell->value / eta_star - 1));
  }
  printf("# refinement: %zu grid + %zu refined points; a dense log grid of step rtol = 1e-3 "
         "over the same ranges: %llu points\n",
         n_grid, n_total - n_grid, (unsigned long long)rep.dense_points);
  LRS_CHECK(n_total * 20 < rep.dense_points,
            "far fewer points than a dense grid: %zu vs %llu", n_total,
            (unsigned long long)rep.dense_points);
  bool origins = true;
  for (size_t i = 0; i < n_total; i++) {
    const lrs_store_row *r = lrs_store_points_row(pts, i);
    origins &= (i < n_grid) == (r->origin == LRS_ORIGIN_GRID) &&
               (r->origin == LRS_ORIGIN_GRID) == (r->generation == 0) && r->index == i;
  }
  LRS_CHECK(origins, "grid rows first (origin grid, generation 0), then bisect rows");

  /* Killed mid-refinement and resumed: the same table, row for row. */
  uint64_t resumed_solves;
  const char *path2 = path_in("threshold-resumed.h5");
  refine_to_end(&s, path2, n_grid + 7, &resumed_solves);
  lrs_store *st2 = NULL;
  lrs_store_points *pts2 = NULL;
  bool same = lrs_store_open(path2, &st2) == LRS_OK &&
              lrs_store_read_points(st2, 0, &pts2) == LRS_OK &&
              lrs_store_points_count(pts2) == n_total;
  for (size_t i = 0; same && i < n_total; i++) {
    const lrs_store_row *a = lrs_store_points_row(pts, i), *c = lrs_store_points_row(pts2, i);
    same = a->key_hash == c->key_hash && a->generation == c->generation &&
           a->summary.status == c->summary.status &&
           a->summary.iterations == c->summary.iterations &&
           memcmp(&a->summary.final_loss, &c->summary.final_loss, sizeof(double)) == 0;
  }
  LRS_CHECK(same && resumed_solves == solves,
            "killed after %llu solves and resumed: the same %zu rows, the same number of solves",
            (unsigned long long)(n_grid + 7), n_total);
  lrs_store_points_destroy(&pts2);
  lrs_store_close(&st2);

  /* A crash between a round's rows and its commit: the row count still says
   * the round before.  Readers ignore the round; the rerun proposes it again
   * in the same rows. */
  const uint64_t round = last_round;
  hid_t f = H5Fopen(path2, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t rows_ds = H5Dopen2(f, "/sweeps/threshold/rows", H5P_DEFAULT);
  uint64_t uncommitted = n_total - round;
  herr_t e = H5Dwrite(rows_ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &uncommitted);
  H5Dclose(rows_ds);
  H5Fclose(f);
  size_t seen = 0;
  if (lrs_store_open(path2, &st2) == LRS_OK && lrs_store_read_points(st2, 0, &pts2) == LRS_OK)
    seen = lrs_store_points_count(pts2);
  lrs_store_points_destroy(&pts2);
  lrs_store_close(&st2);
  LRS_CHECK(e >= 0 && round > 0 && seen == n_total - round,
            "an uncommitted last round (%llu rows) is not read", (unsigned long long)round);
  uint64_t redo;
  refine_to_end(&s, path2, 0, &redo);
  same = lrs_store_open(path2, &st2) == LRS_OK && lrs_store_read_points(st2, 0, &pts2) == LRS_OK &&
         lrs_store_points_count(pts2) == n_total;
  for (size_t i = 0; same && i < n_total; i++)
    same = lrs_store_points_row(pts, i)->key_hash == lrs_store_points_row(pts2, i)->key_hash &&
           lrs_store_points_row(pts2, i)->summary.status != LRS_POINT_PENDING;
  LRS_CHECK(same && redo == round, "rerun: the round proposed again into the same %llu rows",
            (unsigned long long)round);
  lrs_store_points_destroy(&pts2);
  lrs_store_close(&st2);

  lrs_query_boundary_destroy(&b);
  lrs_query_expr_destroy(&pred);
  lrs_query_expr_destroy(&done);
  free(rows);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  unload(&s);
}

/* A writer killed while appending refinement rows leaves rows that are not
 * completely written: readers and the next writer stop before them. */
static void torn_append_checks(void) {
  sweep s = load(threshold_sweep, "threshold.toml");
  const char *path = path_in("threshold.h5");
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  size_t n = 0;
  if (lrs_store_open(path, &st) == LRS_OK && lrs_store_read_points(st, 0, &pts) == LRS_OK)
    n = lrs_store_points_count(pts);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  /* Three rows of garbage appended behind the writer's back. */
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t ds = H5Dopen2(f, "/sweeps/threshold/points", H5P_DEFAULT);
  hsize_t grown = n + 3, first = n, three = 3;
  hid_t type = H5Dget_type(ds);
  size_t size = H5Tget_size(type);
  unsigned char *junk = malloc(3 * size);
  for (size_t i = 0; i < 3 * size; i++)
    junk[i] = (unsigned char)(i * 37 + 11);
  herr_t e = H5Dset_extent(ds, &grown);
  hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &three, NULL);
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &first, NULL, &three, NULL);
  e |= H5Dwrite(ds, type, ms, fs, H5P_DEFAULT, junk);
  H5Sclose(fs);
  H5Sclose(ms);
  H5Tclose(type);
  H5Dclose(ds);
  H5Fclose(f);
  free(junk);
  LRS_CHECK(e >= 0, "garbage rows appended to points");
  size_t n_read = 0;
  if (lrs_store_open(path, &st) == LRS_OK && lrs_store_read_points(st, 0, &pts) == LRS_OK)
    n_read = lrs_store_points_count(pts);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  LRS_CHECK(n_read == n, "the reader stops before the torn rows (%zu rows, %zu written)", n_read,
            n);
  lrs_store_options o = lrs_store_options_default();
  lrs_store_writer *w = NULL;
  lrs_point p;
  uint64_t at = 0;
  lrs_origin origin = LRS_ORIGIN_BISECT;
  int32_t generation = 99;
  bool ok = lrs_store_writer_open(path, s.grid, &o, &w) == LRS_OK &&
            lrs_store_row_count(w) == n && lrs_store_todo_count(w) == 0 &&
            lrs_grid_point(s.grid, 0, &p) == LRS_OK;
  p.step_size = 0.0123;
  ok = ok && lrs_store_add_points(w, &p, &origin, &generation, 1, &at) == LRS_OK && at == n &&
       lrs_store_todo_count(w) == 1;
  lrs_store_writer_close(&w);
  LRS_CHECK(ok, "the writer ignores them and appends its next row over the first (row %llu)",
            (unsigned long long)at);
  n_read = 0;
  if (lrs_store_open(path, &st) == LRS_OK && lrs_store_read_points(st, 0, &pts) == LRS_OK)
    n_read = lrs_store_points_count(pts);
  LRS_CHECK(n_read == n + 1 && lrs_store_points_row(pts, n)->generation == 99 &&
                lrs_store_points_row(pts, n)->point.step_size == 0.0123 &&
                lrs_store_points_row(pts, n)->summary.status == LRS_POINT_PENDING,
            "then reads %zu rows: the new pending row, not the garbage after it", n_read);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  unload(&s);
}

/* Extending the grid of a refined store: refinement rows follow the new
 * grid's rows with their results, and the new cell is refined too. */
static void extend_checks(void) {
  sweep s = load(threshold_sweep, "threshold.toml");
  const char *path = path_in("extend.h5");
  uint64_t solves;
  refine_to_end(&s, path, 0, &solves);
  lrs_store *st = NULL;
  lrs_store_points *before = NULL, *after = NULL;
  if (lrs_store_open(path, &st) != LRS_OK || lrs_store_read_points(st, 0, &before) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  lrs_store_close(&st);
  sweep t = load(THRESHOLD_SWEEP("[0.5, 1.0, 3.0, 2.0]"), "threshold.toml");
  lrs_store_options o = lrs_store_options_default();
  o.extend = true;
  lrs_store_writer *w = NULL;
  lrs_refine *r = NULL;
  lrs_result *res = NULL;
  bool ok = lrs_result_create(64, &res) == LRS_OK &&
            lrs_store_writer_open(path, t.grid, &o, &w) == LRS_OK;
  size_t n_old = lrs_store_points_count(before), n_grid = lrs_grid_size(t.grid);
  ok = ok && lrs_store_row_count(w) == n_grid + (n_old - lrs_grid_size(s.grid)) &&
       lrs_store_todo_count(w) == 9;
  LRS_CHECK(ok, "extended: %zu grid rows + the %zu refinement rows, 9 new points to do", n_grid,
            n_old - lrs_grid_size(s.grid));
  ok = ok && lrs_refine_create(t.grid, w, &r) == LRS_OK;
  run_pending(w, r, res, UINT64_MAX);
  for (;;) {
    uint64_t *more = NULL, n_more = 0;
    if (!ok || lrs_refine_next(r, &more, &n_more) != LRS_OK) {
      ok = false;
      break;
    }
    free(more);
    if (n_more == 0)
      break;
    run_pending(w, r, res, UINT64_MAX);
  }
  const lrs_refine_report rep = ok ? *lrs_refine_get_report(r) : (lrs_refine_report){0};
  lrs_refine_destroy(&r);
  lrs_store_writer_close(&w);
  lrs_result_destroy(&res);
  LRS_CHECK(ok && rep.cells == 4 && rep.cells_open == 0 && rep.bisect_points > 0 &&
                rep.bisect_points <= 12,
            "the new cell is bisected (%llu points), the old ones are done already",
            (unsigned long long)rep.bisect_points);
  bool kept = lrs_store_open(path, &st) == LRS_OK && lrs_store_read_points(st, 0, &after) == LRS_OK;
  for (size_t i = 0; kept && i < n_old; i++) {
    const lrs_store_row *a = lrs_store_points_row(before, i);
    const lrs_store_row *b = NULL;
    for (size_t j = 0; j < lrs_store_points_count(after) && !b; j++)
      if (lrs_store_points_row(after, j)->key_hash == a->key_hash)
        b = lrs_store_points_row(after, j);
    kept = b && b->origin == a->origin && b->generation == a->generation &&
           b->summary.iterations == a->summary.iterations &&
           (a->origin == LRS_ORIGIN_GRID || b->index >= n_grid);
  }
  LRS_CHECK(kept, "every old row kept its result, origin and generation");
  lrs_store_points_destroy(&before);
  lrs_store_points_destroy(&after);
  lrs_store_close(&st);
  unload(&t);
  unload(&s);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void rate_checks(void) {
  sweep s = load(rate_sweep, "rates.toml");
  uint64_t solves;
  const char *path = path_in("rates.h5");
  lrs_refine_report rep = refine_to_end(&s, path, 0, &solves);
  LRS_CHECK(rep.rate_cells == 2 && rep.rate_confident + rep.rate_capped == 2,
            "2 rate cells, each confident or capped (%llu confident, %llu capped)",
            (unsigned long long)rep.rate_confident, (unsigned long long)rep.rate_capped);
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  if (lrs_store_open(path, &st) != LRS_OK || lrs_store_read_points(st, 0, &pts) != LRS_OK) {
    printf("Bail out! %s\n", lrs_error_message());
    exit(1);
  }
  /* Per cell, from the store: every seed distinct, the count within the cap,
   * and the stopping rule holds (the interval recomputed here). */
  for (int cell = 0; cell < 2; cell++) {
    double scale = cell == 0 ? 0.3 : 0.6, rates[64];
    size_t n = 0, n_rate = 0;
    uint64_t seeds = 0;
    bool distinct = true;
    for (size_t i = 0; i < lrs_store_points_count(pts); i++) {
      const lrs_store_row *r = lrs_store_points_row(pts, i);
      if (r->point.init_scale != scale)
        continue;
      distinct &= r->point.replicate < 64 && !(seeds & (1ULL << r->point.replicate));
      seeds |= 1ULL << (r->point.replicate & 63);
      n++;
      if (isfinite(r->summary.rate) && n_rate < 64)
        rates[n_rate++] = r->summary.rate;
      distinct &= (r->origin == LRS_ORIGIN_SEED) == (r->point.replicate >= 3);
    }
    qsort(rates, n_rate, sizeof rates[0], by_value);
    double lo = NAN, hi = NAN;
    bool ci = lrs_rate_median_ci(rates, n_rate, 0.95, &lo, &hi);
    bool confident = ci && 0.5 * (hi - lo) <= 0.02;
    LRS_CHECK(distinct && n <= 24 && (confident || n == 24) && n > 3,
              "init_scale %g: %zu seeds (3 from the grid), median rate interval [%.6g, %.6g]%s",
              scale, n, lo, hi, confident ? " within 0.02" : ", seed cap reached");
  }
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  unload(&s);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  if (!mkdtemp(dir)) {
    printf("Bail out! mkdtemp\n");
    return 1;
  }
  threshold_checks();
  torn_append_checks();
  extend_checks();
  rate_checks();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  MPI_Finalize();
  return lrs_test_done();
}
