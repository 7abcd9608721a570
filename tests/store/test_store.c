/*
 * The store: round trips of synthetic results, pending rows, resume, retries,
 * grid changes and extension, several sweeps, the writer lock, bad inputs,
 * and the stored sweep text (lrsweep/store.h).
 *
 * usage: test_store DOCS_STORE_MD
 */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lrs_test.h"
#include "lrsweep/sha256.h"
#include "lrsweep/store.h"
#include "synth.h"

static char dir[] = "/tmp/lrs-store-test-XXXXXX";

static const char *sweep_alpha = "# a small sweep\n"
                                 "[sweep]\nname = \"alpha\"\nreplicates = 2\n"
                                 "[solver]\nstep_rule = \"fixed\"\nmax_iter = 30\n"
                                 "[grid]\nwidth = [100, 400]\nstep_size = [0.1, 0.01, 0.001]\n";

static char *path_in_dir(const char *name) {
  static char buf[8][512];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, 512, "%s/%s", dir, name);
  return p;
}

typedef struct sweep {
  lrs_config *cfg;
  lrs_grid *grid;
} sweep;

static sweep load(const char *text) {
  sweep s = {0};
  if (lrs_config_load_string(text, strlen(text), "t.toml", &s.cfg) != LRS_OK ||
      lrs_grid_create(s.cfg, &s.grid) != LRS_OK)
    printf("# sweep setup failed: %s\n", lrs_error_message());
  return s;
}

static void unload(sweep *s) {
  lrs_grid_destroy(&s->grid);
  lrs_config_destroy(&s->cfg);
}

static lrs_store_options opts(void) {
  lrs_store_options o = lrs_store_options_default();
  o.mpi_size = 3;
  return o;
}

/* Puts synthetic results for the listed indices (variant v), rank = i % 4. */
static lrs_status put_points(lrs_store_writer *w, const uint64_t *idx, size_t n, int v) {
  lrs_result *r = NULL;
  lrs_status st = lrs_result_create(8, &r);
  for (size_t k = 0; k < n && st == LRS_OK; k++) {
    synth_result(idx[k], v, r);
    st = lrs_store_put(w, idx[k], r, (int)(idx[k] % 4));
  }
  lrs_result_destroy(&r);
  return st;
}

static lrs_status write_store(const char *path, const sweep *s, const uint64_t *idx, size_t n,
                              int v) {
  lrs_store_writer *w = NULL;
  lrs_store_options o = opts();
  lrs_status st = lrs_store_writer_open(path, s->grid, &o, &w);
  if (st == LRS_OK)
    st = put_points(w, idx, n, v);
  lrs_status cst = lrs_store_writer_close(&w);
  return st != LRS_OK ? st : cst;
}

static bool same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static bool same_point(const lrs_point *a, const lrs_point *b) {
  size_t n;
  const lrs_param *t = lrs_param_table(&n);
  bool ok = a->index == b->index && a->seed == b->seed;
  for (size_t i = 0; i < n; i++)
    ok &= same_double(lrs_param_get(a, &t[i]), lrs_param_get(b, &t[i]));
  return ok;
}

static bool same_records(const lrs_result *a, const lrs_result *b) {
  return a->n_records == b->n_records &&
         (a->n_records == 0 ||
          memcmp(a->records, b->records, a->n_records * sizeof *a->records) == 0);
}

/* Reads the row and result of point i and compares with the synthetic one. */
static bool point_matches(lrs_store *st, size_t sw, uint64_t stored_at, uint64_t synth_i,
                          int v, lrs_result *got, lrs_result *want) {
  lrs_store_row row;
  if (lrs_store_read_result(st, sw, stored_at, &row, got) != LRS_OK) {
    printf("# read_result(%llu): %s\n", (unsigned long long)stored_at, lrs_error_message());
    return false;
  }
  synth_result(synth_i, v, want);
  return memcmp(&got->summary, &want->summary, sizeof want->summary) == 0 &&
         same_records(got, want);
}

/* ---- round trip ------------------------------------------------------------- */

