/* The `local` linalg backend: column-major dense matrices on CBLAS (OpenBLAS)
 * and LAPACKE's _work routines with a context-owned scratch buffer
 * (lrsweep/linalg.h).  Argument and shape checks happen in linalg.c. */
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linalg_impl.h"

/* Blocking factor assumed for LAPACK work sizes (dgeqrf/dorgqr use
 * lwork ≥ rows·nb for their blocked code; less still works, unblocked). */
enum { QR_NB = 64 };

/* ------------------------------------------------------------- helpers */

static lrs_status to_int(size_t v, const char *what, lapack_int *out) {
  if (v > (size_t)INT_MAX)
    return LRS_RAISE(LRS_ERR_RANGE, "%s = %zu exceeds the BLAS/LAPACK int range", what, v);
  *out = (lapack_int)v;
  return LRS_OK;
}

static lrs_status lapack_info(lapack_int info, const char *routine) {
  if (info != 0)
    return LRS_RAISE(LRS_ERR_LINALG, "LAPACK %s failed (info = %d)", routine, (int)info);
  return LRS_OK;
}

/* Grows the scratch to at least `len` doubles. */
static lrs_status scratch_need(lrs_linalg *la, size_t len) {
  if (len <= la->scratch_len)
    return LRS_OK;
  if (len > SIZE_MAX / sizeof(double))
    return LRS_RAISE(LRS_ERR_NOMEM, "linalg scratch of %zu doubles is too large", len);
  double *grown = realloc(la->scratch, len * sizeof *grown);
  if (!grown)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu doubles of linalg scratch", len);
  la->scratch = grown;
  la->scratch_len = len;
  return LRS_OK;
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Scratch (doubles) needed by each factorization, in one place so that
 * lrs_linalg_reserve and the routines agree. */
static size_t need_eig(size_t n) { return n * n + 3 * n + 1; }
static size_t need_sv(size_t r, size_t c) {
  const size_t mn = min_sz(r, c), mx = max_sz(r, c);
  return r * c + max_sz(3 * mn + mx, 5 * mn) + 1;
}
static size_t need_chol(size_t n) { return n * n + 1; }
static size_t need_orth(size_t c) { return c + QR_NB * c + c + 1; } /* tau, work, signs */

/* Copies A into the column-major contiguous buffer dst (A->rows × A->cols). */
static void pack(const lrs_mat *A, double *dst) {
  for (size_t j = 0; j < A->cols; j++)
    memcpy(dst + j * A->rows, A->data + j * A->ld, A->rows * sizeof *dst);
}

/* ------------------------------------------------------------- backend */

lrs_status lrs_linalg_create_local(lrs_linalg **la) {
  *la = NULL;
  lrs_linalg *l = calloc(1, sizeof *l);
  LRS_TRY(LRS_CHECK_ALLOC(l));
  l->kind = LRS__LINALG_LOCAL;
  l->ops = &lrs__linalg_local_ops;
  *la = l;
  return LRS_OK;
}

static lrs_status local_reserve(lrs_linalg *la, size_t max_rows, size_t max_cols) {
  /* Square factorizations (eig, Cholesky) fit in min × min; the rectangular
   * ones (SVD, QR of a tall one) in rows × cols. */
  const size_t r = max_rows, c = max_cols, mn = min_sz(r, c);
  size_t need = need_eig(mn);
  need = max_sz(need, need_sv(r, c));
  need = max_sz(need, need_chol(mn));
  need = max_sz(need, need_orth(mn));
  return scratch_need(la, need);
}

/* One rank: the local sums (maxima, broadcasts) are the global ones. */
static lrs_status local_reduce(const lrs_linalg *la, double *vals, size_t count) {
  (void)la;
  (void)vals;
  (void)count;
  return LRS_OK;
}

static lrs_status local_agree(const lrs_linalg *la, lrs_status st) {
  (void)la;
  return st;
}

/* ------------------------------------------------------------- matrices */

static lrs_status local_mat_init(lrs_mat *M) {
  M->data = calloc(M->rows * M->cols, sizeof *M->data);
  if (!M->data)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a %zux%zu matrix", M->rows, M->cols);
  M->lrows = M->rows;
  M->lcols = M->cols;
  M->ld = M->rows;
  return LRS_OK;
}

static void local_view_init(const lrs_mat *parent, size_t r0, size_t c0, lrs_mat *V) {
  V->data = parent->data + r0 + c0 * parent->ld;
  V->lrows = V->rows;
  V->lcols = V->cols;
  V->ld = parent->ld;
}

static void local_to_global(const lrs_mat *A, size_t i, size_t j, size_t *gi, size_t *gj) {
  (void)A;
  *gi = i;
  *gj = j;
}

static lrs_status local_set_global(lrs_mat *A, const double *full) {
  for (size_t j = 0; j < A->cols; j++)
    memcpy(A->data + j * A->ld, full + j * A->rows, A->rows * sizeof *full);
  return LRS_OK;
}

static lrs_status local_get_global(const lrs_mat *A, double *full) {
  pack(A, full);
  return LRS_OK;
}

/* ------------------------------------------------------------- algebra */

static lrs_status local_gemm(lrs_trans ta, lrs_trans tb, double alpha, const lrs_mat *A,
                             const lrs_mat *B, double beta, lrs_mat *C) {
  const size_t ar = ta ? A->cols : A->rows, ac = ta ? A->rows : A->cols;
  const size_t bc = tb ? B->rows : B->cols;
  lapack_int M = 0, N = 0, K = 0, lda = 0, ldb = 0, ldc = 0;
  LRS_TRY(to_int(ar, "gemm M", &M));
  LRS_TRY(to_int(bc, "gemm N", &N));
  LRS_TRY(to_int(ac, "gemm K", &K));
  LRS_TRY(to_int(A->ld, "lda", &lda));
  LRS_TRY(to_int(B->ld, "ldb", &ldb));
  LRS_TRY(to_int(C->ld, "ldc", &ldc));
  cblas_dgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              M, N, K, alpha, A->data, lda, B->data, ldb, beta, C->data, ldc);
  return LRS_OK;
}

