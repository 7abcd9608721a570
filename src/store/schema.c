/*
 * The store's schema: the column tables of the points and trajectories
 * datasets and the HDF5 types built from them (docs/store.md documents each
 * column).  The result columns are the field lists of lrsweep/result.h (a
 * field added there is a column here by itself), the parameter columns the
 * parameter table; this file adds only the store's own bookkeeping columns.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_private.h"

/* ---- column tables -------------------------------------------------------- */

#define LRS__NAME(name, text) text,
const char *const lrs_origin_names[] = {LRS_ORIGIN_LIST(LRS__NAME) NULL};
#undef LRS__NAME

#define ROW(field) offsetof(lrs_store_row, field)
#define COL(name, type, off, unit, doc, flags) {name, type, off, 0, NULL, unit, doc, flags, NULL, {0, LRS_SHOW_NEVER}}

/* Leading columns: identity of the point. */
static const lrs_field head_columns[] = {
    COL("index", LRS_FIELD_U64, ROW(index), "", "row number: the grid index, then refinement rows in order", 0),
    COL("key_hash", LRS_FIELD_U64, ROW(key_hash), "", "64-bit FNV-1a hash of key", 0),
    /* "key" (TEXT) is inserted here with the file's key width. */
    COL("base_seed", LRS_FIELD_U64, ROW(point.seed), "", "[sweep] base_seed", 0),
    {"origin", LRS_FIELD_ENUM, ROW(origin), 0, lrs_origin_names, "",
     "grid, or the refinement that added the row", 0, NULL, {0, LRS_SHOW_NEVER}},
    COL("generation", LRS_FIELD_I32, ROW(generation), "",
        "0 for grid rows; the refinement step that proposed the point", 0),
};

/* The summary of lrs_result: every field of lrsweep/result.h's list. */
static const lrs_field summary_columns[] = {
    LRS_FIELD_TABLE(LRS_SUMMARY_FIELDS, lrs_summary, ROW(summary))};

/* Trailing columns: bookkeeping of the store. */
static const lrs_field tail_columns[] = {
    COL("attempts", LRS_FIELD_I32, ROW(attempts), "", "times the point was stored (retries count)",
        LRS_FIELD_RUN_DEPENDENT),
    COL("rank", LRS_FIELD_I32, ROW(rank), "", "MPI rank or group that computed it",
        LRS_FIELD_RUN_DEPENDENT),
    COL("traj_offset", LRS_FIELD_I64, ROW(traj_offset), "record",
        "first row of the point in trajectories (-1: none)", LRS_FIELD_RUN_DEPENDENT),
    COL("traj_count", LRS_FIELD_I64, ROW(traj_count), "record",
        "number of trajectory rows of the point", 0),
    /* Must stay last: the check covers the result columns before it. */
    COL("row_check", LRS_FIELD_U64, ROW(row_check), "",
        "FNV-1a 64 of columns status..traj_count; a mismatch marks a row torn by a crash", 0),
};

/* The trajectory record: its owner's key_hash, then every field of
 * lrsweep/result.h's record list. */
static const lrs_field record_columns[] = {
    COL("key_hash", LRS_FIELD_U64, offsetof(lrs__traj_row, key_hash), "",
        "key_hash of the point the record belongs to", 0),
    LRS_FIELD_TABLE(LRS_RECORD_FIELDS, lrs_record, offsetof(lrs__traj_row, rec))};
_Static_assert(sizeof(lrs__traj_row) == sizeof(uint64_t) + sizeof(lrs_record),
               "lrs__traj_row must have no padding");

const lrs_field *lrs_store_record_columns(size_t *count) {
  *count = sizeof record_columns / sizeof record_columns[0];
  return record_columns;
}

/* ---- values --------------------------------------------------------------- */

