/*
 * The store writer (lrsweep/store.h): one process, serial HDF5.
 *
 * Crash safety has two parts (docs/store.md, "Crash safety"):
 *  - Structure (creating the file, adding a sweep, extending a grid) is never
 *    changed in place: the writer copies the store to STORE.tmp, changes the
 *    copy, fsyncs it and renames it over the store.  A crash leaves either
 *    the old or the new file, and at worst a stale STORE.tmp.
 *  - Data is written in SWMR mode, whose metadata flushes keep the file
 *    readable at every moment.  A batch is written trajectories first, flush,
 *    then the rows that point at them, flush; a row says "done" only after its
 *    records are on disk.  Records of a batch killed between the two flushes
 *    stay as unreferenced rows at the end of trajectories (harmless).
 *
 * A failed write (a full disk, a quota, a file size limit) ends the writer:
 * the file driver's guard (guard.c) detaches the file from the disk at that
 * write, so the store stays as a crash at that moment would leave it, and
 * HDF5 closes it without a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lrs_config.h"
#include "lrs_version.h"
#include "lrsweep/sha256.h"
#include "store_private.h"

typedef struct pending {
  uint64_t index;
  int32_t rank;
  size_t rec_first, n_rec; /* in the writer's record buffer */
  lrs_summary summary;
} pending;

typedef struct order_item {
  uint64_t index;
  size_t pos; /* in the batch */
} order_item;

struct lrs_store_writer {
  char *path;
  char *sweep_path; /* "/sweeps/NAME" */
  int lock_fd;
  const lrs_grid *grid;
  const lrs_config *cfg;
  lrs_store_options opt;
  lrs__store_schema *schema;
  hid_t file, points, traj, rows_ds;
  lrs__store_xfer xfer;
  uint64_t n_grid;   /* rows of the grid */
  uint64_t n_points; /* rows: the grid's, then refinement rows */
  hsize_t extent;    /* rows of the dataset (more than n_points after a crash
                        while appending: the rest are ignored, overwritten) */
  uint64_t cap_rows_state; /* capacity of status, attempts, key_hash */
  uint8_t *status;   /* per row: lrs_point_status */
  int32_t *attempts; /* per row */
  uint64_t *key_hash; /* per row */
  uint64_t todo, done_at_open, torn_at_open;
  hsize_t traj_end; /* current extent of trajectories */
  /* the batch */
  pending *batch;
  size_t n_batch, cap_batch;
  lrs__traj_row *recs;
  size_t n_recs, cap_recs;
  size_t buffered;
  /* flush workspaces, grown geometrically */
  unsigned char *rows;
  size_t cap_rows;
  order_item *order;
  size_t cap_order;
  hsize_t *coords;
  size_t cap_coords;
  uint64_t *flushed;
  size_t n_flushed, cap_flushed;
  double last_flush;
  bool broken; /* a write failed: nothing more is written */
};

/* Rows written per HDF5 call when building a points table.  KEY_SLACK: room
 * in the key column beyond the grid's longest key, for refinement points
 * whose off-grid values print longer (one value: at most 24 characters). */
enum { BLOCK_ROWS = 4096, TRAJ_CHUNK = 4096, KEY_SLACK = 32 };

lrs_store_options lrs_store_options_default(void) {
  return (lrs_store_options){.mpi_size = 1,
                             .extend = false,
                             .retry_failed = false,
                             .flush_seconds = 2.0,
                             .flush_bytes = (size_t)64 << 20};
}

static bool is_failure(int status) {
  return status == LRS_POINT_ERROR || status == LRS_POINT_TIMEOUT ||
         status == LRS_POINT_NUMERICAL_FAILURE;
}

static bool needs(const lrs_store_writer *w, int status) {
  return status == LRS_POINT_PENDING || (w->opt.retry_failed && is_failure(status));
}

/* ---- files ---------------------------------------------------------------- */

/* LRS_ERR_HDF5 when a write to the file of `obj` failed (the guard's errno):
 * "WHERE: WHAT: REASON" and `tail`. */
static lrs_status write_failed(hid_t obj, const char *where, const char *what, const char *tail) {
  int err = lrs__store_guard_failed(obj);
  if (err == 0)
    return LRS_OK;
  return LRS_RAISE(LRS_ERR_WRITE, "%s: %s: %s%s", where, what, strerror(err), tail);
}

/* After writing: a write the guard caught breaks the writer (LRS_ERR_IO, the
 * store as its last complete flush left it); else `st`. */
static lrs_status writer_check(lrs_store_writer *w, lrs_status st) {
  if (w->broken || w->file < 0)
    return st;
  lrs_status failed = write_failed(w->file, w->path, "cannot write the store",
                                   "; it keeps every point of its last complete flush (run the "
                                   "same command again to resume once there is room)");
  if (failed == LRS_OK)
    return st;
  w->broken = true;
  return failed;
}

static lrs_status fsync_path(const char *path, bool dir) {
  int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0)
    return LRS_RAISE(LRS_ERR_IO, "%s: cannot open to sync: %s", path, strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0 && !(dir && err == EINVAL))
    return LRS_RAISE(LRS_ERR_WRITE, "%s: fsync failed: %s", path, strerror(err));
  return LRS_OK;
}

static lrs_status copy_file(const char *from, const char *to) {
  lrs_status st = LRS_OK;
  int in = open(from, O_RDONLY), out = -1;
  char *buf = malloc((size_t)1 << 20);
  if (!buf) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory to copy %s", from);
    goto done;
  }
  if (in < 0) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: cannot read: %s", from, strerror(errno));
    goto done;
  }
  out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (out < 0) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: cannot create: %s", to, strerror(errno));
    goto done;
  }
  for (;;) {
    ssize_t n = read(in, buf, (size_t)1 << 20);
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      st = LRS_RAISE(LRS_ERR_IO, "%s: read failed: %s", from, strerror(errno));
      goto done;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t m = write(out, buf + off, (size_t)(n - off));
      if (m < 0 && errno == EINTR)
        continue;
      if (m < 0) {
        st = LRS_RAISE(LRS_ERR_WRITE, "%s: cannot copy it to %s: %s (store left unchanged)", from,
                       to, strerror(errno));
        goto done;
      }
      off += m;
    }
  }
done:
  free(buf);
  if (in >= 0)
    close(in);
  if (out >= 0 && close(out) != 0 && st == LRS_OK)
    st = LRS_RAISE(LRS_ERR_WRITE, "%s: close failed: %s", to, strerror(errno));
  return st;
}

/* ---- building a sweep's group ---------------------------------------------- */

/* Old rows by key hash (open addressing), for re-indexing an extended grid. */
typedef struct old_index {
  uint64_t *hash;
  size_t *row;
  size_t mask;
} old_index;

static lrs_status old_index_build(const lrs_store_points *old, old_index *ix) {
  size_t n = lrs_store_points_count(old), cap = 16;
  while (cap < 2 * n)
    cap *= 2;
  ix->mask = cap - 1;
  ix->hash = calloc(cap, sizeof *ix->hash);
  ix->row = malloc(cap * sizeof *ix->row);
  if (!ix->hash || !ix->row)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory re-indexing %zu points", n);
  for (size_t i = 0; i < cap; i++)
    ix->row[i] = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    uint64_t h = lrs_store_points_row(old, i)->key_hash;
    size_t s = (size_t)(h ^ (h >> 29)) & ix->mask;
    while (ix->row[s] != SIZE_MAX)
      s = (s + 1) & ix->mask;
    ix->hash[s] = h;
    ix->row[s] = i;
  }
  return LRS_OK;
}

