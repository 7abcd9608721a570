/*
 * lrsweep/linalg.h — the narrow matrix interface the numerics is written in.
 *
 * WHAT.  Dense real matrices (`lrs_mat`, opaque) owned by a backend context
 * (`lrs_linalg`).  The numerics (problem, loss, model, theory, solver) only
 * ever touches matrices through the calls below, so a second backend can hold
 * them distributed without the numerics changing:
 *
 *   - `local`: one process, column-major storage, CBLAS (OpenBLAS) and
 *     LAPACKE (the `_work` variants, with a scratch buffer owned by the
 *     context, so steady-state loops do not allocate).  Implemented here.
 *   - `dist`: 2-D block-cyclic matrices on a group communicator, PBLAS and
 *     ScaLAPACK (lrs_linalg_create_dist below).  Views map onto ScaLAPACK's
 *     (IA, JA) sub-matrix offsets.  Which routine serves each call:
 *       gemm           pdgemm
 *       gram           pdsyrk, then the upper triangle by pdtran
 *       axpy, copy     local loops when both operands have the same
 *                      distribution (same offsets modulo the grid period),
 *                      else pdgeadd
 *       dot, norm_fro  local kernel + one reduction (below)
 *       sym_eigvals    small (n² ≤ gather_max): gathered to rank 0, LAPACK
 *                      dsyev there, eigenvalues broadcast; else pdsyev
 *       singular_values  likewise: dgesvd on rank 0, or pdgesvd
 *       svd            likewise (U, Vt scattered back), or pdgesvd
 *       chol_solve     small: gathered, dpotrf + dpotrs on rank 0, X
 *                      broadcast; else pdpotrf + pdpotrs
 *       orthonormalize small: gathered, dgeqrf + dorgqr on rank 0; else
 *                      pdgeqrf + pdorgqr (sign fix of diag(R) reduced)
 *     Factorizations work on copies in the backend's scratch (aligned at
 *     (1, 1) for ScaLAPACK), so views of any offset are accepted and inputs
 *     are left alone.  Small means at most gather_max entries.
 *
 * CONVENTIONS.
 *   - Indices and sizes are size_t, 0-based.  Narrowing to the BLAS/LAPACK
 *     `int` is checked: a dimension above INT_MAX gives LRS_ERR_RANGE.
 *   - "Small" results (eigenvalues, singular values, reductions) are returned
 *     in plain double arrays, identical on every rank of the backend.
 *   - Element access only through the LOCAL BLOCK (lrs_mat_local): the part
 *     of the matrix this rank stores, column-major with leading dimension
 *     `ld`, plus lrs_mat_local_to_global for the indices of a local entry.
 *     Element-wise kernels loop over the local block and reduce with
 *     lrs_linalg_sum (SUNDIALS' local kernel + one reduction).
 *   - Whole-matrix input/output for generation and tests goes through
 *     lrs_mat_set_global / lrs_mat_get_global with a full column-major array
 *     present on every rank.
 *   - COLLECTIVENESS: every call taking an lrs_linalg or lrs_mat is
 *     collective over the backend's communicator (for `local`: trivially),
 *     EXCEPT lrs_mat_rows/cols/local/local_to_global/linalg, which are local.
 *   - Statuses: LRS_ERR_NOMEM (allocation), LRS_ERR_RANGE (dimension too large
 *     for BLAS int, or operands of mismatched shapes: the message names the
 *     shapes), LRS_ERR_LINALG (a LAPACK/ScaLAPACK `info != 0`, with routine and
 *     info in the message), LRS_ERR_MPI (dist: a failed MPI call).  A matrix
 *     argument of the wrong backend is LRS_ERR_INTERNAL.
 *   - COLLECTIVE FAILURES (dist).  Every status a collective call returns is
 *     the same on all ranks of the backend: a failure seen by one rank (an
 *     allocation, a ScaLAPACK info) is reduced over the ranks before the next
 *     collective call, and the other ranks return the same status with a
 *     message naming the failing rank.  Shape errors are detected from global
 *     sizes, identically everywhere, before any communication.
 *   - REPLICATED SCALARS (dist).  Reductions (lrs_linalg_sum/max, dot,
 *     norm_fro) gather the per-rank values and combine them in rank order on
 *     every rank, and factorization outputs returned in plain arrays come
 *     from rank 0 by broadcast: every rank holds the very same bits, so
 *     decisions taken on them (step sizes, accept/reject, stopping) agree.
 *   - Aliasing: output matrices must not overlap inputs unless stated.
 */