/* FNV-1a 64 over bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t lrs__store_row_check(const lrs__store_schema *s, const void *row) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = s->first_result; i + 1 < s->n_cols; i++) {
    const lrs_field *c = &s->cols[i];
    if (s->absent && s->absent[i]) /* not in an older file: its writer skipped it too */
      continue;
    const unsigned char *p = (const unsigned char *)row + c->offset;
    unsigned char le[8];
    uint64_t bits = 0;
    size_t n = 8;
    switch (c->type) {
    case LRS_FIELD_U64:
    case LRS_FIELD_I64:
    case LRS_FIELD_F64:
      memcpy(&bits, p, 8);
      break;
    case LRS_FIELD_I32: {
      int32_t v;
      memcpy(&v, p, 4);
      bits = (uint32_t)v;
      n = 4;
      break;
    }
    case LRS_FIELD_ENUM: {
      int v;
      memcpy(&v, p, sizeof v);
      bits = (uint8_t)v;
      n = 1;
      break;
    }
    case LRS_FIELD_BOOL:
      bits = *(const bool *)(const void *)p ? 1 : 0;
      n = 1;
      break;
    case LRS_FIELD_TEXT:
      /* The text up to its NUL, and the NUL. */
      h = fnv(h, p, strnlen((const char *)p, c->size - 1) + 1);
      continue;
    }
    for (size_t b = 0; b < n; b++)
      le[b] = (unsigned char)(bits >> (8 * b));
    h = fnv(h, le, n);
  }
  return h;
}

bool lrs__store_row_written(const lrs__store_schema *s, const void *row, uint64_t index) {
  const lrs_store_row *r = row;
  if (r->index != index)
    return false;
  if (r->origin == LRS_ORIGIN_GRID) /* written when the table was built */
    return true;
  const char *key = (const char *)row + sizeof *r;
  return strnlen(key, s->key_width) < s->key_width && lrs_key_hash(key) == r->key_hash;
}

lrs_status lrs__store_rows_read(hid_t ds, uint64_t *rows, const char *where) {
  if (H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)
    return lrs__store_h5_fail(where, "cannot read the row count");
  return LRS_OK;
}

lrs_status lrs__store_rows_write(hid_t ds, uint64_t rows, const char *where) {
  if (H5Dwrite(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &rows) < 0)
    return lrs__store_h5_fail(where, "cannot write the row count");
  return LRS_OK;
}

void lrs__store_row_pending(lrs_store_row *row) {
  lrs_result tmp = {0};
  lrs_result_reset(&tmp); /* unset summary: status pending, NaN, -1 */
  row->summary = tmp.summary;
  row->attempts = 0;
  row->rank = -1;
  row->traj_offset = -1;
  row->traj_count = 0;
}

/* ---- HDF5 helpers ---------------------------------------------------------- */

void lrs__store_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* Collects the innermost description of the HDF5 error stack. */
static herr_t walk_error(unsigned n, const H5E_error2_t *err, void *data) {
  char *buf = data;
  if (n != 0 || !err->desc || !err->desc[0])
    return 0;
  /* A failed system call: "file write failed: time = ..., errno = 28, error
   * message = 'No space left on device', )" says "file write failed: No
   * space left on device". */
  const char *colon = strchr(err->desc, ':'), *msg = strstr(err->desc, "error message = '");
  if (colon && msg) {
    msg += strlen("error message = '");
    int len = (int)strcspn(msg, "'");
    snprintf(buf, 160, "%.*s: %.*s", (int)(colon - err->desc), err->desc, len, msg);
  } else {
    snprintf(buf, 160, "%s", err->desc);
  }
  return 0;
}

void lrs__store_h5_reason(char *buf, size_t cap) {
  char reason[160] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_error, reason);
  H5Eclear2(H5E_DEFAULT);
  snprintf(buf, cap, "%s", reason);
}