static size_t old_index_find(const old_index *ix, uint64_t h) {
  size_t s = (size_t)(h ^ (h >> 29)) & ix->mask;
  while (ix->row[s] != SIZE_MAX) {
    if (ix->hash[s] == h)
      return ix->row[s];
    s = (s + 1) & ix->mask;
  }
  return SIZE_MAX;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Every key of the grid, computed once (formatting keys is the costly part
 * of building a points table): concatenated with their NULs. */
typedef struct grid_keys {
  char *text;
  size_t *at;    /* key i starts at text + at[i] */
  uint64_t *hash;
  size_t width;  /* longest key + 1 (at least 16) */
} grid_keys;

static void grid_keys_free(grid_keys *k) {
  free(k->text);
  free(k->at);
  free(k->hash);
  *k = (grid_keys){0};
}

/* Computes the keys and checks that no two share a hash (the store's
 * identity of a point). */
static lrs_status grid_keys_make(const lrs_store_writer *w, grid_keys *k) {
  lrs_status st = LRS_OK;
  uint64_t *sorted = NULL;
  size_t used = 0, cap = 0, longest = 0;
  k->at = malloc((size_t)w->n_grid * sizeof *k->at);
  k->hash = malloc((size_t)w->n_grid * sizeof *k->hash);
  sorted = malloc((size_t)w->n_grid * sizeof *sorted);
  if (!k->at || !k->hash || !sorted) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the keys of %llu points",
                   (unsigned long long)w->n_grid);
    goto done;
  }
  char key[LRS_GRID_KEY_MAX];
  lrs_point p;
  for (uint64_t i = 0; i < w->n_grid; i++) {
    LRS_TRY_GOTO(st, lrs_grid_point(w->grid, i, &p), done);
    LRS_TRY_GOTO(st, lrs_grid_key(w->grid, &p, key, sizeof key), done);
    size_t len = strlen(key);
    LRS_TRY_GOTO(st, lrs_grow((void **)&k->text, &cap, used + len + 1, 1), done);
    memcpy(k->text + used, key, len + 1);
    k->at[i] = used;
    used += len + 1;
    longest = len > longest ? len : longest;
    k->hash[i] = sorted[i] = lrs_key_hash(key);
  }
  qsort(sorted, (size_t)w->n_grid, sizeof *sorted, cmp_u64);
  for (uint64_t i = 1; i < w->n_grid; i++)
    if (sorted[i] == sorted[i - 1]) {
      st = LRS_RAISE(LRS_ERR_STORE,
                     "%s: two points of sweep '%s' have the same key hash %016" PRIx64
                     "; change an axis value slightly",
                     w->path, lrs_config_name(w->cfg), sorted[i]);
      goto done;
    }
  k->width = longest + 1 + KEY_SLACK;
done:
  free(sorted);
  if (st != LRS_OK)
    grid_keys_free(k);
  return st;
}

