/* The store reader (lrsweep/store.h): read-only, SWMR read, one-line errors. */
#define _DEFAULT_SOURCE /* madvise */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "store_private.h"

/* What HDF5 cannot read in a store opened only to read it is damage (exit 2
 * like every other damaged store), not a runtime failure. */
static lrs_status damaged(lrs_status st) {
  if (st != LRS_ERR_HDF5)
    return st;
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", lrs_error_message());
  return LRS_RAISE(LRS_ERR_STORE, "%s", msg);
}
#undef LRS__H5
#define LRS__H5(st, call, label, where, ...)                                   \
  do {                                                                         \
    if ((call) < 0) {                                                          \
      (st) = damaged(lrs__store_h5_fail((where), __VA_ARGS__));                \
      goto label;                                                              \
    }                                                                          \
  } while (0)

typedef struct sweep_info {
  char *name;
  char *text, *sha;
  char *source; /* sweep_source: the sweep file's path at the run (NULL: none) */
  size_t text_len;
  /* opened on first use, kept until the store closes */
  hid_t points, traj;
  lrs__store_schema *schema;
  double refreshed; /* lrs_now() of the last refresh */
} sweep_info;

static const char *const root_attr_names[] = {"format",      "lrsweep_version", "lrsweep_git",
                                              "created_utc", "host",            "mpi_size"};
enum { N_ROOT_ATTRS = sizeof root_attr_names / sizeof root_attr_names[0] };

struct lrs_store {
  char *path;
  hid_t file;
  lrs__store_xfer xfer;
  int version;
  char *root_attrs[N_ROOT_ATTRS];
  sweep_info *sweeps;
  size_t n_sweeps;
};

struct lrs_store_points {
  lrs__store_schema *schema;
  unsigned char *rows;
  size_t n, torn;
};

/* A row torn by a crash reads as pending (its parameters and key are never
 * rewritten with other values, so they are intact). */
static bool untear(const lrs__store_schema *schema, unsigned char *slot) {
  lrs_store_row *r = (lrs_store_row *)(void *)slot;
  r->point.index = r->index; /* stored once, in the index column */
  if (r->row_check == lrs__store_row_check(schema, slot))
    return false;
  lrs__store_row_pending(r);
  r->row_check = lrs__store_row_check(schema, slot);
  return true;
}

/* Result columns the file predates read unset (NaN, -1, ...); parameter
 * columns keep 0, the first value of enums (ordered so that 0 is what older
 * tables' points ran: coordinates full, bt_test printed). */
static void unset_absent(const lrs__store_schema *schema, unsigned char *rows, size_t n) {
  for (size_t i = schema->first_result; i < schema->n_cols; i++)
    if (schema->absent[i])
      for (size_t r = 0; r < n; r++)
        lrs_field_unset(&schema->cols[i], rows + r * schema->stride);
}

/* Zeroed memory for a whole points table.  Large tables get 2 MiB-aligned
 * memory advised for huge pages: first-touch page faults otherwise dominate
 * reading a table (e.g. 0.2 s for 25 MB on a paravirtualized machine). */
static void *alloc_table(size_t bytes) {
  const size_t huge = (size_t)2 << 20;
  if (bytes < 2 * huge)
    return calloc(1, bytes ? bytes : 1);
  void *p = NULL;
  size_t rounded = (bytes + huge - 1) / huge * huge;
  if (posix_memalign(&p, huge, rounded) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);
#endif
  memset(p, 0, bytes);
  return p;
}

/* ---- opening ------------------------------------------------------------------ */

typedef struct name_list {
  char **names;
  size_t n, cap;
  bool failed;
} name_list;

static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  (void)group;
  (void)info;
  name_list *l = data;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    char **grown = realloc(l->names, cap * sizeof *grown);
    if (!grown) {
      l->failed = true;
      return -1;
    }
    l->names = grown;
    l->cap = cap;
  }
  l->names[l->n] = strdup(name);
  if (!l->names[l->n]) {
    l->failed = true;
    return -1;
  }
  l->n++;
  return 0;
}

static void name_list_free(name_list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->names[i]);
  free(l->names);
  *l = (name_list){0};
}

/* Names of the links in group `path` of `file`, in name order. */
static lrs_status list_links(hid_t file, const char *path, const char *where, name_list *out) {
  lrs_status st = LRS_OK;
  hid_t g = H5I_INVALID_HID;
  LRS__H5(st, g = H5Gopen2(file, path, H5P_DEFAULT), done, where, "cannot open %s", path);
  hsize_t idx = 0;
  herr_t rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, out);
  if (out->failed) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory listing %s", path);
    goto done;
  }
  LRS__H5(st, rc, done, where, "cannot list %s", path);
