/* The public linalg entry points (lrsweep/linalg.h): checks common to both
 * backends, operations on local blocks, and dispatch to the backend. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cblas.h>

#include "linalg_impl.h"

const char *lrs_linalg_blas(void) {
  /* openblas_get_config(): "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...";
   * its first two words, then the kernels (the core) chosen at load time. */
  static char name[LRS_LINALG_BLAS_MAX];
  if (!name[0]) {
    const char *config = openblas_get_config();
    int words = 0;
    size_t n = 0;
    while (config[n] && !(config[n] == ' ' && ++words == 2))
      n++;
    snprintf(name, sizeof name, "%.*s %s", (int)n, config, openblas_get_corename());
  }
  return name;
}

/* ------------------------------------------------------------- checks */

static lrs_status check_mat(const lrs_mat *A) {
  if (!A || !A->la || !A->la->ops)
    return LRS_RAISE(LRS_ERR_INTERNAL, "matrix without a linalg backend");
  return LRS_OK;
}

/* Two matrices can meet in one call when they live on the same distributed
 * backend, or both on local ones. */
static lrs_status check_pair(const lrs_mat *A, const lrs_mat *B) {
  LRS_TRY(check_mat(A));
  LRS_TRY(check_mat(B));
  if (A->la != B->la &&
      (A->la->kind != LRS__LINALG_LOCAL || B->la->kind != LRS__LINALG_LOCAL))
    return LRS_RAISE(LRS_ERR_INTERNAL, "matrices of different linalg backends in one call");
  return LRS_OK;
}

