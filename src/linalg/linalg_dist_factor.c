/* Factorizations of the `dist` linalg backend (lrsweep/linalg.h).
 *
 * Each one works on copies in the backend's scratch, so inputs are left
 * alone and views of any offset work:
 *   - small matrices (entries ≤ gather_max): gathered to rank 0, LAPACK
 *     there, and the outputs (with LAPACK's info) broadcast from rank 0;
 *   - larger ones: an aligned copy at (1, 1) and ScaLAPACK (pdsyev, pdgesvd),
 *     with the replicated outputs broadcast from rank 0 as well, so every
 *     rank holds the same bits;
 *   - chol_solve, orthonormalize: small ones gathered, else ScaLAPACK
 *     (pdpotrf/pdpotrs, pdgeqrf/pdorgqr).
 * Scratch layouts are computed from global sizes (and workspace sizes that
 * are maximized over the ranks), so every rank grows its scratch alike. */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "linalg_dist.h"
#include "scalapack.h"

enum { OP_SYEV = 1, OP_GESVD_N, OP_GESVD_V, OP_GEQRF, OP_ORGQR };

/* LAPACK blocking assumed for work sizes on rank 0 (dgeqrf, dorgqr). */
enum { QR_NB = 64 };

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* ---------------------------------------------------------------- workspaces */

lrs_status lrs__dist_lwork(lrs_linalg *la, int op, int m, int n, lrs__dist_query_fn query,
                           size_t *lwork) {
  lrs__dist *d = &la->dist;
  const size_t kept = min_sz(d->n_wcache, LRS__DIST_WCACHE);
  for (size_t i = 0; i < kept; i++)
    if (d->wcache[i].op == op && d->wcache[i].m == m && d->wcache[i].n == n) {
      *lwork = d->wcache[i].lwork;
      return LRS_OK;
    }
  size_t mine = 0;
  LRS_TRY(query(la, m, n, &mine));
  double v = (double)mine;
  LRS_TRY(lrs__dist_max(la, &v, 1)); /* one size for all ranks */
  *lwork = (size_t)v + 1;
  d->wcache[d->n_wcache % LRS__DIST_WCACHE] =
      (lrs__wcache_entry){.op = op, .m = m, .n = n, .lwork = *lwork};
  d->n_wcache++;
  return LRS_OK;
}

/* A descriptor of an m×n matrix for workspace queries (storage unused). */
static lrs_status query_desc(lrs_linalg *la, int m, int n, double *dummy, lrs_mat *T) {
  return lrs__dist_temp(la, (size_t)m, (size_t)n, dummy, T);
}

static size_t work_size(double w) { return w > 1.0 ? (size_t)ceil(w) : 1; }

static lrs_status query_syev(lrs_linalg *la, int n, int unused, size_t *lwork) {
  (void)unused;
  double dummy[2] = {0}, w = 0.0;
  lrs_mat T;
  LRS_TRY(query_desc(la, n, n, dummy, &T));
  const int one = 1, q = -1;
  int info = 0;
  pdsyev_("N", "L", &n, dummy, &one, &one, T.desc, dummy, dummy, &one, &one, T.desc, &w, &q,
          &info, 1, 1);
  LRS_TRY(lrs__dist_info(la, info, "pdsyev (workspace query)"));
  *lwork = work_size(w);
  return LRS_OK;
}

static lrs_status query_gesvd(lrs_linalg *la, int m, int n, bool vectors, size_t *lwork) {
  double dummy[2] = {0}, w = 0.0;
  const int k = m < n ? m : n;
  lrs_mat A, U, V;
  LRS_TRY(query_desc(la, m, n, dummy, &A));
  LRS_TRY(query_desc(la, m, k, dummy, &U));
  LRS_TRY(query_desc(la, k, n, dummy, &V));
  const int one = 1, q = -1;
  int info = 0;
  const char *job = vectors ? "V" : "N";
  pdgesvd_(job, job, &m, &n, dummy, &one, &one, A.desc, dummy, dummy, &one, &one, U.desc, dummy,
           &one, &one, V.desc, &w, &q, &info, 1, 1);
  LRS_TRY(lrs__dist_info(la, info, "pdgesvd (workspace query)"));
  *lwork = work_size(w);
  return LRS_OK;
}