done:
  lrs__store_h5_close(&g);
  return st;
}

static lrs_status load_sweeps(lrs_store *s) {
  lrs_status st = LRS_OK;
  name_list names = {0};
  hid_t g = H5I_INVALID_HID;
  LRS_TRY_GOTO(st, list_links(s->file, "/" LRS__STORE_SWEEPS, s->path, &names), done);
  s->sweeps = calloc(names.n ? names.n : 1, sizeof *s->sweeps);
  if (!s->sweeps) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading %s", s->path);
    goto done;
  }
  for (size_t i = 0; i < names.n; i++) {
    sweep_info *sw = &s->sweeps[s->n_sweeps++];
    sw->points = sw->traj = H5I_INVALID_HID;
    sw->name = names.names[i];
    names.names[i] = NULL;
    char path[512];
    snprintf(path, sizeof path, "/%s/%s", LRS__STORE_SWEEPS, sw->name);
    LRS__H5(st, g = H5Gopen2(s->file, path, H5P_DEFAULT), done, s->path, "cannot open %s", path);
    st = lrs__store_attr_get_text(g, "sweep_text", &sw->text, &sw->text_len, s->path);
    if (st == LRS_OK)
      st = lrs__store_attr_get_text(g, "sweep_sha256", &sw->sha, NULL, s->path);
    if (st != LRS_OK) {
      st = LRS_RAISE(LRS_ERR_STORE, "%s: %s lacks its sweep_text or sweep_sha256 attribute",
                     s->path, path);
      goto done;
    }
    if (H5Aexists(g, "sweep_source") > 0 &&
        lrs__store_attr_get_text(g, "sweep_source", &sw->source, NULL, s->path) != LRS_OK)
      lrs_error_clear(); /* optional: data files then resolve against the store's name */
    lrs__store_h5_close(&g);
  }
done:
  lrs__store_h5_close(&g);
  name_list_free(&names);
  return st;
}