static lrs_status same_shape(const lrs_mat *A, const lrs_mat *B, const char *op) {
  LRS_TRY(check_pair(A, B));
  if (A->rows != B->rows || A->cols != B->cols)
    return LRS_RAISE(LRS_ERR_RANGE, "%s: shapes %zux%zu and %zux%zu differ", op, A->rows,
                     A->cols, B->rows, B->cols);
  return LRS_OK;
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* ------------------------------------------------------------- backend */

void lrs_linalg_destroy(lrs_linalg **la) {
  if (!la || !*la)
    return;
  if ((*la)->refs > 0) { /* another holder (a communicator's cache) keeps it */
    (*la)->refs--;
    *la = NULL;
    return;
  }
  if ((*la)->ops && (*la)->ops->destroy)
    (*la)->ops->destroy(*la);
  free((*la)->scratch);
  free(*la);
  *la = NULL;
}

int lrs_linalg_size(const lrs_linalg *la) {
  return la->kind == LRS__LINALG_DIST ? la->dist.size : 1;
}

void lrs_linalg_grid(const lrs_linalg *la, int *nprow, int *npcol, size_t *block) {
  const bool dist = la->kind == LRS__LINALG_DIST;
  *nprow = dist ? la->dist.nprow : 1;
  *npcol = dist ? la->dist.npcol : 1;
  *block = dist ? (size_t)la->dist.nb : 0;
}

lrs_status lrs_linalg_reserve(lrs_linalg *la, size_t max_rows, size_t max_cols) {
  return la->ops->reserve(la, max_rows, max_cols);
}

lrs_status lrs_linalg_sum(const lrs_linalg *la, double *vals, size_t count) {
  return la->ops->sum(la, vals, count);
}

lrs_status lrs_linalg_max(const lrs_linalg *la, double *vals, size_t count) {
  return la->ops->max(la, vals, count);
}

lrs_status lrs_linalg_bcast(const lrs_linalg *la, double *vals, size_t count) {
  return la->ops->bcast(la, vals, count);
}

lrs_status lrs_linalg_agree(const lrs_linalg *la, lrs_status st) {
  return la->ops->agree(la, st);
}

/* ------------------------------------------------------------- matrices */

lrs_status lrs_mat_create(lrs_linalg *la, size_t rows, size_t cols, lrs_mat **A) {
  *A = NULL;
  if (rows == 0 || cols == 0)
    return LRS_RAISE(LRS_ERR_RANGE, "matrix of size %zux%zu: both sizes must be ≥ 1", rows,
                     cols);
  if (rows > (size_t)INT_MAX || cols > (size_t)INT_MAX || rows > SIZE_MAX / sizeof(double) / cols)
    return LRS_RAISE(LRS_ERR_RANGE, "matrix of size %zux%zu is too large", rows, cols);
  lrs_status st = LRS_OK;
  lrs_mat *M = calloc(1, sizeof *M);
  if (!M)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a %zux%zu matrix", rows, cols);
  if (st == LRS_OK) {
    M->la = la;
    M->rows = rows;
    M->cols = cols;
    M->owner = true;
    st = la->ops->mat_init(M);
  }
  st = la->ops->agree(la, st); /* collective: every rank keeps or drops it */
  if (st != LRS_OK) {
    if (M && M->owner)
      free(M->data);
    free(M);
    return st;
  }
  la->n_mats++;
  *A = M;
  return LRS_OK;
}

lrs_status lrs_mat_view(lrs_mat *parent, size_t r0, size_t c0, size_t rows, size_t cols,
                        lrs_mat **V) {
  *V = NULL;
  LRS_TRY(check_mat(parent));
  if (rows == 0 || cols == 0 || r0 > parent->rows || rows > parent->rows - r0 ||
      c0 > parent->cols || cols > parent->cols - c0)
    return LRS_RAISE(LRS_ERR_RANGE, "view [%zu+%zu, %zu+%zu] outside a %zux%zu matrix", r0,
                     rows, c0, cols, parent->rows, parent->cols);
  lrs_linalg *la = parent->la;
  lrs_mat *M = calloc(1, sizeof *M);
  lrs_status st = la->ops->agree(la, LRS_CHECK_ALLOC(M));
  if (st != LRS_OK) {
    free(M);
    return st;
  }
  M->la = la;
  M->rows = rows;
  M->cols = cols;
  M->owner = false;
  la->ops->view_init(parent, r0, c0, M);
  la->n_mats++;
  *V = M;
  return LRS_OK;
}

void lrs_mat_destroy(lrs_mat **A) {
  if (!A || !*A)
    return;
  if ((*A)->owner)
    free((*A)->data);
  if ((*A)->la)
    (*A)->la->n_mats--;
  free(*A);
  *A = NULL;
}

size_t lrs_mat_rows(const lrs_mat *A) { return A->rows; }
size_t lrs_mat_cols(const lrs_mat *A) { return A->cols; }
lrs_linalg *lrs_mat_linalg(const lrs_mat *A) { return A->la; }

lrs_mat_block lrs_mat_local(const lrs_mat *A) {
  return (lrs_mat_block){.data = A->data, .rows = A->lrows, .cols = A->lcols, .ld = A->ld};
}

void lrs_mat_local_to_global(const lrs_mat *A, size_t i, size_t j, size_t *gi, size_t *gj) {
  A->la->ops->local_to_global(A, i, j, gi, gj);
}

bool lrs_mat_local_contiguous(const lrs_mat *A) {
  return A->ld == A->lrows || A->lcols <= 1 || A->lrows == 0;
}

lrs_status lrs_mat_set_global(lrs_mat *A, const double *full) {
  LRS_TRY(check_mat(A));
  return A->la->ops->set_global(A, full);
}

lrs_status lrs_mat_get_global(const lrs_mat *A, double *full) {
  LRS_TRY(check_mat(A));
  return A->la->ops->get_global(A, full);
}

lrs_status lrs_mat_fill(lrs_mat *A, double value) {
  LRS_TRY(check_mat(A));
  for (size_t j = 0; j < A->lcols; j++)
    for (size_t i = 0; i < A->lrows; i++)
      A->data[i + j * A->ld] = value;
  return LRS_OK;
}

lrs_status lrs_mat_set_identity(lrs_mat *A) {
  LRS_TRY(lrs_mat_fill(A, 0.0));
  for (size_t j = 0; j < A->lcols; j++)
    for (size_t i = 0; i < A->lrows; i++) {
      size_t gi, gj;
      A->la->ops->local_to_global(A, i, j, &gi, &gj);
      if (gi == gj)
        A->data[i + j * A->ld] = 1.0;
    }
  return LRS_OK;
}

/* ------------------------------------------------------------- algebra */

lrs_status lrs_mat_gemm(lrs_trans ta, lrs_trans tb, double alpha, const lrs_mat *A,
                        const lrs_mat *B, double beta, lrs_mat *C) {
  LRS_TRY(check_pair(A, B));
  LRS_TRY(check_pair(A, C));
  const size_t ar = ta ? A->cols : A->rows, ac = ta ? A->rows : A->cols;
  const size_t br = tb ? B->cols : B->rows, bc = tb ? B->rows : B->cols;
  if (ac != br || C->rows != ar || C->cols != bc)
    return LRS_RAISE(LRS_ERR_RANGE, "gemm: op(A) %zux%zu · op(B) %zux%zu into C %zux%zu", ar,
                     ac, br, bc, C->rows, C->cols);
  return A->la->ops->gemm(ta, tb, alpha, A, B, beta, C);
}

lrs_status lrs_mat_axpy(double alpha, const lrs_mat *X, lrs_mat *Y) {
  LRS_TRY(same_shape(X, Y, "axpy"));
  return X->la->ops->axpy(alpha, X, Y);
}

lrs_status lrs_mat_scal(double alpha, lrs_mat *X) {
  LRS_TRY(check_mat(X));
  int r = 0;
  LRS_TRY(lrs_to_int(X->lrows, &r, "scal rows"));
  for (size_t j = 0; j < X->lcols; j++)
    cblas_dscal(r, alpha, X->data + j * X->ld, 1);
  return LRS_OK;
}

lrs_status lrs_mat_copy(const lrs_mat *src, lrs_mat *dst) {
  LRS_TRY(same_shape(src, dst, "copy"));
  return src->la->ops->copy(src, dst);
}

lrs_status lrs_mat_transpose(const lrs_mat *A, lrs_mat *T) {
  LRS_TRY(check_pair(A, T));
  if (A->rows != T->cols || A->cols != T->rows)
    return LRS_RAISE(LRS_ERR_RANGE, "transpose: shapes %zux%zu and %zux%zu do not match",
                     A->rows, A->cols, T->rows, T->cols);
  return A->la->ops->transpose(A, T);
}

lrs_status lrs_mat_dot(const lrs_mat *A, const lrs_mat *B, double *out) {
  LRS_TRY(same_shape(A, B, "dot"));
  return A->la->ops->dot(A, B, out);
}

lrs_status lrs_mat_norm_fro(const lrs_mat *A, double *out) {
  LRS_TRY(check_mat(A));
  return A->la->ops->norm_fro(A, out);
}

lrs_status lrs_mat_gram(const lrs_mat *A, lrs_mat *C) {
  LRS_TRY(check_pair(A, C));
  if (C->rows != A->rows || C->cols != A->rows)
    return LRS_RAISE(LRS_ERR_RANGE, "gram: A %zux%zu needs C %zux%zu, got %zux%zu", A->rows,
                     A->cols, A->rows, A->rows, C->rows, C->cols);
  return A->la->ops->gram(A, C);
}

lrs_status lrs_mat_coupled_step(lrs_mat *B, lrs_mat *B1, lrs_mat *B2, const lrs_mat *G,
                                double alpha, lrs_mat *T, lrs_mat *C) {
  LRS_TRY(check_pair(B, C));
  LRS_TRY(check_pair(B, T));
  LRS_TRY(check_pair(B1, B2));
  LRS_TRY(check_mat(G));
  const size_t n = G->rows, m = G->cols, w = B->cols;
  if (B->rows != n + m || B1->rows != n || B2->rows != m || B1->cols != w || B2->cols != w ||
      T->rows != n || T->cols != w || C->rows != n + m || C->cols != n + m)
    return LRS_RAISE(LRS_ERR_RANGE,
                     "coupled step: G %zux%zu needs B %zux%zu = [B1; B2] with B1 %zux%zu, "
                     "B2 %zux%zu, T %zux%zu and C %zux%zu, got B %zux%zu, B1 %zux%zu, "
                     "B2 %zux%zu, T %zux%zu, C %zux%zu",
                     n, m, n + m, w, n, w, m, w, n, w, n + m, n + m, B->rows, w, B1->rows,
                     B1->cols, B2->rows, B2->cols, T->rows, T->cols, C->rows, C->cols);
  if (B->la->ops->coupled_step)
    return B->la->ops->coupled_step(B, G, alpha, T, C);
  LRS_TRY(lrs_mat_copy(B1, T));
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, alpha, G, B2, 1.0, B1));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, alpha, G, T, 1.0, B2));
  return lrs_mat_gram(B, C);
}

