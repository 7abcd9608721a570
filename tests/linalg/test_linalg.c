/* The local linalg backend (lrsweep/linalg.h) against naive loops and closed
 * forms: gemm in all transposes, views, level-1 ops, Gram, eigenvalues of
 * the second-difference matrix, singular values, Cholesky, QR. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/linalg.h"

/* Deterministic "high-entropy" entries. */
static double entry(size_t i, size_t j, double salt) {
  return sin(2.385 * (double)i + 1.137 * (double)j + salt) + 0.25 * cos(0.71 * (double)(i * j));
}

static lrs_mat *make(lrs_linalg *la, size_t r, size_t c, double salt, double *full) {
  lrs_mat *A = NULL;
  if (lrs_mat_create(la, r, c, &A) != LRS_OK)
    return NULL;
  for (size_t j = 0; j < c; j++)
    for (size_t i = 0; i < r; i++)
      full[i + j * r] = entry(i, j, salt);
  lrs_mat_set_global(A, full);
  return A;
}

static void test_gemm(lrs_linalg *la) {
  const size_t M = 7, N = 5, K = 6;
  double a[64], b[64], c[64], ref[64], got[64];
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      lrs_mat *A = make(la, ta ? K : M, ta ? M : K, 0.3, a);
      lrs_mat *B = make(la, tb ? N : K, tb ? K : N, 1.7, b);
      lrs_mat *C = make(la, M, N, 2.9, c);
      for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
          double s = 0.0;
          for (size_t k = 0; k < K; k++) {
            const double av = ta ? a[k + i * K] : a[i + k * M];
            const double bv = tb ? b[j + k * N] : b[k + j * K];
            s += av * bv;
          }
          ref[i + j * M] = 1.5 * s - 0.5 * c[i + j * M];
        }
      lrs_status st = lrs_mat_gemm(ta ? LRS_TRANS : LRS_NOTRANS, tb ? LRS_TRANS : LRS_NOTRANS,
                                   1.5, A, B, -0.5, C);
      lrs_mat_get_global(C, got);
      LRS_CHECK(st == LRS_OK && lrs_test_max_abs_diff(got, ref, M * N) < 1e-13,
                "gemm ta=%d tb=%d matches the triple loop", ta, tb);
      lrs_mat_destroy(&A);
      lrs_mat_destroy(&B);
      lrs_mat_destroy(&C);
    }
  lrs_mat *A = NULL, *B = NULL, *C = NULL;
  lrs_mat_create(la, 3, 4, &A);
  lrs_mat_create(la, 3, 4, &B);
  lrs_mat_create(la, 3, 3, &C);
  LRS_CHECK(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, A, B, 0.0, C) == LRS_ERR_RANGE,
            "gemm with mismatched inner sizes is LRS_ERR_RANGE");
  lrs_mat_destroy(&A);
  lrs_mat_destroy(&B);
  lrs_mat_destroy(&C);
}