static lrs_status query_gesvd_n(lrs_linalg *la, int m, int n, size_t *lwork) {
  return query_gesvd(la, m, n, false, lwork);
}

static lrs_status query_gesvd_v(lrs_linalg *la, int m, int n, size_t *lwork) {
  return query_gesvd(la, m, n, true, lwork);
}

static lrs_status query_geqrf(lrs_linalg *la, int m, int n, size_t *lwork) {
  double dummy[2] = {0}, w = 0.0;
  lrs_mat T;
  LRS_TRY(query_desc(la, m, n, dummy, &T));
  const int one = 1, q = -1;
  int info = 0;
  pdgeqrf_(&m, &n, dummy, &one, &one, T.desc, dummy, &w, &q, &info);
  LRS_TRY(lrs__dist_info(la, info, "pdgeqrf (workspace query)"));
  *lwork = work_size(w);
  return LRS_OK;
}

static lrs_status query_orgqr(lrs_linalg *la, int m, int n, size_t *lwork) {
  double dummy[2] = {0}, w = 0.0;
  lrs_mat T;
  LRS_TRY(query_desc(la, m, n, dummy, &T));
  const int one = 1, q = -1;
  int info = 0;
  pdorgqr_(&m, &n, &n, dummy, &one, &one, T.desc, dummy, &w, &q, &info);
  LRS_TRY(lrs__dist_info(la, info, "pdorgqr (workspace query)"));
  *lwork = work_size(w);
  return LRS_OK;
}

/* ---------------------------------------------------------------- layouts */

/* Offsets (in doubles) into the scratch; total is the size to reserve. */
typedef struct layout {
  size_t a, b, c, work, out, total;
  size_t lwork;
  bool gathered;
} layout;

static size_t lsize(const lrs__dist *d, size_t rows, size_t cols) {
  return lrs__dist_lmax_r(d, rows) * lrs__dist_lmax_c(d, cols);
}

/* Gathered-path work of an r×c input (lrs__dist_gather_work of any view of
 * that shape depends on r and c only). */
static size_t gather_work(lrs_linalg *la, size_t r, size_t c) {
  lrs_mat probe = {.la = la, .rows = r, .cols = c};
  return lrs__dist_gather_work(&probe);
}

static bool use_gather(const lrs_linalg *la, size_t r, size_t c) {
  return r * c <= la->dist.gather_max;
}

static lrs_status layout_eig(lrs_linalg *la, size_t n, layout *L) {
  memset(L, 0, sizeof *L);
  L->gathered = use_gather(la, n, n);
  if (L->gathered) { /* [gather work | a | work | out: w, info] */
    L->a = gather_work(la, n, n);
    L->work = L->a + n * n;
    L->lwork = 3 * n + 1;
    L->out = L->work + L->lwork;
    L->total = L->out + n + 1;
    return LRS_OK;
  }
  int ni = 0;
  LRS_TRY(lrs_to_int(n, &ni, "eig n"));
  LRS_TRY(lrs__dist_lwork(la, OP_SYEV, ni, ni, query_syev, &L->lwork));
  L->a = 0; /* [aw | work | out: w] */
  L->work = lsize(&la->dist, n, n);
  L->out = L->work + L->lwork;
  L->total = L->out + n;
  return LRS_OK;
}

