/*
 * lrsweep/datafile.h — problem data read from an HDF5 file (`data = "file"`,
 * `data_file = PATH` in [problem]; papers.md §4).
 *
 * LAYOUT.  Datasets at the file's root, shapes as NumPy (h5py) reads them:
 *   X        (N, n)  floating point: the training inputs, rows are samples
 *   Y        (N, m)  floating point: the training targets, or instead
 *   labels   (N,)    integer: class indices 0 .. m−1 (m = the root attribute
 *                    `classes` when present, else the largest label + 1);
 *                    the model sees one-hot targets Y (softmax's argmax
 *                    labels are then these labels)
 *   X_test   (N_t, n) and Y_test (N_t, m) or labels_test (N_t,): optional
 *                    test split, the same kinds as the training split
 *   W0       (n, m)  floating point, optional: pre-trained weights in the
 *                    orientation of the prediction XW0 (the classifier
 *                    head's W0, lrsweep/classifier.h)
 * Other datasets are ignored, so a point dump (`lrsweep run --dump`: X, Y,
 * W1, W2) is itself a data file.  Every value must be finite; floating
 * datasets are read as double, integer ones as int64.
 *
 * VALIDATION.  lrs_datafile_load refuses a malformed file with one line
 * "PATH: dataset NAME: what is wrong" (LRS_ERR_CONFIG; LRS_ERR_IO when the
 * file cannot be opened as HDF5): a missing X, neither or both of Y and
 * labels, a wrong rank or shape, a wrong type class, a non-finite value, a
 * label out of range, a test split without its targets.  `lrsweep plan`,
 * `run`, `submit` and rank 0 of the main job load the file once before any
 * point runs (lrs_datafile_check_point), so a bad file never reaches a worker.
 */
#ifndef LRSWEEP_DATAFILE_H
#define LRSWEEP_DATAFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/point.h"
#include "lrsweep/sha256.h"
#include "lrsweep/status.h"

typedef struct lrs_datafile {
  size_t N, n, m;     /* X is N×n; targets N×m (m classes with labels) */
  size_t N_test;      /* rows of the test split (0: none) */
  bool labels;        /* targets given as class indices */
  bool has_W0;        /* W0 (n×m) present */
  /* Column-major arrays (NULL when absent). */
  double *X, *Y;           /* N×n, N×m (one-hot with labels) */
  double *X_test, *Y_test; /* N_t×n, N_t×m */
  double *W0;              /* n×m */
  char sha256[LRS_SHA256_HEX]; /* of the file's bytes */
} lrs_datafile;

/* Reads and validates the data file at `path` (see VALIDATION).  *out is
 * NULL on failure.  Local.  Statuses: LRS_ERR_CONFIG, LRS_ERR_IO,
 * LRS_ERR_NOMEM. */
lrs_status lrs_datafile_load(const char *path, lrs_datafile **out);

/* Frees the data and sets *data to NULL.  NULL-safe. */
void lrs_datafile_destroy(lrs_datafile **data);

/* The SHA-256 (hex) of the bytes of the file at `path`.  Statuses:
 * LRS_ERR_IO, LRS_ERR_NOMEM. */
lrs_status lrs_datafile_sha256(const char *path, char hex[LRS_SHA256_HEX]);

/* Whether the point's sizes agree with the file's: input_dim = n,
 * output_dim = m, samples = N (or 0 when N = n).  Fails with
 * "PATH: dataset X is N×n but the sweep has ..." (LRS_ERR_CONFIG). */
lrs_status lrs_datafile_match(const lrs_datafile *data, const lrs_point *point);

/* Loads the point's data file and matches it (the plan-time check of a
 * point with data = "file"; LRS_OK for other points). */
lrs_status lrs_datafile_check_point(const lrs_point *point);

#endif