static void test_views_level1(lrs_linalg *la) {
  double full[80], sub[20], y[20];
  lrs_mat *A = make(la, 8, 10, 0.9, full);
  lrs_mat *V = NULL, *W = NULL, *T = NULL;
  LRS_CHECK(lrs_mat_view(A, 2, 3, 4, 5, &V) == LRS_OK, "view inside bounds");
  LRS_CHECK(lrs_mat_view(A, 6, 3, 4, 5, &W) == LRS_ERR_RANGE && W == NULL,
            "view past the bottom edge is refused");
  lrs_mat_get_global(V, sub);
  double ref[20];
  for (size_t j = 0; j < 5; j++)
    for (size_t i = 0; i < 4; i++)
      ref[i + j * 4] = full[(i + 2) + (j + 3) * 8];
  LRS_CHECK(lrs_test_max_abs_diff(sub, ref, 20) == 0.0, "view reads the parent's sub-block");
  LRS_CHECK(!lrs_mat_local_contiguous(V) && lrs_mat_local(V).ld == 8,
            "a view keeps the parent's leading dimension");
  /* axpy / scal / copy through a view write into the parent. */
  lrs_mat_create(la, 4, 5, &T);
  double t[20];
  for (size_t i = 0; i < 20; i++)
    t[i] = entry(i, 3, 0.1);
  lrs_mat_set_global(T, t);
  lrs_mat_axpy(-2.0, T, V);
  lrs_mat_scal(0.5, V);
  lrs_mat_get_global(V, y);
  for (size_t i = 0; i < 20; i++)
    ref[i] = 0.5 * (sub[i] - 2.0 * t[i]);
  LRS_CHECK(lrs_test_max_abs_diff(y, ref, 20) < 1e-15, "axpy then scal on a view");
  double after[80];
  lrs_mat_get_global(A, after);
  LRS_CHECK(after[1 + 1 * 8] == full[1 + 1 * 8] && after[2 + 3 * 8] == ref[0],
            "writes through a view change only the viewed block of the parent");
  lrs_mat_copy(T, V);
  lrs_mat_get_global(V, y);
  LRS_CHECK(lrs_test_max_abs_diff(y, t, 20) == 0.0, "copy into a view");
  double dot, nrm, dref = 0.0;
  for (size_t i = 0; i < 20; i++)
    dref += t[i] * t[i];
  lrs_mat_dot(V, T, &dot);
  lrs_mat_norm_fro(V, &nrm);
  LRS_CHECK(lrs_test_close(dot, dref, 1e-14, 0) && lrs_test_close(nrm, sqrt(dref), 1e-14, 0),
            "dot and Frobenius norm of a view: %.17g %.17g", dot, nrm);
  lrs_mat_scal(1e200, T);
  lrs_mat_norm_fro(T, &nrm);
  LRS_CHECK(isfinite(nrm) && lrs_test_close(nrm, 1e200 * sqrt(dref), 1e-13, 0),
            "Frobenius norm does not overflow at 1e200 scale");
  lrs_mat_scal(1e-200, T); /* back to 1, then entries ~1e-200 */
  lrs_mat_scal(1e-200, T);
  lrs_mat_norm_fro(T, &nrm);
  LRS_CHECK(lrs_test_close(nrm, 1e-200 * sqrt(dref), 1e-13, 0),
            "Frobenius norm does not underflow at 1e-200 scale: %.17g", nrm / 1e-200);
  lrs_mat_destroy(&V);
  lrs_mat_destroy(&T);
  lrs_mat_destroy(&A);
}

/* Transpose, whole and of a view (the parent's leading dimension), against
 * T_ji = A_ij entry by entry, bit for bit; larger than one 8×8 block. */
static void test_transpose(lrs_linalg *la) {
  double full[19 * 11], got[19 * 11];
  lrs_mat *A = make(la, 19, 11, 0.6, full), *T = NULL, *V = NULL, *TV = NULL, *Bad = NULL;
  lrs_mat_create(la, 11, 19, &T);
  LRS_CHECK(lrs_mat_transpose(A, T) == LRS_OK, "transpose of a 19x11 matrix");
  lrs_mat_get_global(T, got);
  bool same = true;
  for (size_t i = 0; i < 19; i++)
    for (size_t j = 0; j < 11; j++)
      same = same && got[j + i * 11] == full[i + j * 19];
  LRS_CHECK(same, "transpose: T_ji = A_ij for every entry, exactly");
  lrs_mat_view(A, 3, 2, 12, 9, &V);
  lrs_mat_create(la, 9, 12, &TV);
  lrs_mat_transpose(V, TV);
  lrs_mat_get_global(TV, got);
  same = true;
  for (size_t i = 0; i < 12; i++)
    for (size_t j = 0; j < 9; j++)
      same = same && got[j + i * 9] == full[(i + 3) + (j + 2) * 19];
  LRS_CHECK(same, "transpose of a view reads the parent's sub-block");
  lrs_mat_create(la, 19, 11, &Bad);
  LRS_CHECK(lrs_mat_transpose(A, Bad) == LRS_ERR_RANGE, "transpose into the same shape is "
                                                         "LRS_ERR_RANGE");
  lrs_mat_destroy(&Bad);
  lrs_mat_destroy(&TV);
  lrs_mat_destroy(&V);
  lrs_mat_destroy(&T);
  lrs_mat_destroy(&A);
}