static void test_round_trip(void) {
  sweep s = load(sweep_alpha);
  const char *path = path_in_dir("round.h5");
  uint64_t n = lrs_grid_size(s.grid), idx[64];
  for (uint64_t i = 0; i < n; i++)
    idx[i] = n - 1 - i; /* out of order */
  LRS_CHECK(write_store(path, &s, idx, (size_t)n, 0) == LRS_OK, "write 12 points: %s",
            lrs_error_message());
  struct stat sb;
  LRS_CHECK(stat(path_in_dir("round.h5.lock"), &sb) != 0 && stat(path_in_dir("round.h5.tmp"), &sb) != 0,
            "no lock or temporary file left behind");
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  lrs_result *got = NULL, *want = NULL;
  lrs_result_create(0, &got);
  lrs_result_create(0, &want);
  if (!LRS_CHECK(lrs_store_open(path, &st) == LRS_OK, "reader opens: %s", lrs_error_message()))
    goto done;
  LRS_CHECK(lrs_store_schema_version(st) == LRS_STORE_SCHEMA_VERSION, "schema version");
  LRS_CHECK(strcmp(lrs_store_attribute(st, "mpi_size"), "3") == 0 &&
                strlen(lrs_store_attribute(st, "created_utc")) == 20 &&
                lrs_store_attribute(st, "host")[0] && lrs_store_attribute(st, "lrsweep_git")[0],
            "root attributes: mpi_size 3, created_utc %s, host, git",
            lrs_store_attribute(st, "created_utc"));
  size_t sw = 99;
  LRS_CHECK(lrs_store_sweep_count(st) == 1 && lrs_store_find_sweep(st, NULL, &sw) == LRS_OK &&
                sw == 0 && strcmp(lrs_store_sweep_name(st, 0), "alpha") == 0,
            "one sweep named alpha");
  size_t len;
  const char *text = lrs_store_sweep_text(st, 0, &len);
  char sha[LRS_SHA256_HEX];
  lrs_sha256_hex(sweep_alpha, strlen(sweep_alpha), sha);
  LRS_CHECK(len == strlen(sweep_alpha) && strcmp(text, sweep_alpha) == 0,
            "the sweep text is stored verbatim");
  LRS_CHECK(strcmp(lrs_store_sweep_sha256(st, 0), sha) == 0, "its SHA-256 too");
  if (!LRS_CHECK(lrs_store_read_points(st, 0, &pts) == LRS_OK, "points read: %s",
                 lrs_error_message()))
    goto done;
  LRS_CHECK(lrs_store_points_count(pts) == n && lrs_store_points_torn(pts) == 0,
            "one row per grid point, none torn");
  bool keys = true, params = true, summaries = true, trajs = true, book = true;
  for (uint64_t i = 0; i < n; i++) {
    const lrs_store_row *row = lrs_store_points_row(pts, i);
    lrs_point p;
    char key[LRS_GRID_KEY_MAX];
    lrs_grid_point(s.grid, i, &p);
    lrs_grid_key(s.grid, &p, key, sizeof key);
    keys &= row->index == i && strcmp(lrs_store_points_key(pts, i), key) == 0 &&
            row->key_hash == lrs_key_hash(key);
    params &= same_point(&row->point, &p);
    synth_result(i, 0, want);
    summaries &= memcmp(&row->summary, &want->summary, sizeof want->summary) == 0;
    book &= row->attempts == 1 && row->rank == (int32_t)(i % 4) &&
            row->traj_count == (int64_t)synth_records(i);
    trajs &= point_matches(st, 0, i, i, 0, got, want);
  }
  LRS_CHECK(keys, "rows are in index order with the grid's keys and hashes");
  LRS_CHECK(params, "every parameter of every point round-trips");
  LRS_CHECK(summaries, "every byte of every summary round-trips (message, NaN, inf, enums)");
  LRS_CHECK(trajs, "every trajectory round-trips through read_result");
  LRS_CHECK(book, "attempts 1, rank and record counts as put");
  const lrs_field *c = lrs_store_points_column(pts, "width");
  const lrs_field *sd = lrs_store_points_column(pts, "seed");
  const lrs_field *mi = lrs_store_points_column(pts, "max_iter");
  LRS_CHECK(c && (c->flags & LRS_FIELD_AXIS) && sd && (sd->flags & LRS_FIELD_AXIS) && mi && !(mi->flags & LRS_FIELD_AXIS), "axis columns are marked");
  char buf[64];
  const lrs_field *status = lrs_store_points_column(pts, "status");
  LRS_CHECK(status && strcmp(lrs_field_text(status, lrs_store_points_row(pts, 3), buf,
                                                   sizeof buf),
                             "error") == 0,
            "status column reads as its name (%s)", buf);
  LRS_CHECK(lrs_store_read_result(st, 0, n, NULL, got) == LRS_ERR_RANGE,
            "reading past the last point is LRS_ERR_RANGE");
  /* The stored text loads back into a config with the same grid. */
  lrs_config *back = NULL;
  lrs_grid *g2 = NULL;
  bool same = lrs_store_load_config(st, 0, &back) == LRS_OK &&
              lrs_grid_create(back, &g2) == LRS_OK && lrs_grid_size(g2) == n &&
              strcmp(lrs_config_name(back), "alpha") == 0;
  for (uint64_t i = 0; same && i < n; i++) {
    lrs_point a, b;
    char ka[LRS_GRID_KEY_MAX], kb[LRS_GRID_KEY_MAX];
    lrs_grid_point(s.grid, i, &a);
    lrs_grid_point(g2, i, &b);
    lrs_grid_key(s.grid, &a, ka, sizeof ka);
    lrs_grid_key(g2, &b, kb, sizeof kb);
    same &= strcmp(ka, kb) == 0;
  }
  LRS_CHECK(same, "the stored sweep text loads back to the same grid (for rerun)");
  lrs_grid_destroy(&g2);
  lrs_config_destroy(&back);
done:
  lrs_result_destroy(&got);
  lrs_result_destroy(&want);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  unload(&s);
}