lrs_status lrs__store_h5_fail(const char *where, const char *fmt, ...) {
  char what[512], reason[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  lrs__store_h5_reason(reason, sizeof reason);
  if (reason[0])
    return LRS_RAISE(LRS_ERR_HDF5, "%s: %s (HDF5: %s)", where, what, reason);
  return LRS_RAISE(LRS_ERR_HDF5, "%s: %s (HDF5 failure)", where, what);
}

void lrs__store_h5_close(hid_t *id) {
  if (*id < 0)
    return;
  switch (H5Iget_type(*id)) {
  case H5I_FILE:
    H5Fclose(*id);
    break;
  case H5I_GROUP:
    H5Gclose(*id);
    break;
  case H5I_DATATYPE:
    H5Tclose(*id);
    break;
  case H5I_DATASPACE:
    H5Sclose(*id);
    break;
  case H5I_DATASET:
    H5Dclose(*id);
    break;
  case H5I_ATTR:
    H5Aclose(*id);
    break;
  case H5I_GENPROP_LST:
    H5Pclose(*id);
    break;
  default:
    break;
  }
  *id = H5I_INVALID_HID;
}

hid_t lrs__store_fapl(bool clear_status_flags) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0)
    return fapl;
  /* SWMR needs the latest file format (superblock v3, extensible arrays). */
  if (H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0)
    goto fail;
  /* In SWMR mode the writer, too, retries metadata whose checksum fails,
   * with doubling sleeps: HDF5's 100 tries would hang on a damaged store
   * (as the reader's, lrs_store_open: 30 tries, about a second). */
  if (H5Pset_metadata_read_attempts(fapl, 30) < 0)
    goto fail;
  if (clear_status_flags) {
    /* The property h5clear -s uses: a writer killed in SWMR mode leaves the
     * superblock's "open for write" flags set; only the lock holder (the
     * lock file proves no writer is alive) may clear them. */
    hbool_t yes = true;
    if (H5Pexist(fapl, "clear_status_flags") <= 0 ||
        H5Pset(fapl, "clear_status_flags", &yes) < 0)
      goto fail;
  }
  return fapl;
fail:
  H5Pclose(fapl);
  return H5I_INVALID_HID;
}

lrs_status lrs__store_xfer_create(lrs__store_xfer *x, const char *where) {
  lrs_status st = LRS_OK;
  x->tconv = malloc(LRS__STORE_XFER_BYTES);
  x->bkg = malloc(LRS__STORE_XFER_BYTES);
  x->dxpl = H5I_INVALID_HID;
  if (!x->tconv || !x->bkg) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for transfer buffers");
    goto done;
  }
  LRS__H5(st, x->dxpl = H5Pcreate(H5P_DATASET_XFER), done, where, "cannot make a dxpl");
  LRS__H5(st, H5Pset_buffer(x->dxpl, LRS__STORE_XFER_BYTES, x->tconv, x->bkg), done, where,
          "cannot set transfer buffers");
done:
  if (st != LRS_OK)
    lrs__store_xfer_destroy(x);
  return st;
}

void lrs__store_xfer_destroy(lrs__store_xfer *x) {
  lrs__store_h5_close(&x->dxpl);
  free(x->tconv);
  free(x->bkg);
  x->tconv = x->bkg = NULL;
}

hid_t lrs__store_enum_type(hid_t base, const char *const *names) {
  hid_t t = H5Tenum_create(base);
  if (t < 0)
    return t;
  size_t size = H5Tget_size(base);
  for (int i = 0; names[i]; i++) {
    /* The value in the base type's representation (native or LE, ≤ 8 B). */
    int64_t v64 = i;
    int32_t v32 = i;
    int8_t v8 = (int8_t)i;
    const void *v = size == 8 ? (const void *)&v64 : size == 4 ? (const void *)&v32 : (const void *)&v8;
    if (H5Tenum_insert(t, names[i], v) < 0) {
      H5Tclose(t);
      return H5I_INVALID_HID;
    }
  }
  return t;
}

static const char *const bool_names[] = {"FALSE", "TRUE", NULL};