static lrs_status local_axpy(double alpha, const lrs_mat *X, lrs_mat *Y) {
  lapack_int r = 0;
  LRS_TRY(to_int(X->rows, "axpy rows", &r));
  for (size_t j = 0; j < X->cols; j++)
    cblas_daxpy(r, alpha, X->data + j * X->ld, 1, Y->data + j * Y->ld, 1);
  return LRS_OK;
}

static lrs_status local_copy(const lrs_mat *src, lrs_mat *dst) {
  for (size_t j = 0; j < src->cols; j++)
    memmove(dst->data + j * dst->ld, src->data + j * src->ld, src->rows * sizeof(double));
  return LRS_OK;
}

/* Blocks of 8×8 entries: both A's columns and T's stay in cache lines. */
static lrs_status local_transpose(const lrs_mat *A, lrs_mat *T) {
  enum { BLOCK = 8 };
  for (size_t j0 = 0; j0 < A->cols; j0 += BLOCK)
    for (size_t i0 = 0; i0 < A->rows; i0 += BLOCK) {
      const size_t j1 = min_sz(j0 + BLOCK, A->cols), i1 = min_sz(i0 + BLOCK, A->rows);
      for (size_t i = i0; i < i1; i++)
        for (size_t j = j0; j < j1; j++)
          T->data[j + i * T->ld] = A->data[i + j * A->ld];
    }
  return LRS_OK;
}

static lrs_status local_dot(const lrs_mat *A, const lrs_mat *B, double *out) {
  lapack_int r = 0;
  LRS_TRY(to_int(A->rows, "dot rows", &r));
  double s = 0.0;
  for (size_t j = 0; j < A->cols; j++)
    s += cblas_ddot(r, A->data + j * A->ld, 1, B->data + j * B->ld, 1);
  *out = s;
  return LRS_OK;
}

