/*
 * tests/loss/loss_fd.h — what the loss tests share: deterministic matrices,
 * ∇ℓ and ∇²ℓ[V] by central differences, and the test that ℓ* is a minimum.
 * The checks themselves (LRS_CHECK) stay in each test.
 */
#ifndef LRSWEEP_TEST_LOSS_FD_H
#define LRSWEEP_TEST_LOSS_FD_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lrsweep/loss.h"

/* Deterministic high-entropy entries. */
static inline double entry(size_t i, size_t j, double salt) {
  return sin(2.385 * (double)i + 1.137 * (double)j + salt) +
         0.3 * cos(0.71 * (double)(i * j) + salt);
}

/* An r×c matrix of scale·entry(i, j, salt). */
static inline lrs_mat *mat(lrs_linalg *la, size_t r, size_t c, double salt, double scale) {
  lrs_mat *A = NULL;
  lrs_mat_create(la, r, c, &A);
  double *buf = malloc(r * c * sizeof *buf);
  for (size_t j = 0; j < c; j++)
    for (size_t i = 0; i < r; i++)
      buf[i + j * r] = scale * entry(i, j, salt);
  lrs_mat_set_global(A, buf);
  free(buf);
  return A;
}

/* A's entries, column-major, in a new array (the caller frees it). */
static inline double *global(const lrs_mat *A) {
  double *b = malloc(lrs_mat_rows(A) * lrs_mat_cols(A) * sizeof *b);
  lrs_mat_get_global(A, b);
  return b;
}

/* ‖A − B‖_F/‖B‖_F. */
static inline double rel_err(const lrs_mat *A, const lrs_mat *B) {
  lrs_mat *D = NULL;
  lrs_mat_create(lrs_mat_linalg(A), lrs_mat_rows(A), lrs_mat_cols(A), &D);
  lrs_mat_copy(A, D);
  lrs_mat_axpy(-1.0, B, D);
  double num, den;
  lrs_mat_norm_fro(D, &num);
  lrs_mat_norm_fro(B, &den);
  lrs_mat_destroy(&D);
  return num / den;
}

/* ℓ (into *vp, *vm) and ∇ℓ (into Gp, Gm unless NULL) at w ± h·e_c, through W
 * (w holds W's entries, column-major); w[c] is restored, W is not. */
static inline void eval_pm(lrs_loss *l, lrs_mat *W, double *w, size_t c, double h, double *vp,
                           double *vm, lrs_mat *Gp, lrs_mat *Gm) {
  const double w0 = w[c];
  w[c] = w0 + h;
  lrs_mat_set_global(W, w);
  lrs_loss_eval(l, W, vp, Gp);
  w[c] = w0 - h;
  lrs_mat_set_global(W, w);
  lrs_loss_eval(l, W, vm, Gm);
  w[c] = w0;
}

/* ∇ℓ(W) by central differences of ℓ (step h) into Gfd; W is left as it was. */
static inline void grad_fd(lrs_loss *l, lrs_mat *W, lrs_mat *Gfd, double h) {
  const size_t n = lrs_mat_rows(W), m = lrs_mat_cols(W);
  double *w = global(W), *g = malloc(n * m * sizeof *g);
  for (size_t c = 0; c < n * m; c++) {
    double vp, vm;
    eval_pm(l, W, w, c, h, &vp, &vm, NULL, NULL);
    g[c] = (vp - vm) / (2.0 * h);
  }
  lrs_mat_set_global(W, w);
  lrs_mat_set_global(Gfd, g);
  free(w);
  free(g);
}

/* ∇²ℓ(W)[V] against (∇ℓ(W + hV) − ∇ℓ(W − hV))/(2h), h = 1e-5: the relative
 * error (rel_err). */
static inline double hess_action_err(lrs_loss *l, lrs_mat *W, const lrs_mat *V) {
  lrs_linalg *la = lrs_mat_linalg(W);
  const size_t n = lrs_mat_rows(W), m = lrs_mat_cols(W);
  lrs_mat *G = NULL, *HV = NULL, *Gp = NULL, *Gm = NULL;
  lrs_mat_create(la, n, m, &G);
  lrs_mat_create(la, n, m, &HV);
  lrs_mat_create(la, n, m, &Gp);
  lrs_mat_create(la, n, m, &Gm);
  const double h = 1e-5;
  double v;
  lrs_loss_eval(l, W, &v, G);
  lrs_loss_hess_apply(l, V, HV);
  lrs_mat_axpy(h, V, W);
  lrs_loss_eval(l, W, &v, Gp);
  lrs_mat_axpy(-2.0 * h, V, W);
  lrs_loss_eval(l, W, &v, Gm);
  lrs_mat_axpy(h, V, W);
  lrs_mat_axpy(-1.0, Gm, Gp);
  lrs_mat_scal(1.0 / (2.0 * h), Gp);
  const double e = rel_err(HV, Gp);
  lrs_mat *all[] = {G, HV, Gp, Gm};
  for (size_t i = 0; i < 4; i++)
    lrs_mat_destroy(&all[i]);
  return e;
}

/* ℓ(W* + D) > star for five small perturbations D (entries ~1e-3); Ws (W*)
 * is left as it was. */
static inline bool above_star(lrs_loss *l, lrs_mat *Ws, double star) {
  lrs_linalg *la = lrs_mat_linalg(Ws);
  const size_t n = lrs_mat_rows(Ws), m = lrs_mat_cols(Ws);
  bool above = true;
  for (int s = 0; s < 5; s++) {
    lrs_mat *D = mat(la, n, m, 3.1 + s, 1e-3);
    double val;
    lrs_mat_axpy(1.0, D, Ws);
    lrs_loss_eval(l, Ws, &val, NULL);
    above = above && val > star;
    lrs_mat_axpy(-1.0, D, Ws);
    lrs_mat_destroy(&D);
  }
  return above;
}

#endif