#ifndef LRSWEEP_LINALG_H
#define LRSWEEP_LINALG_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>

#include "lrsweep/status.h"

typedef struct lrs_linalg lrs_linalg;
typedef struct lrs_mat lrs_mat;

typedef enum { LRS_NOTRANS = 0, LRS_TRANS = 1 } lrs_trans;

/* The part of a matrix stored on this rank: column-major, element (i, j) of the
 * block at data[i + j*ld].  For `local` the block is the whole matrix. */
typedef struct lrs_mat_block {
  double *data;
  size_t rows, cols, ld;
} lrs_mat_block;

/* ------------------------------------------------------------------ backend */

/* Creates the single-process backend.  *la is NULL on failure.
 * Statuses: LRS_ERR_NOMEM. */
lrs_status lrs_linalg_create_local(lrs_linalg **la);

/* The BLAS this process computes with, e.g. "OpenBLAS 0.3.21 Haswell": the
 * library, its version and the kernels it chose for this CPU.  Results are
 * bit-for-bit reproducible only under the same kernels: OpenBLAS picks them
 * at load time from the CPU (or from OPENBLAS_CORETYPE), and different ones
 * (AVX2 vs AVX-512, ...) round differently.  Recorded in a store's /runs and
 * named by `lrsweep --version` and `rerun`.  A static string, shorter than
 * LRS_LINALG_BLAS_MAX bytes. */
enum { LRS_LINALG_BLAS_MAX = 96 };
const char *lrs_linalg_blas(void);

/* Options of the distributed backend (lrs_linalg_dist_defaults fills them). */
typedef struct lrs_linalg_dist_opts {
  /* Square block size MB = NB of the block-cyclic distribution.  Default
   * LRS_DIST_BLOCK_DEFAULT (64), or the environment variable LRS_DIST_BLOCK. */
  size_t block;
  /* Factorizations whose matrix has at most this many entries are gathered
   * to rank 0 and done there with LAPACK (results broadcast); larger ones
   * run in ScaLAPACK.  Default LRS_DIST_GATHER_DEFAULT, or the environment
   * variable LRS_DIST_GATHER_MAX (0: always ScaLAPACK).  See
   * tests/bench/bench_dist.c for the measurement behind the default. */
  size_t gather_max;
} lrs_linalg_dist_opts;

#define LRS_DIST_BLOCK_DEFAULT 64
#define LRS_DIST_GATHER_DEFAULT 262144 /* 512×512 */

/* The defaults above, with the environment overrides applied (a variable that
 * is not a plain non-negative integer is ignored; block 0 means default). */
lrs_linalg_dist_opts lrs_linalg_dist_defaults(void);

/*
 * Creates the distributed backend on the G ranks of `comm` (collective).
 *   - comm is duplicated (MPI_ERRORS_RETURN on the duplicate); every message
 *     of the backend travels on the duplicate or on BLACS's own
 *     communicators derived from it.
 *   - Process grid: nprow × npcol with nprow the largest divisor of G not
 *     above √G and npcol = G/nprow (1×1, 1×2, 1×3, 2×2, 2×3, 2×4, 3×3, ...):
 *     near-square, with the longer side along the columns because the big
 *     matrices of lrsweep are wide ((n+m)×h).  Rank r of comm is process
 *     (r / npcol, r mod npcol) (row-major).
 *   - One BLACS grid per backend: Csys2blacs_handle(duplicate) and
 *     Cblacs_gridinit once here, Cblacs_gridexit and
 *     Cfree_blacs_system_handle once in lrs_linalg_destroy; every matrix
 *     shares it.
 *   - Matrices are block-cyclic with square blocks of opts->block, first
 *     block on process (0, 0); a rank may hold an empty block (more ranks
 *     than blocks in a dimension).  The local block is contiguous for
 *     non-view matrices (ld = max(1, local rows)).
 * opts may be NULL (lrs_linalg_dist_defaults()).  MPI must be initialized.
 * *la is NULL on failure.  Statuses: LRS_ERR_USAGE (MPI not initialized),
 * LRS_ERR_RANGE (block 0 or above INT_MAX), LRS_ERR_NOMEM, LRS_ERR_MPI,
 * LRS_ERR_INTERNAL (BLACS placed a rank unexpectedly).
 */
