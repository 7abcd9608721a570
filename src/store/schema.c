/*
 * The store's schema: the column tables of the points and trajectories
 * datasets and the HDF5 types built from them (docs/store.md documents each
 * column).  Adding a field to lrs_summary or lrs_record is one line in a table
 * below; parameters of lrs_point come from the parameter table by themselves.
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
#define SUM(field) offsetof(lrs_store_row, summary.field)
#define COL(name, type, off, unit, doc) {name, type, off, 0, NULL, unit, doc, false, false}
#define F64(name, field, unit, doc) COL(name, LRS_STORE_COL_F64, SUM(field), unit, doc)
#define I64(name, field, unit, doc) COL(name, LRS_STORE_COL_I64, SUM(field), unit, doc)

/* Leading columns: identity of the point. */
static const lrs_store_column head_columns[] = {
    COL("index", LRS_STORE_COL_U64, ROW(index), "", "row number: the grid index, then refinement rows in order"),
    COL("key_hash", LRS_STORE_COL_U64, ROW(key_hash), "", "64-bit FNV-1a hash of key"),
    /* "key" (TEXT) is inserted here with the file's key width. */
    COL("base_seed", LRS_STORE_COL_U64, ROW(point.seed), "", "[sweep] base_seed"),
    {"origin", LRS_STORE_COL_ENUM, ROW(origin), 0, lrs_origin_names, "",
     "grid, or the refinement that added the row (bisect, seed)", false, false},
    COL("generation", LRS_STORE_COL_I32, ROW(generation), "",
        "0 for grid rows; the refinement step that proposed the point"),
};