/* Memory (native) and file (little-endian, compact) type of a column. */
static hid_t column_type(const lrs_field *c, bool file) {
  hid_t t = H5I_INVALID_HID;
  switch (c->type) {
  case LRS_FIELD_U64:
    return H5Tcopy(file ? H5T_STD_U64LE : H5T_NATIVE_UINT64);
  case LRS_FIELD_I64:
    return H5Tcopy(file ? H5T_STD_I64LE : H5T_NATIVE_INT64);
  case LRS_FIELD_I32:
    return H5Tcopy(file ? H5T_STD_I32LE : H5T_NATIVE_INT32);
  case LRS_FIELD_F64:
    return H5Tcopy(file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
  case LRS_FIELD_ENUM:
    return lrs__store_enum_type(file ? H5T_STD_I8LE : H5T_NATIVE_INT, c->names);
  case LRS_FIELD_BOOL:
    /* h5py reads an int8 enum {FALSE, TRUE} as numpy bool. */
    return lrs__store_enum_type(file ? H5T_STD_I8LE : H5T_NATIVE_SCHAR, bool_names);
  case LRS_FIELD_TEXT:
    t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, c->size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
      H5Tclose(t);
      t = H5I_INVALID_HID;
    }
    return t;
  }
  return t;
}

/* A compound over cols[0..n): memory layout (size `stride`, struct offsets)
 * or file layout (packed in column order). */
static hid_t compound_type(const lrs_field *cols, size_t n, size_t stride, bool file) {
  size_t size = stride;
  hid_t *types = calloc(n, sizeof *types);
  hid_t t = H5I_INVALID_HID;
  if (!types)
    return t;
  bool ok = true;
  if (file) {
    size = 0;
    for (size_t i = 0; i < n && ok; i++) {
      types[i] = column_type(&cols[i], true);
      ok = types[i] >= 0;
      size += ok ? H5Tget_size(types[i]) : 0;
    }
  } else {
    for (size_t i = 0; i < n && ok; i++) {
      types[i] = column_type(&cols[i], false);
      ok = types[i] >= 0;
    }
  }
  if (ok)
    t = H5Tcreate(H5T_COMPOUND, size);
  size_t off = 0;
  for (size_t i = 0; i < n && ok && t >= 0; i++) {
    ok = H5Tinsert(t, cols[i].name, file ? off : cols[i].offset, types[i]) >= 0;
    off += H5Tget_size(types[i]);
  }
  if (!ok && t >= 0) {
    H5Tclose(t);
    t = H5I_INVALID_HID;
  }
  for (size_t i = 0; i < n; i++)
    if (types[i] > 0)
      H5Tclose(types[i]);
  free(types);
  return t;
}

lrs_status lrs__store_schema_create(size_t key_width, const char *where,
                                    lrs__store_schema **out) {
  *out = NULL;
  lrs_status st = LRS_OK;
  lrs__store_schema *s = calloc(1, sizeof *s);
  LRS_TRY(LRS_CHECK_ALLOC(s));
  s->mem_type = s->result_type = s->file_type = H5I_INVALID_HID;
  s->rec_mem = s->rec_file = H5I_INVALID_HID;
  size_t n_params;
  const lrs_param *params = lrs_param_table(&n_params);
  const size_t n_head = sizeof head_columns / sizeof head_columns[0];
  const size_t n_sum = sizeof summary_columns / sizeof summary_columns[0];
  const size_t n_tail = sizeof tail_columns / sizeof tail_columns[0];
  s->cols = calloc(n_head + 1 + n_params + n_sum + n_tail, sizeof *s->cols);
  if (!s->cols) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the store schema");
    goto done;
  }
  s->key_width = key_width;
  s->stride = (sizeof(lrs_store_row) + key_width + 7) / 8 * 8;
  /* index, key_hash, key, base_seed, parameters, summary, bookkeeping. */
  s->cols[s->n_cols++] = head_columns[0];
  s->cols[s->n_cols++] = head_columns[1];
  s->cols[s->n_cols++] = (lrs_field){
      "key",  LRS_FIELD_TEXT, sizeof(lrs_store_row), key_width, NULL, "",
      "canonical key: axis=value,... sorted by axis name", 0, NULL, {0, LRS_SHOW_NEVER}};
  for (size_t i = 2; i < n_head; i++)
    s->cols[s->n_cols++] = head_columns[i];
  for (size_t i = 0; i < n_params; i++) {
    const lrs_param *p = &params[i];
    lrs_field c = lrs_param_field(p);
    c.offset += ROW(point);
    /* The replicate parameter is the `seed` axis, as in keys. */
    if (strcmp(p->name, "replicate") == 0)
      c.name = "seed";
    s->cols[s->n_cols++] = c;
  }
  s->first_result = s->n_cols;
  for (size_t i = 0; i < n_sum; i++)
    s->cols[s->n_cols++] = summary_columns[i];
  for (size_t i = 0; i < n_tail; i++)
    s->cols[s->n_cols++] = tail_columns[i];

  s->mem_type = compound_type(s->cols, s->n_cols, s->stride, false);
  s->result_type = compound_type(s->cols + s->first_result, s->n_cols - s->first_result,
                                 s->stride, false);
  s->file_type = compound_type(s->cols, s->n_cols, 0, true);
  size_t n_rec = sizeof record_columns / sizeof record_columns[0];
  s->rec_mem = compound_type(record_columns, n_rec, sizeof(lrs__traj_row), false);
  s->rec_file = compound_type(record_columns, n_rec, 0, true);
  if (s->mem_type < 0 || s->result_type < 0 || s->file_type < 0 || s->rec_mem < 0 ||
      s->rec_file < 0)
    st = lrs__store_h5_fail(where, "cannot build the store's compound types");