/* ‖A‖_F in two passes of four independent lanes each (no serial chain of
 * additions): the largest |a_ij|, then the sum of squares of the entries
 * scaled by the power of two 2^−e at or above it (exact, so no overflow and
 * no rounding from the scaling), times 2^e.  Several times cheaper than a
 * dnrm2 call per column for the small matrices of the per-step records.
 * A NaN entry is skipped by the max and propagates through the sum. */
static lrs_status local_norm_fro(const lrs_mat *A, double *out) {
  const size_t r = A->rows, c = A->cols, ld = A->ld, body = r - r % 4;
  double m[4] = {0.0, 0.0, 0.0, 0.0};
  for (size_t j = 0; j < c; j++) {
    const double *a = A->data + j * ld;
    for (size_t i = 0; i < body; i += 4)
      for (int l = 0; l < 4; l++) {
        const double x = fabs(a[i + (size_t)l]);
        m[l] = x > m[l] ? x : m[l];
      }
    for (size_t i = body; i < r; i++) {
      const double x = fabs(a[i]);
      m[0] = x > m[0] ? x : m[0];
    }
  }
  const double amax = fmax(fmax(m[0], m[1]), fmax(m[2], m[3]));
  int e = 0;
  if (amax > 0.0 && isfinite(amax))
    frexp(amax, &e);
  const double down = ldexp(1.0, -e);
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  for (size_t j = 0; j < c; j++) {
    const double *a = A->data + j * ld;
    for (size_t i = 0; i < body; i += 4)
      for (int l = 0; l < 4; l++) {
        const double x = a[i + (size_t)l] * down;
        sum[l] += x * x;
      }
    for (size_t i = body; i < r; i++)
      sum[0] += (a[i] * down) * (a[i] * down);
  }
  *out = ldexp(sqrt((sum[0] + sum[1]) + (sum[2] + sum[3])), e);
  return LRS_OK;
}

static lrs_status local_gram(const lrs_mat *A, lrs_mat *C) {
  lapack_int n = 0, k = 0, lda = 0, ldc = 0;
  LRS_TRY(to_int(A->rows, "gram n", &n));
  LRS_TRY(to_int(A->cols, "gram k", &k));
  LRS_TRY(to_int(A->ld, "lda", &lda));
  LRS_TRY(to_int(C->ld, "ldc", &ldc));
  cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, k, 1.0, A->data, lda, 0.0, C->data,
              ldc);
  for (size_t j = 0; j < C->cols; j++) /* mirror the lower triangle */
    for (size_t i = 0; i < j; i++)
      C->data[i + j * C->ld] = C->data[j + i * C->ld];
  return LRS_OK;
}

/* Columns per block of lrs_mat_coupled_step: a 128-row block of B (256 KiB)
 * and its copy of B1 stay in a 512 KiB L2 from the update to the Gram. */
enum { COUPLED_BLOCK = 256 };

lrs_status lrs__coupled_pass(size_t n, size_t m, size_t w, double *b, size_t ldb,
                             const double *g, size_t ldg, double alpha, double *t, size_t ldt,
                             double *c, size_t ldc) {
  lapack_int ni = 0, mi = 0, k = 0, ldbi = 0, ldgi = 0, ldti = 0, ldci = 0;
  LRS_TRY(to_int(n, "coupled n", &ni));
  LRS_TRY(to_int(m, "coupled m", &mi));
  LRS_TRY(to_int(n + m, "coupled k", &k));
  LRS_TRY(to_int(ldb, "ldb", &ldbi));
  LRS_TRY(to_int(ldg, "ldg", &ldgi));
  LRS_TRY(to_int(ldt, "ldt", &ldti));
  LRS_TRY(to_int(ldc, "ldc", &ldci));
  if (w == 0)
    for (size_t j = 0; j < n + m; j++)
      memset(c + j * ldc, 0, (j + 1) * sizeof *c);
  for (size_t j = 0; j < w; j += COUPLED_BLOCK) {
    const lapack_int wc = (lapack_int)(w - j < COUPLED_BLOCK ? w - j : COUPLED_BLOCK);
    double *bj = b + j * ldb, *tj = t + j * ldt;
    for (lapack_int q = 0; q < wc; q++) /* the old B1 */
      memcpy(tj + (size_t)q * ldt, bj + (size_t)q * ldb, n * sizeof *bj);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, ni, wc, mi, alpha, g, ldgi, bj + n,
                ldbi, 1.0, bj, ldbi);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, mi, wc, ni, alpha, g, ldgi, tj, ldti,
                1.0, bj + n, ldbi);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, k, wc, 1.0, bj, ldbi, j ? 1.0 : 0.0,
                c, ldci);
  }
  return LRS_OK;
}