static void test_gram_eig(lrs_linalg *la) {
  double a[60], g[36];
  lrs_mat *A = make(la, 6, 10, 0.4, a);
  lrs_mat *G = NULL;
  lrs_mat_create(la, 6, 6, &G);
  lrs_mat_gram(A, G);
  lrs_mat_get_global(G, g);
  double err = 0.0;
  for (size_t i = 0; i < 6; i++)
    for (size_t j = 0; j < 6; j++) {
      double s = 0.0;
      for (size_t k = 0; k < 10; k++)
        s += a[i + k * 6] * a[j + k * 6];
      err = fmax(err, fabs(s - g[i + j * 6]));
    }
  LRS_CHECK(err < 1e-13, "gram A·Aᵀ with both triangles filled (err %g)", err);
  lrs_mat_destroy(&A);
  lrs_mat_destroy(&G);

  /* Second-difference matrix: eigenvalues 2 − 2cos(kπ/(n+1)). */
  enum { n = 9 };
  double t[n * n] = {0}, w[n];
  for (size_t i = 0; i < n; i++) {
    t[i + i * n] = 2.0;
    if (i + 1 < n)
      t[i + 1 + i * n] = t[i + (i + 1) * n] = -1.0;
  }
  lrs_mat *T = NULL;
  lrs_mat_create(la, n, n, &T);
  lrs_mat_set_global(T, t);
  LRS_CHECK(lrs_mat_sym_eigvals(T, w) == LRS_OK, "sym_eigvals runs");
  double e = 0.0;
  for (size_t k = 1; k <= n; k++)
    e = fmax(e, fabs(w[k - 1] - (2.0 - 2.0 * cos((double)k * acos(-1.0) / (n + 1)))));
  LRS_CHECK(e < 1e-14, "eigenvalues of the second-difference matrix, ascending (err %g)", e);
  double s[n];
  LRS_CHECK(lrs_mat_singular_values(T, s) == LRS_OK, "singular_values runs");
  e = 0.0;
  for (size_t k = 0; k < n; k++) /* SPD: singular values = eigenvalues, descending */
    e = fmax(e, fabs(s[k] - w[n - 1 - k]));
  LRS_CHECK(e < 1e-14, "singular values of an SPD matrix are its eigenvalues (err %g)", e);
  double check[n * n];
  lrs_mat_get_global(T, check);
  LRS_CHECK(lrs_test_max_abs_diff(check, t, n * n) == 0.0,
            "factorizations leave their input alone");

  /* Cholesky solve: T x = b with x known. */
  double x[2 * n], b[2 * n], got[2 * n];
  for (size_t i = 0; i < 2 * n; i++)
    x[i] = entry(i, 1, 0.5);
  for (size_t c = 0; c < 2; c++)
    for (size_t i = 0; i < n; i++) {
      double acc = 0.0;
      for (size_t k = 0; k < n; k++)
        acc += t[i + k * n] * x[k + c * n];
      b[i + c * n] = acc;
    }
  lrs_mat *B = NULL;
  lrs_mat_create(la, n, 2, &B);
  lrs_mat_set_global(B, b);
  LRS_CHECK(lrs_mat_chol_solve(T, B) == LRS_OK, "chol_solve runs");
  lrs_mat_get_global(B, got);
  LRS_CHECK(lrs_test_max_abs_diff(got, x, 2 * n) < 1e-13, "chol_solve recovers x from T x = b");
  t[0] = -5.0;
  lrs_mat_set_global(T, t);
  LRS_CHECK(lrs_mat_chol_solve(T, B) == LRS_ERR_LINALG,
            "chol_solve of an indefinite matrix is LRS_ERR_LINALG");
  lrs_mat_destroy(&B);
  lrs_mat_destroy(&T);
}

/* sym_eig_extremes against the full sym_eigvals: random symmetric, a
 * rank-deficient Gram (a multiple λ_min = 0), a top eigenvalue of
 * multiplicity 3, a diagonal with zero off-diagonals (a split tridiagonal),
 * 1×1, the zero matrix, n = 40 and 128 (dsytrd's reduction, then the same
 * bisection and Newton). */