lrs_status lrs_store_open(const char *path, lrs_store **out) {
  *out = NULL;
  lrs__store_h5_quiet();
  lrs_status st = LRS_OK;
  struct stat sb;
  if (stat(path, &sb) != 0)
    return LRS_RAISE(LRS_ERR_IO, "%s: %s", path, strerror(errno));
  if (S_ISDIR(sb.st_mode))
    return LRS_RAISE(LRS_ERR_IO, "%s: is a directory, not a store", path);
  if (!S_ISREG(sb.st_mode)) /* a FIFO would block the open forever */
    return LRS_RAISE(LRS_ERR_STORE, "%s: not a regular file, so not an lrsweep store", path);
  lrs_store *s = calloc(1, sizeof *s);
  LRS_TRY(LRS_CHECK_ALLOC(s));
  s->file = H5I_INVALID_HID;
  s->xfer.dxpl = H5I_INVALID_HID;
  s->path = strdup(path);
  if (!s->path) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory opening %s", path);
    goto done;
  }
  htri_t is_h5 = H5Fis_hdf5(path);
  H5Eclear2(H5E_DEFAULT);
  if (is_h5 <= 0) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: not an HDF5 file, so not an lrsweep store", path);
    goto done;
  }
  /* SWMR read works on closed stores, on stores being written and on stores
   * whose writer was killed; a plain open is the fallback for other HDF5. */
  /* A SWMR reader retries metadata whose checksum fails (a write in
   * progress), sleeping 1 ns, 2 ns, 4 ns ... between tries: HDF5's 100 tries
   * would sleep for centuries on a damaged store.  30 tries wait about a
   * second in all, longer than any flush leaves metadata torn. */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && H5Pset_metadata_read_attempts(fapl, 30) < 0) {
    H5Pclose(fapl);
    fapl = H5I_INVALID_HID;
  }
  s->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl >= 0 ? fapl : H5P_DEFAULT);
  if (s->file < 0) {
    H5Eclear2(H5E_DEFAULT);
    s->file = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
  }
  /* Closed with the error stack saved: an API call clears it, and the reason
   * of a failed open is read from it below. */
  if (fapl >= 0) {
    hid_t saved = H5Eget_current_stack();
    H5Pclose(fapl);
    if (saved >= 0)
      H5Eset_current_stack(saved);
  }
  if (s->file < 0) {
    char reason[160];
    unsigned long long expected = 0;
    lrs__store_h5_reason(reason, sizeof reason);
    const char *eof = strstr(reason, "stored_eof = ");
    if (strncmp(reason, "truncated file", 14) == 0 && eof &&
        sscanf(eof, "stored_eof = %llu", &expected) == 1)
      st = LRS_RAISE(LRS_ERR_STORE, "%s: store is truncated (%lld bytes, HDF5 expects %llu)",
                     path, (long long)sb.st_size, expected);
    else
      st = LRS_RAISE(LRS_ERR_STORE, "%s: HDF5 file is damaged or truncated (HDF5: %s)", path,
                     reason[0] ? reason : "cannot open");
    goto done;
  }
  haddr_t eoa = 0;
  if (H5Fget_eoa(s->file, &eoa) >= 0 && (unsigned long long)sb.st_size < (unsigned long long)eoa) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: store is truncated (%lld bytes, HDF5 expects %llu)", path,
                   (long long)sb.st_size, (unsigned long long)eoa);
    goto done;
  }
  H5Eclear2(H5E_DEFAULT);
  int64_t version = 0;
  st = lrs__store_attr_get_int(s->file, "lrsweep_schema_version", &version, path);
  if (st != LRS_OK) {
    st = LRS_RAISE(LRS_ERR_STORE,
                   "%s: HDF5 file but not an lrsweep store (no lrsweep_schema_version attribute)",
                   path);
    goto done;
  }
  if (version > LRS_STORE_SCHEMA_VERSION) {
    st = LRS_RAISE(LRS_ERR_STORE,
                   "%s: store schema version %lld is newer than this lrsweep reads (%d); "
                   "use a newer lrsweep",
                   path, (long long)version, LRS_STORE_SCHEMA_VERSION);
    goto done;
  }
  if (version < 1) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: invalid store schema version %lld", path,
                   (long long)version);
    goto done;
  }
  if (version < LRS_STORE_SCHEMA_VERSION) {
    /* Version 1 had a fixed-size points table without origin/generation. */
    st = LRS_RAISE(LRS_ERR_STORE,
                   "%s: store schema version %lld is older than this lrsweep reads (%d); "
                   "run the sweep into a new store",
                   path, (long long)version, LRS_STORE_SCHEMA_VERSION);
    goto done;
  }
  s->version = (int)version;
  LRS_TRY_GOTO(st, lrs__store_xfer_create(&s->xfer, path), done);
  for (size_t i = 0; i < N_ROOT_ATTRS; i++) {
    size_t len;
    if (strcmp(root_attr_names[i], "mpi_size") == 0) {
      int64_t v = 0;
      char buf[32] = "";
      if (lrs__store_attr_get_int(s->file, "mpi_size", &v, path) == LRS_OK)
        snprintf(buf, sizeof buf, "%lld", (long long)v);
      s->root_attrs[i] = strdup(buf);
    } else if (lrs__store_attr_get_text(s->file, root_attr_names[i], &s->root_attrs[i], &len,
                                        path) != LRS_OK) {
      s->root_attrs[i] = strdup("");
    }
    if (!s->root_attrs[i]) {
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading %s", path);
      goto done;
    }
  }
  lrs_error_clear();
  if (H5Lexists(s->file, "/" LRS__STORE_SWEEPS, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    st = LRS_RAISE(LRS_ERR_STORE, "%s: store has no /sweeps group (damaged)", path);
    goto done;
  }
  st = load_sweeps(s);
  if (st == LRS_ERR_HDF5)
    st = lrs_error_prefix(LRS_ERR_STORE, "store damaged or truncated");
done:
  if (st != LRS_OK)
    lrs_store_close(&s);
  *out = s;
  return st;
}

void lrs_store_close(lrs_store **store) {
  if (!store || !*store)
    return;
  lrs_store *s = *store;
  for (size_t i = 0; i < N_ROOT_ATTRS; i++)
    free(s->root_attrs[i]);
  for (size_t i = 0; i < s->n_sweeps; i++) {
    free(s->sweeps[i].name);
    free(s->sweeps[i].text);
    free(s->sweeps[i].sha);
    free(s->sweeps[i].source);
    lrs__store_h5_close(&s->sweeps[i].points);
    lrs__store_h5_close(&s->sweeps[i].traj);
    lrs__store_schema_destroy(&s->sweeps[i].schema);
  }
  free(s->sweeps);
  lrs__store_h5_close(&s->file);
  lrs__store_xfer_destroy(&s->xfer);
  free(s->path);
  free(s);
  *store = NULL;
}