static lrs_status local_coupled_step(lrs_mat *B, const lrs_mat *G, double alpha, lrs_mat *T,
                                     lrs_mat *C) {
  LRS_TRY(lrs__coupled_pass(G->rows, G->cols, B->cols, B->data, B->ld, G->data, G->ld, alpha,
                            T->data, T->ld, C->data, C->ld));
  for (size_t j = 0; j < C->cols; j++) /* mirror the upper triangle */
    for (size_t i = 0; i < j; i++)
      C->data[j + i * C->ld] = C->data[i + j * C->ld];
  return LRS_OK;
}

/* ------------------------------------------------------------- factorizations */

/* Bisection (Kahan; LAPACK's dstebz/dlaebz) for both ends of the spectrum
 * of the symmetric tridiagonal T (diagonal d[0..n), squared off-diagonal
 * e2[0..n−1)), at most `steps` halvings: the Sturm count c(x) = #{λ ≤ x}
 * from the LDLᵀ pivots q_i = d_i − x − e2_{i−1}/q_{i−1}, with pivots of
 * magnitude below pivmin replaced by −pivmin (backward stable: c(x) is exact
 * for a T perturbed by a few ulps).  λ_min is the least x with c(x) ≥ 1,
 * kept in [br[0], br[1]], and λ_max the least with c(x) ≥ n, in [br[2],
 * br[3]]; the two searches run interleaved (independent division chains)
 * until each bracket is below max(atol, 2ε·|λ|), dstebz's tolerances. */
/* The Sturm counts c(xa), c(xb) (see bisect_ends), in one interleaved pass. */
static void sturm_counts(size_t n, const double *d, const double *e2, double pivmin, double xa,
                         double xb, double *ca_out, double *cb_out) {
  double qa = d[0] - xa, qb = d[0] - xb, ca = 0.0, cb = 0.0;
  for (size_t i = 0;; i++) {
    ca += qa <= pivmin;
    cb += qb <= pivmin;
    qa = qa <= pivmin && qa > -pivmin ? -pivmin : qa; /* no fmin: a call here */
    qb = qb <= pivmin && qb > -pivmin ? -pivmin : qb;
    if (i + 1 == n)
      break;
    qa = d[i + 1] - xa - e2[i] / qa;
    qb = d[i + 1] - xb - e2[i] / qb;
  }
  *ca_out = ca;
  *cb_out = cb;
}

static void bisect_ends(size_t n, const double *d, const double *e2, double pivmin,
                        double atol, int steps, double br[4]) {
  const double eps = DBL_EPSILON;
  double alo = br[0], ahi = br[1], blo = br[2], bhi = br[3];
  for (int it = 0; it < steps; it++) {
    const bool adone = !(ahi - alo > fmax(atol, 2.0 * eps * fmax(fabs(alo), fabs(ahi))));
    const bool bdone = !(bhi - blo > fmax(atol, 2.0 * eps * fmax(fabs(blo), fabs(bhi))));
    if (adone && bdone)
      break;
    const double xa = 0.5 * (alo + ahi), xb = 0.5 * (blo + bhi);
    double ca, cb;
    sturm_counts(n, d, e2, pivmin, xa, xb, &ca, &cb);
    if (!adone) {
      if (ca >= 1.0)
        ahi = xa;
      else
        alo = xa;
    }
    if (!bdone) {
      if (cb >= (double)n)
        bhi = xb;
      else
        blo = xb;
    }
  }
  br[0] = alo, br[1] = ahi, br[2] = blo, br[3] = bhi;
}

