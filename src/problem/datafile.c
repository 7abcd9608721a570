/* Problem data from an HDF5 file (lrsweep/datafile.h): read, validated,
 * fingerprinted. */
#include "lrsweep/datafile.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/kind.h"

/* One dataset read as a dense array: its rank, sizes and values. */
typedef struct {
  int rank;
  size_t dims[2];
  bool integer;   /* H5T_INTEGER (else H5T_FLOAT) */
  double *values; /* row-major as stored (floating) */
  int64_t *ints;  /* integer datasets */
} dset;

static void dset_free(dset *d) {
  free(d->values);
  free(d->ints);
  memset(d, 0, sizeof *d);
}

/* Whether the root has a link `name`. */
static bool has(hid_t file, const char *name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

/* Reads dataset `name`: rank 1 or 2, an integer or floating class. */
static lrs_status read_dset(const char *path, hid_t file, const char *name, dset *d) {
  memset(d, 0, sizeof *d);
  lrs_status st = LRS_OK;
  hid_t ds = H5I_INVALID_HID, space = H5I_INVALID_HID, type = H5I_INVALID_HID;
  const hid_t obj = H5Oopen(file, name, H5P_DEFAULT);
  const bool is_dataset = obj >= 0 && H5Iget_type(obj) == H5I_DATASET;
  if (obj >= 0)
    H5Oclose(obj);
  if (!is_dataset)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: not a dataset (a group?)", path, name);
  if ((ds = H5Dopen2(file, name, H5P_DEFAULT)) < 0 || (space = H5Dget_space(ds)) < 0 ||
      (type = H5Dget_type(ds)) < 0) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: cannot be opened", path, name);
    goto done;
  }
  const H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: type is not a number (need %s)", path, name,
                   strcmp(name, "labels") == 0 || strcmp(name, "labels_test") == 0
                       ? "integers"
                       : "floating point");
    goto done;
  }
  d->integer = cls == H5T_INTEGER;
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 1 || rank > 2) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: rank %d (need 1 or 2 dimensions)", path,
                   name, rank);
    goto done;
  }
  hsize_t dims[2] = {1, 1};
  H5Sget_simple_extent_dims(space, dims, NULL);
  d->rank = rank;
  d->dims[0] = (size_t)dims[0];
  d->dims[1] = rank == 2 ? (size_t)dims[1] : 1;
  const size_t count = d->dims[0] * d->dims[1];
  if (d->integer) {
    d->ints = malloc((count ? count : 1) * sizeof *d->ints);
    if (!d->ints) {
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading %s from %s", name, path);
      goto done;
    }
    if (count && H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->ints) < 0)
      st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: cannot be read as int64", path, name);
  } else {
    d->values = malloc((count ? count : 1) * sizeof *d->values);
    if (!d->values) {
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading %s from %s", name, path);
      goto done;
    }
    if (count && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->values) < 0)
      st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: cannot be read as float64", path, name);
  }
done:
  if (type >= 0)
    H5Tclose(type);
  if (space >= 0)
    H5Sclose(space);
  if (ds >= 0)
    H5Dclose(ds);
  if (st != LRS_OK)
    dset_free(d);
  return st;
}

/* A floating matrix rows×cols (cols = 0: any) with finite values, as a
 * column-major copy in *out. */
static lrs_status take_matrix(const char *path, const char *name, dset *d, size_t rows,
                              size_t cols, double **out) {
  if (d->integer)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: integer type (need floating point)", path,
                     name);
  if (d->rank != 2)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: shape (%zu,) (need a matrix (%zu, %zu))",
                     path, name, d->dims[0], rows, cols);
  if (d->dims[0] != rows || d->dims[1] != cols)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: shape (%zu, %zu) (need (%zu, %zu))", path,
                     name, d->dims[0], d->dims[1], rows, cols);
  for (size_t k = 0; k < rows * cols; k++)
    if (!isfinite(d->values[k]))
      return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: non-finite value %g at (%zu, %zu)",
                       path, name, d->values[k], k / cols, k % cols);
  double *cm = malloc((rows * cols > 0 ? rows * cols : 1) * sizeof *cm);
  LRS_TRY(LRS_CHECK_ALLOC(cm));
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j++)
      cm[i + j * rows] = d->values[i * cols + j];
  *out = cm;
  return LRS_OK;
}