lrs_status lrs_store_blas(const lrs_store *s, char *out, size_t len) {
  lrs_status st = LRS_OK;
  hid_t ds = H5I_INVALID_HID, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  hid_t str = H5I_INVALID_HID;
  char(*rows)[LRS_STORE_BLAS_MAX] = NULL;
  out[0] = '\0';
  LRS__H5(st, ds = H5Dopen2(s->file, LRS__STORE_RUNS, H5P_DEFAULT), done, s->path,
          "cannot open /runs");
  LRS__H5(st, ftype = H5Dget_type(ds), done, s->path, "cannot read the /runs type");
  if (H5Tget_member_index(ftype, "blas") < 0)
    goto done; /* written before the column */
  hid_t space = H5Dget_space(ds);
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  lrs__store_h5_close(&space);
  LRS__H5(st, n, done, s->path, "cannot size /runs");
  rows = calloc(n > 0 ? (size_t)n : 1, sizeof *rows);
  if (!rows) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "%s: out of memory for /runs", s->path);
    goto done;
  }
  /* The blas member alone: HDF5 picks a compound's members by name. */
  LRS__H5(st, str = H5Tcopy(H5T_C_S1), done, s->path, "cannot make a string type");
  LRS__H5(st, H5Tset_size(str, LRS_STORE_BLAS_MAX), done, s->path, "cannot size a string type");
  LRS__H5(st, mtype = H5Tcreate(H5T_COMPOUND, sizeof *rows), done, s->path,
          "cannot make a compound type");
  LRS__H5(st, H5Tinsert(mtype, "blas", 0, str), done, s->path, "cannot make a compound type");
  LRS__H5(st, H5Dread(ds, mtype, H5S_ALL, H5S_ALL, s->xfer.dxpl, rows), done, s->path,
          "cannot read /runs");
  size_t used = 0;
  for (hssize_t i = 0; i < n; i++) {
    char *b = rows[i];
    b[LRS_STORE_BLAS_MAX - 1] = '\0';
    bool seen = !b[0];
    for (hssize_t j = 0; j < i && !seen; j++)
      seen = strcmp(rows[j], b) == 0;
    if (!seen) {
      int k = snprintf(out + used, len - used, "%s%s", used ? "; " : "", b);
      used = k < 0 || (size_t)k >= len - used ? len - 1 : used + (size_t)k;
    }
  }
done:
  free(rows);
  lrs__store_h5_close(&str);
  lrs__store_h5_close(&mtype);
  lrs__store_h5_close(&ftype);
  lrs__store_h5_close(&ds);
  return st;
}

const char *lrs_store_path(const lrs_store *s) { return s->path; }
int lrs_store_schema_version(const lrs_store *s) { return s->version; }

const char *lrs_store_attribute(const lrs_store *s, const char *name) {
  for (size_t i = 0; i < N_ROOT_ATTRS; i++)
    if (strcmp(root_attr_names[i], name) == 0)
      return s->root_attrs[i];
  return "";
}

size_t lrs_store_sweep_count(const lrs_store *s) { return s->n_sweeps; }
const char *lrs_store_sweep_name(const lrs_store *s, size_t i) { return s->sweeps[i].name; }
const char *lrs_store_sweep_text(const lrs_store *s, size_t i, size_t *len) {
  if (len)
    *len = s->sweeps[i].text_len;
  return s->sweeps[i].text;
}
const char *lrs_store_sweep_sha256(const lrs_store *s, size_t i) { return s->sweeps[i].sha; }

static void sweep_names(const lrs_store *s, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < s->n_sweeps; i++) {
    int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", s->sweeps[i].name);
    if (w < 0 || (size_t)w >= cap - used)
      break;
    used += (size_t)w;
  }
}

lrs_status lrs_store_find_sweep(const lrs_store *s, const char *name, size_t *sweep) {
  char names[512];
  sweep_names(s, names, sizeof names);
  if (!name) {
    if (s->n_sweeps == 1) {
      *sweep = 0;
      return LRS_OK;
    }
    if (s->n_sweeps == 0)
      return LRS_RAISE(LRS_ERR_NOT_FOUND, "%s: store holds no sweep yet", s->path);
    return LRS_RAISE(LRS_ERR_USAGE, "%s holds several sweeps (%s): choose one with --sweep",
                     s->path, names);
  }
  for (size_t i = 0; i < s->n_sweeps; i++)
    if (strcmp(s->sweeps[i].name, name) == 0) {
      *sweep = i;
      return LRS_OK;
    }
  return LRS_RAISE(LRS_ERR_NOT_FOUND, "%s: no sweep '%s' in the store (it holds: %s)", s->path,
                   name, s->n_sweeps ? names : "none");
}

