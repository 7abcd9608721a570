/* Private layout of the linalg backend types (lrsweep/linalg.h).  Only the
 * backend files include this.  The `dist` backend will add its BLACS context
 * and array descriptors here and dispatch on lrs_linalg.kind. */
#ifndef LRSWEEP_LINALG_IMPL_H
#define LRSWEEP_LINALG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/linalg.h"

typedef enum { LRS__LINALG_LOCAL = 1 } lrs__linalg_kind;

struct lrs_linalg {
  lrs__linalg_kind kind;
  double *scratch;     /* LAPACK copies and work arrays */
  size_t scratch_len;  /* in doubles */
  size_t n_mats;       /* live matrices and views, for destroy-order checks */
};

struct lrs_mat {
  lrs_linalg *la;
  double *data;        /* column-major, element (i,j) at data[i + j*ld] */
  size_t rows, cols, ld;
  bool owner;          /* false for views */
};

#endif