lrs_status lrs_linalg_create_dist(MPI_Comm comm, const lrs_linalg_dist_opts *opts,
                                  lrs_linalg **la);

/*
 * The dist backend of `comm`, made once per communicator and reused (PETSc's
 * attribute caching, STYLE.md habit 9): the first call on comm creates it
 * with lrs_linalg_dist_defaults() (read then: later changes of
 * LRS_DIST_BLOCK / LRS_DIST_GATHER_MAX do not reach it) and caches it as an
 * attribute of comm; later calls return the same backend, BLACS grid and
 * scratch (grown, never shrunk, so points of any size can follow each
 * other).  Each call takes a reference that the caller drops with
 * lrs_linalg_destroy; the cache's own reference is dropped when comm is
 * freed (MPI_Comm_free, collective there) or, for communicators never freed
 * (MPI_COMM_WORLD), at MPI_Finalize (through an attribute of
 * MPI_COMM_SELF, whose callbacks run first, while MPI still works).
 * Collective on comm.  MPI must be initialized.  Statuses: those of
 * lrs_linalg_create_dist, LRS_ERR_MPI (attribute calls).
 */
lrs_status lrs_linalg_dist_cached(MPI_Comm comm, lrs_linalg **la);

/* Backends held by communicator caches in this process (for tests: a freed
 * communicator releases its backend). */
size_t lrs_linalg_dist_cached_count(void);

/* Drops the caller's reference to the backend and sets *la to NULL; frees it
 * (and its scratch) with the last reference.  NULL-safe.  All matrices of
 * the backend must have been destroyed first. */
void lrs_linalg_destroy(lrs_linalg **la);

/* Number of ranks of the backend (1 for `local`). */
int lrs_linalg_size(const lrs_linalg *la);

/* The process grid and block size (local: 1, 1, 0).  Local, never fails. */
void lrs_linalg_grid(const lrs_linalg *la, int *nprow, int *npcol, size_t *block);

/*
 * Makes sure the context's scratch suffices, so the calls below do not
 * allocate afterwards: lrs_mat_sym_eigvals and lrs_mat_chol_solve on square
 * matrices up to min(max_rows, max_cols); lrs_mat_singular_values on
 * max_rows × max_cols; lrs_mat_orthonormalize on max × min (tall)
 * matrices.  (Without it those
 * calls grow the scratch on first use.)  dist: also lrs_mat_gram of squares
 * up to min, and the sizes are bounds valid on every rank (the scratch
 * grows alike everywhere; ScaLAPACK workspace sizes are queried once per
 * routine and shape and maximized over the ranks).  Collective.
 * Statuses: LRS_ERR_NOMEM, LRS_ERR_LINALG (dist: a workspace query).
 */
lrs_status lrs_linalg_reserve(lrs_linalg *la, size_t max_rows, size_t max_cols);

/* In-place sum of vals[0..count) over the backend's ranks (a no-op for
 * `local`).  dist: the values of all ranks are gathered and added in rank
 * order on every rank (identical bits everywhere, independent of MPI's
 * reduction algorithm); counts above 64 go in chunks of 64.  Never
 * allocates.  Statuses: LRS_ERR_MPI. */
lrs_status lrs_linalg_sum(const lrs_linalg *la, double *vals, size_t count);

/* In-place maximum of vals[0..count) over the ranks, NaN if any rank has NaN
 * (same gathering as lrs_linalg_sum).  Never allocates.  Statuses:
 * LRS_ERR_MPI. */
lrs_status lrs_linalg_max(const lrs_linalg *la, double *vals, size_t count);

/* vals[0..count) ← rank 0's values on every rank (a no-op for `local`).
 * Never allocates.  Statuses: LRS_ERR_MPI, LRS_ERR_RANGE (count > INT_MAX). */
lrs_status lrs_linalg_bcast(const lrs_linalg *la, double *vals, size_t count);

/*
 * Makes a rank-local status collective: returns `st` where it is not LRS_OK,
 * and on the other ranks the status of a failing rank (message: which rank
 * failed), LRS_OK only when every rank passed LRS_OK.  Call it after local
 * work that can fail (allocations) and before the next collective call, so
 * that no rank waits forever in a collective the failed rank never enters.
 * Identity for `local`.  Collective.
 */
lrs_status lrs_linalg_agree(const lrs_linalg *la, lrs_status st);