/* Pins the real axes of cfg to the values stored in /sweeps/NAME/axes: an
 * lrsweep before LRS_RANGE_RTOL stored unrounded range values, and its rows'
 * keys are made of those (lrs_config_pin_values). */
static lrs_status pin_stored_axes(const lrs_store *s, size_t sweep, lrs_config *cfg) {
  lrs_status st = LRS_OK;
  double *values = NULL;
  hid_t ds = H5I_INVALID_HID, space = H5I_INVALID_HID;
  for (size_t a = 0; a < lrs_config_axis_count(cfg); a++) {
    const lrs_param *p = lrs_config_axis(cfg, a)->param;
    if (p->type != LRS_PARAM_REAL)
      continue;
    char path[512];
    snprintf(path, sizeof path, "/%s/%s/%s/%s", LRS__STORE_SWEEPS, s->sweeps[sweep].name,
             LRS__STORE_AXES, p->name);
    LRS__H5(st, ds = H5Dopen2(s->file, path, H5P_DEFAULT), done, s->path,
            "sweep '%s' has no axis dataset %s", s->sweeps[sweep].name, p->name);
    LRS__H5(st, space = H5Dget_space(ds), done, s->path, "cannot get a dataspace");
    hssize_t n = H5Sget_simple_extent_npoints(space);
    LRS__H5(st, n < 0 ? -1 : 0, done, s->path, "cannot size axis %s", p->name);
    values = malloc(((size_t)n + 1) * sizeof *values);
    LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(values), done);
    LRS__H5(st, H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), done,
            s->path, "cannot read axis %s", p->name);
    lrs_config_pin_values(cfg, p, values, (size_t)n, 1e-9);
    free(values);
    values = NULL;
    lrs__store_h5_close(&space);
    lrs__store_h5_close(&ds);
  }
done:
  free(values);
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&ds);
  return st;
}

lrs_status lrs_store_load_config(const lrs_store *s, size_t sweep, lrs_config **cfg) {
  char source[1024];
  /* The name's last path component is the sweep name, as a file stem would be. */
  snprintf(source, sizeof source, "%s:/%s/%s", s->path, LRS__STORE_SWEEPS, s->sweeps[sweep].name);
  lrs_status st = lrs_config_load_string(s->sweeps[sweep].text, s->sweeps[sweep].text_len,
                                         source, cfg);
  if (st != LRS_OK)
    return lrs_error_prefix(LRS_ERR_STORE, "%s: stored sweep text no longer loads", s->path);
  /* The sweep file the run read: data_file was relative to it, and a store
   * written from this config records it again. */
  if (s->sweeps[sweep].source)
    st = lrs_config_rebase(*cfg, s->sweeps[sweep].source);
  if (st == LRS_OK)
    st = pin_stored_axes(s, sweep, *cfg);
  if (st != LRS_OK)
    lrs_config_destroy(cfg);
  return st;
}

/* ---- points ------------------------------------------------------------------- */

/* Opens /sweeps/NAME/DSET of a sweep (default chunk cache: a larger one
 * holds every chunk read, in freshly faulted memory, and is slower). */
static hid_t open_dataset(const lrs_store *s, size_t sweep, const char *dset) {
  char path[512];
  snprintf(path, sizeof path, "/%s/%s/%s", LRS__STORE_SWEEPS, s->sweeps[sweep].name, dset);
  return H5Dopen2(s->file, path, H5P_DEFAULT);
}

/* Rows of points that count: the committed row count, at most `extent`
 * (opened afresh: a SWMR reader sees the writer's latest count). */
static lrs_status committed_rows(const lrs_store *s, size_t sweep, hsize_t extent,
                                 hsize_t *rows) {
  hid_t ds = open_dataset(s, sweep, LRS__STORE_ROWS);
  if (ds < 0)
    return damaged(lrs__store_h5_fail(s->path, "sweep '%s' has no row count (damaged store?)",
                                      s->sweeps[sweep].name));
  uint64_t committed = 0;
  lrs_status st = lrs__store_rows_read(ds, &committed, s->path);
  H5Dclose(ds);
  *rows = committed < extent ? committed : extent;
  return st;
}