static lrs_status layout_svd(lrs_linalg *la, size_t r, size_t c, bool vectors, layout *L) {
  memset(L, 0, sizeof *L);
  const size_t k = min_sz(r, c), mx = max_sz(r, c);
  L->gathered = use_gather(la, r, c);
  if (L->gathered) { /* [gather work | a | work | out: s, info, U, Vt] */
    L->a = gather_work(la, r, c);
    L->work = L->a + r * c;
    L->lwork = max_sz(3 * k + mx, 5 * k) + 1;
    L->out = L->work + L->lwork;
    L->total = L->out + k + 1 + (vectors ? r * k + k * c : 0);
    return LRS_OK;
  }
  int ri = 0, ci = 0;
  LRS_TRY(lrs_to_int(r, &ri, "svd rows"));
  LRS_TRY(lrs_to_int(c, &ci, "svd cols"));
  LRS_TRY(lrs__dist_lwork(la, vectors ? OP_GESVD_V : OP_GESVD_N, ri, ci,
                          vectors ? query_gesvd_v : query_gesvd_n, &L->lwork));
  const lrs__dist *d = &la->dist; /* [aw | uw | vw | work | out: s] */
  L->a = 0;
  L->b = lsize(d, r, c);
  L->c = L->b + (vectors ? lsize(d, r, k) : 0);
  L->work = L->c + (vectors ? lsize(d, k, c) : 0);
  L->out = L->work + L->lwork;
  L->total = L->out + k;
  return LRS_OK;
}

static size_t need_chol(lrs_linalg *la, size_t n, size_t nrhs, layout *L);
static lrs_status layout_orth(lrs_linalg *la, size_t r, size_t c, layout *L);

lrs_status lrs__dist_reserve(lrs_linalg *la, size_t max_rows, size_t max_cols) {
  /* The shapes of lrs_linalg_reserve's contract (lrsweep/linalg.h). */
  const size_t r = max_rows, c = max_cols, mn = min_sz(r, c), mx = max_sz(r, c);
  layout L;
  size_t need = need_chol(la, mn, 1, &L);
  LRS_TRY(layout_eig(la, mn, &L));
  need = max_sz(need, L.total);
  LRS_TRY(layout_svd(la, r, c, false, &L));
  need = max_sz(need, L.total);
  LRS_TRY(layout_orth(la, mx, mn, &L));
  need = max_sz(need, L.total);
  return lrs__dist_scratch(la, need);
}

/* ---------------------------------------------------------------- helpers */

/* A fresh copy of A at (1, 1) over `buf`. */
static lrs_status aligned_copy(const lrs_mat *A, double *buf, lrs_mat *T) {
  LRS_TRY(lrs__dist_temp(A->la, A->rows, A->cols, buf, T));
  return lrs__dist_copy(A, T);
}

/* LAPACK's info travels with the broadcast outputs (as a double). */
static lrs_status lapack_info(double info, const char *routine) {
  if (info != 0.0)
    return LRS_RAISE(LRS_ERR_LINALG, "LAPACK %s failed (info = %d, on rank 0)", routine,
                     (int)info);
  return LRS_OK;
}

/* ---------------------------------------------------------------- eigenvalues */

lrs_status lrs__dist_sym_eigvals(const lrs_mat *A, double *w, bool ends, const double *near) {
  lrs_linalg *la = A->la;
  const size_t n = A->rows;
  int ni = 0;
  LRS_TRY(lrs_to_int(n, &ni, "eig n"));
  layout L;
  LRS_TRY(layout_eig(la, n, &L));
  LRS_TRY(lrs__dist_scratch(la, L.total));
  double *s = la->scratch, *out = s + L.out;
  if (L.gathered) {
    LRS_TRY(lrs__dist_gather(A, s + L.a, s, true));
    if (la->dist.rank == 0) {
      int lwork = 0;
      LRS_TRY(lrs_to_int(L.lwork, &lwork, "eig lwork"));
      out[n] = (double)lrs__sym_eigvals_dense(ni, s + L.a, out, s + L.work, lwork, ends, near);
    }
    LRS_TRY(lrs__dist_bcast(la, out, n + 1));
    LRS_TRY(lapack_info(out[n], "dsyev"));
  } else {
    lrs_mat T;
    LRS_TRY(aligned_copy(A, s + L.a, &T));
    int lwork = 0, info = 0;
    const int one = 1;
    LRS_TRY(lrs_to_int(L.lwork, &lwork, "pdsyev lwork"));
    pdsyev_("N", "L", &ni, T.base, &one, &one, T.desc, out, T.base, &one, &one, T.desc,
            s + L.work, &lwork, &info, 1, 1);
    LRS_TRY(lrs__dist_info(la, info, "pdsyev"));
    LRS_TRY(lrs__dist_bcast(la, out, n));
  }
  memcpy(w, out, n * sizeof *w);
  return LRS_OK;
}

