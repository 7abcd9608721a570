/* Private layout of the linalg backend types (lrsweep/linalg.h).  Only the
 * files of src/linalg include this.
 *
 * linalg.c holds the public entry points: argument and shape checks common
 * to both backends, the operations that only touch local blocks (fill,
 * identity, scal), and the dispatch through lrs_linalg.ops to a backend:
 * linalg_local.c (CBLAS/LAPACKE) or linalg_dist.c + linalg_dist_factor.c
 * (PBLAS/ScaLAPACK on a BLACS grid).  Backends may assume the checks of
 * linalg.c passed. */
#ifndef LRSWEEP_LINALG_IMPL_H
#define LRSWEEP_LINALG_IMPL_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/linalg.h"

typedef enum { LRS__LINALG_LOCAL = 1, LRS__LINALG_DIST = 2 } lrs__linalg_kind;

/* The operations a backend implements (shapes already checked). */
typedef struct lrs__linalg_ops {
  void (*destroy)(lrs_linalg *la); /* backend-specific state only */
  lrs_status (*reserve)(lrs_linalg *la, size_t max_rows, size_t max_cols);
  lrs_status (*sum)(const lrs_linalg *la, double *vals, size_t count);
  lrs_status (*max)(const lrs_linalg *la, double *vals, size_t count);
  lrs_status (*bcast)(const lrs_linalg *la, double *vals, size_t count);
  lrs_status (*agree)(const lrs_linalg *la, lrs_status st);
  /* Storage of a new matrix whose la, rows, cols are set. */
  lrs_status (*mat_init)(lrs_mat *M);
  /* Placement of a view of `parent` at (r0, c0) whose la, rows, cols are set. */
  void (*view_init)(const lrs_mat *parent, size_t r0, size_t c0, lrs_mat *V);
  void (*local_to_global)(const lrs_mat *A, size_t i, size_t j, size_t *gi, size_t *gj);
  lrs_status (*set_global)(lrs_mat *A, const double *full);
  lrs_status (*get_global)(const lrs_mat *A, double *full);
  lrs_status (*gemm)(lrs_trans ta, lrs_trans tb, double alpha, const lrs_mat *A,
                     const lrs_mat *B, double beta, lrs_mat *C);
  lrs_status (*axpy)(double alpha, const lrs_mat *X, lrs_mat *Y);
  lrs_status (*copy)(const lrs_mat *src, lrs_mat *dst);
  lrs_status (*transpose)(const lrs_mat *A, lrs_mat *T);
  lrs_status (*dot)(const lrs_mat *A, const lrs_mat *B, double *out);
  lrs_status (*norm_fro)(const lrs_mat *A, double *out);
  lrs_status (*gram)(const lrs_mat *A, lrs_mat *C);
  /* Optional (NULL: lrs_mat_coupled_step runs copy, gemm, gemm, gram). */
  lrs_status (*coupled_step)(lrs_mat *B, const lrs_mat *G, double alpha, lrs_mat *T,
                             lrs_mat *C);
  lrs_status (*sym_eigvals)(const lrs_mat *A, double *w, bool ends, const double *near);
  lrs_status (*singular_values)(const lrs_mat *A, double *s);
  lrs_status (*svd)(const lrs_mat *A, double *s, lrs_mat *U, lrs_mat *Vt);
  lrs_status (*chol_solve)(const lrs_mat *A, lrs_mat *B);
  lrs_status (*orthonormalize)(lrs_mat *A);
} lrs__linalg_ops;

extern const lrs__linalg_ops lrs__linalg_local_ops;
extern const lrs__linalg_ops lrs__linalg_dist_ops;