/* The schema matching the key width of the points dataset. */
static lrs_status points_schema(const lrs_store *s, size_t sweep, hid_t ds,
                                lrs__store_schema **schema) {
  lrs_status st = LRS_OK;
  hid_t type = H5I_INVALID_HID, key = H5I_INVALID_HID;
  name_list axes = {0};
  LRS__H5(st, type = H5Dget_type(ds), done, s->path, "cannot read the points type");
  int k = H5Tget_member_index(type, "key");
  LRS__H5(st, k, done, s->path, "points of sweep '%s' have no key column",
          s->sweeps[sweep].name);
  LRS__H5(st, key = H5Tget_member_type(type, (unsigned)k), done, s->path,
          "cannot read the key type");
  LRS_TRY_GOTO(st, lrs__store_schema_create(H5Tget_size(key), s->path, schema), done);
  char path[512];
  snprintf(path, sizeof path, "/%s/%s/%s", LRS__STORE_SWEEPS, s->sweeps[sweep].name,
           LRS__STORE_AXES);
  LRS_TRY_GOTO(st, list_links(s->file, path, s->path, &axes), done);
  for (size_t a = 0; a < axes.n; a++)
    for (size_t i = 0; i < (*schema)->n_cols; i++)
      if (strcmp((*schema)->cols[i].name, axes.names[a]) == 0)
        (*schema)->cols[i].flags |= LRS_FIELD_AXIS;
  /* Columns added since the file was written (docs/store.md: they read unset). */
  for (size_t i = 0; i < (*schema)->n_cols; i++) {
    if (H5Tget_member_index(type, (*schema)->cols[i].name) >= 0)
      continue;
    if (!(*schema)->absent)
      (*schema)->absent = calloc((*schema)->n_cols, 1);
    if (!(*schema)->absent) {
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the schema of %s", s->path);
      goto done;
    }
    (*schema)->absent[i] = 1;
  }
  H5Eclear2(H5E_DEFAULT); /* the misses' error stack */
done:
  name_list_free(&axes);
  lrs__store_h5_close(&key);
  lrs__store_h5_close(&type);
  if (st != LRS_OK)
    lrs__store_schema_destroy(schema);
  return st;
}

lrs_status lrs__store_points_absent(const lrs_store *s, size_t sweep, char *buf, size_t cap,
                                    size_t *count) {
  *count = 0;
  buf[0] = '\0';
  lrs_status st = LRS_OK;
  lrs__store_schema *schema = NULL;
  hid_t type = H5I_INVALID_HID, ds = open_dataset(s, sweep, "points");
  LRS__H5(st, ds, done, s->path, "cannot open the points of sweep '%s'", s->sweeps[sweep].name);
  LRS__H5(st, type = H5Dget_type(ds), done, s->path, "cannot read the points type");
  LRS_TRY_GOTO(st, points_schema(s, sweep, ds, &schema), done);
  size_t used = 0;
  for (size_t i = 0; i < schema->n_cols; i++) {
    if (H5Tget_member_index(type, schema->cols[i].name) >= 0)
      continue;
    int w = snprintf(buf + used, cap - used, "%s%s", *count ? ", " : "", schema->cols[i].name);
    used += w > 0 && (size_t)w < cap - used ? (size_t)w : 0;
    (*count)++;
  }
  H5Eclear2(H5E_DEFAULT); /* the misses' error stack */
done:
  lrs__store_schema_destroy(&schema);
  lrs__store_h5_close(&type);
  lrs__store_h5_close(&ds);
  return st;
}

/* Opens (once) the datasets and schema of a sweep; refreshes them so that a
 * reader sees what a running writer has flushed since. */
static lrs_status sweep_open(lrs_store *s, size_t sweep) {
  lrs_status st = LRS_OK;
  sweep_info *sw = &s->sweeps[sweep];
  if (sw->points < 0) {
    LRS__H5(st, sw->points = open_dataset(s, sweep, LRS__STORE_POINTS), done, s->path,
            "cannot open the points of sweep '%s'", sw->name);
    LRS__H5(st, sw->traj = open_dataset(s, sweep, LRS__STORE_TRAJ), done, s->path,
            "cannot open the trajectories of sweep '%s'", sw->name);
    LRS_TRY_GOTO(st, points_schema(s, sweep, sw->points, &sw->schema), done);
    sw->refreshed = lrs_now();
  } else if (lrs_now() - sw->refreshed > 0.5) {
    /* At most twice a second: refreshing re-reads the metadata. */
    sw->refreshed = lrs_now();
    LRS__H5(st, H5Drefresh(sw->points), done, s->path, "cannot refresh the points of '%s'",
            sw->name);
    LRS__H5(st, H5Drefresh(sw->traj), done, s->path, "cannot refresh the trajectories of '%s'",
            sw->name);
  }
done:
  if (st != LRS_OK) {
    lrs__store_h5_close(&sw->points);
    lrs__store_h5_close(&sw->traj);
    lrs__store_schema_destroy(&sw->schema);
  }
  return st;
}