static lrs_status write_axes(const lrs_store_writer *w, hid_t group, const char *where) {
  lrs_status st = LRS_OK;
  hid_t axes = H5I_INVALID_HID, space = H5I_INVALID_HID, ds = H5I_INVALID_HID;
  hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  void *buf = NULL;
  LRS__H5(st, axes = H5Gcreate2(group, LRS__STORE_AXES, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          done, where, "cannot create group %s/axes", w->sweep_path);
  for (size_t a = 0; a < lrs_config_axis_count(w->cfg); a++) {
    const lrs_axis *ax = lrs_config_axis(w->cfg, a);
    const lrs_param *p = ax->param;
    const char *name = strcmp(p->name, "replicate") == 0 ? "seed" : p->name;
    const char *type = "real";
    hsize_t n = ax->length;
    buf = malloc(ax->length * sizeof(int64_t));
    if (!buf) {
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for axis %s", name);
      goto done;
    }
    if (p->type == LRS_PARAM_INT) {
      type = "int";
      ftype = H5Tcopy(H5T_STD_I64LE);
      mtype = H5Tcopy(H5T_NATIVE_INT64);
      for (size_t k = 0; k < ax->length; k++)
        ((int64_t *)buf)[k] = (int64_t)ax->values[k];
    } else if (p->type == LRS_PARAM_ENUM) {
      type = "enum";
      ftype = lrs__store_enum_type(H5T_STD_I8LE, p->names);
      mtype = lrs__store_enum_type(H5T_NATIVE_INT64, p->names);
      for (size_t k = 0; k < ax->length; k++)
        ((int64_t *)buf)[k] = (int64_t)ax->values[k];
    } else {
      ftype = H5Tcopy(H5T_IEEE_F64LE);
      mtype = H5Tcopy(H5T_NATIVE_DOUBLE);
      memcpy(buf, ax->values, ax->length * sizeof(double));
    }
    LRS__H5(st, ftype < 0 || mtype < 0 ? -1 : 0, done, where, "cannot make the type of axis %s",
            name);
    LRS__H5(st, space = H5Screate_simple(1, &n, NULL), done, where, "cannot make a dataspace");
    LRS__H5(st, ds = H5Dcreate2(axes, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            done, where, "cannot create axis %s", name);
    LRS__H5(st, H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), done, where,
            "cannot write axis %s", name);
    LRS_TRY_GOTO(st, lrs__store_attr_put_text(ds, "type", type, strlen(type), where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_int(ds, "log_scale", ax->log_scale, where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_int(ds, "zip_group", ax->zip_group, where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_text(ds, "parameter", p->name, strlen(p->name), where),
                 done);
    lrs__store_h5_close(&ds);
    lrs__store_h5_close(&space);
    lrs__store_h5_close(&ftype);
    lrs__store_h5_close(&mtype);
    free(buf);
    buf = NULL;
  }
done:
  free(buf);
  lrs__store_h5_close(&ds);
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&ftype);
  lrs__store_h5_close(&mtype);
  lrs__store_h5_close(&axes);
  return st;
}

/* Fills row buffer slot for grid point `index`: parameters, key and hash;
 * the result part from `old` (same key) or "pending". */
static lrs_status fill_row(const lrs_store_writer *w, const lrs__store_schema *s,
                           const grid_keys *keys, uint64_t index, unsigned char *slot,
                           const lrs_store_row *old) {
  lrs_store_row *row = (lrs_store_row *)(void *)slot;
  char *key = (char *)slot + sizeof(lrs_store_row);
  LRS_TRY(lrs_grid_point(w->grid, index, &row->point));
  memset(key, 0, s->key_width);
  const char *text = keys->text + keys->at[index];
  memcpy(key, text, strlen(text));
  row->index = index;
  row->key_hash = keys->hash[index];
  row->origin = LRS_ORIGIN_GRID;
  row->generation = 0;
  if (old) {
    row->summary = old->summary;
    row->attempts = old->attempts;
    row->rank = old->rank;
    row->traj_offset = old->traj_offset;
    row->traj_count = old->traj_count;
  } else {
    lrs__store_row_pending(row);
  }
  row->row_check = lrs__store_row_check(s, slot);
  return LRS_OK;
}

/* Appends the sweep text of this run to /sweeps/NAME/history (group `group`):
 * one subgroup per text a run of the sweep used, "0", "1", ..., each with the
 * attributes sweep_text, sweep_sha256, sweep_source, added_utc and
 * first_row (the rows the store held then: rows from it on were added under
 * this text, until the next entry's first_row).  A group written before the
 * history existed gets its stored sweep_text as entry 0 first. */
static lrs_status record_text(const lrs_store_writer *w, hid_t group, uint64_t first_row,
                              const char *where) {
  lrs_status st = LRS_OK;
  hid_t hist = H5I_INVALID_HID, entry = H5I_INVALID_HID;
  char *old_text = NULL, *old_sha = NULL, *old_src = NULL, *old_utc = NULL;
  size_t len;
  htri_t has = H5Lexists(group, LRS__STORE_HISTORY, H5P_DEFAULT);
  LRS__H5(st, has, done, where, "cannot look for %s/history", w->sweep_path);
  if (has)
    LRS__H5(st, hist = H5Gopen2(group, LRS__STORE_HISTORY, H5P_DEFAULT), done, where,
            "cannot open %s/history", w->sweep_path);
  else
    LRS__H5(st, hist = H5Gcreate2(group, LRS__STORE_HISTORY, H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT),
            done, where, "cannot create %s/history", w->sweep_path);
  H5G_info_t info;
  LRS__H5(st, H5Gget_info(hist, &info), done, where, "cannot count %s/history", w->sweep_path);
  hsize_t n = info.nlinks;
  char label[32];
  if (n == 0 && lrs__store_attr_get_text(group, "sweep_text", &old_text, &len, where) == LRS_OK) {
    /* The text an older lrsweep stored, as entry 0. */
    size_t l;
    lrs_error_clear();
    if (lrs__store_attr_get_text(group, "sweep_sha256", &old_sha, &l, where) != LRS_OK ||
        lrs__store_attr_get_text(group, "sweep_source", &old_src, &l, where) != LRS_OK ||
        lrs__store_attr_get_text(group, "created_utc", &old_utc, &l, where) != LRS_OK) {
      st = lrs_error_prefix(LRS_ERR_STORE, "%s: sweep '%s' lacks its text's attributes", where,
                            lrs_config_name(w->cfg));
      goto done;
    }
    LRS__H5(st, entry = H5Gcreate2(hist, "0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), done,
            where, "cannot create %s/history/0", w->sweep_path);
    LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "sweep_text", old_text, len, where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "sweep_sha256", old_sha, strlen(old_sha),
                                              where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "sweep_source", old_src, strlen(old_src),
                                              where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "added_utc", old_utc, strlen(old_utc),
                                              where), done);
    LRS_TRY_GOTO(st, lrs__store_attr_put_int(entry, "first_row", 0, where), done);
    lrs__store_h5_close(&entry);
    n = 1;
  }
  lrs_error_clear();
  size_t text_len;
  const char *text = lrs_config_text(w->cfg, &text_len), *src = lrs_config_source(w->cfg);
  char sha[LRS_SHA256_HEX], now[32];
  LRS_TRY_GOTO(st, lrs_sha256_hex(text, text_len, sha), done);
  lrs__store_utc_now(now, sizeof now);
  snprintf(label, sizeof label, "%llu", (unsigned long long)n);
  LRS__H5(st, entry = H5Gcreate2(hist, label, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), done,
          where, "cannot create %s/history/%s", w->sweep_path, label);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "sweep_text", text, text_len, where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "sweep_sha256", sha, strlen(sha), where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "sweep_source", src, strlen(src), where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(entry, "added_utc", now, strlen(now), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_int(entry, "first_row", (int64_t)first_row, where), done);
done:
  free(old_text);
  free(old_sha);
  free(old_src);
  free(old_utc);
  lrs__store_h5_close(&entry);
  lrs__store_h5_close(&hist);
  return st;
}

/* Creates (or, extending, re-creates) /sweeps/NAME/{points,axes} in `file`,
 * and trajectories unless `old` (kept as it is).  Rows of points in `old`
 * keep their results, looked up by key hash. */
static lrs_status build_sweep(lrs_store_writer *w, hid_t file, const lrs_store_points *old,
                              const char *where) {
  lrs_status st = LRS_OK;
  hid_t group = H5I_INVALID_HID, space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  hid_t ds = H5I_INVALID_HID, fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  lrs__store_schema *s = NULL;
  unsigned char *buf = NULL;
  old_index ix = {0};
  grid_keys keys = {0};
  bool *used = NULL; /* old rows placed in the new grid */
  uint64_t n_extra = 0;
  LRS_TRY_GOTO(st, grid_keys_make(w, &keys), done);
  LRS_TRY_GOTO(st, lrs__store_schema_create(keys.width, where, &s), done);
  if (old) {
    LRS__H5(st, group = H5Gopen2(file, w->sweep_path, H5P_DEFAULT), done, where,
            "cannot open %s", w->sweep_path);
    LRS__H5(st, H5Ldelete(group, LRS__STORE_POINTS, H5P_DEFAULT), done, where,
            "cannot replace %s/points", w->sweep_path);
    LRS__H5(st, H5Ldelete(group, LRS__STORE_AXES, H5P_DEFAULT), done, where,
            "cannot replace %s/axes", w->sweep_path);
    LRS__H5(st, H5Ldelete(group, LRS__STORE_ROWS, H5P_DEFAULT), done, where,
            "cannot replace %s/rows", w->sweep_path);
    LRS_TRY_GOTO(st, old_index_build(old, &ix), done);
  } else {
    LRS__H5(st, group = H5Gcreate2(file, w->sweep_path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            done, where, "cannot create group %s", w->sweep_path);
  }
  LRS_TRY_GOTO(st, record_text(w, group, old ? lrs_store_points_count(old) : 0, where), done);
  /* The sweep's identity: its file text and that text's SHA-256. */
  size_t text_len;
  const char *text = lrs_config_text(w->cfg, &text_len);
  char sha[LRS_SHA256_HEX];
  LRS_TRY_GOTO(st, lrs_sha256_hex(text, text_len, sha), done);
  const char *name = lrs_config_name(w->cfg), *src = lrs_config_source(w->cfg);
  const char *descr = lrs_config_description(w->cfg);
  char now[32];
  lrs__store_utc_now(now, sizeof now);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "name", name, strlen(name), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "sweep_text", text, text_len, where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "sweep_sha256", sha, strlen(sha), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "sweep_source", src, strlen(src), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "description", descr, strlen(descr), where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, old ? "extended_utc" : "created_utc", now,
                                            strlen(now), where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_int(group, "n_points", (int64_t)w->n_grid, where),
               done);
  LRS_TRY_GOTO(st, write_axes(w, group, where), done);

  /* Old rows of the new grid keep their results; the old grid's rows must all
   * be in it; old refinement rows not in it follow the grid rows. */
  if (old) {
    size_t n_old = lrs_store_points_count(old);
    used = calloc(n_old ? n_old : 1, sizeof *used);
    if (!used) {
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory re-indexing %zu points", n_old);
      goto done;
    }
    for (uint64_t j = 0; j < w->n_grid; j++) {
      size_t r = old_index_find(&ix, keys.hash[j]);
      if (r != SIZE_MAX)
        used[r] = true;
    }
    for (size_t i = 0; i < n_old; i++) {
      const lrs_store_row *r = lrs_store_points_row(old, i);
      if (used[i])
        continue;
      if (r->origin == LRS_ORIGIN_GRID) {
        st = LRS_RAISE(LRS_ERR_STORE,
                       "%s: sweep '%s': stored point %s is not in the extended grid "
                       "(zipped axes paired differently?); store unchanged",
                       w->path, name, lrs_store_points_key(old, i));
        goto done;
      }
      if (strlen(lrs_store_points_key(old, i)) >= keys.width) {
        st = LRS_RAISE(LRS_ERR_STORE, "%s: sweep '%s': refinement point %s does not fit the "
                       "extended key column; store unchanged",
                       w->path, name, lrs_store_points_key(old, i));
        goto done;
      }
      n_extra++;
    }
  }
  w->n_points = w->n_grid + n_extra;

  /* points: one chunked compound dataset, extendible for refinement rows,
   * every row written now. */
  hsize_t n = w->n_points, unlimited = H5S_UNLIMITED;
  hsize_t chunk = 262144 / H5Tget_size(s->file_type);
  chunk = chunk < 1 ? 1 : chunk > n ? n : chunk;
  chunk = chunk < 1 ? 1 : chunk;
  LRS__H5(st, space = H5Screate_simple(1, &n, &unlimited), done, where,
          "cannot make a dataspace");
  LRS__H5(st, dcpl = H5Pcreate(H5P_DATASET_CREATE), done, where, "cannot make a dcpl");
  LRS__H5(st, H5Pset_chunk(dcpl, 1, &chunk), done, where, "cannot set chunking");
  LRS__H5(st, H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), done, where, "cannot set fill time");
  LRS__H5(st, ds = H5Dcreate2(group, LRS__STORE_POINTS, s->file_type, space, H5P_DEFAULT, dcpl,
                              H5P_DEFAULT),
          done, where, "cannot create %s/points", w->sweep_path);
  buf = malloc((size_t)BLOCK_ROWS * s->stride);
  if (!buf) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory building %s/points", w->sweep_path);
    goto done;
  }
  memset(buf, 0, (size_t)BLOCK_ROWS * s->stride);
  size_t next_extra = 0; /* old row to consider next for the extra rows */
  for (hsize_t first = 0; first < n; first += BLOCK_ROWS) {
    hsize_t count = n - first < BLOCK_ROWS ? n - first : BLOCK_ROWS;
    for (hsize_t k = 0; k < count; k++) {
      unsigned char *slot = buf + k * s->stride;
      uint64_t index = first + k;
      if (index >= w->n_grid) {
        while (used[next_extra])
          next_extra++;
        const lrs_store_row *r = lrs_store_points_row(old, next_extra);
        const char *key = lrs_store_points_key(old, next_extra++);
        memset(slot, 0, s->stride);
        memcpy(slot, r, sizeof *r);
        memcpy(slot + sizeof(lrs_store_row), key, strlen(key));
        ((lrs_store_row *)(void *)slot)->index = index;
        continue;
      }
      size_t r = old ? old_index_find(&ix, keys.hash[index]) : SIZE_MAX;
      LRS_TRY_GOTO(st, fill_row(w, s, &keys, index, slot,
                                r == SIZE_MAX ? NULL : lrs_store_points_row(old, r)),
                   done);
    }
    LRS__H5(st, fspace = H5Dget_space(ds), done, where, "cannot get a dataspace");
    LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &first, NULL, &count, NULL), done,
            where, "cannot select rows");
    LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, where,
            "cannot make a dataspace");
    LRS__H5(st, H5Dwrite(ds, s->mem_type, mspace, fspace, H5P_DEFAULT, buf), done, where,
            "cannot write %s/points", w->sweep_path);
    lrs__store_h5_close(&fspace);
    lrs__store_h5_close(&mspace);
  }
  lrs__store_h5_close(&ds);
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&dcpl);

  /* rows: how many rows of points count (refinement rounds commit here). */
  hsize_t one = 1;
  LRS__H5(st, space = H5Screate_simple(1, &one, NULL), done, where, "cannot make a dataspace");
  LRS__H5(st, ds = H5Dcreate2(group, LRS__STORE_ROWS, H5T_STD_U64LE, space, H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT),
          done, where, "cannot create %s/rows", w->sweep_path);
  LRS_TRY_GOTO(st, lrs__store_rows_write(ds, w->n_points, where), done);
  lrs__store_h5_close(&ds);
  lrs__store_h5_close(&space);

  if (!old) {
    /* trajectories: empty, extendible. */
    hsize_t zero = 0, tchunk = TRAJ_CHUNK;
    LRS__H5(st, space = H5Screate_simple(1, &zero, &unlimited), done, where,
            "cannot make a dataspace");
    LRS__H5(st, dcpl = H5Pcreate(H5P_DATASET_CREATE), done, where, "cannot make a dcpl");
    LRS__H5(st, H5Pset_chunk(dcpl, 1, &tchunk), done, where, "cannot set chunking");
    LRS__H5(st, H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), done, where,
            "cannot set fill time");
    LRS__H5(st, ds = H5Dcreate2(group, LRS__STORE_TRAJ, s->rec_file, space, H5P_DEFAULT, dcpl,
                                H5P_DEFAULT),
            done, where, "cannot create %s/trajectories", w->sweep_path);
  }