/* The summary of lrs_result (lrsweep/result.h), one line per field. */
static const lrs_store_column summary_columns[] = {
    {"status", LRS_STORE_COL_ENUM, SUM(status), 0, lrs_point_status_names, "",
     "outcome; pending until computed", false, false},
    {"message", LRS_STORE_COL_TEXT, SUM(message), LRS_RESULT_MESSAGE_MAX, NULL, "",
     "why, for failures (empty otherwise)", false, false},
    I64("iterations", iterations, "", "GD iterations (GF: accepted ODE steps)"),
    F64("final_time", final_time, "GF time", "GF time reached (GD: NaN)"),
    I64("rhs_evals", rhs_evals, "", "gradient evaluations"),
    I64("loss_evals", loss_evals, "", "loss-only evaluations (line-search trials)"),
    I64("ls_failures", ls_failures, "", "GD iterations whose line search hit its guard"),
    F64("loss0", loss0, "loss", "L(0)"),
    F64("final_loss", final_loss, "loss", "L at the end"),
    F64("loss_star", loss_star, "loss", "ℓ* (0 when min ℓ = 0)"),
    F64("rate", rate, "per iteration (GF: per unit time)", "fitted linear rate"),
    F64("rate_r2", rate_r2, "", "R² of the rate fit of log(L − ℓ*)"),
    I64("rate_begin", rate_begin, "record", "first record of the fit window"),
    I64("rate_end", rate_end, "record", "last record of the fit window"),
    I64("iters_to_3", iters_to[0], "", "first iteration with L ≤ 1e-3·L0 (-1: never)"),
    I64("iters_to_6", iters_to[1], "", "first iteration with L ≤ 1e-6·L0 (-1: never)"),
    I64("iters_to_10", iters_to[2], "", "first iteration with L ≤ 1e-10·L0 (-1: never)"),
    F64("time_to_3", time_to[0], "GF time", "GF time to L ≤ 1e-3·L0 (NaN: never)"),
    F64("time_to_6", time_to[1], "GF time", "GF time to L ≤ 1e-6·L0 (NaN: never)"),
    F64("time_to_10", time_to[2], "GF time", "GF time to L ≤ 1e-10·L0 (NaN: never)"),
    F64("max_drift", max_drift, "", "max ‖D(t) − D(0)‖ along the run"),
    {"theory_applicable", LRS_STORE_COL_BOOL, SUM(theory.applicable), 0, NULL, "",
     "loss and model covered by [P1]", false, false},
    F64("mu", theory.mu, "", "μ: strong convexity of ℓ"),
    F64("K", theory.K, "", "K: smoothness of ℓ"),
    F64("lambda_plus", theory.lambda_plus, "", "λ₊ of D₀"),
    F64("lambda_minus", theory.lambda_minus, "", "λ₋ of D₀"),
    F64("delta_under", theory.delta_under, "", "Δ̲"),
    F64("delta_plus", theory.delta_plus, "", "Δ₊"),
    F64("delta_minus", theory.delta_minus, "", "Δ₋"),
    F64("beta1", theory.beta1, "", "β1 margin"),
    F64("beta2", theory.beta2, "", "β2 margin"),
    F64("alpha1", theory.alpha1, "", "α1: lower bound on σ_min²(T_t)"),
    F64("alpha2", theory.alpha2, "", "α2: upper bound on σ_max²(T_t)"),
    F64("mu_bar", theory.mu_bar, "", "μ̄ at η0"),
    F64("K_bar0", theory.K_bar0, "", "K̄_0 at η0"),
    F64("eta1", theory.eta1, "step", "η⁽¹⁾ (eq. 101)"),
    F64("eta2", theory.eta2, "step", "η⁽²⁾ (eq. 102; inf if none)"),
    F64("eta_max", theory.eta_max, "step", "η_max"),
    {"eta_max_bound", LRS_STORE_COL_ENUM, SUM(theory.eta_max_bound), 0, lrs_eta_bound_names,
     "", "which term bound η_max", false, false},
    F64("eta0", theory.eta0, "step", "initial step actually used"),
    F64("rho_bar0", theory.rho_bar0, "", "ρ̄(η0, 0)"),
    F64("asymptotic_rate", theory.asymptotic_rate, "", "1 − (μ/K) α1/α2"),
    F64("beta2_fro", theory.beta2_fro, "", "β2 with ‖W*‖_F for σ_max(W*)"),
    F64("alpha2_fro", theory.alpha2_fro, "", "α2 with beta2_fro"),
    F64("asymptotic_rate_fro", theory.asymptotic_rate_fro, "", "1 − (μ/K) α1/alpha2_fro"),
    F64("delta_w", lora.delta_w, "", "LoRA δ_w = σ_W1/σ_W2"),
    F64("sigma_w1", lora.sigma_w1, "", "LoRA σ_W1 = ‖W1 v‖"),
    F64("sigma_w2", lora.sigma_w2, "", "LoRA σ_W2 = ‖W2ᵀ u‖"),
    F64("align_end", lora.align_end, "step (GF: time)", "end of the alignment phase"),
    F64("align_plateau", lora.align_plateau, "log10", "log10(1 − |cos|) at align_end"),
    F64("final_floor", lora.final_floor, "loss", "LoRA final-loss floor"),
    F64("local_rate", lora.local_rate, "", "LoRA fitted rate after alignment"),
    {"wall_seconds", LRS_STORE_COL_F64, SUM(wall_seconds), 0, NULL, "s",
     "wall-clock time of the solve", false, true},
};

/* Trailing columns: bookkeeping of the store. */
static const lrs_store_column tail_columns[] = {
    {"attempts", LRS_STORE_COL_I32, ROW(attempts), 0, NULL, "",
     "times the point was stored (retries count)", false, true},
    {"rank", LRS_STORE_COL_I32, ROW(rank), 0, NULL, "", "MPI rank or group that computed it",
     false, true},
    {"traj_offset", LRS_STORE_COL_I64, ROW(traj_offset), 0, NULL, "record",
     "first row of the point in trajectories (-1: none)", false, true},
    COL("traj_count", LRS_STORE_COL_I64, ROW(traj_count), "record",
        "number of trajectory rows of the point"),
    /* Must stay last: the check covers the result columns before it. */
    COL("row_check", LRS_STORE_COL_U64, ROW(row_check), "",
        "FNV-1a 64 of columns status..traj_count; a mismatch marks a row torn by a crash"),
};