/* Newton on p(x) = det(T − xI) = Π q_i(x) from *x on the outer side of the
 * wanted end (below λ_min when `up`, above λ_max otherwise): p is
 * real-rooted, so in exact arithmetic the iterates move monotonically onto
 * that end, quadratically for a simple eigenvalue.  p'/p = Σ q_i'/q_i with
 * q_i' = −1 + e2_{i−1}q_{i−1}'/q_{i−1}² (one division per pivot).  An end is
 * found (*aok, *bok; its *x is then the eigenvalue) when a step fell below
 * max(atol, 2ε|x|) within 40 steps with every iterate in its bracket from
 * the bisection.  Both ends at
 * once: xa from below λ_min in [br[0], br[1]] and xb from above λ_max in
 * [br[2], br[3]], each with its own iterates, steps and exits, the two
 * division chains interleaved in one loop (independent, so their latencies
 * overlap).  A chain that has finished keeps its x and its pass is ignored. */
static void newton_ends(size_t n, const double *d, const double *e2, double pivmin, double atol,
                        const double br[4], double *xa, double *xb, bool *aok, bool *bok) {
  enum { RUN, OK, FAIL };
  double x[2] = {*xa, *xb};
  const double lo[2] = {br[0], br[2]}, hi[2] = {br[1], br[3]};
  int state[2] = {RUN, RUN};
  for (int it = 0; it < 40 && (state[0] == RUN || state[1] == RUN); it++) {
    double q0 = d[0] - x[0], q1 = d[0] - x[1], dq0 = -1.0, dq1 = -1.0;
    q0 = fabs(q0) < pivmin ? -pivmin : q0;
    q1 = fabs(q1) < pivmin ? -pivmin : q1;
    double inv0 = 1.0 / q0, inv1 = 1.0 / q1, g0 = dq0 * inv0, g1 = dq1 * inv1;
    for (size_t i = 1; i < n; i++) {
      const double r0 = e2[i - 1] * inv0, r1 = e2[i - 1] * inv1;
      dq0 = -1.0 + r0 * dq0 * inv0;
      dq1 = -1.0 + r1 * dq1 * inv1;
      q0 = d[i] - x[0] - r0;
      q1 = d[i] - x[1] - r1;
      q0 = fabs(q0) < pivmin ? -pivmin : q0;
      q1 = fabs(q1) < pivmin ? -pivmin : q1;
      inv0 = 1.0 / q0;
      inv1 = 1.0 / q1;
      g0 += dq0 * inv0;
      g1 += dq1 * inv1;
    }
    const double g[2] = {g0, g1};
    for (int c = 0; c < 2; c++) {
      if (state[c] != RUN)
        continue;
      const double step = 1.0 / g[c], xn = x[c] - step;
      if (!(xn >= lo[c] && xn <= hi[c])) {
        state[c] = FAIL;
        continue;
      }
      const double tol = fmax(atol, 2.0 * DBL_EPSILON * fabs(xn));
      if (c == 0 ? xn < x[c] : xn > x[c]) { /* a step back: rounding at the root, or failure */
        state[c] = fabs(step) <= 4.0 * tol ? OK : FAIL;
        continue;
      }
      x[c] = xn;
      if (fabs(step) <= tol)
        state[c] = OK;
    }
  }
  *aok = state[0] == OK;
  *bok = state[1] == OK;
  if (*aok)
    *xa = x[0];
  if (*bok)
    *xb = x[1];
}

/* Extreme eigenvalues of the symmetric tridiagonal T (diagonal d[0..n),
 * off-diagonal e[0..n−1)): from Gershgorin's interval, 8 bisection steps
 * (bisect_ends) bracket each end within 1/256 of the interval, then Newton
 * from the bracket's outer side (newton_ends) converges in a few steps; an
 * end where Newton does not (a multiple or tightly clustered extreme
 * eigenvalue) is finished by bisection.  Accuracy as dstebz with ABSTOL ≤ 0
 * (about ε·‖T‖); about 2x faster than dsterf's full spectrum at n = 10.
 * near (NULL: none) guesses both ends (e.g. the last iterate's): when
 * near[0] − δ and near[1] + δ, δ = 1e-6‖T‖, are outside the spectrum by
 * their Sturm counts (one pass), Newton starts there instead of after the
 * bisection, which is then skipped; the result is the same root, to the
 * same tolerance.  e2 is scratch of n doubles. */