done:
  grid_keys_free(&keys);
  free(used);
  free(ix.hash);
  free(ix.row);
  free(buf);
  lrs__store_schema_destroy(&s);
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&mspace);
  lrs__store_h5_close(&ds);
  lrs__store_h5_close(&dcpl);
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&group);
  return st;
}

/* /runs: one fixed-size row per writer open. */
typedef struct run_row {
  char opened_utc[24];
  char host[64];
  int64_t pid;
  int32_t mpi_size;
  char sweep[64];
  char version[64];
  char blas[LRS_STORE_BLAS_MAX];
} run_row;

static hid_t run_type(bool file) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(run_row));
  hid_t s24 = H5Tcopy(H5T_C_S1), s64 = H5Tcopy(H5T_C_S1), sb = H5Tcopy(H5T_C_S1);
  bool ok = t >= 0 && s24 >= 0 && s64 >= 0 && sb >= 0 && H5Tset_size(s24, 24) >= 0 &&
            H5Tset_size(s64, 64) >= 0 && H5Tset_size(sb, LRS_STORE_BLAS_MAX) >= 0 &&
            H5Tinsert(t, "opened_utc", offsetof(run_row, opened_utc), s24) >= 0 &&
            H5Tinsert(t, "host", offsetof(run_row, host), s64) >= 0 &&
            H5Tinsert(t, "pid", offsetof(run_row, pid), file ? H5T_STD_I64LE : H5T_NATIVE_INT64) >= 0 &&
            H5Tinsert(t, "mpi_size", offsetof(run_row, mpi_size),
                      file ? H5T_STD_I32LE : H5T_NATIVE_INT32) >= 0 &&
            H5Tinsert(t, "sweep", offsetof(run_row, sweep), s64) >= 0 &&
            H5Tinsert(t, "lrsweep_version", offsetof(run_row, version), s64) >= 0 &&
            H5Tinsert(t, "blas", offsetof(run_row, blas), sb) >= 0 &&
            (!file || H5Tpack(t) >= 0);
  if (s24 >= 0)
    H5Tclose(s24);
  if (s64 >= 0)
    H5Tclose(s64);
  if (sb >= 0)
    H5Tclose(sb);
  if (!ok && t >= 0) {
    H5Tclose(t);
    t = H5I_INVALID_HID;
  }
  return t;
}