static void test_eig_extremes(lrs_linalg *la) {
  const size_t sizes[8] = {9, 12, 10, 6, 1, 5, 40, 128};
  for (int c = 0; c < 8; c++) {
    const size_t n = sizes[c];
    double *a = malloc(n * n * sizeof *a), *g = malloc(n * 4 * sizeof *g);
    double *w = malloc(n * sizeof *w), *we = malloc(n * sizeof *we);
    for (size_t j = 0; j < n; j++)
      for (size_t i = 0; i < n; i++)
        a[i + j * n] = sin(2.385 * (double)(i * n + j + 1)) + sin(2.385 * (double)(j * n + i + 1));
    if (c == 1) { /* A = GGᵀ with G 12×4: rank 4 */
      for (size_t i = 0; i < n * 4; i++)
        g[i] = cos(1.7 * (double)i + 0.3);
      for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++) {
          double sum = 0.0;
          for (size_t k = 0; k < 4; k++)
            sum += g[i + k * n] * g[j + k * n];
          a[i + j * n] = sum;
        }
    } else if (c == 2) { /* I + 2·(first 3 coordinates): λ_max = 3 three times */
      for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++)
          a[i + j * n] = (i == j) * (1.0 + 2.0 * (i < 3)) + 1e-3 * (i == j) * (double)i * (i >= 3);
    } else if (c == 3) { /* diagonal, unsorted */
      for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++)
          a[i + j * n] = i == j ? 2.5 * sin((double)i + 0.5) : 0.0;
    } else if (c == 5) {
      for (size_t i = 0; i < n * n; i++)
        a[i] = 0.0;
    }
    lrs_mat *A = NULL;
    lrs_mat_create(la, n, n, &A);
    lrs_mat_set_global(A, a);
    const bool ran = lrs_mat_sym_eigvals(A, we) == LRS_OK &&
                     lrs_mat_sym_eig_extremes(A, w) == LRS_OK;
    double amax = 0.0;
    for (size_t i = 0; i < n * n; i++)
      amax = fmax(amax, fabs(a[i]));
    const double err = fmax(fabs(w[0] - we[0]), fabs(w[n - 1] - we[n - 1]));
    LRS_CHECK(ran && err <= 16.0 * DBL_EPSILON * (double)n * amax,
              "sym_eig_extremes n = %zu (case %d): ends match sym_eigvals (err %.2g, "
              "λ = %.17g, %.17g)",
              n, c, err, w[0], w[n - 1]);
    /* Guesses: exact, near from outside, near from inside, in the middle of
     * the spectrum (wrong), NaN: always the same ends. */
    const double span = we[n - 1] - we[0] + amax, mid = 0.5 * (we[0] + we[n - 1]);
    const double guesses[5][2] = {{we[0], we[n - 1]},
                                  {we[0] - 1e-4 * span, we[n - 1] + 1e-4 * span},
                                  {we[0] + 1e-4 * span, we[n - 1] - 1e-4 * span},
                                  {mid, mid},
                                  {NAN, NAN}};
    double gerr = 0.0;
    bool gran = true;
    for (int q = 0; q < 5; q++) {
      gran &= lrs_mat_sym_eig_extremes_near(A, guesses[q], w) == LRS_OK;
      gerr = fmax(gerr, fmax(fabs(w[0] - we[0]), fabs(w[n - 1] - we[n - 1])));
    }
    LRS_CHECK(gran && gerr <= 16.0 * DBL_EPSILON * (double)n * amax,
              "sym_eig_extremes_near n = %zu (case %d): exact, close, inside, wrong and NaN "
              "guesses give the same ends (err %.2g)",
              n, c, gerr);
    lrs_mat_destroy(&A);
    free(a);
    free(g);
    free(w);
    free(we);
  }
}