/* Labels (rows,) in [0, m) as one-hot rows×m, column-major. */
static lrs_status take_labels(const char *path, const char *name, const dset *d, size_t rows,
                              size_t m, double **out) {
  if (!d->integer)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: floating type (need integer labels)",
                     path, name);
  if (d->rank == 2)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: shape (%zu, %zu) (need (%zu,))", path,
                     name, d->dims[0], d->dims[1], rows);
  if (d->dims[0] != rows)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: shape (%zu,) (need (%zu,))", path, name,
                     d->dims[0], rows);
  for (size_t i = 0; i < rows; i++)
    if (d->ints[i] < 0 || (uint64_t)d->ints[i] >= m)
      return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: label %lld at %zu (need 0 .. %zu)",
                       path, name, (long long)d->ints[i], i, m - 1);
  double *y = calloc(rows * m > 0 ? rows * m : 1, sizeof *y);
  LRS_TRY(LRS_CHECK_ALLOC(y));
  for (size_t i = 0; i < rows; i++)
    y[i + (size_t)d->ints[i] * rows] = 1.0;
  *out = y;
  return LRS_OK;
}

/* The number of classes: the root attribute `classes`, else max label + 1. */
static lrs_status class_count(const char *path, hid_t file, const dset *labels, size_t *m) {
  int64_t top = -1;
  for (size_t i = 0; i < labels->dims[0]; i++)
    top = labels->ints[i] > top ? labels->ints[i] : top;
  *m = (size_t)(top + 1);
  if (H5Aexists(file, "classes") <= 0)
    return LRS_OK;
  int64_t c = 0;
  hid_t a = H5Aopen(file, "classes", H5P_DEFAULT);
  const bool ok = a >= 0 && H5Aread(a, H5T_NATIVE_INT64, &c) >= 0;
  if (a >= 0)
    H5Aclose(a);
  if (!ok || c < 1)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: attribute classes: not a positive integer", path);
  *m = (size_t)c;
  return LRS_OK;
}

void lrs_datafile_destroy(lrs_datafile **data) {
  if (!data || !*data)
    return;
  lrs_datafile *d = *data;
  free(d->X);
  free(d->Y);
  free(d->X_test);
  free(d->Y_test);
  free(d->W0);
  free(d);
  *data = NULL;
}

lrs_status lrs_datafile_sha256(const char *path, char hex[LRS_SHA256_HEX]) {
  hex[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f)
    return LRS_RAISE(LRS_ERR_IO, "%s: %s", path, strerror(errno));
  lrs_sha256 ctx;
  lrs_sha256_init(&ctx);
  unsigned char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0)
    lrs_sha256_update(&ctx, buf, got);
  const bool read_ok = !ferror(f);
  fclose(f);
  unsigned char digest[LRS_SHA256_BYTES];
  const bool ok = lrs_sha256_final(&ctx, digest);
  if (!read_ok)
    return LRS_RAISE(LRS_ERR_IO, "%s: read error", path);
  if (!ok)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory hashing %s", path);
  for (size_t i = 0; i < LRS_SHA256_BYTES; i++)
    snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return LRS_OK;
}

/* Reads the targets of one split: `yname` (floating N×m) or `lname`
 * (integer labels); exactly one must exist. */
static lrs_status read_targets(const char *path, hid_t file, const char *yname,
                               const char *lname, size_t rows, lrs_datafile *d, double **out) {
  const bool hy = has(file, yname), hl = has(file, lname);
  if (hy && hl)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: datasets %s and %s: give one of them", path, yname,
                     lname);
  if (!hy && !hl)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: missing (or %s: targets or labels)", path,
                     yname, lname);
  if (hl != d->labels && d->Y)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: the training split uses %s", path,
                     hl ? lname : yname, d->labels ? "labels" : "Y");
  dset t;
  lrs_status st = read_dset(path, file, hl ? lname : yname, &t);
  if (st != LRS_OK)
    return st;
  if (hl) {
    if (!d->Y && t.integer) { /* the training split fixes m */
      d->labels = true;
      st = class_count(path, file, &t, &d->m);
    }
    if (st == LRS_OK)
      st = take_labels(path, lname, &t, rows, d->m, out);
  } else {
    if (!d->Y)
      d->m = t.rank == 2 ? t.dims[1] : 0;
    st = take_matrix(path, yname, &t, rows, d->m, out);
  }
  dset_free(&t);
  return st;
}

