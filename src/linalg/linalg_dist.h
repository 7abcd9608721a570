/* Internals shared by the two files of the `dist` backend: linalg_dist.c
 * (grid, matrices, communication, level-1/3) and linalg_dist_factor.c
 * (factorizations).  Everything here is collective over the backend's
 * communicator unless marked local. */
#ifndef LRSWEEP_LINALG_DIST_H
#define LRSWEEP_LINALG_DIST_H

#include <stdbool.h>
#include <stddef.h>

#include "linalg_impl.h"

/* Local: rows (cols) of the first n global rows (cols) held by process row
 * (column) p, for blocks of nb on np processes starting at process 0
 * (ScaLAPACK's NUMROC). */
size_t lrs__dist_numroc(size_t n, int nb, int p, int np);

/* Local: the most local rows (cols) any process holds of an n-row matrix
 * that starts on process 0 (process 0 holds the most). */
size_t lrs__dist_lmax_r(const lrs__dist *d, size_t n);
size_t lrs__dist_lmax_c(const lrs__dist *d, size_t n);

/* Local: the most local rows (cols) any process holds of ANY view of n
 * rows (cols), from global sizes only (a view spans at most ⌈n/nb⌉ + 1
 * blocks of a dimension). */
size_t lrs__dist_lbound(size_t n, int nb, int np);

/* Local: rows and columns of view A held by process (prow, pcol): offsets in
 * that process's root block, and counts. */
void lrs__dist_block_of(const lrs_mat *A, int prow, int pcol, size_t *lr0, size_t *lrows,
                        size_t *lc0, size_t *lcols);

/* Local: a matrix of la over caller-provided storage `buf` (at least
 * lmax_r(rows)·lmax_c(cols) doubles), not counted among la's matrices and not
 * freed by anyone: for scratch copies.  Statuses: LRS_ERR_RANGE,
 * LRS_ERR_LINALG (descinit). */
lrs_status lrs__dist_temp(lrs_linalg *la, size_t rows, size_t cols, double *buf, lrs_mat *T);

/* Local: V ← the view of `parent` at (r0, c0) of V->rows × V->cols (V's la,
 * rows, cols set by the caller). */
void lrs__dist_view_init(const lrs_mat *parent, size_t r0, size_t c0, lrs_mat *V);

/* Grows la's scratch to `len` doubles.  `len` must be computed from global
 * sizes only (identical on every rank); the growth is agreed.  Statuses:
 * LRS_ERR_NOMEM. */
lrs_status lrs__dist_scratch(lrs_linalg *la, size_t len);

/* Makes `st` collective (lrs_linalg_agree). */
lrs_status lrs__dist_agree(const lrs_linalg *la, lrs_status st);

/* A ScaLAPACK info made collective: LRS_ERR_LINALG naming the routine on
 * every rank when any rank got info ≠ 0. */
lrs_status lrs__dist_info(const lrs_linalg *la, int info, const char *routine);

/* buf[0..count) ← rank 0's values.  Statuses: LRS_ERR_MPI, LRS_ERR_RANGE. */
lrs_status lrs__dist_bcast(const lrs_linalg *la, double *buf, size_t count);

/* Element-wise maximum over the ranks, NaN-propagating, identical everywhere. */
lrs_status lrs__dist_max(const lrs_linalg *la, double *vals, size_t count);

/* Gathers A (rows×cols, any view) column-major into `full` on rank 0 only
 * (root_only) or on every rank.  Uses `work`: lrs__dist_gather_work(A)
 * doubles (not overlapping full).  Statuses: LRS_ERR_MPI, LRS_ERR_RANGE. */
lrs_status lrs__dist_gather(const lrs_mat *A, double *full, double *work, bool root_only);
size_t lrs__dist_gather_work(const lrs_mat *A);

/* dst ← src (same shape; any offsets).  Local copy when the two are
 * distributed alike, else pdgeadd. */
lrs_status lrs__dist_copy(const lrs_mat *src, lrs_mat *dst);

/* Sets the strictly upper (upper = true) or strictly lower part of A to 0.
 * Local. */
void lrs__dist_zero_triangle(lrs_mat *A, bool upper);

/* Workspace sizes: cached per (routine, m, n) after one query and a maximum
 * over the ranks.  `query` fills *lwork with this rank's optimal size. */
typedef lrs_status (*lrs__dist_query_fn)(lrs_linalg *la, int m, int n, size_t *lwork);
lrs_status lrs__dist_lwork(lrs_linalg *la, int op, int m, int n, lrs__dist_query_fn query,
                           size_t *lwork);

/* The factorizations (linalg_dist_factor.c) and their scratch needs. */
lrs_status lrs__dist_reserve(lrs_linalg *la, size_t max_rows, size_t max_cols);
lrs_status lrs__dist_sym_eigvals(const lrs_mat *A, double *w, bool ends, const double *near);
lrs_status lrs__dist_singular_values(const lrs_mat *A, double *s);
lrs_status lrs__dist_svd(const lrs_mat *A, double *s, lrs_mat *U, lrs_mat *Vt);
lrs_status lrs__dist_chol_solve(const lrs_mat *A, lrs_mat *B);
lrs_status lrs__dist_orthonormalize(lrs_mat *A);

#endif