/* ---- pending rows, resume, retries ------------------------------------------ */

/* Compares two stores of the same sweep row by row on every column that is
 * not run-dependent, and trajectories by content. */
static bool stores_equivalent(const char *a, const char *b) {
  lrs_store *sa = NULL, *sb = NULL;
  lrs_store_points *pa = NULL, *pb = NULL;
  lrs_result *ra = NULL, *rb = NULL;
  bool ok = lrs_store_open(a, &sa) == LRS_OK && lrs_store_open(b, &sb) == LRS_OK &&
            lrs_store_read_points(sa, 0, &pa) == LRS_OK &&
            lrs_store_read_points(sb, 0, &pb) == LRS_OK &&
            lrs_store_points_count(pa) == lrs_store_points_count(pb);
  lrs_result_create(0, &ra);
  lrs_result_create(0, &rb);
  size_t nc;
  const lrs_field *cols = ok ? lrs_store_points_columns(pa, &nc) : NULL;
  for (size_t i = 0; ok && i < lrs_store_points_count(pa); i++) {
    const void *x = lrs_store_points_row(pa, i), *y = lrs_store_points_row(pb, i);
    for (size_t c = 0; c < nc; c++) {
      if ((cols[c].flags & LRS_FIELD_RUN_DEPENDENT) || strcmp(cols[c].name, "row_check") == 0)
        continue;
      char u[300], v[300];
      lrs_field_text(&cols[c], x, u, sizeof u);
      lrs_field_text(&cols[c], y, v, sizeof v);
      if (strcmp(u, v) != 0) {
        printf("# row %zu column %s: %s vs %s\n", i, cols[c].name, u, v);
        ok = false;
      }
    }
    ok = ok && lrs_store_read_result(sa, 0, i, NULL, ra) == LRS_OK &&
         lrs_store_read_result(sb, 0, i, NULL, rb) == LRS_OK && same_records(ra, rb);
  }
  lrs_result_destroy(&ra);
  lrs_result_destroy(&rb);
  lrs_store_points_destroy(&pa);
  lrs_store_points_destroy(&pb);
  lrs_store_close(&sa);
  lrs_store_close(&sb);
  return ok;
}