static void tridiag_extremes(size_t n, const double *d, const double *e, double *e2,
                             const double *near, double *lmin, double *lmax) {
  double gl = d[0], gu = d[0], e2max = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double left = i > 0 ? fabs(e[i - 1]) : 0.0, right = i + 1 < n ? fabs(e[i]) : 0.0;
    gl = fmin(gl, d[i] - left - right);
    gu = fmax(gu, d[i] + left + right);
    if (i + 1 < n) {
      e2[i] = e[i] * e[i];
      e2max = fmax(e2max, e2[i]);
    }
  }
  const double eps = DBL_EPSILON, pivmin = DBL_MIN * fmax(1.0, e2max);
  const double tnorm = fmax(fabs(gl), fabs(gu));
  if (tnorm == 0.0) { /* T = 0 */
    *lmin = *lmax = 0.0;
    return;
  }
  const double atol = fmax(eps * tnorm, pivmin);
  const double fudge = 2.0 * eps * tnorm * (double)n + 2.0 * pivmin;
  double br[4] = {gl - fudge, gu + fudge, gl - fudge, gu + fudge};
  bool warm = false;
  if (near && near[0] > br[0] && near[1] < br[3]) { /* also false for NaN guesses */
    const double delta = 1e-6 * tnorm + fudge, xa = near[0] - delta, xb = near[1] + delta;
    double ca, cb;
    sturm_counts(n, d, e2, pivmin, xa, xb, &ca, &cb);
    warm = ca == 0.0 && cb >= (double)n; /* xa below λ_min, xb above λ_max */
    if (warm)
      br[0] = fmax(br[0], xa), br[3] = fmin(br[3], xb);
  }
  if (!warm)
    bisect_ends(n, d, e2, pivmin, atol, 8, br);
  double xa = br[0], xb = br[3];
  bool aok, bok;
  newton_ends(n, d, e2, pivmin, atol, br, &xa, &xb, &aok, &bok);
  if (!aok || !bok) {
    if (aok)
      br[0] = br[1] = xa;
    if (bok)
      br[2] = br[3] = xb;
    bisect_ends(n, d, e2, pivmin, atol, 200, br); /* ≈ log2(width/atol) ≤ 60 steps */
    xa = 0.5 * (br[0] + br[1]);
    xb = 0.5 * (br[2] + br[3]);
  }
  *lmin = xa;
  *lmax = xb;
}

/* Both ends of the spectrum of a large symmetric a: LAPACK's tridiagonal
 * reduction (dsytrd, which dsyev also starts with), then tridiag_extremes
 * instead of dsyev's QL iteration for the whole spectrum.  work: e (n), tau
 * (n), then dsytrd's own n + 1 (it needs ≥ 1; less than n·nb makes it run
 * unblocked, as dsyev does at these sizes); tau is e2's scratch after. */
static int large_ends(int n, double *a, double *w, double *work, const double *near) {
  const size_t N = (size_t)n;
  double *e = work, *tau = work + N;
  const int info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'L', n, a, n, w, e, tau, work + 2 * N,
                                       n + 1);
  if (info == 0)
    tridiag_extremes(N, w, e, tau, near, &w[0], &w[N - 1]);
  return info;
}