#define REC(field, unit, doc)                                                  \
  {#field, LRS_STORE_COL_F64, offsetof(lrs__traj_row, rec.field), 0, NULL, unit, doc, false, false}

/* The trajectory record (lrs_record), one line per field. */
static const lrs_store_column record_columns[] = {
    {"key_hash", LRS_STORE_COL_U64, offsetof(lrs__traj_row, key_hash), 0, NULL, "",
     "key_hash of the point the record belongs to", false, false},
    {"step", LRS_STORE_COL_I64, offsetof(lrs__traj_row, rec.step), 0, NULL, "",
     "GD iteration, or GF record number", false, false},
    REC(time, "GF time", "GF time (GD: Σ η_k)"),
    REC(loss, "loss", "L − ℓ*"),
    REC(grad_norm, "", "‖∇L‖ over all parameters"),
    REC(step_size, "step", "η_t taken from here (GD)"),
    REC(sigma_min2_T, "", "σ²_min(T_t)"),
    REC(sigma_max2_T, "", "σ²_max(T_t)"),
    REC(mu_t, "", "local PL constant μ_t"),
    REC(K_t, "", "local smoothness K_t(η_t)"),
    REC(rho_t, "", "local rate ρ(η_t, t)"),
    REC(bound_local, "loss", "Π ρ(η_k, k) · L0"),
    REC(bound_global, "loss", "Π ρ̄(η_k, k) · L0"),
    REC(bound_const, "loss", "L0 ρ̄(η0, 0)^t"),
    REC(imbalance_drift, "", "‖D(t) − D(0)‖"),
    REC(loss_signal, "loss", "LoRA signal loss L_S"),
    REC(loss_noise, "loss", "LoRA noise loss L_N"),
    REC(log10_misalign, "log10", "log10(1 − |cos(γ1, U_Z1)|)"),
    REC(z1_fro, "", "‖Z1‖_F"),
    REC(z2_fro, "", "‖Z2‖_F"),
    REC(z1_spec, "", "‖Z1‖_2"),
    REC(z2_spec, "", "‖Z2‖_2"),
    REC(z_ratio, "", "‖Z1‖²/‖Z2‖²"),
    REC(signal_coord, "", "gᵀ B1 A1 v"),
};
/* Every lrs_record field is 8 bytes: the table must name all of them. */
_Static_assert(sizeof record_columns / sizeof record_columns[0] ==
                   1 + sizeof(lrs_record) / sizeof(double),
               "record_columns must list every field of lrs_record");
_Static_assert(sizeof(lrs__traj_row) == sizeof(uint64_t) + sizeof(lrs_record),
               "lrs__traj_row must have no padding");

const lrs_store_column *lrs_store_record_columns(size_t *count) {
  *count = sizeof record_columns / sizeof record_columns[0];
  return record_columns;
}

/* ---- values --------------------------------------------------------------- */

double lrs_store_column_number(const lrs_store_column *col, const void *row) {
  const char *p = (const char *)row + col->offset;
  switch (col->type) {
  case LRS_STORE_COL_U64: {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return (double)v;
  }
  case LRS_STORE_COL_I64: {
    int64_t v;
    memcpy(&v, p, sizeof v);
    return (double)v;
  }
  case LRS_STORE_COL_I32: {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case LRS_STORE_COL_F64: {
    double v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case LRS_STORE_COL_ENUM: {
    int v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case LRS_STORE_COL_BOOL: {
    bool v;
    memcpy(&v, p, sizeof v);
    return v ? 1 : 0;
  }
  case LRS_STORE_COL_TEXT:
    break;
  }
  return NAN;
}

const char *lrs_store_column_text(const lrs_store_column *col, const void *row, char *buf,
                                  size_t cap) {
  const char *p = (const char *)row + col->offset;
  switch (col->type) {
  case LRS_STORE_COL_U64: {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    snprintf(buf, cap, "%llu", (unsigned long long)v);
    break;
  }
  case LRS_STORE_COL_I64:
  case LRS_STORE_COL_I32:
    snprintf(buf, cap, "%lld", (long long)lrs_store_column_number(col, row));
    break;
  case LRS_STORE_COL_F64: {
    double v = lrs_store_column_number(col, row);
    if (isnan(v)) {
      snprintf(buf, cap, "nan");
      break;
    }
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, cap, "%.*g", prec, v);
      if (strtod(buf, NULL) == v)
        break;
    }
    break;
  }
  case LRS_STORE_COL_ENUM: {
    int v;
    memcpy(&v, p, sizeof v);
    int n = 0;
    while (col->names[n])
      n++;
    snprintf(buf, cap, "%s", v >= 0 && v < n ? col->names[v] : "?");
    break;
  }
  case LRS_STORE_COL_BOOL:
    snprintf(buf, cap, "%s", lrs_store_column_number(col, row) != 0 ? "true" : "false");
    break;
  case LRS_STORE_COL_TEXT:
    snprintf(buf, cap, "%.*s", (int)col->size, p);
    break;
  }
  return buf;
}

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
    const lrs_store_column *c = &s->cols[i];
    if (s->absent && s->absent[i]) /* not in an older file: its writer skipped it too */
      continue;
    const unsigned char *p = (const unsigned char *)row + c->offset;
    unsigned char le[8];
    uint64_t bits = 0;
    size_t n = 8;
    switch (c->type) {
    case LRS_STORE_COL_U64:
    case LRS_STORE_COL_I64:
    case LRS_STORE_COL_F64:
      memcpy(&bits, p, 8);
      break;
    case LRS_STORE_COL_I32: {
      int32_t v;
      memcpy(&v, p, 4);
      bits = (uint32_t)v;
      n = 4;
      break;
    }
    case LRS_STORE_COL_ENUM: {
      int v;
      memcpy(&v, p, sizeof v);
      bits = (uint8_t)v;
      n = 1;
      break;
    }
    case LRS_STORE_COL_BOOL:
      bits = *(const bool *)(const void *)p ? 1 : 0;
      n = 1;
      break;
    case LRS_STORE_COL_TEXT:
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
  if (n == 0 && err->desc && err->desc[0])
    snprintf(buf, 160, "%s", err->desc);
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
static hid_t column_type(const lrs_store_column *c, bool file) {
  hid_t t = H5I_INVALID_HID;
  switch (c->type) {
  case LRS_STORE_COL_U64:
    return H5Tcopy(file ? H5T_STD_U64LE : H5T_NATIVE_UINT64);
  case LRS_STORE_COL_I64:
    return H5Tcopy(file ? H5T_STD_I64LE : H5T_NATIVE_INT64);
  case LRS_STORE_COL_I32:
    return H5Tcopy(file ? H5T_STD_I32LE : H5T_NATIVE_INT32);
  case LRS_STORE_COL_F64:
    return H5Tcopy(file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
  case LRS_STORE_COL_ENUM:
    return lrs__store_enum_type(file ? H5T_STD_I8LE : H5T_NATIVE_INT, c->names);
  case LRS_STORE_COL_BOOL:
    /* h5py reads an int8 enum {FALSE, TRUE} as numpy bool. */
    return lrs__store_enum_type(file ? H5T_STD_I8LE : H5T_NATIVE_SCHAR, bool_names);
  case LRS_STORE_COL_TEXT:
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
static hid_t compound_type(const lrs_store_column *cols, size_t n, size_t stride, bool file) {
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
  s->cols[s->n_cols++] = (lrs_store_column){
      "key",  LRS_STORE_COL_TEXT, sizeof(lrs_store_row), key_width, NULL, "",
      "canonical key: axis=value,... sorted by axis name", false, false};
  for (size_t i = 2; i < n_head; i++)
    s->cols[s->n_cols++] = head_columns[i];
  for (size_t i = 0; i < n_params; i++) {
    const lrs_param *p = &params[i];
    lrs_store_column c = {p->name, LRS_STORE_COL_F64, ROW(point) + p->offset, 0, NULL, "",
                          p->doc, false, false};
    if (p->type == LRS_PARAM_INT)
      c.type = LRS_STORE_COL_I64;
    else if (p->type == LRS_PARAM_ENUM) {
      c.type = LRS_STORE_COL_ENUM;
      c.names = p->names;
    }
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
        s->cols[i].axis = true;
  }
}

hid_t lrs__store_schema_subset(const lrs__store_schema *s, const char *const *names, size_t n) {
  lrs_store_column *pick = calloc(n ? n : 1, sizeof *pick);
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