static void test_qr_svd(lrs_linalg *la) {
  /* QR: Q has orthonormal columns and QᵀA0 is upper triangular with a
   * non-negative diagonal (A0 = QR). */
  double a0[12 * 5], q[12 * 5];
  lrs_mat *Q = make(la, 12, 5, 2.2, a0);
  LRS_CHECK(lrs_mat_orthonormalize(Q) == LRS_OK, "orthonormalize runs");
  lrs_mat_get_global(Q, q);
  double orth = 0.0, low = 0.0, mindiag = INFINITY;
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++) {
      double qq = 0.0, qa = 0.0;
      for (size_t k = 0; k < 12; k++) {
        qq += q[k + i * 12] * q[k + j * 12];
        qa += q[k + i * 12] * a0[k + j * 12];
      }
      orth = fmax(orth, fabs(qq - (i == j)));
      if (i > j)
        low = fmax(low, fabs(qa));
      if (i == j)
        mindiag = fmin(mindiag, qa);
    }
  LRS_CHECK(orth < 1e-14 && low < 1e-13 && mindiag > 0.0,
            "orthonormalize: QᵀQ = I, QᵀA upper triangular with positive diagonal");
  lrs_mat_destroy(&Q);

  /* Eigenvalues of Q·diag(λ)·Qᵀ, a clustered Gram-like spectrum with one
   * negative value, below (plain-loop reduction) and above (dsyev)
   * LRS__EIG_SMALL = 32. */
  const size_t sizes[2] = {10, 40};
  for (int c = 0; c < 2; c++) {
    const size_t ne = sizes[c];
    double *qe = malloc(ne * ne * sizeof *qe), *ae = malloc(ne * ne * sizeof *ae),
           *lam = malloc(ne * sizeof *lam), *we = malloc(ne * sizeof *we);
    lrs_mat *Qe = make(la, ne, ne, 1.37, qe), *Ae = NULL;
    lrs_mat_orthonormalize(Qe);
    lrs_mat_get_global(Qe, qe);
    for (size_t k = 0; k < ne; k++)
      lam[k] = k == 0 ? -3.1 : 1e3 * (1.0 + 0.01 * (double)k);
    for (size_t j = 0; j < ne; j++)
      for (size_t i = 0; i < ne; i++) {
        double sum = 0.0;
        for (size_t k = 0; k < ne; k++)
          sum += qe[i + k * ne] * lam[k] * qe[j + k * ne];
        ae[i + j * ne] = sum;
      }
    lrs_mat_create(la, ne, ne, &Ae);
    lrs_mat_set_global(Ae, ae);
    const bool ran = lrs_mat_sym_eigvals(Ae, we) == LRS_OK;
    double ee = 0.0;
    for (size_t k = 0; k < ne; k++)
      ee = fmax(ee, fabs(we[k] - lam[k]));
    LRS_CHECK(ran && ee < 1e-12 * 1e3 * 1.4, "sym_eigvals n = %zu: a known spectrum (err %g)",
              ne, ee);
    lrs_mat_destroy(&Qe);
    lrs_mat_destroy(&Ae);
    free(qe);
    free(ae);
    free(lam);
    free(we);
  }

  /* Thin SVD reconstructs A. */
  double b[6 * 4], u[6 * 4], vt[16], s[4];
  lrs_mat *B = make(la, 6, 4, 0.77, b), *U = NULL, *Vt = NULL;
  lrs_mat_create(la, 6, 4, &U);
  lrs_mat_create(la, 4, 4, &Vt);
  LRS_CHECK(lrs_mat_svd(B, s, U, Vt) == LRS_OK, "svd runs");
  lrs_mat_get_global(U, u);
  lrs_mat_get_global(Vt, vt);
  double rec = 0.0;
  for (size_t i = 0; i < 6; i++)
    for (size_t j = 0; j < 4; j++) {
      double acc = 0.0;
      for (size_t k = 0; k < 4; k++)
        acc += u[i + k * 6] * s[k] * vt[k + j * 4];
      rec = fmax(rec, fabs(acc - b[i + j * 6]));
    }
  LRS_CHECK(rec < 1e-13 && s[0] >= s[1] && s[1] >= s[2] && s[2] >= s[3],
            "svd: U·diag(s)·Vt = A, s descending (err %g)", rec);
  lrs_mat_destroy(&B);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
}

/* Destroys views before their parents: list views first. */
static void destroy_mats(lrs_mat **const *mats, size_t n) {
  for (size_t i = 0; i < n; i++)
    lrs_mat_destroy(mats[i]);
}

/* lrs_mat_coupled_step against the update and the Gram written as loops:
 * B1 ← B1 + αG·B2, B2 ← B2 + αGᵀ·B1 (old B1), C = BBᵀ; widths below, at and
 * across the column block. */