int lrs__sym_eigvals_dense(int n, double *a, double *w, double *work, int lwork, bool ends,
                           const double *near) {
  if (n > LRS__EIG_SMALL && ends && lwork >= 3 * n + 1)
    return large_ends(n, a, w, work, near);
  if (n > LRS__EIG_SMALL)
    return LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, n, w, work, lwork);
  const size_t N = (size_t)n;
  double amax = 0.0; /* scaled to max |a_ij| = 1: no overflow in the norms */
  for (size_t j = 0; j < N; j++)
    for (size_t i = j; i < N; i++) {
      const double x = fabs(a[i + j * N]);
      amax = x > amax || isnan(x) ? x : amax; /* NaN sticks */
    }
  if (!isfinite(amax))
    return LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, n, w, work, lwork);
  const double scale = amax > 0.0 ? amax : 1.0;
  for (size_t j = 0; j < N; j++)
    for (size_t i = j; i < N; i++)
      a[i + j * N] /= scale;
  double *e = work, *p = work + N;
  /* Step k: the reflector I − βvvᵀ zeroing a[k+2:, k] (v in a[k+1:, k]),
   * applied to the trailing lower triangle as A ← A − vqᵀ − qvᵀ with
   * p = βAv, q = p − (β/2)(vᵀp)v (Golub & Van Loan, Alg. 8.3.1). */
  for (size_t k = 0; k + 1 < N; k++) {
    double *v = a + k * N;
    double tail = 0.0;
    for (size_t i = k + 2; i < N; i++)
      tail += v[i] * v[i];
    w[k] = a[k + k * N];
    if (tail == 0.0) {
      e[k] = v[k + 1];
      continue;
    }
    const double x0 = v[k + 1], norm = sqrt(x0 * x0 + tail);
    const double alpha = x0 > 0.0 ? -norm : norm;
    v[k + 1] = x0 - alpha;
    const double beta = 1.0 / (norm * (norm + fabs(x0))); /* 2/‖v‖² */
    e[k] = alpha;
    double vp = 0.0;
    for (size_t i = k + 1; i < N; i++) { /* p = βAv, lower triangle of A */
      double s = 0.0;
      for (size_t j = k + 1; j <= i; j++)
        s += a[i + j * N] * v[j];
      for (size_t j = i + 1; j < N; j++)
        s += a[j + i * N] * v[j];
      p[i] = beta * s;
      vp += v[i] * p[i];
    }
    const double half = 0.5 * beta * vp;
    for (size_t i = k + 1; i < N; i++)
      p[i] -= half * v[i];
    for (size_t j = k + 1; j < N; j++)
      for (size_t i = j; i < N; i++)
        a[i + j * N] -= v[i] * p[j] + p[i] * v[j];
  }
  w[N - 1] = a[(N - 1) + (N - 1) * N];
  int info = 0;
  if (ends) { /* p (N entries) is free again: the squares of e */
    const double scaled[2] = {near ? near[0] / scale : 0.0, near ? near[1] / scale : 0.0};
    tridiag_extremes(N, w, e, p, near ? scaled : NULL, &w[0], &w[N - 1]);
    w[0] *= scale;
    if (N > 1)
      w[N - 1] *= scale;
    return 0;
  }
  info = LAPACKE_dsterf_work(n, w, e);
  for (size_t i = 0; i < N; i++)
    w[i] *= scale;
  return info;
}

static lrs_status local_sym_eigvals(const lrs_mat *A, double *w, bool ends,
                                    const double *near) {
  const size_t n = A->rows;
  lapack_int ni = 0;
  LRS_TRY(to_int(n, "eig n", &ni));
  LRS_TRY(scratch_need(A->la, need_eig(n)));
  double *a = A->la->scratch, *work = a + n * n;
  pack(A, a);
  lapack_int lwork = 0;
  LRS_TRY(to_int(3 * n + 1, "eig lwork", &lwork));
  return lapack_info(lrs__sym_eigvals_dense(ni, a, w, work, lwork, ends, near), "dsyev");
}

static lrs_status local_singular_values(const lrs_mat *A, double *s) {
  const size_t r = A->rows, c = A->cols, mn = min_sz(r, c), mx = max_sz(r, c);
  lapack_int ri = 0, ci = 0, lwork = 0;
  LRS_TRY(to_int(r, "svd rows", &ri));
  LRS_TRY(to_int(c, "svd cols", &ci));
  LRS_TRY(to_int(max_sz(3 * mn + mx, 5 * mn), "svd lwork", &lwork));
  LRS_TRY(scratch_need(A->la, need_sv(r, c)));
  double *a = A->la->scratch, *work = a + r * c;
  pack(A, a);
  double dummy = 0.0;
  return lapack_info(LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', ri, ci, a, ri, s, &dummy,
                                         1, &dummy, 1, work, lwork),
                     "dgesvd");
}