/* ---------------------------------------------------------------- SVD */

/* Singular values into s and, when U and Vt are given, the thin SVD. */
static lrs_status svd_any(const lrs_mat *A, double *sv, lrs_mat *U, lrs_mat *Vt) {
  lrs_linalg *la = A->la;
  const bool vectors = U != NULL;
  const size_t r = A->rows, c = A->cols, k = min_sz(r, c);
  int ri = 0, ci = 0, ki = 0;
  LRS_TRY(lrs_to_int(r, &ri, "svd rows"));
  LRS_TRY(lrs_to_int(c, &ci, "svd cols"));
  ki = (int)k;
  layout L;
  LRS_TRY(layout_svd(la, r, c, vectors, &L));
  LRS_TRY(lrs__dist_scratch(la, L.total));
  double *s = la->scratch, *out = s + L.out;
  const int one = 1;
  if (L.gathered) { /* out = [s (k), info, U (r×k), Vt (k×c)] */
    LRS_TRY(lrs__dist_gather(A, s + L.a, s, true));
    if (la->dist.rank == 0) {
      int lwork = 0;
      LRS_TRY(lrs_to_int(L.lwork, &lwork, "svd lwork"));
      double dummy = 0.0;
      double *u = vectors ? out + k + 1 : &dummy, *vt = vectors ? u + r * k : &dummy;
      const char job = vectors ? 'S' : 'N';
      out[k] = (double)LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, job, ri, ci, s + L.a, ri,
                                           out, u, vectors ? ri : 1, vt, vectors ? ki : 1,
                                           s + L.work, lwork);
    }
    LRS_TRY(lrs__dist_bcast(la, out, L.total - L.out));
    LRS_TRY(lapack_info(out[k], "dgesvd"));
    if (vectors) {
      LRS_TRY(lrs_mat_set_global(U, out + k + 1));
      LRS_TRY(lrs_mat_set_global(Vt, out + k + 1 + r * k));
    }
  } else {
    lrs_mat T, Uw, Vw;
    LRS_TRY(aligned_copy(A, s + L.a, &T));
    if (vectors) {
      LRS_TRY(lrs__dist_temp(la, r, k, s + L.b, &Uw));
      LRS_TRY(lrs__dist_temp(la, k, c, s + L.c, &Vw));
    } else { /* not referenced with job 'N': any valid descriptors */
      Uw = T;
      Vw = T;
    }
    int lwork = 0, info = 0;
    LRS_TRY(lrs_to_int(L.lwork, &lwork, "pdgesvd lwork"));
    const char *job = vectors ? "V" : "N";
    pdgesvd_(job, job, &ri, &ci, T.base, &one, &one, T.desc, out, Uw.base, &one, &one, Uw.desc,
             Vw.base, &one, &one, Vw.desc, s + L.work, &lwork, &info, 1, 1);
    LRS_TRY(lrs__dist_info(la, info, "pdgesvd"));
    LRS_TRY(lrs__dist_bcast(la, out, k));
    if (vectors) {
      LRS_TRY(lrs__dist_copy(&Uw, U));
      LRS_TRY(lrs__dist_copy(&Vw, Vt));
    }
  }
  memcpy(sv, out, k * sizeof *sv);
  return LRS_OK;
}

lrs_status lrs__dist_singular_values(const lrs_mat *A, double *s) {
  return svd_any(A, s, NULL, NULL);
}