static void test_resume(void) {
  sweep s = load(sweep_alpha);
  uint64_t n = lrs_grid_size(s.grid), all[64], half[64], rest[64];
  size_t nh = 0, nr = 0;
  for (uint64_t i = 0; i < n; i++) {
    all[i] = i;
    if (i % 3 == 0)
      half[nh++] = i;
  }
  for (uint64_t i = n; i-- > 0;) /* the remaining ones, backwards */
    if (i % 3 != 0)
      rest[nr++] = i;
  const char *whole = path_in_dir("whole.h5"), *resumed = path_in_dir("resumed.h5");
  LRS_CHECK(write_store(whole, &s, all, (size_t)n, 0) == LRS_OK, "uninterrupted store written");
  LRS_CHECK(write_store(resumed, &s, half, nh, 0) == LRS_OK, "first third written");

  /* Pending rows are there, with every parameter and NaN results. */
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  if (lrs_store_open(resumed, &st) == LRS_OK && lrs_store_read_points(st, 0, &pts) == LRS_OK) {
    const lrs_store_row *r = lrs_store_points_row(pts, 1);
    lrs_point p;
    lrs_grid_point(s.grid, 1, &p);
    LRS_CHECK(r->summary.status == LRS_POINT_PENDING && isnan(r->summary.final_loss) &&
                  r->summary.iterations == -1 && r->attempts == 0 && r->rank == -1 &&
                  r->traj_offset == -1 && same_point(&r->point, &p),
              "a row not yet computed is pending, with its parameters and unset results");
  } else {
    LRS_CHECK(false, "resumed store readable: %s", lrs_error_message());
  }
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);

  lrs_store_writer *w = NULL;
  lrs_store_options o = opts();
  if (LRS_CHECK(lrs_store_writer_open(resumed, s.grid, &o, &w) == LRS_OK, "reopen: %s",
                lrs_error_message())) {
    bool needs_ok = true;
    for (uint64_t i = 0; i < n; i++)
      needs_ok &= lrs_store_needs(w, i) == (i % 3 != 0);
    LRS_CHECK(lrs_store_done_at_open(w) == nh && lrs_store_todo_count(w) == nr && needs_ok,
              "resume lists the done points (%llu) and the missing ones (%llu)",
              (unsigned long long)lrs_store_done_at_open(w),
              (unsigned long long)lrs_store_todo_count(w));
    LRS_CHECK(put_points(w, rest, nr, 0) == LRS_OK && lrs_store_flush(w) == LRS_OK,
              "the missing points are put and flushed");
    size_t nf;
    lrs_store_flushed(w, &nf);
    LRS_CHECK(nf == nr && lrs_store_todo_count(w) == 0, "flushed list and to-do count follow");
  }
  LRS_CHECK(lrs_store_writer_close(&w) == LRS_OK && w == NULL, "close NULLs the writer");
  LRS_CHECK(stores_equivalent(whole, resumed),
            "resumed store equals the uninterrupted one but for timing columns "
            "(trajectories in another physical order)");

  /* Retrying failures: error points (i % 5 == 3) only with retry_failed. */
  o.retry_failed = false;
  lrs_store_writer_open(resumed, s.grid, &o, &w);
  LRS_CHECK(w && lrs_store_todo_count(w) == 0 && !lrs_store_needs(w, 3),
            "without retry_failed, failed points are done");
  lrs_store_writer_close(&w);
  o.retry_failed = true;
  lrs_store_writer_open(resumed, s.grid, &o, &w);
  uint64_t failed[64];
  size_t nfail = 0;
  for (uint64_t i = 0; i < n; i++)
    if (synth_status(i, 0) == LRS_POINT_ERROR)
      failed[nfail++] = i;
  LRS_CHECK(w && lrs_store_todo_count(w) == nfail && lrs_store_needs(w, 3) &&
                !lrs_store_needs(w, 2),
            "with retry_failed, the %zu error points are to do", nfail);
  if (w)
    put_points(w, failed, nfail, 1);
  lrs_store_writer_close(&w);
  lrs_result *got = NULL, *want = NULL;
  lrs_result_create(0, &got);
  lrs_result_create(0, &want);
  lrs_store_row row;
  bool retried = lrs_store_open(resumed, &st) == LRS_OK &&
                 lrs_store_read_result(st, 0, 3, &row, got) == LRS_OK &&
                 row.attempts == 2 && point_matches(st, 0, 3, 3, 1, got, want) &&
                 got->summary.status == LRS_POINT_CONVERGED;
  LRS_CHECK(retried, "a retried point has attempts 2 and the new result");
  lrs_store_close(&st);
  lrs_result_destroy(&got);
  lrs_result_destroy(&want);
  unload(&s);
}

/* ---- grid changes, extension, several sweeps ------------------------------------ */