/* Root attributes, /sweeps and /runs of a new file. */
static lrs_status build_root(const lrs_store_writer *w, hid_t file, const char *where) {
  lrs_status st = LRS_OK;
  hid_t g = H5I_INVALID_HID, space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  hid_t ds = H5I_INVALID_HID, type = H5I_INVALID_HID;
  char now[32], host[256] = "";
  lrs__store_utc_now(now, sizeof now);
  gethostname(host, sizeof host - 1);
  const char *fmt = LRS__STORE_FORMAT;
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(file, "format", fmt, strlen(fmt), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_int(file, "lrsweep_schema_version",
                                           LRS_STORE_SCHEMA_VERSION, where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(file, "lrsweep_version", LRS_VERSION,
                                            strlen(LRS_VERSION), where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(file, "lrsweep_git", LRS_GIT_DESCRIBE,
                                            strlen(LRS_GIT_DESCRIBE), where),
               done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(file, "created_utc", now, strlen(now), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(file, "host", host, strlen(host), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_int(file, "mpi_size", w->opt.mpi_size, where), done);
  LRS__H5(st, g = H5Gcreate2(file, LRS__STORE_SWEEPS, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          done, where, "cannot create /sweeps");
  hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 64;
  LRS__H5(st, space = H5Screate_simple(1, &zero, &unlimited), done, where,
          "cannot make a dataspace");
  LRS__H5(st, dcpl = H5Pcreate(H5P_DATASET_CREATE), done, where, "cannot make a dcpl");
  LRS__H5(st, H5Pset_chunk(dcpl, 1, &chunk), done, where, "cannot set chunking");
  LRS__H5(st, type = run_type(true), done, where, "cannot make the /runs type");
  LRS__H5(st, ds = H5Dcreate2(file, LRS__STORE_RUNS, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
          done, where, "cannot create /runs");
done:
  lrs__store_h5_close(&ds);
  lrs__store_h5_close(&type);
  lrs__store_h5_close(&dcpl);
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&g);
  return st;
}

/* Records the text of this run (same grid, another text: e.g. a [refine]
 * added to a finished sweep) in the sweep's history, and makes it the
 * group's sweep_text, which rerun and query --boundary read. */
static lrs_status retext(lrs_store_writer *w, hid_t file, uint64_t rows, const char *where) {
  lrs_status st = LRS_OK;
  hid_t group = H5I_INVALID_HID;
  LRS__H5(st, group = H5Gopen2(file, w->sweep_path, H5P_DEFAULT), done, where, "cannot open %s",
          w->sweep_path);
  LRS_TRY_GOTO(st, record_text(w, group, rows, where), done);
  size_t text_len;
  const char *text = lrs_config_text(w->cfg, &text_len), *src = lrs_config_source(w->cfg);
  char sha[LRS_SHA256_HEX];
  LRS_TRY_GOTO(st, lrs_sha256_hex(text, text_len, sha), done);
  LRS__H5(st, H5Adelete(group, "sweep_text"), done, where, "cannot replace sweep_text");
  LRS__H5(st, H5Adelete(group, "sweep_sha256"), done, where, "cannot replace sweep_sha256");
  LRS__H5(st, H5Adelete(group, "sweep_source"), done, where, "cannot replace sweep_source");
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "sweep_text", text, text_len, where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "sweep_sha256", sha, strlen(sha), where), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(group, "sweep_source", src, strlen(src), where), done);
done:
  lrs__store_h5_close(&group);
  return st;
}

/* The structural change: a new file, a new sweep group, an extended grid
 * (`old` holds the stored rows), or with retext_rows < UINT64_MAX a new text
 * for the same grid (retext), done on STORE.tmp and renamed over STORE. */
static lrs_status restructure_as(lrs_store_writer *w, bool exists, const lrs_store_points *old,
                                 uint64_t retext_rows) {
  lrs_status st = LRS_OK;
  hid_t fapl = H5I_INVALID_HID, file = H5I_INVALID_HID;
  size_t n = strlen(w->path) + 8;
  char *tmp = malloc(n);
  LRS_TRY(LRS_CHECK_ALLOC(tmp));
  snprintf(tmp, n, "%s.tmp", w->path);
  unlink(tmp); /* a stale copy of a crashed restructure; we hold the lock */
  LRS__H5(st, fapl = lrs__store_fapl(true), done, tmp, "cannot make a file access list");
  LRS__H5(st, lrs__store_guard_set(fapl), done, tmp, "cannot set the file driver");
  if (!exists) {
    LRS__H5(st, file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl), done, tmp,
            "cannot create the store");
    LRS_TRY_GOTO(st, build_root(w, file, tmp), done);
  } else {
    LRS_TRY_GOTO(st, copy_file(w->path, tmp), done);
    LRS__H5(st, file = H5Fopen(tmp, H5F_ACC_RDWR, fapl), done, tmp, "cannot open the copy");
  }
  if (retext_rows < UINT64_MAX)
    LRS_TRY_GOTO(st, retext(w, file, retext_rows, tmp), done);
  else
    LRS_TRY_GOTO(st, build_sweep(w, file, old, tmp), done);
  LRS__H5(st, H5Fflush(file, H5F_SCOPE_LOCAL), done, tmp, "cannot flush the new store");
  LRS_TRY_GOTO(st, write_failed(file, w->path, exists ? "cannot restructure the store"
                                                      : "cannot create the store",
                                exists ? " (store left unchanged)" : ""),
               done);
  herr_t closed = H5Fclose(file);
  file = H5I_INVALID_HID;
  LRS__H5(st, closed, done, tmp, "cannot close the new store");
  LRS_TRY_GOTO(st, fsync_path(tmp, false), done);
  if (rename(tmp, w->path) != 0) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: cannot rename %s over it: %s", w->path, tmp, strerror(errno));
    goto done;
  }
  char *dir = strdup(w->path);
  if (dir) {
    fsync_path(dirname(dir), true);
    free(dir);
  }
done:
  if (st != LRS_OK && file >= 0) {
    /* A failure after a failed write (the guard hid it) says less. */
    lrs_status failed = write_failed(file, w->path, exists ? "cannot restructure the store"
                                                           : "cannot create the store",
                                     exists ? " (store left unchanged)" : "");
    st = failed != LRS_OK ? failed : st;
  }
  lrs__store_h5_close(&file);
  lrs__store_h5_close(&fapl);
  if (st != LRS_OK)
    unlink(tmp);
  free(tmp);
  return st;
}

static lrs_status restructure(lrs_store_writer *w, bool exists, const lrs_store_points *old) {
  return restructure_as(w, exists, old, UINT64_MAX);
}

/* ---- opening ----------------------------------------------------------------- */

/* Whether one of the absent columns `absent` ("a, b") is a parameter this
 * sweep gives another value than the 0 it reads as (an axis, or a base
 * value ≠ 0); if so, "name = value-it-reads" into clash[cap].  `stored` is
 * the stored sweep: a parameter that acts with none of the methods its
 * points ran (the table's lrs_param.methods; Adam's parameters in a table
 * older than Adam) was inert in them, whatever this sweep sets. */
static bool absent_clash(const lrs_config *cfg, const lrs_config *stored, const char *absent,
                         char *clash, size_t cap) {
  const uint32_t ran = lrs_config_methods(stored);
  for (const char *p = absent; *p;) {
    char name[64];
    size_t len = strcspn(p, ",");
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    p += len + strspn(p + len, ", ");
    const lrs_param *param = lrs_param_find(name);
    if (!param || (param->methods && !(param->methods & ran)))
      continue; /* a result column reads unset; an inert parameter */
    bool varies = false;
    for (size_t i = 0; i < lrs_config_axis_count(cfg); i++)
      varies = varies || lrs_config_axis(cfg, i)->param == param;
    if (varies || lrs_param_get(lrs_config_base(cfg), param) != 0.0) {
      char value[64];
      lrs_param_format(param, 0.0, value, sizeof value);
      snprintf(clash, cap, "%s = %s", name, value);
      return true;
    }
  }
  return false;
}

/* Compares the stored sweep (if any) with ours and restructures the file
 * when needed; refuses a changed grid unless extending is allowed. */
static lrs_status prepare(lrs_store_writer *w) {
  lrs_status st = LRS_OK;
  lrs_store *rd = NULL;
  lrs_config *old_cfg = NULL;
  lrs_store_points *old = NULL;
  struct stat sb;
  if (stat(w->path, &sb) != 0) {
    if (errno != ENOENT)
      return LRS_RAISE(LRS_ERR_IO, "%s: %s", w->path, strerror(errno));
    return restructure(w, false, NULL);
  }
  if (!S_ISREG(sb.st_mode))
    return LRS_RAISE(LRS_ERR_STORE, "%s: not a regular file, so not an lrsweep store", w->path);
  LRS_TRY_GOTO(st, lrs_store_open(w->path, &rd), done);
  size_t sweep;
  const char *name = lrs_config_name(w->cfg);
  st = lrs_store_find_sweep(rd, name, &sweep);
  if (st == LRS_ERR_NOT_FOUND) {
    lrs_error_clear();
    lrs_store_close(&rd);
    st = restructure(w, true, NULL);
    goto done;
  }
  if (st != LRS_OK)
    goto done;
  LRS_TRY_GOTO(st, lrs_store_load_config(rd, sweep, &old_cfg), done);
  bool same, extensible;
  char desc[768];
  LRS_TRY_GOTO(st, lrs__store_grid_diff(old_cfg, w->cfg, &same, &extensible, desc, sizeof desc),
               done);
  /* A table older than a column: the column reads 0 (a parameter's first
   * enum value, ordered so that 0 is what those points ran: coordinates
   * full, bt_test printed, tol_rel off) or unset (a result).  The table is
   * rebuilt with the column when this sweep's value of every such parameter
   * is that 0 for every point; otherwise the old rows ran other points. */
  char absent[512];
  size_t n_absent;
  LRS_TRY_GOTO(st, lrs__store_points_absent(rd, sweep, absent, sizeof absent, &n_absent), done);
  if (n_absent > 0) {
    char clash[160];
    if (absent_clash(w->cfg, old_cfg, absent, clash, sizeof clash)) {
      st = LRS_RAISE(LRS_ERR_STORE,
                     "%s: sweep '%s' was stored by an older lrsweep whose points ran before "
                     "one of its parameters existed (they ran %s); this sweep sets it otherwise, "
                     "so the stored points are not its points: run the sweep into a new store "
                     "(the old one can still be read: query, status, rerun)",
                     w->path, name, clash);
      goto done;
    }
  }
  if (same && n_absent > 0) { /* the same points: the table gains the columns */
    LRS_TRY_GOTO(st, lrs_store_read_points(rd, sweep, &old), done);
    lrs_store_close(&rd);
    st = restructure(w, true, old);
    goto done;
  }
  if (same) {
    /* Another text for the same grid (a [refine] added, comments): recorded. */
    size_t stored_len, text_len;
    const char *stored = lrs_store_sweep_text(rd, sweep, &stored_len);
    const char *text = lrs_config_text(w->cfg, &text_len);
    if (stored_len == text_len && memcmp(stored, text, text_len) == 0)
      goto done;
    LRS_TRY_GOTO(st, lrs_store_read_points(rd, sweep, &old), done);
    uint64_t rows = lrs_store_points_count(old);
    lrs_store_close(&rd);
    st = restructure_as(w, true, NULL, rows);
    goto done;
  }
  if (!extensible || !w->opt.extend) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: sweep '%s' is stored with another grid: %s%s", w->path,
                   name, desc,
                   extensible ? " (to add the new points, extend the store)"
                              : "; use another store or sweep name");
    goto done;
  }
  LRS_TRY_GOTO(st, lrs_store_read_points(rd, sweep, &old), done);
  lrs_store_close(&rd);
  st = restructure(w, true, old);
done:
  lrs_store_points_destroy(&old);
  lrs_config_destroy(&old_cfg);
  lrs_store_close(&rd);
  return st;
}