static lrs_status local_svd(const lrs_mat *A, double *s, lrs_mat *U, lrs_mat *Vt) {
  const size_t r = A->rows, c = A->cols, k = min_sz(r, c);
  lapack_int ri = 0, ci = 0, ldu = 0, ldvt = 0;
  LRS_TRY(to_int(r, "svd rows", &ri));
  LRS_TRY(to_int(c, "svd cols", &ci));
  LRS_TRY(to_int(U->ld, "ldu", &ldu));
  LRS_TRY(to_int(Vt->ld, "ldvt", &ldvt));
  double *a = malloc(r * c * sizeof *a);
  double *superb = malloc((k + 1) * sizeof *superb);
  lrs_status st = LRS_OK;
  if (!a || !superb) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for an SVD of %zux%zu", r, c);
    goto done;
  }
  pack(A, a);
  st = lapack_info(LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', ri, ci, a, ri, s, U->data, ldu,
                                  Vt->data, ldvt, superb),
                   "dgesvd");
done:
  free(a);
  free(superb);
  return st;
}

static lrs_status local_chol_solve(const lrs_mat *A, lrs_mat *B) {
  const size_t n = A->rows;
  lapack_int ni = 0, nrhs = 0, ldb = 0;
  LRS_TRY(to_int(n, "chol n", &ni));
  LRS_TRY(to_int(B->cols, "chol nrhs", &nrhs));
  LRS_TRY(to_int(B->ld, "ldb", &ldb));
  LRS_TRY(scratch_need(A->la, need_chol(n)));
  double *a = A->la->scratch;
  pack(A, a);
  LRS_TRY(lapack_info(LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', ni, a, ni), "dpotrf"));
  return lapack_info(LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', ni, nrhs, a, ni, B->data, ldb),
                     "dpotrs");
}

static lrs_status local_orthonormalize(lrs_mat *A) {
  const size_t r = A->rows, c = A->cols;
  lapack_int ri = 0, ci = 0, lda = 0, lwork = 0;
  LRS_TRY(to_int(r, "qr rows", &ri));
  LRS_TRY(to_int(c, "qr cols", &ci));
  LRS_TRY(to_int(A->ld, "lda", &lda));
  LRS_TRY(to_int(QR_NB * c, "qr lwork", &lwork));
  LRS_TRY(scratch_need(A->la, need_orth(c)));
  double *tau = A->la->scratch, *work = tau + c, *sign = work + (size_t)lwork;
  LRS_TRY(lapack_info(LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, ri, ci, A->data, lda, tau, work,
                                          lwork),
                      "dgeqrf"));
  for (size_t j = 0; j < c; j++)
    sign[j] = A->data[j + j * A->ld] < 0.0 ? -1.0 : 1.0;
  LRS_TRY(lapack_info(LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, ri, ci, ci, A->data, lda, tau,
                                          work, lwork),
                      "dorgqr"));
  for (size_t j = 0; j < c; j++)
    if (sign[j] < 0.0)
      cblas_dscal(ri, -1.0, A->data + j * A->ld, 1);
  return LRS_OK;
}

const lrs__linalg_ops lrs__linalg_local_ops = {
    .destroy = NULL,
    .reserve = local_reserve,
    .sum = local_reduce,
    .max = local_reduce,
    .bcast = local_reduce,
    .agree = local_agree,
    .mat_init = local_mat_init,
    .view_init = local_view_init,
    .local_to_global = local_to_global,
    .set_global = local_set_global,
    .get_global = local_get_global,
    .gemm = local_gemm,
    .axpy = local_axpy,
    .copy = local_copy,
    .transpose = local_transpose,
    .dot = local_dot,
    .norm_fro = local_norm_fro,
    .gram = local_gram,
    .coupled_step = local_coupled_step,
    .sym_eigvals = local_sym_eigvals,
    .singular_values = local_singular_values,
    .svd = local_svd,
    .chol_solve = local_chol_solve,
    .orthonormalize = local_orthonormalize,
};