/* ------------------------------------------------------------- factorizations */

lrs_status lrs_mat_sym_eigvals(const lrs_mat *A, double *w) {
  LRS_TRY(check_mat(A));
  if (A->rows != A->cols)
    return LRS_RAISE(LRS_ERR_RANGE, "sym_eigvals: %zux%zu is not square", A->rows, A->cols);
  return A->la->ops->sym_eigvals(A, w, false, NULL);
}

lrs_status lrs_mat_sym_eig_extremes(const lrs_mat *A, double *w) {
  return lrs_mat_sym_eig_extremes_near(A, NULL, w);
}

lrs_status lrs_mat_sym_eig_extremes_near(const lrs_mat *A, const double *near, double *w) {
  LRS_TRY(check_mat(A));
  if (A->rows != A->cols)
    return LRS_RAISE(LRS_ERR_RANGE, "sym_eig_extremes: %zux%zu is not square", A->rows,
                     A->cols);
  return A->la->ops->sym_eigvals(A, w, true, near);
}

lrs_status lrs_mat_singular_values(const lrs_mat *A, double *s) {
  LRS_TRY(check_mat(A));
  return A->la->ops->singular_values(A, s);
}

lrs_status lrs_mat_svd(const lrs_mat *A, double *s, lrs_mat *U, lrs_mat *Vt) {
  LRS_TRY(check_pair(A, U));
  LRS_TRY(check_pair(A, Vt));
  const size_t r = A->rows, c = A->cols, k = min_sz(r, c);
  if (U->rows != r || U->cols != k || Vt->rows != k || Vt->cols != c)
    return LRS_RAISE(LRS_ERR_RANGE,
                     "svd: A %zux%zu needs U %zux%zu and Vt %zux%zu, got %zux%zu, %zux%zu", r,
                     c, r, k, k, c, U->rows, U->cols, Vt->rows, Vt->cols);
  return A->la->ops->svd(A, s, U, Vt);
}

lrs_status lrs_mat_chol_solve(const lrs_mat *A, lrs_mat *B) {
  LRS_TRY(check_pair(A, B));
  const size_t n = A->rows;
  if (A->cols != n || B->rows != n)
    return LRS_RAISE(LRS_ERR_RANGE, "chol_solve: A %zux%zu, B %zux%zu", A->rows, A->cols,
                     B->rows, B->cols);
  return A->la->ops->chol_solve(A, B);
}

lrs_status lrs_mat_orthonormalize(lrs_mat *A) {
  LRS_TRY(check_mat(A));
  if (A->rows < A->cols)
    return LRS_RAISE(LRS_ERR_RANGE, "orthonormalize: %zux%zu has fewer rows than columns",
                     A->rows, A->cols);
  return A->la->ops->orthonormalize(A);
}