/* Appends this open to /runs (in SWMR mode: extending is allowed). */
static lrs_status log_run(lrs_store_writer *w) {
  lrs_status st = LRS_OK;
  hid_t ds = H5I_INVALID_HID, type = H5I_INVALID_HID, fspace = H5I_INVALID_HID;
  hid_t mspace = H5I_INVALID_HID;
  run_row r;
  memset(&r, 0, sizeof r);
  lrs__store_utc_now(r.opened_utc, sizeof r.opened_utc);
  gethostname(r.host, sizeof r.host - 1);
  r.pid = (int64_t)getpid();
  r.mpi_size = w->opt.mpi_size;
  snprintf(r.sweep, sizeof r.sweep, "%s", lrs_config_name(w->cfg));
  snprintf(r.version, sizeof r.version, "%s (%s)", LRS_VERSION, LRS_GIT_DESCRIBE);
  snprintf(r.blas, sizeof r.blas, "%s", w->opt.blas ? w->opt.blas : "");
  hsize_t n, one = 1;
  LRS__H5(st, ds = H5Dopen2(w->file, LRS__STORE_RUNS, H5P_DEFAULT), done, w->path,
          "cannot open /runs");
  LRS__H5(st, type = run_type(false), done, w->path, "cannot make the /runs type");
  LRS__H5(st, fspace = H5Dget_space(ds), done, w->path, "cannot get a dataspace");
  LRS__H5(st, H5Sget_simple_extent_dims(fspace, &n, NULL), done, w->path, "cannot size /runs");
  lrs__store_h5_close(&fspace);
  hsize_t grown = n + 1;
  LRS__H5(st, H5Dset_extent(ds, &grown), done, w->path, "cannot extend /runs");
  LRS__H5(st, fspace = H5Dget_space(ds), done, w->path, "cannot get a dataspace");
  LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &n, NULL, &one, NULL), done, w->path,
          "cannot select a row");
  LRS__H5(st, mspace = H5Screate_simple(1, &one, NULL), done, w->path, "cannot make a dataspace");
  LRS__H5(st, H5Dwrite(ds, type, mspace, fspace, H5P_DEFAULT, &r), done, w->path,
          "cannot write /runs");
done:
  lrs__store_h5_close(&mspace);
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&type);
  lrs__store_h5_close(&ds);
  return st;
}

/* Writes the result columns of rows[0..n) (row buffers) to points rows
 * coords[0..n), which are in increasing order. */
static lrs_status write_results(lrs_store_writer *w, const hsize_t *coords, size_t n) {
  lrs_status st = LRS_OK;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  hsize_t count = n;
  LRS__H5(st, fspace = H5Dget_space(w->points), done, w->path, "cannot get a dataspace");
  if (coords[n - 1] - coords[0] + 1 == n)
    LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &coords[0], NULL, &count, NULL),
            done, w->path, "cannot select rows");
  else
    LRS__H5(st, H5Sselect_elements(fspace, H5S_SELECT_SET, n, coords), done, w->path,
            "cannot select rows");
  LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, w->path,
          "cannot make a dataspace");
  /* Only the result columns: HDF5 keeps the parameters and key in place. */
  LRS__H5(st, H5Dwrite(w->points, w->schema->result_type, mspace, fspace, w->xfer.dxpl, w->rows),
          done, w->path, "cannot write %s/points", w->sweep_path);
  LRS__H5(st, H5Fflush(w->file, H5F_SCOPE_LOCAL), done, w->path, "cannot flush points");
done:
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&mspace);
  return st;
}

/* Rewrites rows torn by a crash (row_check fails) as pending. */
static lrs_status repair_rows(lrs_store_writer *w, const hsize_t *torn, size_t n) {
  const lrs__store_schema *s = w->schema;
  LRS_TRY(lrs_grow((void **)&w->rows, &w->cap_rows, n * s->stride, 1));
  for (size_t k = 0; k < n; k++) {
    lrs_store_row *row = (lrs_store_row *)(void *)(w->rows + k * s->stride);
    lrs__store_row_pending(row);
    row->row_check = lrs__store_row_check(s, row);
  }
  return write_results(w, torn, n);
}

/* Grows the per-row state arrays to hold `need` rows. */
static lrs_status reserve_state(lrs_store_writer *w, uint64_t need) {
  if (need <= w->cap_rows_state)
    return LRS_OK;
  uint64_t cap = w->cap_rows_state ? w->cap_rows_state : 1024;
  while (cap < need)
    cap *= 2;
  uint8_t *status = realloc(w->status, (size_t)cap * sizeof *status);
  if (status)
    w->status = status;
  int32_t *attempts = realloc(w->attempts, (size_t)cap * sizeof *attempts);
  if (attempts)
    w->attempts = attempts;
  uint64_t *hash = realloc(w->key_hash, (size_t)cap * sizeof *hash);
  if (hash)
    w->key_hash = hash;
  if (!status || !attempts || !hash)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the state of %llu points",
                     (unsigned long long)need);
  w->cap_rows_state = cap;
  return LRS_OK;
}

/* Reads rows [first, first + count) into w->rows. */
static lrs_status read_rows(lrs_store_writer *w, hsize_t first, hsize_t count) {
  lrs_status st = LRS_OK;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  LRS_TRY(lrs_grow((void **)&w->rows, &w->cap_rows, (size_t)count * w->schema->stride, 1));
  LRS__H5(st, fspace = H5Dget_space(w->points), done, w->path, "cannot get a dataspace");
  LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &first, NULL, &count, NULL), done,
          w->path, "cannot select rows");
  LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, w->path,
          "cannot make a dataspace");
  LRS__H5(st, H5Dread(w->points, w->schema->mem_type, mspace, fspace, w->xfer.dxpl, w->rows),
          done, w->path, "cannot read %s/points", w->sweep_path);
done:
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&mspace);
  return st;
}

lrs_status lrs_store_scan(lrs_store_writer *w, lrs_store_scan_fn fn, void *ctx) {
  const lrs__store_schema *s = w->schema;
  for (hsize_t first = 0; first < w->n_points; first += BLOCK_ROWS) {
    hsize_t count = w->n_points - first < BLOCK_ROWS ? w->n_points - first : BLOCK_ROWS;
    LRS_TRY(read_rows(w, first, count));
    for (hsize_t k = 0; k < count; k++) {
      const unsigned char *slot = w->rows + k * s->stride;
      LRS_TRY(fn(ctx, (const lrs_store_row *)(const void *)slot,
                 (const char *)slot + sizeof(lrs_store_row)));
    }
  }
  return LRS_OK;
}

/* Reads every row (by blocks) for its status and attempts; rows torn by a
 * crash are rewritten as pending; the table ends before the first
 * refinement row not completely written. */
static lrs_status load_state(lrs_store_writer *w) {
  lrs_status st = LRS_OK;
  const lrs__store_schema *s = w->schema;
  hsize_t *torn = NULL;
  size_t n_torn = 0, cap_torn = 0;
  LRS_TRY(reserve_state(w, w->extent));
  w->todo = w->done_at_open = 0;
  uint64_t committed;
  LRS_TRY(lrs__store_rows_read(w->rows_ds, &committed, w->path));
  w->n_points = committed < w->extent ? committed : w->extent;
  for (hsize_t first = 0; first < w->n_points; first += BLOCK_ROWS) {
    hsize_t count = w->n_points - first < BLOCK_ROWS ? w->n_points - first : BLOCK_ROWS;
    LRS_TRY_GOTO(st, read_rows(w, first, count), done);
    for (hsize_t k = 0; k < count; k++) {
      const unsigned char *slot = w->rows + k * s->stride;
      const lrs_store_row *r = (const lrs_store_row *)(const void *)slot;
      if (first + k >= w->n_grid && !lrs__store_row_written(s, slot, first + k)) {
        w->n_points = first + k;
        break;
      }
      int status = r->summary.status;
      int32_t attempts = r->attempts;
      if (r->row_check != lrs__store_row_check(s, r)) {
        LRS_TRY_GOTO(st, LRS_GROW(torn, cap_torn, n_torn + 1), done);
        torn[n_torn++] = first + k;
        status = LRS_POINT_PENDING;
        attempts = 0;
      }
      w->status[first + k] = (uint8_t)status;
      w->attempts[first + k] = attempts;
      w->key_hash[first + k] = r->key_hash;
      if (status != LRS_POINT_PENDING)
        w->done_at_open++;
      if (needs(w, status))
        w->todo++;
    }
  }
  w->torn_at_open = n_torn;
  if (n_torn)
    st = repair_rows(w, torn, n_torn);
done:
  free(torn);
  return st;
}