lrs_status lrs_datafile_load(const char *path, lrs_datafile **out) {
  *out = NULL;
  lrs_status st = LRS_OK;
  lrs_datafile *d = calloc(1, sizeof *d);
  LRS_TRY(LRS_CHECK_ALLOC(d));
  dset x = {0};
  hid_t file = H5I_INVALID_HID;
  /* HDF5 prints its error stack by default: the one line below says it. */
  H5E_auto2_t func = NULL;
  void *client = NULL;
  H5Eget_auto2(H5E_DEFAULT, &func, &client);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  LRS_TRY_GOTO(st, lrs_datafile_sha256(path, d->sha256), done);
  if (H5Fis_hdf5(path) <= 0 ||
      (file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: not an HDF5 file", path);
    goto done;
  }
  if (!has(file, "X")) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset X: missing (the inputs, N×n)", path);
    goto done;
  }
  LRS_TRY_GOTO(st, read_dset(path, file, "X", &x), done);
  if (x.rank != 2 || x.dims[0] < 1 || x.dims[1] < 1) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset X: shape (%zu%s) (need a matrix (N, n), N, n ≥ 1)",
                   path, x.dims[0], x.rank == 2 ? ", ..." : ",");
    goto done;
  }
  d->N = x.dims[0];
  d->n = x.dims[1];
  LRS_TRY_GOTO(st, take_matrix(path, "X", &x, d->N, d->n, &d->X), done);
  dset_free(&x);
  LRS_TRY_GOTO(st, read_targets(path, file, "Y", "labels", d->N, d, &d->Y), done);
  if (d->m < 1) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset %s: no target columns", path,
                   d->labels ? "labels" : "Y");
    goto done;
  }
  if (has(file, "X_test")) {
    LRS_TRY_GOTO(st, read_dset(path, file, "X_test", &x), done);
    d->N_test = x.dims[0];
    LRS_TRY_GOTO(st, take_matrix(path, "X_test", &x, d->N_test, d->n, &d->X_test), done);
    dset_free(&x);
    LRS_TRY_GOTO(st, read_targets(path, file, "Y_test", "labels_test", d->N_test, d, &d->Y_test),
                 done);
  } else if (has(file, "Y_test") || has(file, "labels_test")) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset X_test: missing (the test split has targets)",
                   path);
    goto done;
  }
  if (has(file, "W0")) {
    LRS_TRY_GOTO(st, read_dset(path, file, "W0", &x), done);
    LRS_TRY_GOTO(st, take_matrix(path, "W0", &x, d->n, d->m, &d->W0), done);
    dset_free(&x);
    d->has_W0 = true;
  }
done:
  dset_free(&x);
  if (file >= 0)
    H5Fclose(file);
  H5Eset_auto2(H5E_DEFAULT, func, client);
  if (st != LRS_OK)
    lrs_datafile_destroy(&d);
  *out = d;
  return st;
}

lrs_status lrs_datafile_match(const lrs_datafile *d, const lrs_point *p) {
  const lrs_model_type *model = lrs_model_type_of(p->model);
  if (model && model->data_W0 && !d->has_W0)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: dataset W0: missing (model %s fine-tunes W0, n×m)",
                     p->data_file, lrs_model_names[p->model]);
  const bool N_ok = (size_t)p->samples == d->N || (p->samples == 0 && d->N == d->n);
  if (N_ok && (size_t)p->input_dim == d->n && (size_t)p->output_dim == d->m)
    return LRS_OK;
  return LRS_RAISE(LRS_ERR_CONFIG,
                   "%s: dataset X is %zu×%zu with %zu %s, but the sweep has samples = %lld, "
                   "input_dim = %lld, output_dim = %lld (set them to %zu, %zu, %zu)",
                   p->data_file, d->N, d->n, d->m, d->labels ? "classes" : "target columns",
                   (long long)p->samples, (long long)p->input_dim, (long long)p->output_dim,
                   d->N, d->n, d->m);
}

lrs_status lrs_datafile_check_point(const lrs_point *p) {
  if (p->data != LRS_DATA_FILE)
    return LRS_OK;
  lrs_datafile *d = NULL;
  LRS_TRY(lrs_datafile_load(p->data_file, &d));
  lrs_status st = lrs_datafile_match(d, p);
  lrs_datafile_destroy(&d);
  return st;
}