/* ------------------------------------------------------------------ matrices */

/* A new rows×cols matrix of zeros.  rows, cols ≥ 1.  *A is NULL on failure.
 * Statuses: LRS_ERR_NOMEM, LRS_ERR_RANGE. */
lrs_status lrs_mat_create(lrs_linalg *la, size_t rows, size_t cols, lrs_mat **A);

/*
 * A view of the sub-matrix parent[r0 : r0+rows, c0 : c0+cols]: shares the
 * parent's storage (writes through the view change the parent); the parent
 * must outlive it.  Views of views are allowed.  Destroy with lrs_mat_destroy.
 * Statuses: LRS_ERR_NOMEM, LRS_ERR_RANGE (out of the parent's bounds).
 */
lrs_status lrs_mat_view(lrs_mat *parent, size_t r0, size_t c0, size_t rows,
                        size_t cols, lrs_mat **V);

/* Frees a matrix or view and sets *A to NULL.  NULL-safe. */
void lrs_mat_destroy(lrs_mat **A);

size_t lrs_mat_rows(const lrs_mat *A);
size_t lrs_mat_cols(const lrs_mat *A);
lrs_linalg *lrs_mat_linalg(const lrs_mat *A);

/* This rank's block of A (see lrs_mat_block).  Local, never fails. */
lrs_mat_block lrs_mat_local(const lrs_mat *A);

/* Global (row, column) of the local entry (i, j).  Local, never fails. */
void lrs_mat_local_to_global(const lrs_mat *A, size_t i, size_t j, size_t *gi,
                             size_t *gj);

/* True when A's local block is contiguous (ld == rows), i.e. its entries are
 * data[0 .. rows*cols).  Local. */
bool lrs_mat_local_contiguous(const lrs_mat *A);

/* A ← the column-major rows×cols array `full` (the same on every rank; each
 * rank keeps its part).  Statuses: none beyond LRS_OK. */
lrs_status lrs_mat_set_global(lrs_mat *A, const double *full);

/* full ← all of A, column-major, on every rank.  dist: an MPI_Allgatherv
 * through the backend's scratch (grown on first use).  Statuses:
 * LRS_ERR_MPI, LRS_ERR_NOMEM (dist), LRS_ERR_RANGE (dist: more than INT_MAX
 * entries). */
lrs_status lrs_mat_get_global(const lrs_mat *A, double *full);

/* Every entry of A set to `value`. */
lrs_status lrs_mat_fill(lrs_mat *A, double value);

/* A ← I (A square, or rectangular: ones on the main diagonal). */
lrs_status lrs_mat_set_identity(lrs_mat *A);

/* ------------------------------------------------------- level-1/3 algebra */

/* C ← α·op(A)·op(B) + β·C, op(X) = X or Xᵀ.  C must not alias A or B.
 * Statuses: LRS_ERR_RANGE (shapes). */
lrs_status lrs_mat_gemm(lrs_trans ta, lrs_trans tb, double alpha, const lrs_mat *A,
                        const lrs_mat *B, double beta, lrs_mat *C);

/* Y ← α·X + Y (same shapes).  Statuses: LRS_ERR_RANGE. */
lrs_status lrs_mat_axpy(double alpha, const lrs_mat *X, lrs_mat *Y);

/* X ← α·X. */
lrs_status lrs_mat_scal(double alpha, lrs_mat *X);

/* dst ← src (same shapes).  Statuses: LRS_ERR_RANGE. */
lrs_status lrs_mat_copy(const lrs_mat *src, lrs_mat *dst);

/* T ← Aᵀ (A r×c, T c×r): the same bits as the entries of A.  Statuses:
 * LRS_ERR_RANGE (shapes). */
lrs_status lrs_mat_transpose(const lrs_mat *A, lrs_mat *T);

/* *out ← Σ_ij A_ij B_ij (same shapes).  Statuses: LRS_ERR_RANGE, LRS_ERR_MPI. */
lrs_status lrs_mat_dot(const lrs_mat *A, const lrs_mat *B, double *out);

/* *out ← ‖A‖_F, computed with scaling (no overflow for finite entries). */
lrs_status lrs_mat_norm_fro(const lrs_mat *A, double *out);

/* C ← A·Aᵀ (A r×c, C r×r; both triangles filled).  Statuses: LRS_ERR_RANGE. */
lrs_status lrs_mat_gram(const lrs_mat *A, lrs_mat *C);