/* Opens the (prepared) store for appending in SWMR mode. */
static lrs_status open_append(lrs_store_writer *w) {
  lrs_status st = LRS_OK;
  hid_t fapl = H5I_INVALID_HID, dapl = H5I_INVALID_HID, type = H5I_INVALID_HID;
  hid_t key = H5I_INVALID_HID, space = H5I_INVALID_HID;
  char name[512];
  LRS__H5(st, fapl = lrs__store_fapl(true), done, w->path, "cannot make a file access list");
  LRS__H5(st, lrs__store_guard_set(fapl), done, w->path, "cannot set the file driver");
  /* Opened in SWMR mode at once (not H5Fstart_swmr_write after a plain open,
   * whose reopen resets the metadata read attempts to HDF5's 100: a damaged
   * store then hung the writer in doubling sleeps; lrs__store_fapl's 30). */
  LRS__H5(st, w->file = H5Fopen(w->path, H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE, fapl), done,
          w->path, "cannot open the store for writing");
  /* Chunk caches larger than a trajectory chunk so that appends coalesce. */
  LRS__H5(st, dapl = H5Pcreate(H5P_DATASET_ACCESS), done, w->path, "cannot make a dapl");
  LRS__H5(st, H5Pset_chunk_cache(dapl, 12421, (size_t)32 << 20, 1.0), done, w->path,
          "cannot size the chunk cache");
  snprintf(name, sizeof name, "%s/%s", w->sweep_path, LRS__STORE_POINTS);
  LRS__H5(st, w->points = H5Dopen2(w->file, name, dapl), done, w->path, "cannot open %s", name);
  snprintf(name, sizeof name, "%s/%s", w->sweep_path, LRS__STORE_TRAJ);
  LRS__H5(st, w->traj = H5Dopen2(w->file, name, dapl), done, w->path, "cannot open %s", name);
  snprintf(name, sizeof name, "%s/%s", w->sweep_path, LRS__STORE_ROWS);
  LRS__H5(st, w->rows_ds = H5Dopen2(w->file, name, H5P_DEFAULT), done, w->path,
          "cannot open %s", name);
  LRS__H5(st, type = H5Dget_type(w->points), done, w->path, "cannot read the points type");
  int k = H5Tget_member_index(type, "key");
  LRS__H5(st, k, done, w->path, "%s/points has no key column", w->sweep_path);
  LRS__H5(st, key = H5Tget_member_type(type, (unsigned)k), done, w->path,
          "cannot read the key type");
  LRS_TRY_GOTO(st, lrs__store_schema_create(H5Tget_size(key), w->path, &w->schema), done);
  lrs__store_schema_mark_axes(w->schema, w->cfg);
  LRS__H5(st, space = H5Dget_space(w->points), done, w->path, "cannot get a dataspace");
  LRS__H5(st, H5Sget_simple_extent_dims(space, &w->extent, NULL), done, w->path,
          "cannot size points");
  if (w->extent < w->n_grid) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: %s/points has %llu rows, the grid %llu points", w->path,
                   w->sweep_path, (unsigned long long)w->extent, (unsigned long long)w->n_grid);
    goto done;
  }
  lrs__store_h5_close(&space);
  LRS__H5(st, space = H5Dget_space(w->traj), done, w->path, "cannot get a dataspace");
  LRS__H5(st, H5Sget_simple_extent_dims(space, &w->traj_end, NULL), done, w->path,
          "cannot size trajectories");
  LRS_TRY_GOTO(st, load_state(w), done);
  LRS_TRY_GOTO(st, log_run(w), done);
  LRS__H5(st, H5Fflush(w->file, H5F_SCOPE_LOCAL), done, w->path, "cannot flush");
done:
  st = writer_check(w, st);
  if (st == LRS_ERR_HDF5 && strstr(lrs_error_message(), "checksum")) {
    /* metadata that fails its checksum after every read attempt: a damaged
     * store (exit 2, as the reader says), not a failed write */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", lrs_error_message());
    st = LRS_RAISE(LRS_ERR_STORE, "%s; the store is damaged", msg);
  }
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&key);
  lrs__store_h5_close(&type);
  lrs__store_h5_close(&dapl);
  lrs__store_h5_close(&fapl);
  return st;
}

lrs_status lrs_store_writer_open(const char *path, const lrs_grid *grid,
                                 const lrs_store_options *opt, lrs_store_writer **out) {
  *out = NULL;
  lrs__store_h5_quiet();
  lrs_status st = LRS_OK;
  lrs_store_writer *w = calloc(1, sizeof *w);
  LRS_TRY(LRS_CHECK_ALLOC(w));
  w->lock_fd = -1;
  w->file = w->points = w->traj = w->rows_ds = w->xfer.dxpl = H5I_INVALID_HID;
  w->grid = grid;
  w->cfg = lrs_grid_config(grid);
  w->opt = opt ? *opt : lrs_store_options_default();
  w->n_grid = lrs_grid_size(grid);
  w->path = strdup(path);
  size_t n = strlen(lrs_config_name(w->cfg)) + 16;
  w->sweep_path = malloc(n);
  if (!w->path || !w->sweep_path) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory opening %s", path);
    goto done;
  }
  snprintf(w->sweep_path, n, "/%s/%s", LRS__STORE_SWEEPS, lrs_config_name(w->cfg));
  LRS_TRY_GOTO(st, lrs__store_lock(path, &w->lock_fd), done);
  LRS_TRY_GOTO(st, lrs__store_xfer_create(&w->xfer, path), done);
  LRS_TRY_GOTO(st, prepare(w), done);
  LRS_TRY_GOTO(st, open_append(w), done);
  w->last_flush = lrs_now();
done:
  if (st != LRS_OK)
    lrs_store_writer_close(&w); /* nothing buffered: cannot fail */
  *out = w;
  return st;
}

/* ---- writing ----------------------------------------------------------------- */

bool lrs_store_needs(const lrs_store_writer *w, uint64_t index) {
  return index < w->n_points && needs(w, w->status[index]);
}
uint64_t lrs_store_row_count(const lrs_store_writer *w) { return w->n_points; }
uint64_t lrs_store_todo_count(const lrs_store_writer *w) { return w->todo; }
uint64_t lrs_store_done_at_open(const lrs_store_writer *w) { return w->done_at_open; }
uint64_t lrs_store_torn_at_open(const lrs_store_writer *w) { return w->torn_at_open; }

const uint64_t *lrs_store_flushed(const lrs_store_writer *w, size_t *count) {
  *count = w->n_flushed;
  return w->flushed;
}

const lrs_field *lrs_store_writer_columns(const lrs_store_writer *w, size_t *count) {
  *count = w->schema->n_cols;
  return w->schema->cols;
}

lrs_status lrs_store_columns_copy(lrs_field **cols, size_t *count) {
  *cols = NULL;
  *count = 0;
  lrs__store_h5_quiet();
  lrs__store_schema *s = NULL;
  LRS_TRY(lrs__store_schema_create(LRS_GRID_KEY_MAX, "the store schema", &s));
  lrs_status st = LRS_OK;
  *cols = malloc(s->n_cols * sizeof **cols);
  if (*cols) {
    memcpy(*cols, s->cols, s->n_cols * sizeof **cols);
    *count = s->n_cols;
  } else {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the store columns");
  }
  lrs__store_schema_destroy(&s);
  return st;
}