done:
  if (st != LRS_OK)
    lrs__store_schema_destroy(&s);
  *out = s;
  return st;
}

void lrs__store_schema_destroy(lrs__store_schema **schema) {
  if (!schema || !*schema)
    return;
  lrs__store_schema *s = *schema;
  lrs__store_h5_close(&s->mem_type);
  lrs__store_h5_close(&s->result_type);
  lrs__store_h5_close(&s->file_type);
  lrs__store_h5_close(&s->rec_mem);
  lrs__store_h5_close(&s->rec_file);
  free(s->cols);
  free(s->absent);
  free(s);
  *schema = NULL;
}

void lrs__store_schema_mark_axes(lrs__store_schema *s, const lrs_config *cfg) {
  for (size_t a = 0; a < lrs_config_axis_count(cfg); a++) {
    const char *name = lrs_config_axis(cfg, a)->param->name;
    if (strcmp(name, "replicate") == 0)
      name = "seed";
    for (size_t i = 0; i < s->n_cols; i++)
      if (strcmp(s->cols[i].name, name) == 0)
        s->cols[i].flags |= LRS_FIELD_AXIS;
  }
}

hid_t lrs__store_schema_subset(const lrs__store_schema *s, const char *const *names, size_t n) {
  lrs_field *pick = calloc(n ? n : 1, sizeof *pick);
  hid_t t = H5I_INVALID_HID;
  if (!pick)
    return t;
  size_t found = 0;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < s->n_cols; i++)
      if (strcmp(s->cols[i].name, names[k]) == 0)
        pick[found++] = s->cols[i];
  if (found == n)
    t = compound_type(pick, n, s->stride, false);
  free(pick);
  return t;
}

/* ---- attributes ------------------------------------------------------------ */

lrs_status lrs__store_attr_put_text(hid_t obj, const char *name, const char *text, size_t len,
                                    const char *where) {
  /* Variable-length UTF-8: h5py reads it as str (fixed-length as bytes). */
  lrs_status st = LRS_OK;
  hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  char *buf = malloc(len + 1);
  if (!buf)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for attribute %s", name);
  memcpy(buf, text, len);
  buf[len] = '\0';
  LRS__H5(st, type = H5Tcopy(H5T_C_S1), done, where, "cannot make a string type");
  LRS__H5(st, H5Tset_size(type, H5T_VARIABLE), done, where, "cannot size attribute %s", name);
  LRS__H5(st, H5Tset_cset(type, H5T_CSET_UTF8), done, where, "cannot set UTF-8");
  LRS__H5(st, space = H5Screate(H5S_SCALAR), done, where, "cannot make a dataspace");
  if (H5Aexists(obj, name) > 0)
    LRS__H5(st, H5Adelete(obj, name), done, where, "cannot replace attribute %s", name);
  LRS__H5(st, attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), done, where,
          "cannot create attribute %s", name);
  const char *p = buf;
  LRS__H5(st, H5Awrite(attr, type, &p), done, where, "cannot write attribute %s", name);