lrs_status lrs_store_read_points(lrs_store *s, size_t sweep, lrs_store_points **out) {
  *out = NULL;
  lrs_status st = LRS_OK;
  hid_t space = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  lrs_store_points *p = calloc(1, sizeof *p);
  LRS_TRY(LRS_CHECK_ALLOC(p));
  LRS_TRY_GOTO(st, sweep_open(s, sweep), done);
  hid_t ds = s->sweeps[sweep].points;
  /* Its own schema: the table may outlive the store. */
  LRS_TRY_GOTO(st, points_schema(s, sweep, ds, &p->schema), done);
  hsize_t n;
  LRS__H5(st, space = H5Dget_space(ds), done, s->path, "cannot get a dataspace");
  LRS__H5(st, H5Sget_simple_extent_dims(space, &n, NULL), done, s->path, "cannot size points");
  LRS_TRY_GOTO(st, committed_rows(s, sweep, n, &n), done);
  p->n = (size_t)n;
  p->rows = alloc_table(p->n * p->schema->stride);
  if (!p->rows) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu rows of %s", p->n, s->path);
    goto done;
  }
  /* By blocks of rows: HDF5 converts large compound reads slowly. */
  for (hsize_t first = 0; first < n; first += 4096) {
    hsize_t count = n - first < 4096 ? n - first : 4096;
    LRS__H5(st, H5Sselect_hyperslab(space, H5S_SELECT_SET, &first, NULL, &count, NULL), done,
            s->path, "cannot select rows");
    LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, s->path,
            "cannot make a dataspace");
    LRS__H5(st, H5Dread(ds, p->schema->mem_type, mspace, space, s->xfer.dxpl,
                        p->rows + first * p->schema->stride),
            done, s->path, "cannot read the points of sweep '%s' (store damaged or truncated?)",
            s->sweeps[sweep].name);
    lrs__store_h5_close(&mspace);
  }
  for (size_t i = 0; i < p->n; i++)
    if (!lrs__store_row_written(p->schema, p->rows + i * p->schema->stride, i)) {
      p->n = i; /* the rest: an append cut short by a crash */
      break;
    }
  if (p->schema->absent)
    unset_absent(p->schema, p->rows, p->n);
  for (size_t i = 0; i < p->n; i++)
    p->torn += untear(p->schema, p->rows + i * p->schema->stride);
done:
  lrs__store_h5_close(&mspace);
  lrs__store_h5_close(&space);
  if (st != LRS_OK)
    lrs_store_points_destroy(&p);
  *out = p;
  return st;
}

void lrs_store_points_destroy(lrs_store_points **points) {
  if (!points || !*points)
    return;
  lrs__store_schema_destroy(&(*points)->schema);
  free((*points)->rows);
  free(*points);
  *points = NULL;
}

size_t lrs_store_points_count(const lrs_store_points *p) { return p->n; }
size_t lrs_store_points_torn(const lrs_store_points *p) { return p->torn; }
const lrs_store_row *lrs_store_points_row(const lrs_store_points *p, size_t i) {
  return (const lrs_store_row *)(const void *)(p->rows + i * p->schema->stride);
}
const char *lrs_store_points_key(const lrs_store_points *p, size_t i) {
  return (const char *)(p->rows + i * p->schema->stride + sizeof(lrs_store_row));
}
const lrs_field *lrs_store_points_columns(const lrs_store_points *p, size_t *count) {
  *count = p->schema->n_cols;
  return p->schema->cols;
}
const lrs_field *lrs_store_points_column(const lrs_store_points *p, const char *name) {
  for (size_t i = 0; i < p->schema->n_cols; i++)
    if (strcmp(p->schema->cols[i].name, name) == 0)
      return &p->schema->cols[i];
  return NULL;
}

lrs_status lrs_store_column_stored(lrs_store *s, size_t sweep, lrs_store_table table,
                                   const char *name, bool *stored) {
  *stored = false;
  lrs_status st = LRS_OK;
  hid_t type = H5I_INVALID_HID;
  LRS_TRY(sweep_open(s, sweep));
  const bool points = table == LRS_STORE_POINTS;
  const sweep_info *sw = &s->sweeps[sweep];
  LRS__H5(st, type = H5Dget_type(points ? sw->points : sw->traj), done, s->path,
          "cannot read the %s type of sweep '%s'", points ? "points" : "trajectories", sw->name);
  *stored = H5Tget_member_index(type, name) >= 0;
  H5Eclear2(H5E_DEFAULT); /* a miss's error stack */
done:
  lrs__store_h5_close(&type);
  return st;
}