lrs_status lrs_store_add_points(lrs_store_writer *w, const lrs_point *points,
                                const lrs_origin *origin, const int32_t *generation, size_t n,
                                uint64_t *first) {
  *first = w->n_points;
  if (w->broken)
    return LRS_RAISE(LRS_ERR_WRITE, "%s: a write to the store failed before", w->path);
  if (n == 0)
    return LRS_OK;
  lrs_status st = LRS_OK;
  const lrs__store_schema *s = w->schema;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  LRS_TRY(reserve_state(w, w->n_points + n));
  LRS_TRY(lrs_grow((void **)&w->rows, &w->cap_rows, n * s->stride, 1));
  memset(w->rows, 0, n * s->stride);
  char key[LRS_GRID_KEY_MAX];
  for (size_t k = 0; k < n; k++) {
    unsigned char *slot = w->rows + k * s->stride;
    lrs_store_row *row = (lrs_store_row *)(void *)slot;
    LRS_TRY(lrs_grid_key(w->grid, &points[k], key, sizeof key));
    if (strlen(key) >= s->key_width)
      return LRS_RAISE(LRS_ERR_STORE, "%s: key %s is longer than the key column (%zu bytes)",
                       w->path, key, s->key_width - 1);
    memcpy(slot + sizeof *row, key, strlen(key));
    row->index = w->n_points + k;
    row->key_hash = lrs_key_hash(key);
    row->origin = (int32_t)origin[k];
    row->generation = generation[k];
    row->point = points[k];
    row->point.index = row->index;
    lrs__store_row_pending(row);
    row->row_check = lrs__store_row_check(s, row);
  }
  /* Rows past a crashed append are overwritten; the extent only grows. */
  hsize_t start = w->n_points, count = n, end = start + count;
  if (end > w->extent) {
    LRS__H5(st, H5Dset_extent(w->points, &end), done, w->path, "cannot extend %s/points",
            w->sweep_path);
    w->extent = end;
  }
  LRS__H5(st, fspace = H5Dget_space(w->points), done, w->path, "cannot get a dataspace");
  LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL), done,
          w->path, "cannot select rows");
  LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, w->path,
          "cannot make a dataspace");
  LRS__H5(st, H5Dwrite(w->points, s->mem_type, mspace, fspace, w->xfer.dxpl, w->rows), done,
          w->path, "cannot write %s/points", w->sweep_path);
  LRS__H5(st, H5Fflush(w->file, H5F_SCOPE_LOCAL), done, w->path, "cannot flush points");
  /* The rows count once the count says so: a crash before this leaves the
   * whole round uncommitted, to be proposed again the same way. */
  LRS_TRY_GOTO(st, lrs__store_rows_write(w->rows_ds, end, w->path), done);
  LRS__H5(st, H5Fflush(w->file, H5F_SCOPE_LOCAL), done, w->path, "cannot flush the row count");
  LRS_TRY_GOTO(st, writer_check(w, st), done);
  for (size_t k = 0; k < n; k++) {
    const lrs_store_row *row = (const lrs_store_row *)(const void *)(w->rows + k * s->stride);
    w->status[start + k] = LRS_POINT_PENDING;
    w->attempts[start + k] = 0;
    w->key_hash[start + k] = row->key_hash;
  }
  w->n_points = end;
  w->todo += n;
done:
  st = writer_check(w, st);
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&mspace);
  return st;
}

lrs_status lrs_store_put(lrs_store_writer *w, uint64_t index, const lrs_result *r, int rank) {
  if (index >= w->n_points)
    return LRS_RAISE(LRS_ERR_RANGE, "%s: point %llu is outside sweep '%s' (%llu rows)", w->path,
                     (unsigned long long)index, lrs_config_name(w->cfg),
                     (unsigned long long)w->n_points);
  uint64_t hash = w->key_hash[index];
  LRS_TRY(LRS_GROW(w->batch, w->cap_batch, w->n_batch + 1));
  LRS_TRY(LRS_GROW(w->recs, w->cap_recs, w->n_recs + r->n_records));
  pending *b = &w->batch[w->n_batch++];
  b->index = index;
  b->rank = rank;
  b->rec_first = w->n_recs;
  b->n_rec = r->n_records;
  b->summary = r->summary;
  for (size_t i = 0; i < r->n_records; i++) {
    w->recs[w->n_recs + i].key_hash = hash;
    w->recs[w->n_recs + i].rec = r->records[i];
  }
  w->n_recs += r->n_records;
  w->buffered += sizeof *b + r->n_records * sizeof(lrs__traj_row);
  if (w->buffered >= w->opt.flush_bytes)
    return lrs_store_flush(w);
  return LRS_OK;
}

lrs_status lrs_store_maybe_flush(lrs_store_writer *w, double now) {
  if (now - w->last_flush < w->opt.flush_seconds)
    return LRS_OK;
  w->last_flush = now;
  return lrs_store_flush(w);
}

static int by_index_then_pos(const void *a, const void *b) {
  const order_item *x = a, *y = b;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

lrs_status lrs_store_flush(lrs_store_writer *w) {
  if (w->broken)
    return LRS_RAISE(LRS_ERR_WRITE, "%s: a write to the store failed before", w->path);
  if (w->n_batch == 0)
    return LRS_OK;
  lrs_status st = LRS_OK;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  const lrs__store_schema *s = w->schema;
  const char *where = w->path;
  hsize_t first = w->traj_end;

  /* 1. The trajectories, appended as one block; then flush. */
  if (w->n_recs > 0) {
    hsize_t count = w->n_recs, end = first + count;
    LRS__H5(st, H5Dset_extent(w->traj, &end), done, where, "cannot extend %s/trajectories",
            w->sweep_path);
    LRS__H5(st, fspace = H5Dget_space(w->traj), done, where, "cannot get a dataspace");
    LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &first, NULL, &count, NULL), done,
            where, "cannot select records");
    LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, where,
            "cannot make a dataspace");
    LRS__H5(st, H5Dwrite(w->traj, s->rec_mem, mspace, fspace, w->xfer.dxpl, w->recs), done, where,
            "cannot write %s/trajectories", w->sweep_path);
    lrs__store_h5_close(&fspace);
    lrs__store_h5_close(&mspace);
    LRS__H5(st, H5Fflush(w->file, H5F_SCOPE_LOCAL), done, where, "cannot flush trajectories");
    LRS_TRY_GOTO(st, writer_check(w, st), done);
    w->traj_end = end;
  }

  /* 2. The rows, in index order; the last put of an index wins. */
  LRS_TRY_GOTO(st, LRS_GROW(w->order, w->cap_order, w->n_batch), done);
  for (size_t i = 0; i < w->n_batch; i++)
    w->order[i] = (order_item){w->batch[i].index, i};
  qsort(w->order, w->n_batch, sizeof *w->order, by_index_then_pos);
  size_t n_rows = 0;
  for (size_t i = 0; i < w->n_batch; i++)
    if (i + 1 == w->n_batch || w->order[i + 1].index != w->order[i].index)
      w->order[n_rows++] = w->order[i];
  LRS_TRY_GOTO(st, lrs_grow((void **)&w->rows, &w->cap_rows, n_rows * s->stride, 1), done);
  LRS_TRY_GOTO(st, LRS_GROW(w->coords, w->cap_coords, n_rows), done);
  for (size_t k = 0; k < n_rows; k++) {
    const pending *b = &w->batch[w->order[k].pos];
    lrs_store_row *row = (lrs_store_row *)(void *)(w->rows + k * s->stride);
    row->summary = b->summary;
    row->attempts = w->attempts[b->index] + 1;
    row->rank = b->rank;
    row->traj_offset = b->n_rec ? (int64_t)(first + b->rec_first) : -1;
    row->traj_count = (int64_t)b->n_rec;
    row->row_check = lrs__store_row_check(s, row);
    w->coords[k] = b->index;
  }
  LRS_TRY_GOTO(st, write_results(w, w->coords, n_rows), done);
  LRS_TRY_GOTO(st, writer_check(w, st), done);

  /* 3. Bookkeeping: these points are now durable. */
  LRS_TRY_GOTO(st, LRS_GROW(w->flushed, w->cap_flushed, n_rows), done);
  for (size_t k = 0; k < n_rows; k++) {
    const pending *b = &w->batch[w->order[k].pos];
    bool was = needs(w, w->status[b->index]);
    w->status[b->index] = (uint8_t)b->summary.status;
    w->attempts[b->index]++;
    bool now = needs(w, w->status[b->index]);
    if (was && !now)
      w->todo--;
    else if (!was && now)
      w->todo++;
    w->flushed[k] = b->index;
  }
  w->n_flushed = n_rows;
  w->n_batch = 0;
  w->n_recs = 0;
  w->buffered = 0;
done:
  st = writer_check(w, st);
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&mspace);
  return st;
}

lrs_status lrs_store_writer_close(lrs_store_writer **writer) {
  if (!writer || !*writer)
    return LRS_OK;
  lrs_store_writer *w = *writer;
  lrs_status st = LRS_OK;
  if (!w->broken && w->file >= 0 && w->points >= 0 && w->traj >= 0)
    st = lrs_store_flush(w);
  lrs__store_h5_close(&w->points);
  lrs__store_h5_close(&w->traj);
  lrs__store_h5_close(&w->rows_ds);
  if (w->file >= 0) {
    herr_t closed = H5Fclose(w->file);
    w->file = H5I_INVALID_HID;
    if (closed < 0 && st == LRS_OK)
      st = lrs__store_h5_fail(w->path, "cannot close the store");
  }
  if (w->path)
    lrs__store_unlock(w->path, &w->lock_fd);
  lrs__store_schema_destroy(&w->schema);
  lrs__store_xfer_destroy(&w->xfer);
  free(w->status);
  free(w->attempts);
  free(w->key_hash);
  free(w->batch);
  free(w->recs);
  free(w->rows);
  free(w->order);
  free(w->coords);
  free(w->flushed);
  free(w->sweep_path);
  free(w->path);
  free(w);
  *writer = NULL;
  return st;
}