lrs_status lrs__dist_svd(const lrs_mat *A, double *s, lrs_mat *U, lrs_mat *Vt) {
  return svd_any(A, s, U, Vt);
}

/* ---------------------------------------------------------------- Cholesky */

static size_t need_chol(lrs_linalg *la, size_t n, size_t nrhs, layout *L) {
  memset(L, 0, sizeof *L);
  const lrs__dist *d = &la->dist;
  L->gathered = use_gather(la, n, n);
  if (L->gathered) { /* [gather work | a | x, info] */
    L->a = max_sz(gather_work(la, n, n), gather_work(la, n, nrhs));
    L->out = L->a + n * n;
    L->total = L->out + n * nrhs + 1;
  } else { /* [aw | bw] */
    L->b = lsize(d, n, n);
    L->total = L->b + lsize(d, n, nrhs);
  }
  return L->total;
}

lrs_status lrs__dist_chol_solve(const lrs_mat *A, lrs_mat *B) {
  lrs_linalg *la = A->la;
  const size_t n = A->rows, nrhs = B->cols;
  int ni = 0, nr = 0, info = 0;
  LRS_TRY(lrs_to_int(n, &ni, "chol n"));
  LRS_TRY(lrs_to_int(nrhs, &nr, "chol nrhs"));
  layout Lo;
  LRS_TRY(lrs__dist_scratch(la, need_chol(la, n, nrhs, &Lo)));
  double *s = la->scratch;
  const int one = 1;
  if (Lo.gathered) { /* dpotrf + dpotrs on rank 0, X broadcast */
    double *a = s + Lo.a, *x = s + Lo.out;
    LRS_TRY(lrs__dist_gather(A, a, s, true));
    LRS_TRY(lrs__dist_gather(B, x, s, true));
    if (la->dist.rank == 0) {
      info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', ni, a, ni);
      if (info == 0)
        info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', ni, nr, a, ni, x, ni);
      x[n * nrhs] = (double)info;
    }
    LRS_TRY(lrs__dist_bcast(la, x, n * nrhs + 1));
    LRS_TRY(lapack_info(x[n * nrhs], "dpotrf/dpotrs"));
    return lrs_mat_set_global(B, x);
  }
  lrs_mat Aw, Bw;
  LRS_TRY(aligned_copy(A, s, &Aw));
  LRS_TRY(aligned_copy(B, s + Lo.b, &Bw));
  pdpotrf_("L", &ni, Aw.base, &one, &one, Aw.desc, &info, 1);
  LRS_TRY(lrs__dist_info(la, info, "pdpotrf"));
  pdpotrs_("L", &ni, &nr, Aw.base, &one, &one, Aw.desc, Bw.base, &one, &one, Bw.desc, &info,
           1);
  LRS_TRY(lrs__dist_info(la, info, "pdpotrs"));
  return lrs__dist_copy(&Bw, B);
}

/* ---------------------------------------------------------------- QR */

static lrs_status layout_orth(lrs_linalg *la, size_t r, size_t c, layout *L) {
  memset(L, 0, sizeof *L);
  L->gathered = use_gather(la, r, c);
  if (L->gathered) { /* [gather work | a, info | tau | work] */
    L->a = gather_work(la, r, c);
    L->b = L->a + r * c + 1;
    L->work = L->b + c;
    L->lwork = QR_NB * c + 1;
    L->total = L->work + L->lwork;
    return LRS_OK;
  }
  int ri = 0, ci = 0;
  size_t w1 = 0, w2 = 0;
  LRS_TRY(lrs_to_int(r, &ri, "qr rows"));
  LRS_TRY(lrs_to_int(c, &ci, "qr cols"));
  LRS_TRY(lrs__dist_lwork(la, OP_GEQRF, ri, ci, query_geqrf, &w1));
  LRS_TRY(lrs__dist_lwork(la, OP_ORGQR, ri, ci, query_orgqr, &w2));
  const lrs__dist *d = &la->dist; /* [aw | tau | signs | work] */
  L->lwork = max_sz(w1, w2);
  L->b = lsize(d, r, c);
  L->c = L->b + lrs__dist_lmax_c(d, c);
  L->work = L->c + c;
  L->total = L->work + L->lwork;
  return LRS_OK;
}