static void test_coupled_step(lrs_linalg *la) {
  const size_t n = 5, m = 3, k = 8, widths[] = {1, 256, 600};
  const double alpha = -0.3;
  for (size_t iw = 0; iw < sizeof widths / sizeof *widths; iw++) {
    const size_t w = widths[iw];
    double *b = malloc(k * w * sizeof *b), *ref = malloc(k * w * sizeof *ref);
    double *got = malloc(k * w * sizeof *got), *t = malloc(n * w * sizeof *t);
    double g[15], c[64], cref[64];
    lrs_mat *B = make(la, k, w, 0.6, b), *G = make(la, n, m, 2.2, g), *T = NULL, *C = NULL;
    lrs_mat *B1 = NULL, *B2 = NULL;
    lrs_mat_create(la, n, w, &T);
    lrs_mat_create(la, k, k, &C);
    lrs_mat_view(B, 0, 0, n, w, &B1);
    lrs_mat_view(B, n, 0, m, w, &B2);
    for (size_t j = 0; j < w; j++) {
      for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t l = 0; l < m; l++)
          s += g[i + l * n] * b[n + l + j * k];
        ref[i + j * k] = b[i + j * k] + alpha * s;
      }
      for (size_t i = 0; i < m; i++) {
        double s = 0.0;
        for (size_t l = 0; l < n; l++)
          s += g[l + i * n] * b[l + j * k];
        ref[n + i + j * k] = b[n + i + j * k] + alpha * s;
      }
    }
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < k; j++) {
        double s = 0.0;
        for (size_t l = 0; l < w; l++)
          s += ref[i + l * k] * ref[j + l * k];
        cref[i + j * k] = s;
      }
    lrs_status st = lrs_mat_coupled_step(B, B1, B2, G, alpha, T, C);
    lrs_mat_get_global(B, got);
    lrs_mat_get_global(C, c);
    lrs_mat_get_global(T, t);
    bool old_b1 = true, sym = true;
    for (size_t j = 0; j < w; j++)
      for (size_t i = 0; i < n; i++)
        old_b1 &= t[i + j * n] == b[i + j * k];
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < k; j++)
        sym &= c[i + j * k] == c[j + i * k];
    const double eb = lrs_test_max_abs_diff(got, ref, k * w),
                 ec = lrs_test_max_abs_diff(c, cref, k * k);
    LRS_CHECK(st == LRS_OK && eb < 1e-13 && ec < 1e-12 * (double)w && old_b1 && sym,
              "coupled step, width %zu: B (%.1g) and C = BBᵀ (%.1g, symmetric) as the loops, "
              "T the old B1", w, eb, ec);
    destroy_mats((lrs_mat **[]){&B1, &B2, &B, &G, &T, &C}, 6);
    free(b), free(ref), free(got), free(t);
  }
  lrs_mat *B = NULL, *G = NULL, *T = NULL, *C = NULL, *B1 = NULL, *B2 = NULL;
  lrs_mat_create(la, 8, 4, &B);
  lrs_mat_create(la, 4, 4, &G); /* needs n + m = 8 rows: 4 + 4 fits, but B1 has 5 */
  lrs_mat_create(la, 5, 4, &T);
  lrs_mat_create(la, 8, 8, &C);
  lrs_mat_view(B, 0, 0, 5, 4, &B1);
  lrs_mat_view(B, 5, 0, 3, 4, &B2);
  LRS_CHECK(lrs_mat_coupled_step(B, B1, B2, G, 1.0, T, C) == LRS_ERR_RANGE,
            "coupled step with G's shape not matching [B1; B2] is LRS_ERR_RANGE");
  destroy_mats((lrs_mat **[]){&B1, &B2, &B, &G, &T, &C}, 6);
}

int main(void) {
  lrs_linalg *la = NULL;
  LRS_CHECK(lrs_linalg_create_local(&la) == LRS_OK && la, "local backend created");
  LRS_CHECK(lrs_linalg_size(la) == 1, "local backend has one rank");
  test_gemm(la);
  test_views_level1(la);
  test_transpose(la);
  test_gram_eig(la);
  test_coupled_step(la);
  test_qr_svd(la);
  test_eig_extremes(la);
  lrs_mat *Z = NULL;
  LRS_CHECK(lrs_mat_create(la, 0, 3, &Z) == LRS_ERR_RANGE && !Z, "empty matrices are refused");
  lrs_linalg_destroy(&la);
  LRS_CHECK(la == NULL, "destroy clears the caller's pointer");
  lrs_linalg_destroy(&la); /* NULL-safe */
  return lrs_test_done();
}