static void test_grid_changes(void) {
  const char *path = path_in_dir("grid.h5");
  sweep s = load(sweep_alpha);
  uint64_t n = lrs_grid_size(s.grid), idx[64];
  for (uint64_t i = 0; i < n; i++)
    idx[i] = i;
  write_store(path, &s, idx, (size_t)n, 0);
  lrs_store_writer *w = NULL;
  lrs_store_options o = opts();

  sweep lost = load("[sweep]\nname = \"alpha\"\nreplicates = 2\n"
                    "[solver]\nstep_rule = \"fixed\"\nmax_iter = 30\n"
                    "[grid]\nwidth = [100, 400]\nstep_size = [0.1, 0.02]\n");
  lrs_status st = lrs_store_writer_open(path, lost.grid, &o, &w);
  LRS_CHECK(st == LRS_ERR_STORE && strstr(lrs_error_message(), "axis step_size loses values 0.01, 0.001") &&
                strstr(lrs_error_message(), "gains value 0.02") && strstr(lrs_error_message(), "grid.h5"),
            "a changed axis is refused, naming axis and values: %s", lrs_error_message());
  unload(&lost);

  sweep fixed = load("[sweep]\nname = \"alpha\"\nreplicates = 2\n"
                     "[solver]\nstep_rule = \"fixed\"\nmax_iter = 50\n"
                     "[grid]\nwidth = [100, 400]\nstep_size = [0.1, 0.01, 0.001]\n");
  st = lrs_store_writer_open(path, fixed.grid, &o, &w);
  LRS_CHECK(st == LRS_ERR_STORE && strstr(lrs_error_message(), "max_iter changed from 30 to 50"),
            "a changed fixed parameter is refused: %s", lrs_error_message());
  unload(&fixed);

  /* Comments and key order do not matter: same grid, accepted. */
  sweep reordered = load("[grid]\nstep_size = [0.1, 0.01, 0.001]\nwidth = [100, 400]\n"
                         "[solver]\nmax_iter = 30\nstep_rule = \"fixed\"\n"
                         "[sweep]\nreplicates = 2\nname = \"alpha\"\n");
  st = lrs_store_writer_open(path, reordered.grid, &o, &w);
  LRS_CHECK(st == LRS_OK && lrs_store_todo_count(w) == 0,
            "the same grid written differently resumes: %s", lrs_error_message());
  lrs_store_writer_close(&w);
  unload(&reordered);

  /* Growing axes: refused without extend, then added with it. */
  const char *bigger_text = "[sweep]\nname = \"alpha\"\nreplicates = 3\n"
                            "[solver]\nstep_rule = \"fixed\"\nmax_iter = 30\n"
                            "[grid]\nwidth = [100, 400, 1600]\nstep_size = [0.1, 0.01, 0.001]\n";
  sweep bigger = load(bigger_text);
  st = lrs_store_writer_open(path, bigger.grid, &o, &w);
  LRS_CHECK(st == LRS_ERR_STORE && strstr(lrs_error_message(), "axis width gains value 1600") &&
                strstr(lrs_error_message(), "axis seed gains value 2") &&
                strstr(lrs_error_message(), "extend"),
            "a grown grid needs extend: %s", lrs_error_message());
  o.extend = true;
  st = lrs_store_writer_open(path, bigger.grid, &o, &w);
  uint64_t nb = lrs_grid_size(bigger.grid);
  LRS_CHECK(st == LRS_OK && nb == 27 && lrs_store_done_at_open(w) == n &&
                lrs_store_todo_count(w) == nb - n,
            "extend keeps the %llu done points and adds %llu: %s", (unsigned long long)n,
            (unsigned long long)(nb - n), lrs_error_message());
  lrs_store_writer_close(&w);
  o.extend = false;
  lrs_store *rd = NULL;
  lrs_store_points *pts = NULL;
  lrs_result *got = NULL, *want = NULL;
  lrs_result_create(0, &got);
  lrs_result_create(0, &want);
  bool kept = lrs_store_open(path, &rd) == LRS_OK && lrs_store_read_points(rd, 0, &pts) == LRS_OK &&
              lrs_store_points_count(pts) == nb;
  size_t found = 0, pending = 0;
  for (uint64_t j = 0; kept && j < nb; j++) {
    const char *key = lrs_store_points_key(pts, j);
    const lrs_store_row *r = lrs_store_points_row(pts, j);
    /* Where was this key in the old grid? */
    uint64_t old = UINT64_MAX;
    for (uint64_t i = 0; i < n; i++) {
      lrs_point p;
      char k2[LRS_GRID_KEY_MAX];
      lrs_grid_point(s.grid, i, &p);
      lrs_grid_key(s.grid, &p, k2, sizeof k2);
      if (strcmp(k2, key) == 0)
        old = i;
    }
    if (old == UINT64_MAX) {
      pending += r->summary.status == LRS_POINT_PENDING;
      continue;
    }
    found++;
    kept &= r->index == j && point_matches(rd, 0, j, old, 0, got, want);
  }
  LRS_CHECK(kept && found == n && pending == nb - n,
            "after extend every old point keeps its result and trajectory under its key "
            "(new index), new points are pending");
  size_t len;
  LRS_CHECK(kept && strcmp(lrs_store_sweep_text(rd, 0, &len), bigger_text) == 0,
            "the stored sweep text is the extended one");
  lrs_store_points_destroy(&pts);
  lrs_store_close(&rd);
  lrs_result_destroy(&got);
  lrs_result_destroy(&want);

  /* A second sweep name in the same file: a new group, the first untouched. */
  sweep beta = load("[sweep]\nname = \"beta\"\n[grid]\nsigma2 = [0.01, 1.0]\n");
  uint64_t two[] = {0, 1};
  LRS_CHECK(write_store(path, &beta, two, 2, 0) == LRS_OK, "a second sweep is added: %s",
            lrs_error_message());
  size_t which = 9;
  bool both = lrs_store_open(path, &rd) == LRS_OK && lrs_store_sweep_count(rd) == 2 &&
              lrs_store_find_sweep(rd, "beta", &which) == LRS_OK && which == 1 &&
              lrs_store_read_points(rd, 0, &pts) == LRS_OK &&
              lrs_store_points_count(pts) == nb;
  LRS_CHECK(both, "the store holds alpha (%llu points) and beta", (unsigned long long)nb);
  LRS_CHECK(lrs_store_find_sweep(rd, NULL, &which) == LRS_ERR_USAGE &&
                strstr(lrs_error_message(), "alpha, beta"),
            "no --sweep with two sweeps is a usage error listing them: %s", lrs_error_message());
  LRS_CHECK(lrs_store_find_sweep(rd, "gamma", &which) == LRS_ERR_NOT_FOUND,
            "an unknown sweep is not found: %s", lrs_error_message());
  lrs_store_points_destroy(&pts);
  lrs_store_close(&rd);
  unload(&beta);
  unload(&bigger);
  unload(&s);
}