done:
  free(buf);
  lrs__store_h5_close(&attr);
  lrs__store_h5_close(&space);
  lrs__store_h5_close(&type);
  return st;
}

lrs_status lrs__store_attr_put_int(hid_t obj, const char *name, int64_t value,
                                   const char *where) {
  lrs_status st = LRS_OK;
  hid_t space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  LRS__H5(st, space = H5Screate(H5S_SCALAR), done, where, "cannot make a dataspace");
  if (H5Aexists(obj, name) > 0)
    LRS__H5(st, H5Adelete(obj, name), done, where, "cannot replace attribute %s", name);
  LRS__H5(st, attr = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
          done, where, "cannot create attribute %s", name);
  LRS__H5(st, H5Awrite(attr, H5T_NATIVE_INT64, &value), done, where,
          "cannot write attribute %s", name);
done:
  lrs__store_h5_close(&attr);
  lrs__store_h5_close(&space);
  return st;
}

lrs_status lrs__store_attr_get_text(hid_t obj, const char *name, char **text, size_t *len,
                                    const char *where) {
  *text = NULL;
  lrs_status st = LRS_OK;
  hid_t attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  htri_t exists = H5Aexists(obj, name);
  if (exists <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return LRS_RAISE(LRS_ERR_NOT_FOUND, "%s: attribute %s missing", where, name);
  }
  LRS__H5(st, attr = H5Aopen(obj, name, H5P_DEFAULT), done, where, "cannot open attribute %s",
          name);
  LRS__H5(st, ftype = H5Aget_type(attr), done, where, "cannot read attribute %s", name);
  if (H5Tget_class(ftype) != H5T_STRING) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: attribute %s is not a string", where, name);
    goto done;
  }
  if (H5Tis_variable_str(ftype) > 0) {
    char *vl = NULL;
    LRS__H5(st, mtype = H5Tcopy(H5T_C_S1), done, where, "cannot make a string type");
    LRS__H5(st, H5Tset_size(mtype, H5T_VARIABLE), done, where, "cannot make a string type");
    LRS__H5(st, H5Tset_cset(mtype, H5Tget_cset(ftype)), done, where, "cannot set a charset");
    LRS__H5(st, H5Aread(attr, mtype, &vl), done, where, "cannot read attribute %s", name);
    *text = strdup(vl ? vl : "");
    if (vl)
      H5free_memory(vl);
  } else {
    size_t size = H5Tget_size(ftype);
    *text = calloc(size + 1, 1);
    if (*text)
      LRS__H5(st, H5Aread(attr, ftype, *text), done, where, "cannot read attribute %s", name);
  }
  if (!*text && st == LRS_OK)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for attribute %s", name);
  if (st == LRS_OK && len)
    *len = strlen(*text);
done:
  if (st != LRS_OK) {
    free(*text);
    *text = NULL;
  }
  lrs__store_h5_close(&mtype);
  lrs__store_h5_close(&ftype);
  lrs__store_h5_close(&attr);
  return st;
}

lrs_status lrs__store_attr_get_int(hid_t obj, const char *name, int64_t *value,
                                   const char *where) {
  lrs_status st = LRS_OK;
  hid_t attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID;
  if (H5Aexists(obj, name) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return LRS_RAISE(LRS_ERR_NOT_FOUND, "%s: attribute %s missing", where, name);
  }
  LRS__H5(st, attr = H5Aopen(obj, name, H5P_DEFAULT), done, where, "cannot open attribute %s",
          name);
  LRS__H5(st, ftype = H5Aget_type(attr), done, where, "cannot read attribute %s", name);
  if (H5Tget_class(ftype) != H5T_INTEGER) {
    st = LRS_RAISE(LRS_ERR_STORE, "%s: attribute %s is not an integer", where, name);
    goto done;
  }
  LRS__H5(st, H5Aread(attr, H5T_NATIVE_INT64, value), done, where, "cannot read attribute %s",
          name);
done:
  lrs__store_h5_close(&ftype);
  lrs__store_h5_close(&attr);
  return st;
}

void lrs__store_utc_now(char *buf, size_t cap) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