/* Q of A = QR with diag(R) ≥ 0 on rank 0 (LAPACK), into a (r×c, ld r). */
static int orth_lapack(double *a, int r, int c, double *tau, double *work, int lwork) {
  int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, r, c, a, r, tau, work, lwork);
  if (info != 0)
    return info;
  /* signs of diag(R) in the last c entries of work; dorgqr gets the rest */
  for (int j = 0; j < c; j++)
    work[lwork - 1 - j] = a[j + (size_t)j * r] < 0.0 ? -1.0 : 1.0;
  info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, r, c, c, a, r, tau, work, lwork - c);
  if (info != 0)
    return info;
  for (int j = 0; j < c; j++)
    if (work[lwork - 1 - j] < 0.0)
      for (int i = 0; i < r; i++)
        a[i + (size_t)j * r] = -a[i + (size_t)j * r];
  return 0;
}

lrs_status lrs__dist_orthonormalize(lrs_mat *A) {
  lrs_linalg *la = A->la;
  const size_t r = A->rows, c = A->cols;
  int ri = 0, ci = 0, lwork = 0, info = 0;
  LRS_TRY(lrs_to_int(r, &ri, "qr rows"));
  LRS_TRY(lrs_to_int(c, &ci, "qr cols"));
  layout Lo;
  LRS_TRY(layout_orth(la, r, c, &Lo));
  LRS_TRY(lrs__dist_scratch(la, Lo.total));
  LRS_TRY(lrs_to_int(Lo.lwork, &lwork, "qr lwork"));
  double *s = la->scratch;
  if (Lo.gathered) {
    double *a = s + Lo.a;
    LRS_TRY(lrs__dist_gather(A, a, s, true));
    if (la->dist.rank == 0)
      a[r * c] = (double)orth_lapack(a, ri, ci, s + Lo.b, s + Lo.work, lwork);
    LRS_TRY(lrs__dist_bcast(la, a, r * c + 1));
    LRS_TRY(lapack_info(a[r * c], "dgeqrf/dorgqr"));
    return lrs_mat_set_global(A, a);
  }
  double *tau = s + Lo.b, *sign = s + Lo.c;
  lrs_mat T;
  LRS_TRY(aligned_copy(A, s, &T));
  const int one = 1;
  pdgeqrf_(&ri, &ci, T.base, &one, &one, T.desc, tau, s + Lo.work, &lwork, &info);
  LRS_TRY(lrs__dist_info(la, info, "pdgeqrf"));
  /* sign of diag(R): each entry set by the one rank holding it, then summed
   * (exact: the others add zeros). */
  memset(sign, 0, c * sizeof *sign);
  for (size_t j = 0; j < T.lcols; j++)
    for (size_t i = 0; i < T.lrows; i++) {
      size_t gi, gj;
      lrs_mat_local_to_global(&T, i, j, &gi, &gj);
      if (gi == gj)
        sign[gj] = T.data[i + j * T.ld] < 0.0 ? -1.0 : 1.0;
    }
  LRS_TRY(lrs_linalg_sum(la, sign, c));
  pdorgqr_(&ri, &ci, &ci, T.base, &one, &one, T.desc, tau, s + Lo.work, &lwork, &info);
  LRS_TRY(lrs__dist_info(la, info, "pdorgqr"));
  for (size_t j = 0; j < T.lcols; j++) {
    size_t gi, gj;
    lrs_mat_local_to_global(&T, 0, j, &gi, &gj);
    if (sign[gj] < 0.0)
      for (size_t i = 0; i < T.lrows; i++)
        T.data[i + j * T.ld] = -T.data[i + j * T.ld];
  }
  return lrs__dist_copy(&T, A);
}