/* ---- a second writer ------------------------------------------------------------ */

static void test_lock(void) {
  const char *path = path_in_dir("lock.h5");
  sweep s = load(sweep_alpha);
  lrs_store_writer *w1 = NULL, *w2 = NULL;
  lrs_store_options o = opts();
  LRS_CHECK(lrs_store_writer_open(path, s.grid, &o, &w1) == LRS_OK, "first writer opens");
  lrs_status st = lrs_store_writer_open(path, s.grid, &o, &w2);
  char pid[32];
  snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
  LRS_CHECK(st == LRS_ERR_STORE && w2 == NULL &&
                strstr(lrs_error_message(), "being written by another process") &&
                strstr(lrs_error_message(), pid),
            "a second writer is refused, naming the holder: %s", lrs_error_message());
  /* From another process too. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    lrs_store_writer *w3 = NULL;
    _exit(lrs_store_writer_open(path, s.grid, &o, &w3) == LRS_ERR_STORE ? 0 : 1);
  }
  int ws = 0;
  waitpid(child, &ws, 0);
  LRS_CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "a writer in another process is refused");
  /* A reader may open meanwhile (SWMR read). */
  uint64_t idx[] = {0, 5};
  put_points(w1, idx, 2, 0);
  lrs_store_flush(w1);
  lrs_store *rd = NULL;
  lrs_store_points *pts = NULL;
  LRS_CHECK(lrs_store_open(path, &rd) == LRS_OK && lrs_store_read_points(rd, 0, &pts) == LRS_OK &&
                lrs_store_points_row(pts, 5)->summary.status != LRS_POINT_PENDING,
            "a reader sees flushed points while the writer runs: %s", lrs_error_message());
  lrs_store_points_destroy(&pts);
  lrs_store_close(&rd);
  lrs_store_writer_close(&w1);
  LRS_CHECK(lrs_store_writer_open(path, s.grid, &o, &w2) == LRS_OK,
            "after the first closes, a writer opens");
  lrs_store_writer_close(&w2);
  unload(&s);
}

/* ---- bad input --------------------------------------------------------------------- */

/* Opens `path` with stderr captured; true when the open fails with `want`
 * status, the message holds `expect`, and nothing was printed. */
