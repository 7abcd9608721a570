/* Point dumps: a point's problem data and initial weights in a small HDF5
 * file of its own, for cross-checks with independent implementations. */
#include <stdlib.h>
#include <string.h>

#include "lrsweep/store.h"
#include "store_private.h"

struct lrs_dump {
  hid_t file;
  char *path;
};

lrs_status lrs_dump_create(const char *path, const char *key, const char *sweep_text,
                           lrs_dump **out) {
  *out = NULL;
  lrs__store_h5_quiet();
  lrs_status st = LRS_OK;
  lrs_dump *d = calloc(1, sizeof *d);
  LRS_TRY(LRS_CHECK_ALLOC(d));
  d->file = H5I_INVALID_HID;
  d->path = strdup(path);
  if (!d->path) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory");
    goto done;
  }
  LRS__H5(st, d->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), done, path,
          "cannot create the dump file");
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(d->file, "key", key, strlen(key), path), done);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(d->file, "sweep_text", sweep_text,
                                            strlen(sweep_text), path),
               done);
  static const char orientation[] =
      "Each dataset is a matrix stored row-major with shape (rows, cols) as NumPy "
      "reads it; its attribute `doc` says what it is (see README, rerun --dump).";
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(d->file, "layout", orientation,
                                            sizeof orientation - 1, path),
               done);
done:
  if (st != LRS_OK)
    lrs_dump_close(&d);
  *out = d;
  return st;
}

lrs_status lrs_dump_matrix(lrs_dump *d, const char *name, size_t rows, size_t cols,
                           const double *colmajor, const char *doc) {
  lrs_status st = LRS_OK;
  hid_t space = H5I_INVALID_HID, ds = H5I_INVALID_HID;
  double *rowmajor = malloc((rows * cols > 0 ? rows * cols : 1) * sizeof *rowmajor);
  LRS_TRY(LRS_CHECK_ALLOC(rowmajor));
  for (size_t j = 0; j < cols; j++)
    for (size_t i = 0; i < rows; i++)
      rowmajor[i * cols + j] = colmajor[i + j * rows];
  const hsize_t dims[2] = {rows, cols};
  LRS__H5(st, space = H5Screate_simple(2, dims, NULL), done, d->path, "dataspace of %s", name);
  LRS__H5(st, ds = H5Dcreate2(d->file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
          done, d->path, "cannot create dataset %s", name);
  LRS__H5(st, H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rowmajor), done,
          d->path, "cannot write dataset %s", name);
  LRS_TRY_GOTO(st, lrs__store_attr_put_text(ds, "doc", doc, strlen(doc), d->path), done);
done:
  lrs__store_h5_close(&ds);
  lrs__store_h5_close(&space);
  free(rowmajor);
  return st;
}

lrs_status lrs_dump_close(lrs_dump **dump) {
  if (!dump || !*dump)
    return LRS_OK;
  lrs_dump *d = *dump;
  lrs_status st = LRS_OK;
  if (d->file >= 0 && H5Fclose(d->file) < 0)
    st = lrs__store_h5_fail(d->path, "cannot close the dump file");
  free(d->path);
  free(d);
  *dump = NULL;
  return st;
}