/*
 * The gradient step of a two-factor model, then the next Gram, in one pass
 * over B: with B = [B1; B2] (B1 its first n rows, B2 the other m, both views
 * of B) and G n×m,
 *     B1 ← B1 + α·G·B2,   B2 ← B2 + α·Gᵀ·B1   (both from the old B),
 *     C  ← B·Bᵀ of the new B (k×k, k = n + m; both triangles),
 * T (n × B's columns, e.g. a view of a gradient matrix) holds the old B1.
 * local: column blocks of B small enough to stay in cache from the update to
 * the Gram, where separate calls would read B three times from memory; dist:
 * those separate calls.  Statuses: LRS_ERR_RANGE.
 */
lrs_status lrs_mat_coupled_step(lrs_mat *B, lrs_mat *B1, lrs_mat *B2, const lrs_mat *G,
                                double alpha, lrs_mat *T, lrs_mat *C);

/* ---------------------------------------------- small dense factorizations */

/* w[0..n) ← the eigenvalues of the symmetric n×n matrix A, ascending (only
 * A's lower triangle is read; A is not modified).  Statuses: LRS_ERR_RANGE
 * (not square), LRS_ERR_LINALG (no convergence), LRS_ERR_NOMEM. */
lrs_status lrs_mat_sym_eigvals(const lrs_mat *A, double *w);

/* w[0] ← the smallest and w[n−1] ← the largest eigenvalue of the symmetric
 * n×n matrix A, as lrs_mat_sym_eigvals gives them up to round-off (absolute
 * error a few ε·max|A_ij|); w[1..n−1) is scratch, left unspecified.  For
 * n ≤ 32 (and finite entries) the tridiagonal of lrs_mat_sym_eigvals's
 * reduction is not solved in full: both ends come from one bisection on
 * Sturm counts (about 55 O(n) steps).  Larger n: lrs_mat_sym_eigvals.
 * Statuses: as lrs_mat_sym_eigvals. */
lrs_status lrs_mat_sym_eig_extremes(const lrs_mat *A, double *w);

/* The same, from guesses near[0] ≈ λ_min and near[1] ≈ λ_max (e.g. a
 * previous iterate's ends): when the guesses, widened by 1e-6 of the
 * spectrum's scale, lie outside the spectrum (one Sturm-count pass), the
 * bisection that brackets the ends is skipped and Newton starts there.  Any
 * guesses (NaN included) are safe: wrong ones cost that one pass.  The same
 * roots to the same tolerance, not always the same bits as without guesses.
 * near NULL: lrs_mat_sym_eig_extremes.  (The dist backend's ScaLAPACK path
 * for large matrices does not use guesses.)  Statuses: as that. */
lrs_status lrs_mat_sym_eig_extremes_near(const lrs_mat *A, const double *near, double *w);

/* s[0..min(r,c)) ← the singular values of A, descending.  A unchanged.
 * Statuses: LRS_ERR_LINALG, LRS_ERR_NOMEM. */
lrs_status lrs_mat_singular_values(const lrs_mat *A, double *s);

/*
 * Thin SVD A = U·diag(s)·Vt of an r×c matrix, k = min(r, c): U is r×k,
 * s[0..k) descending, Vt is k×c.  A unchanged.  Statuses: LRS_ERR_RANGE
 * (shapes), LRS_ERR_LINALG, LRS_ERR_NOMEM.  (Allocates: setup use only.)
 */
lrs_status lrs_mat_svd(const lrs_mat *A, double *s, lrs_mat *U, lrs_mat *Vt);

/* B ← A⁻¹·B for a symmetric positive definite n×n A (lower triangle read; A
 * unchanged).  Statuses: LRS_ERR_RANGE, LRS_ERR_LINALG (not positive
 * definite: info names the failing minor), LRS_ERR_NOMEM. */
lrs_status lrs_mat_chol_solve(const lrs_mat *A, lrs_mat *B);

/* A (r×c, r ≥ c) ← Q of A = Q·R with R's diagonal made non-negative (so a
 * Gaussian A gives a Haar-distributed Q).  Statuses: LRS_ERR_RANGE,
 * LRS_ERR_LINALG, LRS_ERR_NOMEM. */
lrs_status lrs_mat_orthonormalize(lrs_mat *A);

#endif