static bool open_fails(const char *path, lrs_status want, const char *expect) {
  fflush(stderr);
  int saved = dup(2);
  char cap[600];
  snprintf(cap, sizeof cap, "%s/stderr.txt", dir);
  int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 2);
  close(fd);
  lrs_store *st = NULL;
  lrs_status got = lrs_store_open(path, &st);
  lrs_store_points *pts = NULL;
  if (got == LRS_OK) {
    got = lrs_store_read_points(st, 0, &pts);
    lrs_store_points_destroy(&pts);
  }
  lrs_store_close(&st);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  struct stat sb;
  bool silent = stat(cap, &sb) == 0 && sb.st_size == 0;
  bool ok = got == want && strstr(lrs_error_message(), expect) && silent;
  if (!ok)
    printf("# got status %d, message '%s', stderr %s\n", got, lrs_error_message(),
           silent ? "empty" : "NOT empty");
  return ok && st == NULL;
}

static void copy_prefix(const char *from, const char *to, long len) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  for (long i = 0; in && out && (len < 0 || i < len); i++) {
    int c = fgetc(in);
    if (c == EOF)
      break;
    fputc(c, out);
  }
  if (in)
    fclose(in);
  if (out)
    fclose(out);
}

static void test_bad_input(void) {
  const char *missing = path_in_dir("missing.h5");
  LRS_CHECK(open_fails(missing, LRS_ERR_IO, "missing.h5: No such file or directory"),
            "missing file: %s", lrs_error_message());
  const char *text = path_in_dir("text.h5");
  FILE *f = fopen(text, "w");
  fputs("this is not HDF5\n", f);
  fclose(f);
  LRS_CHECK(open_fails(text, LRS_ERR_STORE, "text.h5: not an HDF5 file"), "non-HDF5 file: %s",
            lrs_error_message());
  const char *plain = path_in_dir("plain.h5");
  hid_t h = H5Fcreate(plain, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(h);
  LRS_CHECK(open_fails(plain, LRS_ERR_STORE, "plain.h5: HDF5 file but not an lrsweep store"),
            "HDF5 file that is not a store: %s", lrs_error_message());

  sweep s = load(sweep_alpha);
  uint64_t idx[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const char *good = path_in_dir("good.h5"), *newer = path_in_dir("newer.h5");
  write_store(good, &s, idx, 12, 0);
  copy_prefix(good, newer, -1);
  h = H5Fopen(newer, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t a = H5Aopen(h, "lrsweep_schema_version", H5P_DEFAULT);
  int64_t v = LRS_STORE_SCHEMA_VERSION + 6;
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  H5Fclose(h);
  LRS_CHECK(open_fails(newer, LRS_ERR_STORE, "store schema version 8 is newer than this lrsweep"),
            "newer schema: %s", lrs_error_message());
  lrs_store_writer *w = NULL;
  lrs_store_options o = opts();
  LRS_CHECK(lrs_store_writer_open(newer, s.grid, &o, &w) == LRS_ERR_STORE &&
                strstr(lrs_error_message(), "newer"),
            "the writer refuses a newer store too");
  struct stat sb;
  stat(good, &sb);
  const long cuts[] = {100, 3000, (long)sb.st_size / 2, (long)sb.st_size - 200};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    const char *cut = path_in_dir("cut.h5");
    unlink(cut);
    copy_prefix(good, cut, cuts[k]);
    LRS_CHECK(open_fails(cut, LRS_ERR_STORE, "cut.h5: "), "store truncated to %ld of %lld bytes: %s",
              cuts[k], (long long)sb.st_size, lrs_error_message());
    LRS_CHECK(strstr(lrs_error_message(), "truncated") != NULL, "... and the message says truncated");
  }
  unload(&s);
}

/* ---- the column table ------------------------------------------------------------ */

static void test_columns(const char *docs) {
  sweep s = load(sweep_alpha);
  const char *path = path_in_dir("cols.h5");
  uint64_t idx[] = {0};
  write_store(path, &s, idx, 1, 0);
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  lrs_store_open(path, &st);
  if (!LRS_CHECK(st && lrs_store_read_points(st, 0, &pts) == LRS_OK, "columns store readable"))
    goto done;
  size_t n, nr;
  const lrs_field *cols = lrs_store_points_columns(pts, &n);
  const lrs_field *rec = lrs_store_record_columns(&nr);
  bool unique = true;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      unique &= strcmp(cols[i].name, cols[j].name) != 0;
  LRS_CHECK(unique, "points column names are unique (%zu columns)", n);
  size_t np;
  lrs_param_table(&np);
  LRS_CHECK(n > np + 50 && nr == 1 + lrs_record_field_count && nr >= 31,
            "every parameter and summary field has a column, every record field too (+ key_hash)");
  /* docs/store.md documents every column by name. */
  FILE *f = fopen(docs, "r");
  char *md = NULL;
  size_t len = 0;
  if (f) {
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    md = calloc(len + 1, 1);
    if (md && fread(md, 1, len, f) != len)
      md[0] = '\0';
    fclose(f);
  }
  bool documented = md != NULL;
  for (size_t i = 0; documented && i < n + nr; i++) {
    const char *name = i < n ? cols[i].name : rec[i - n].name;
    char tick[80];
    snprintf(tick, sizeof tick, "`%s`", name);
    if (!strstr(md, tick)) {
      printf("# %s not in %s\n", tick, docs);
      documented = false;
    }
  }
  LRS_CHECK(documented, "docs/store.md names every column");
  /* ... and its tables are the schema: each column's row, in file order, is
   * "| `name` | type | unit | doc" (an enum's doc then lists its values; the
   * key's width depends on the grid). */
  const char *at = md;
  bool table = md != NULL;
  for (size_t i = 0; table && i < n + nr; i++) {
    const lrs_field *c = i < n ? &cols[i] : &rec[i - n];
    char type[32], row[1024];
    switch (c->type) {
    case LRS_FIELD_U64: snprintf(type, sizeof type, "uint64"); break;
    case LRS_FIELD_I64: snprintf(type, sizeof type, "int64"); break;
    case LRS_FIELD_I32: snprintf(type, sizeof type, "int32"); break;
    case LRS_FIELD_F64: snprintf(type, sizeof type, "float64"); break;
    case LRS_FIELD_ENUM: snprintf(type, sizeof type, "enum (int8)"); break;
    case LRS_FIELD_BOOL: snprintf(type, sizeof type, "bool (int8 enum)"); break;
    case LRS_FIELD_TEXT: snprintf(type, sizeof type, "string[%zu]", c->size); break;
    }
    int w = snprintf(row, sizeof row, "| `%s` | %s | %s | %s", c->name, type, c->unit, c->doc);
    for (size_t k = 0; c->type == LRS_FIELD_ENUM && c->names[k]; k++)
      w += snprintf(row + w, sizeof row - (size_t)w, "%s%s", k ? ", " : " (values: ",
                    c->names[k]);
    if (c->type == LRS_FIELD_ENUM)
      snprintf(row + w, sizeof row - (size_t)w, ")");
    if (strcmp(c->name, "key") == 0)
      snprintf(row, sizeof row, "| `key` | string[");
    const char *hit = strstr(at, row);
    if (!hit) {
      printf("# docs/store.md lacks, after the previous column's row: %s\n", row);
      table = false;
    }
    at = hit ? hit + 1 : at;
  }
  LRS_CHECK(table, "docs/store.md's column tables give every column's type, unit and doc, in "
                   "file order (%zu + %zu columns)", n, nr);
  free(md);
  /* The level columns' names (lrsweep/result.h) match lrs_result_levels. */
  bool levels = true;
  for (int k = 0; k < LRS_RESULT_LEVELS; k++)
    for (int t = 0; t < 2; t++) {
      char name[32], label[32];
      const char *member = t ? "time_to" : "iters_to";
      snprintf(name, sizeof name, "%s_%.0f", member, -log10(lrs_result_levels[k]));
      snprintf(label, sizeof label, "%s_%.0e", member, lrs_result_levels[k]);
      const lrs_field *fd = lrs_field_find(lrs_summary_fields, lrs_summary_field_count, name);
      levels &= fd && strcmp(fd->label, label) == 0 &&
                fd->offset == (t ? offsetof(lrs_summary, time_to[k])
                                : offsetof(lrs_summary, iters_to[k]));
    }
  LRS_CHECK(levels, "iters_to_3.. and time_to_3.. are the elements of lrs_result_levels");
done:
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  unload(&s);
}

int main(int argc, char **argv) {
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_round_trip();
  test_resume();
  test_grid_changes();
  test_lock();
  test_bad_input();
  test_columns(argc > 1 ? argv[1] : "docs/store.md");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return lrs_test_done();
}