/* Eigenvalues (ascending, into w) of the symmetric n×n column-major a (lower
 * triangle read, a overwritten), work of at least 3n + 1 doubles: LAPACK's
 * dsyev, except for n ≤ LRS__EIG_SMALL, where its unblocked reduction makes
 * one BLAS-2 call per entry of the loop and costs microseconds: there the
 * same Householder tridiagonalization is done in plain loops, then dsterf,
 * or, when `ends` (only w[0] and w[n−1] wanted, the entries between left
 * unspecified), bisection on Sturm counts of the tridiagonal for the two
 * extreme eigenvalues at once (for larger n `ends` takes dsytrd's
 * reduction, then the same bisection), started from the guesses near[0..2)
 * of the two ends when near is not NULL (lrs_mat_sym_eig_extremes_near).
 * Returns LAPACK's
 * info.  Used by the local backend and the dist backend's gathered path, so
 * both give the same bits. */
#define LRS__EIG_SMALL 32
int lrs__sym_eigvals_dense(int n, double *a, double *w, double *work, int lwork, bool ends,
                           const double *near);

/* The column-block pass of lrs_mat_coupled_step over one rank's columns of
 * B (linalg.h): b = [b1; b2] (n + m rows, w columns, leading dimension ldb),
 * g n×m (ldg), t n×w (ldt):
 *     t ← b1,   b1 ← b1 + α·g·b2,   b2 ← b2 + α·gᵀ·t,
 *     upper triangle of c (k×k, k = n + m, ldc) ← Σ_columns b·bᵀ of the new b
 * (0 when w = 0; the strictly lower part is not touched), by blocks of 256
 * columns, each kept in L2 from its update to its Gram.  The local backend
 * runs it on the whole of B; the dist backend on each rank's columns, then
 * sums the k×k parts over the group.  Local.  Statuses: LRS_ERR_RANGE (a
 * size above the BLAS int range). */
lrs_status lrs__coupled_pass(size_t n, size_t m, size_t w, double *b, size_t ldb,
                             const double *g, size_t ldg, double alpha, double *t, size_t ldt,
                             double *c, size_t ldc);

/* Cached ScaLAPACK workspace sizes (queried once per routine and shape, then
 * the maximum over the ranks, so every rank sizes its scratch alike). */
enum { LRS__DIST_WCACHE = 16 };
typedef struct lrs__wcache_entry {
  int op, m, n; /* routine tag and global shape */
  size_t lwork;
} lrs__wcache_entry;

/* State of the `dist` backend (kind LRS__LINALG_DIST). */
typedef struct lrs__dist {
  MPI_Comm comm;         /* our duplicate of the caller's, MPI_ERRORS_RETURN */
  int rank, size;        /* in comm (= BLACS system rank, row-major on the grid) */
  int nprow, npcol;      /* process grid */
  int myrow, mycol;
  int handle;            /* BLACS system handle of comm (-1: none) */
  int ctxt;              /* BLACS grid context (-1: none) */
  int nb;                /* square block size MB = NB */
  size_t gather_max;     /* entries: factorizations up to this size are gathered */
  int *counts, *displs;  /* size each: per-rank block sizes for (All)Gatherv */
  double *red;           /* size × LRS__DIST_RED_CHUNK: reduction buffer */
  lrs__wcache_entry wcache[LRS__DIST_WCACHE];
  size_t n_wcache;
} lrs__dist;

struct lrs_linalg {
  lrs__linalg_kind kind;
  const lrs__linalg_ops *ops;
  double *scratch;     /* work arrays and copies; grows, never shrinks */
  size_t scratch_len;  /* in doubles (dist: the same on every rank) */
  size_t n_mats;       /* live matrices and views, for destroy-order checks */
  size_t refs;         /* extra holders beyond the first (lrs_linalg_dist_cached) */
  lrs__dist dist;      /* dist only */
};

struct lrs_mat {
  lrs_linalg *la;
  double *data;           /* this rank's block: element (i,j) at data[i + j*ld] */
  size_t rows, cols;      /* global shape */
  size_t lrows, lcols;    /* shape of this rank's block (local: rows, cols) */
  size_t ld;
  bool owner;             /* false for views */
  /* dist: where the matrix lies inside its root (the matrix owning storage) */
  double *base;           /* the root's local array */
  size_t r0, c0;          /* global offset in the root (0 for roots) */
  size_t lr0, lc0;        /* offset of this block in the root's block */
  int desc[9];            /* the root's ScaLAPACK descriptor */
};

#endif