/* ---- one point ------------------------------------------------------------------ */

lrs_status lrs_store_read_result(lrs_store *s, size_t sweep, uint64_t index, lrs_store_row *row,
                                 lrs_result *result) {
  lrs_status st = LRS_OK;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  unsigned char *buf = NULL;
  lrs__traj_row *recs = NULL;
  const char *name = s->sweeps[sweep].name;
  LRS_TRY(sweep_open(s, sweep));
  const sweep_info *sw = &s->sweeps[sweep];
  const lrs__store_schema *schema = sw->schema;
  hsize_t n, first = index, one = 1;
  LRS__H5(st, fspace = H5Dget_space(sw->points), done, s->path, "cannot get a dataspace");
  LRS__H5(st, H5Sget_simple_extent_dims(fspace, &n, NULL), done, s->path, "cannot size points");
  LRS_TRY_GOTO(st, committed_rows(s, sweep, n, &n), done);
  if (index >= n) {
    st = LRS_RAISE(LRS_ERR_RANGE, "%s: sweep '%s' has %llu points; there is no point %llu",
                   s->path, name, (unsigned long long)n, (unsigned long long)index);
    goto done;
  }
  buf = calloc(1, schema->stride);
  if (!buf) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory");
    goto done;
  }
  LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &first, NULL, &one, NULL), done,
          s->path, "cannot select a row");
  LRS__H5(st, mspace = H5Screate_simple(1, &one, NULL), done, s->path, "cannot make a dataspace");
  LRS__H5(st, H5Dread(sw->points, schema->mem_type, mspace, fspace, s->xfer.dxpl, buf), done,
          s->path, "cannot read point %llu of sweep '%s'", (unsigned long long)index, name);
  lrs__store_h5_close(&fspace);
  lrs__store_h5_close(&mspace);
  if (!lrs__store_row_written(schema, buf, index)) {
    st = LRS_RAISE(LRS_ERR_RANGE, "%s: sweep '%s' has no point %llu", s->path, name,
                   (unsigned long long)index);
    goto done;
  }
  untear(schema, buf);
  const lrs_store_row *r = (const lrs_store_row *)(const void *)buf;
  if (row)
    *row = *r;
  if (!result)
    goto done;
  lrs_result_reset(result);
  result->summary = r->summary;
  if (r->traj_count <= 0)
    goto done;
  hsize_t off = (hsize_t)r->traj_offset, count = (hsize_t)r->traj_count, total;
  LRS__H5(st, fspace = H5Dget_space(sw->traj), done, s->path, "cannot get a dataspace");
  LRS__H5(st, H5Sget_simple_extent_dims(fspace, &total, NULL), done, s->path,
          "cannot size trajectories");
  if (r->traj_offset < 0 || off + count > total) {
    st = LRS_RAISE(LRS_ERR_STORE,
                   "%s: point %llu of sweep '%s' points past the trajectories (store damaged)",
                   s->path, (unsigned long long)index, name);
    goto done;
  }
  recs = malloc(count * sizeof *recs);
  if (!recs) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %llu records", (unsigned long long)count);
    goto done;
  }
  LRS__H5(st, H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &count, NULL), done,
          s->path, "cannot select records");
  LRS__H5(st, mspace = H5Screate_simple(1, &count, NULL), done, s->path,
          "cannot make a dataspace");
  /* Record fields the file predates are not read: they stay unset (NaN, -1). */
  for (hsize_t i = 0; i < count; i++)
    recs[i].rec = lrs_record_unset();
  LRS__H5(st, H5Dread(sw->traj, schema->rec_mem, mspace, fspace, s->xfer.dxpl, recs), done,
          s->path, "cannot read the trajectory of point %llu", (unsigned long long)index);
  for (hsize_t i = 0; i < count; i++) {
    if (recs[i].key_hash != r->key_hash) {
      st = LRS_RAISE(LRS_ERR_STORE,
                     "%s: trajectory of point %llu of sweep '%s' belongs to another point "
                     "(store damaged)",
                     s->path, (unsigned long long)index, name);
      goto done;
    }
    LRS_TRY_GOTO(st, lrs_result_append(result, &recs[i].rec), done);
  }
done:
  free(recs);
  free(buf);
  lrs__store_h5_close(&mspace);
  lrs__store_h5_close(&fspace);
  return st;
}
