/* The [P2] LoRA model (lrsweep/lora.h, papers.md §2). */
#include "lrsweep/lora.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/kind.h"
#include "lrsweep/problem.h"
#include "lrsweep/rate.h"

/* Every matrix the model owns: (field, rows, cols), sizes in terms of the
 * locals m, n, h, r, k of lora_alloc.  One list drives creation and
 * destruction. */
#define LORA_MATS(X)                                                           \
  /* problem (papers.md §2.1) */                                               \
  X(Ypre, m, n) X(dY, m, n) X(U, m, k) X(Vt, k, n) X(G, h, k) X(W1, h, n)     \
  X(W2, m, h) X(u, m, 1) X(v, n, 1) X(g, h, 1)                                 \
  /* adapters, gradient (also hess_vec's output), hess_vec's direction */      \
  X(A1, r, n) X(B1, h, r) X(A2, r, h) X(B2, m, r)                              \
  X(gA1, r, n) X(gB1, h, r) X(gA2, r, h) X(gB2, m, r)                          \
  X(dA1, r, n) X(dB1, h, r) X(dA2, r, h) X(dB2, m, r)                          \
  /* per-θ cache of eval: K = A2B1, Q2 = P2B1, T1 = A2W1, R1 = A2P1, F, E */   \
  X(K, r, r) X(Q2, m, r) X(T1, r, n) X(R1, r, n) X(F, m, n) X(E, m, n)         \
  /* scratch of eval / hess_vec / observe */                                   \
  X(S1, m, r) X(S2, r, n) X(Ta, r, r) X(Tb, r, r) X(Kd1, r, r) X(Kd2, r, r)    \
  X(X1, r, n) X(X2, m, r) X(Xmn, m, n) X(dR1, r, n) X(dQ2, m, r) X(Y, m, r)    \
  X(dS2, r, n) X(C, r, r) X(w, r, 1) X(yB, h, 1) X(yA, n, 1) X(bg, r, 1)       \
  X(av, r, 1) X(Fv, m, 1)

typedef struct lora {
  lrs_lora_problem pb; /* the public view (lrs_lora_problem_of) */
#define LORA_FIELD(name, rows, cols) lrs_mat *name;
  LORA_MATS(LORA_FIELD)
#undef LORA_FIELD
  double *s;     /* k singular values of Y_pre */
  size_t *dirs;  /* r singular indices of the spectral init */
  double *theta; /* P = r(n + 2h + m) */
  size_t P;
  double loss;   /* L at the last eval */

  /* r×r eigenproblems of observe (GSL, workspace sized at creation) */
  double *gram, *evals, *evecs, *wtop;
  gsl_eigen_symmv_workspace *eig;

  /* alignment phase and the last observed state */
  bool align_done;
  double align_end, align_plateau, last_loss;

  /* (x, L) of recorded states for local_rate, decimated when full */
  double *rx, *ry;
  size_t rcap, rlen, rstride, rcount;
} lora;

static lora *impl(const lrs_model *m) { return m->impl; }

static const double SQRT1_2 = 0.70710678118654752440; /* 1/√2 of γ1 */

/* ------------------------------------------------------------ helpers */

static lrs_status alloc_doubles(size_t count, double **a) {
  *a = malloc((count ? count : 1) * sizeof **a);
  return LRS_CHECK_ALLOC(*a);
}

/* θ blocks ↔ local blocks of the adapter matrices (lrsweep/lora.h layout). */
static size_t block_len(const lrs_mat *M) {
  const lrs_mat_block b = lrs_mat_local(M);
  return b.rows * b.cols;
}

static const double *unpack(lrs_mat *M, const double *src) {
  const lrs_mat_block b = lrs_mat_local(M);
  for (size_t j = 0; j < b.cols; j++)
    memcpy(b.data + j * b.ld, src + j * b.rows, b.rows * sizeof *src);
  return src + b.rows * b.cols;
}

static double *pack(const lrs_mat *M, double *dst) {
  const lrs_mat_block b = lrs_mat_local(M);
  for (size_t j = 0; j < b.cols; j++)
    memcpy(dst + j * b.rows, b.data + j * b.ld, b.rows * sizeof *dst);
  return dst + b.rows * b.cols;
}

static void unpack4(lrs_mat *M1, lrs_mat *M2, lrs_mat *M3, lrs_mat *M4, const double *src) {
  unpack(M4, unpack(M3, unpack(M2, unpack(M1, src))));
}

static void pack4(const lrs_mat *M1, const lrs_mat *M2, const lrs_mat *M3, const lrs_mat *M4,
                  double *dst) {
  pack(M4, pack(M3, pack(M2, pack(M1, dst))));
}

#define GEMM(ta, tb, alpha, A, B, beta, C)                                     \
  LRS_TRY(lrs_mat_gemm(LRS_##ta, LRS_##tb, (alpha), (A), (B), (beta), (C)))

/* ------------------------------------------------------------ eval */

/* F = P2P1 − W2W1 = Q2A1 + B2T1 and E = ΔY − F (lrsweep/lora.h,
 * papers.md §2.1), plus the factors K, Q2, T1, R1 the gradient and
 * hess_vec reuse. */
static lrs_status residual(lora *t) {
  GEMM(NOTRANS, NOTRANS, 1.0, t->A2, t->B1, 0.0, t->K);  /* K = A2B1 */
  GEMM(NOTRANS, NOTRANS, 1.0, t->W2, t->B1, 0.0, t->Q2); /* Q2 = W2B1 + B2K */
  GEMM(NOTRANS, NOTRANS, 1.0, t->B2, t->K, 1.0, t->Q2);
  GEMM(NOTRANS, NOTRANS, 1.0, t->A2, t->W1, 0.0, t->T1); /* T1 = A2W1 */
  LRS_TRY(lrs_mat_copy(t->T1, t->R1));                    /* R1 = T1 + KA1 */
  GEMM(NOTRANS, NOTRANS, 1.0, t->K, t->A1, 1.0, t->R1);
  GEMM(NOTRANS, NOTRANS, 1.0, t->Q2, t->A1, 0.0, t->F);
  GEMM(NOTRANS, NOTRANS, 1.0, t->B2, t->T1, 1.0, t->F);
  LRS_TRY(lrs_mat_copy(t->dY, t->E));
  return lrs_mat_axpy(-1.0, t->F, t->E);
}

static size_t op_param_count(const lrs_model *m) { return impl(m)->P; }

static double *op_params(lrs_model *m) { return impl(m)->theta; }

static lrs_status op_eval(lrs_model *m, double *excess, double *grad) {
  lora *t = impl(m);
  unpack4(t->A1, t->B1, t->A2, t->B2, t->theta);
  LRS_TRY(residual(t));
  double nrm;
  LRS_TRY(lrs_mat_norm_fro(t->E, &nrm));
  t->loss = 0.5 * nrm * nrm; /* L = ½‖E‖², ℓ* = 0 */
  *excess = t->loss;
  if (!grad)
    return LRS_OK;
  /* ∇L = −(GF field of papers.md §2.1). */
  GEMM(NOTRANS, TRANS, 1.0, t->E, t->A1, 0.0, t->S1); /* S1 = EA1ᵀ */
  GEMM(TRANS, NOTRANS, 1.0, t->B2, t->S1, 0.0, t->Ta);
  GEMM(TRANS, NOTRANS, -1.0, t->W2, t->S1, 0.0, t->gB1); /* −P2ᵀEA1ᵀ */
  GEMM(TRANS, NOTRANS, -1.0, t->A2, t->Ta, 1.0, t->gB1);
  GEMM(TRANS, NOTRANS, -1.0, t->Q2, t->E, 0.0, t->gA1);  /* −(P2B1)ᵀE */
  GEMM(NOTRANS, TRANS, -1.0, t->E, t->R1, 0.0, t->gB2);  /* −E(A2P1)ᵀ */
  GEMM(TRANS, NOTRANS, 1.0, t->B2, t->E, 0.0, t->S2);    /* S2 = B2ᵀE */
  GEMM(NOTRANS, TRANS, 1.0, t->S2, t->A1, 0.0, t->Tb);
  GEMM(NOTRANS, TRANS, -1.0, t->S2, t->W1, 0.0, t->gA2); /* −S2P1ᵀ */
  GEMM(NOTRANS, TRANS, -1.0, t->Tb, t->B1, 1.0, t->gA2);
  pack4(t->gA1, t->gB1, t->gA2, t->gB2, grad);
  return LRS_OK;
}

/*
 * hv = ∇²L·v by the product rule on the gradient of op_eval, with
 * d = the direction v: dP2 = dB2A2 + B2dA2, dP1 = dB1A1 + B1dA1,
 * dF = dP2P1 + P2dP1 = dB2R1 + B2X1 + X2A1 + Q2dA1 (X1 = dA2P1, X2 = P2dB1),
 * dE = −dF, and
 *   d∇_{B1} = −[dP2ᵀS1 + P2ᵀ(dE A1ᵀ + E dA1ᵀ)],  S1 = EA1ᵀ
 *   d∇_{A1} = −dQ2ᵀE + Q2ᵀdF,                     dQ2 = dB2K + B2Kd1 + X2
 *   d∇_{B2} = dF R1ᵀ − E dR1ᵀ,                    dR1 = X1 + Kd2A1 + K dA1
 *   d∇_{A2} = −[dS2P1ᵀ + S2dP1ᵀ],                 dS2 = dB2ᵀE − B2ᵀdF
 * with Kd1 = dA2B1, Kd2 = A2dB1.  Low rank throughout, like eval.
 */
static lrs_status op_hess_vec(lrs_model *m, const double *vec, double *hv) {
  lora *t = impl(m);
  unpack4(t->dA1, t->dB1, t->dA2, t->dB2, vec);
  GEMM(NOTRANS, TRANS, 1.0, t->E, t->A1, 0.0, t->S1);
  GEMM(TRANS, NOTRANS, 1.0, t->B2, t->E, 0.0, t->S2);
  GEMM(NOTRANS, NOTRANS, 1.0, t->dA2, t->B1, 0.0, t->Kd1);
  GEMM(NOTRANS, NOTRANS, 1.0, t->A2, t->dB1, 0.0, t->Kd2);
  GEMM(NOTRANS, NOTRANS, 1.0, t->dA2, t->W1, 0.0, t->X1); /* X1 = dA2P1 */
  GEMM(NOTRANS, NOTRANS, 1.0, t->Kd1, t->A1, 1.0, t->X1);
  GEMM(NOTRANS, NOTRANS, 1.0, t->W2, t->dB1, 0.0, t->X2); /* X2 = P2dB1 */
  GEMM(NOTRANS, NOTRANS, 1.0, t->B2, t->Kd2, 1.0, t->X2);
  lrs_mat *dF = t->Xmn;
  GEMM(NOTRANS, NOTRANS, 1.0, t->dB2, t->R1, 0.0, dF);
  GEMM(NOTRANS, NOTRANS, 1.0, t->B2, t->X1, 1.0, dF);
  GEMM(NOTRANS, NOTRANS, 1.0, t->X2, t->A1, 1.0, dF);
  GEMM(NOTRANS, NOTRANS, 1.0, t->Q2, t->dA1, 1.0, dF);
  LRS_TRY(lrs_mat_copy(t->X1, t->dR1));
  GEMM(NOTRANS, NOTRANS, 1.0, t->Kd2, t->A1, 1.0, t->dR1);
  GEMM(NOTRANS, NOTRANS, 1.0, t->K, t->dA1, 1.0, t->dR1);
  LRS_TRY(lrs_mat_copy(t->X2, t->dQ2));
  GEMM(NOTRANS, NOTRANS, 1.0, t->dB2, t->K, 1.0, t->dQ2);
  GEMM(NOTRANS, NOTRANS, 1.0, t->B2, t->Kd1, 1.0, t->dQ2);
  /* B1 block: Y = dE A1ᵀ + E dA1ᵀ */
  GEMM(NOTRANS, TRANS, 1.0, t->E, t->dA1, 0.0, t->Y);
  GEMM(NOTRANS, TRANS, -1.0, dF, t->A1, 1.0, t->Y);
  GEMM(TRANS, NOTRANS, 1.0, t->dB2, t->S1, 0.0, t->Ta);
  GEMM(TRANS, NOTRANS, 1.0, t->B2, t->Y, 1.0, t->Ta);
  GEMM(TRANS, NOTRANS, 1.0, t->B2, t->S1, 0.0, t->Tb);
  GEMM(TRANS, NOTRANS, -1.0, t->A2, t->Ta, 0.0, t->gB1);
  GEMM(TRANS, NOTRANS, -1.0, t->dA2, t->Tb, 1.0, t->gB1);
  GEMM(TRANS, NOTRANS, -1.0, t->W2, t->Y, 1.0, t->gB1);
  /* A1 block */
  GEMM(TRANS, NOTRANS, -1.0, t->dQ2, t->E, 0.0, t->gA1);
  GEMM(TRANS, NOTRANS, 1.0, t->Q2, dF, 1.0, t->gA1);
  /* B2 block */
  GEMM(NOTRANS, TRANS, 1.0, dF, t->R1, 0.0, t->gB2);
  GEMM(NOTRANS, TRANS, -1.0, t->E, t->dR1, 1.0, t->gB2);
  /* A2 block: dS2P1ᵀ + S2dP1ᵀ = dS2W1ᵀ + (dS2A1ᵀ + S2dA1ᵀ)B1ᵀ + (S2A1ᵀ)dB1ᵀ */
  GEMM(TRANS, NOTRANS, 1.0, t->dB2, t->E, 0.0, t->dS2);
  GEMM(TRANS, NOTRANS, -1.0, t->B2, dF, 1.0, t->dS2);
  GEMM(NOTRANS, TRANS, 1.0, t->dS2, t->A1, 0.0, t->Ta);
  GEMM(NOTRANS, TRANS, 1.0, t->S2, t->dA1, 1.0, t->Ta);
  GEMM(NOTRANS, TRANS, 1.0, t->S2, t->A1, 0.0, t->Tb);
  GEMM(NOTRANS, TRANS, -1.0, t->dS2, t->W1, 0.0, t->gA2);
  GEMM(NOTRANS, TRANS, -1.0, t->Ta, t->B1, 1.0, t->gA2);
  GEMM(NOTRANS, TRANS, -1.0, t->Tb, t->dB1, 1.0, t->gA2);
  pack4(t->gA1, t->gB1, t->gA2, t->gB2, hv);
  return LRS_OK;
}

/* ------------------------------------------------------------ observe */

/* λ_max of ZᵀZ = BᵀB + AAᵀ (r×r) for Z = [B; Aᵀ]; when want_vec, t->w ← its
 * unit eigenvector.  GSL's symmv on a replicated copy (identical on every
 * rank). */
static lrs_status gram_top(lora *t, const lrs_mat *A, const lrs_mat *B, bool want_vec,
                           double *lmax) {
  const size_t r = t->pb.r;
  GEMM(TRANS, NOTRANS, 1.0, B, B, 0.0, t->C);
  GEMM(NOTRANS, TRANS, 1.0, A, A, 1.0, t->C);
  LRS_TRY(lrs_mat_get_global(t->C, t->gram));
  gsl_matrix_view Cv = gsl_matrix_view_array(t->gram, r, r); /* symmetric */
  gsl_vector_view ev = gsl_vector_view_array(t->evals, r);
  gsl_matrix_view Vv = gsl_matrix_view_array(t->evecs, r, r);
  const int rc = gsl_eigen_symmv(&Cv.matrix, &ev.vector, &Vv.matrix, t->eig);
  if (rc != GSL_SUCCESS)
    return LRS_RAISE(LRS_ERR_GSL, "eigen-decomposition of a %zux%zu Gram matrix: %s", r, r,
                     gsl_strerror(rc));
  size_t top = 0;
  for (size_t i = 1; i < r; i++)
    if (t->evals[i] > t->evals[top])
      top = i;
  *lmax = t->evals[top];
  if (!want_vec)
    return LRS_OK;
  for (size_t i = 0; i < r; i++) /* column `top` of the row-major eigenvectors */
    t->wtop[i] = t->evecs[i * r + top];
  return lrs_mat_set_global(t->w, t->wtop);
}

/* log10(1 − |cos(γ1, U_Z1)|) with U_Z1 = Z1w/‖Z1w‖ (w = t->w, from
 * gram_top), as log10(½‖U − sγ1‖²), s = sign(cos) (papers.md §2.3). */
static lrs_status misalign(lora *t, double *out) {
  GEMM(NOTRANS, NOTRANS, 1.0, t->B1, t->w, 0.0, t->yB); /* Z1w = [B1w; A1ᵀw] */
  GEMM(TRANS, NOTRANS, 1.0, t->A1, t->w, 0.0, t->yA);
  double nb, na, db, da;
  LRS_TRY(lrs_mat_norm_fro(t->yB, &nb));
  LRS_TRY(lrs_mat_norm_fro(t->yA, &na));
  const double ny = hypot(nb, na);
  if (!(ny > 0.0)) {
    *out = NAN;
    return LRS_OK;
  }
  LRS_TRY(lrs_mat_dot(t->g, t->yB, &db));
  LRS_TRY(lrs_mat_dot(t->v, t->yA, &da));
  const double s = db + da >= 0.0 ? 1.0 : -1.0;
  LRS_TRY(lrs_mat_scal(1.0 / ny, t->yB));
  LRS_TRY(lrs_mat_scal(1.0 / ny, t->yA));
  LRS_TRY(lrs_mat_axpy(-s * SQRT1_2, t->g, t->yB));
  LRS_TRY(lrs_mat_axpy(-s * SQRT1_2, t->v, t->yA));
  LRS_TRY(lrs_mat_norm_fro(t->yB, &nb));
  LRS_TRY(lrs_mat_norm_fro(t->yA, &na));
  const double d = hypot(nb, na);
  *out = log10(0.5 * d * d);
  return LRS_OK;
}

/* Stores (x, L) for local_rate; halves the density when the buffer is full. */
static void rate_push(lora *t, double x, double y) {
  if (t->rcount++ % t->rstride != 0)
    return;
  if (t->rlen == t->rcap) {
    size_t j = 0;
    for (size_t i = 0; i < t->rlen; i += 2, j++) {
      t->rx[j] = t->rx[i];
      t->ry[j] = t->ry[i];
    }
    t->rlen = j;
    t->rstride *= 2;
    if ((t->rcount - 1) % t->rstride != 0)
      return;
  }
  t->rx[t->rlen] = x;
  t->ry[t->rlen] = y;
  t->rlen++;
}

static lrs_status op_observe(lrs_model *m, const lrs_observe *obs, lrs_record *rec) {
  lora *t = impl(m);
  if (rec) {
    rec->loss_signal = rec->loss_noise = rec->log10_misalign = NAN;
    rec->z1_fro = rec->z2_fro = rec->z1_spec = rec->z2_spec = rec->z_ratio = NAN;
    rec->signal_coord = NAN;
  }
  t->last_loss = obs->loss;
  if (!obs->finite)
    return LRS_OK;
  const double x = obs->discrete ? (double)obs->step : obs->time;

  double na1, nb1, na2, nb2;
  LRS_TRY(lrs_mat_norm_fro(t->A1, &na1));
  LRS_TRY(lrs_mat_norm_fro(t->B1, &nb1));
  const double z1 = hypot(nb1, na1);

  double l1 = NAN, mis = NAN;
  const bool ends = !t->align_done &&
                    (t->pb.init == LRS_INIT_SPECTRAL || z1 >= t->pb.align_threshold);
  if (ends || rec) {
    LRS_TRY(gram_top(t, t->A1, t->B1, true, &l1));
    LRS_TRY(misalign(t, &mis));
  }
  if (ends) { /* spectral: the first observed state (no alignment phase) */
    t->align_done = true;
    t->align_end = x;
    t->align_plateau = t->pb.init == LRS_INIT_SPECTRAL ? NAN : mis;
  }
  if (t->align_done && rec)
    rate_push(t, x, obs->loss);
  if (!rec)
    return LRS_OK;

  /* L_S = ½(σ − uᵀFv)², L_N = ½‖E − (uᵀEv)uvᵀ‖² (papers.md §2.3) */
  double uFv, nN;
  GEMM(NOTRANS, NOTRANS, 1.0, t->F, t->v, 0.0, t->Fv);
  LRS_TRY(lrs_mat_dot(t->u, t->Fv, &uFv));
  const double es = t->pb.sigma - uFv; /* = uᵀEv */
  LRS_TRY(lrs_mat_copy(t->E, t->Xmn));
  GEMM(NOTRANS, TRANS, -es, t->u, t->v, 1.0, t->Xmn);
  LRS_TRY(lrs_mat_norm_fro(t->Xmn, &nN));
  rec->loss_signal = 0.5 * es * es;
  rec->loss_noise = 0.5 * nN * nN;

  /* ‖Z‖ (papers.md §2.1), misalignment, signal coordinate gᵀB1A1v */
  double l2;
  LRS_TRY(lrs_mat_norm_fro(t->A2, &na2));
  LRS_TRY(lrs_mat_norm_fro(t->B2, &nb2));
  LRS_TRY(gram_top(t, t->A2, t->B2, false, &l2));
  const double z2 = hypot(nb2, na2);
  rec->z1_fro = z1;
  rec->z2_fro = z2;
  rec->z1_spec = sqrt(fmax(l1, 0.0));
  rec->z2_spec = sqrt(fmax(l2, 0.0));
  rec->z_ratio = (z1 * z1) / (z2 * z2);
  rec->log10_misalign = mis;
  GEMM(TRANS, NOTRANS, 1.0, t->B1, t->g, 0.0, t->bg);
  GEMM(NOTRANS, NOTRANS, 1.0, t->A1, t->v, 0.0, t->av);
  return lrs_mat_dot(t->bg, t->av, &rec->signal_coord);
}

static lrs_status op_summarize(lrs_model *m, lrs_summary *s) {
  lora *t = impl(m);
  s->loss_star = 0.0;
  s->theory.applicable = false;
  lrs_lora_summary *l = &s->lora;
  l->delta_w = t->pb.delta_w;
  l->sigma_w1 = t->pb.sigma_w1;
  l->sigma_w2 = t->pb.sigma_w2;
  l->align_end = t->align_done ? t->align_end : NAN;
  l->align_plateau = t->align_done ? t->align_plateau : NAN;
  l->final_floor = t->last_loss;
  const lrs_rate_fit f = lrs_rate_fit_curve(t->rx, t->ry, t->rlen, NULL);
  l->local_rate = f.ok ? f.rate : NAN;
  return LRS_OK;
}

static void lora_free(lora *t) {
  if (!t)
    return;
#define LORA_DESTROY(name, rows, cols) lrs_mat_destroy(&t->name);
  LORA_MATS(LORA_DESTROY)
#undef LORA_DESTROY
  if (t->eig)
    gsl_eigen_symmv_free(t->eig);
  free(t->s);
  free(t->dirs);
  free(t->theta);
  free(t->gram);
  free(t->evals);
  free(t->evecs);
  free(t->wtop);
  free(t->rx);
  free(t->ry);
  free(t);
}

static void op_destroy(lrs_model *m) {
  lora_free(m->impl);
  m->impl = NULL;
}

static lrs_status op_dump(lrs_model *m, lrs_dump_fn emit, void *ctx) {
  const lrs_lora_problem *P = &impl(m)->pb;
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "Y_pre", P->Y_pre, "pre-trained target Y_pre = W2 W1 (m×n)"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "dY", P->dY, "fine-tuning change ΔY = σ u vᵀ (m×n)"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "W1", P->W1, "pre-trained factor W1 (h×n)"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "W2", P->W2, "pre-trained factor W2 (m×h)"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "G", P->G, "orthonormal columns G (h×k) of the factors"));
  /* θ = [vec(A1); vec(B1); vec(A2); vec(B2)], each column-major (lora.h). */
  const double *theta = impl(m)->theta;
  const size_t r = P->r, n = P->n, h = P->h, mm = P->m;
  const struct {
    const char *name;
    size_t rows, cols;
    const char *doc;
  } blocks[] = {{"A1", r, n, "initial adapter A1 (r×n); P1 = W1 + B1 A1"},
                {"B1", h, r, "initial adapter B1 (h×r)"},
                {"A2", r, h, "initial adapter A2 (r×h); P2 = W2 + B2 A2"},
                {"B2", mm, r, "initial adapter B2 (m×r); loss ½‖Y_pre + ΔY − P2 P1‖²"}};
  size_t offset = 0;
  for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
    LRS_TRY(emit(ctx, blocks[b].name, blocks[b].rows, blocks[b].cols, theta + offset,
                 blocks[b].doc));
    offset += blocks[b].rows * blocks[b].cols;
  }
  return LRS_OK;
}

static const lrs_model_ops lora_ops = {
    .kind = LRS_MODEL_LORA,
    .param_count = op_param_count,
    .params = op_params,
    .eval = op_eval,
    .hess_vec = op_hess_vec,
    .observe = op_observe,
    .account_step = NULL,
    .dump = op_dump,
    .summarize = op_summarize,
    .destroy = op_destroy,
};

/* ------------------------------------------------------------ create */

/* What construction needs of the values (the constraints between
 * parameters are the catalog row's check, below). */
static lrs_status check_point(const lrs_point *p, double alpha) {
  if (p->input_dim < 1 || p->output_dim < 1 || p->width < 1 || p->lora_rank < 1)
    return LRS_RAISE(LRS_ERR_CONFIG,
                     "input_dim = %lld, output_dim = %lld, width = %lld, lora_rank = %lld "
                     "must all be ≥ 1",
                     (long long)p->input_dim, (long long)p->output_dim, (long long)p->width,
                     (long long)p->lora_rank);
  if (!(p->balance > 0.0) || !isfinite(p->balance))
    return LRS_RAISE(LRS_ERR_CONFIG, "balance = %g must be positive and finite", p->balance);
  if (!isfinite(p->delta_scale))
    return LRS_RAISE(LRS_ERR_CONFIG, "delta_scale = %g must be finite", p->delta_scale);
  if ((unsigned)p->delta_pair >= LRS_PAIR_COUNT)
    return LRS_RAISE(LRS_ERR_CONFIG, "delta_pair %d unknown", (int)p->delta_pair);
  if (!(alpha > 0.0) || !isfinite(alpha))
    return LRS_RAISE(LRS_ERR_CONFIG,
                     "init_scale/init_exponent give α = %g: the lora init needs α > 0 finite",
                     alpha);
  return LRS_OK;
}

static lrs_status lora_alloc(lora *t, lrs_linalg *la) {
  const size_t m = t->pb.m, n = t->pb.n, h = t->pb.h, r = t->pb.r, k = t->pb.k;
#define LORA_CREATE(name, rows, cols) LRS_TRY(lrs_mat_create(la, (rows), (cols), &t->name));
  LORA_MATS(LORA_CREATE)
#undef LORA_CREATE
  t->P = block_len(t->A1) + block_len(t->B1) + block_len(t->A2) + block_len(t->B2);
  LRS_TRY(alloc_doubles(t->P, &t->theta));
  LRS_TRY(alloc_doubles(k, &t->s));
  t->dirs = malloc(r * sizeof *t->dirs);
  LRS_TRY(LRS_CHECK_ALLOC(t->dirs));
  LRS_TRY(alloc_doubles(r * r, &t->gram));
  LRS_TRY(alloc_doubles(r * r, &t->evecs));
  LRS_TRY(alloc_doubles(r, &t->evals));
  LRS_TRY(alloc_doubles(r, &t->wtop));
  t->eig = gsl_eigen_symmv_alloc(r);
  if (!t->eig)
    return LRS_RAISE(LRS_ERR_GSL, "GSL could not allocate an eigen workspace of size %zu", r);
  LRS_TRY(alloc_doubles(t->rcap, &t->rx));
  LRS_TRY(alloc_doubles(t->rcap, &t->ry));
  return LRS_OK;
}

/* Capacity of the local_rate buffer: the point's most records
 * (lrs_point_max_records; every pair rate_push keeps comes with a record),
 * within [64, LRS_LORA_RATE_MAX_POINTS]; rate_push decimates beyond it (the
 * fit of lrsweep/rate.h is O(n²)). */
static size_t rate_capacity(const lrs_point *p) {
  enum { CAP_MIN = 64, CAP_MAX = LRS_LORA_RATE_MAX_POINTS };
  const int64_t c = lrs_point_max_records(p);
  return c < CAP_MIN ? CAP_MIN : c > CAP_MAX ? CAP_MAX : (size_t)c;
}

/* Y_pre, its SVD with signs fixed, G, W1, W2, u, v, g, ΔY (papers.md §2.1). */
static lrs_status make_problem(lora *t, const lrs_point *p, gsl_rng *data, gsl_rng *init,
                               double *gbuf, double *ubuf, double *vbuf, double *buf) {
  lrs_lora_problem *pb = &t->pb;
  const size_t m = pb->m, n = pb->n, h = pb->h, k = pb->k;
  lrs_linalg *la = lrs_mat_linalg(t->A1);
  lrs_status st = LRS_OK;
  lrs_mat *Us = NULL, *Vs = NULL;

  lrs_problem_normals(data, buf, m * n, 1.0);
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->Ypre, buf), done);
  LRS_TRY_GOTO(st, lrs_mat_svd(t->Ypre, t->s, t->U, t->Vt), done);
  /* Sign of each pair: the largest-magnitude entry of u_j positive. */
  LRS_TRY_GOTO(st, lrs_mat_get_global(t->U, ubuf), done);
  LRS_TRY_GOTO(st, lrs_mat_get_global(t->Vt, vbuf), done);
  for (size_t j = 0; j < k; j++) {
    size_t imax = 0;
    for (size_t i = 1; i < m; i++)
      if (fabs(ubuf[i + m * j]) > fabs(ubuf[imax + m * j]))
        imax = i;
    if (ubuf[imax + m * j] < 0.0) {
      for (size_t i = 0; i < m; i++)
        ubuf[i + m * j] = -ubuf[i + m * j];
      for (size_t c = 0; c < n; c++)
        vbuf[j + k * c] = -vbuf[j + k * c];
    }
  }
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->U, ubuf), done);
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->Vt, vbuf), done);

  /* G: Haar h×k (INIT stream first). */
  lrs_problem_normals(init, gbuf, h * k, 1.0);
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->G, gbuf), done);
  LRS_TRY_GOTO(st, lrs_mat_orthonormalize(t->G), done);
  LRS_TRY_GOTO(st, lrs_mat_get_global(t->G, gbuf), done);

  /* W2 = c·U Σ^{1/2} Gᵀ, W1 = (1/c)·G Σ^{1/2} V_Yᵀ */
  LRS_TRY_GOTO(st, lrs_mat_create(la, m, k, &Us), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, k, n, &Vs), done);
  for (size_t j = 0; j < k; j++) {
    const double rs = sqrt(t->s[j]);
    for (size_t i = 0; i < m; i++)
      buf[i + m * j] = pb->c * rs * ubuf[i + m * j];
  }
  LRS_TRY_GOTO(st, lrs_mat_set_global(Us, buf), done);
  for (size_t c = 0; c < n; c++)
    for (size_t j = 0; j < k; j++)
      buf[j + k * c] = sqrt(t->s[j]) / pb->c * vbuf[j + k * c];
  LRS_TRY_GOTO(st, lrs_mat_set_global(Vs, buf), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, Us, t->G, 0.0, t->W2), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->G, Vs, 0.0, t->W1), done);

  /* check W2W1 = Y_pre */
  double res, ny;
  LRS_TRY_GOTO(st, lrs_mat_copy(t->Ypre, t->Xmn), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, -1.0, t->W2, t->W1, 1.0, t->Xmn),
               done);
  LRS_TRY_GOTO(st, lrs_mat_norm_fro(t->Xmn, &res), done);
  LRS_TRY_GOTO(st, lrs_mat_norm_fro(t->Ypre, &ny), done);
  pb->factor_residual = ny > 0.0 ? res / ny : res;
  if (!(pb->factor_residual <= LRS_LORA_FACTOR_RTOL)) {
    st = LRS_RAISE(LRS_ERR_NUMERIC,
                   "pre-trained factors: ‖W2W1 − Y_pre‖/‖Y_pre‖ = %g exceeds %g",
                   pb->factor_residual, LRS_LORA_FACTOR_RTOL);
    goto done;
  }

  /* (u, v), ΔY = σuvᵀ, g = W1v/‖W1v‖, σ_W1, σ_W2, δ_w */
  pb->pair_index = p->delta_pair == LRS_PAIR_TOP ? 0 : k - 1;
  const size_t js = pb->pair_index;
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->u, ubuf + m * js), done);
  for (size_t c = 0; c < n; c++)
    buf[c] = vbuf[js + k * c];
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->v, buf), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, pb->sigma, t->u, t->v, 0.0, t->dY),
               done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->W1, t->v, 0.0, t->g), done);
  LRS_TRY_GOTO(st, lrs_mat_norm_fro(t->g, &pb->sigma_w1), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->W2, t->u, 0.0, t->yB), done);
  LRS_TRY_GOTO(st, lrs_mat_norm_fro(t->yB, &pb->sigma_w2), done);
  if (!(pb->sigma_w1 > 0.0)) {
    st = LRS_RAISE(LRS_ERR_NUMERIC, "‖W1v‖ = 0: the chosen singular value of Y_pre is 0");
    goto done;
  }
  LRS_TRY_GOTO(st, lrs_mat_scal(1.0 / pb->sigma_w1, t->g), done);
  pb->delta_w = pb->sigma_w1 / pb->sigma_w2;
  /* ‖Z1‖ of the Z1-only fit of ΔY: Z1 = S1·γ1 gives W2B1A1 = ΔY. */
  pb->z1_scale = sqrt(2.0 * fabs(pb->sigma) / pb->sigma_w2);
  pb->align_threshold = LRS_LORA_ALIGN_FRACTION * pb->z1_scale;
done:
  lrs_mat_destroy(&Us);
  lrs_mat_destroy(&Vs);
  return st;
}

/* The adapters' initial values (papers.md §2.2) into A1, A2 and θ. */
static lrs_status make_init(lora *t, gsl_rng *init, const double *gbuf, const double *vbuf,
                            double *buf) {
  lrs_lora_problem *pb = &t->pb;
  const size_t n = pb->n, h = pb->h, r = pb->r, k = pb->k;
  /* directions j_1 = j*, then the other indices in increasing order */
  t->dirs[0] = pb->pair_index;
  size_t i = 1;
  for (size_t j = 0; i < r && j < k; j++)
    if (j != pb->pair_index)
      t->dirs[i++] = j;
  for (; i < r; i++) /* small init with r > k: no direction */
    t->dirs[i] = SIZE_MAX;
  if (pb->init == LRS_INIT_SMALL) {
    lrs_problem_normals(init, buf, r * n, pb->alpha);
    LRS_TRY(lrs_mat_set_global(t->A1, buf));
    lrs_problem_normals(init, buf, r * h, pb->alpha);
    LRS_TRY(lrs_mat_set_global(t->A2, buf));
  } else {
    double *a = buf, *b = buf + r, *rows = buf + 2 * r;
    lrs_problem_normals(init, a, r, pb->alpha);
    lrs_problem_normals(init, b, r, pb->alpha);
    for (size_t c = 0; c < n; c++) /* row q of A1 = a_q v_{j_q}ᵀ */
      for (size_t q = 0; q < r; q++)
        rows[q + r * c] = a[q] * vbuf[t->dirs[q] + k * c];
    LRS_TRY(lrs_mat_set_global(t->A1, rows));
    for (size_t c = 0; c < h; c++) /* row q of A2 = b_q g_{j_q}ᵀ */
      for (size_t q = 0; q < r; q++)
        rows[q + r * c] = b[q] * gbuf[c + h * t->dirs[q]];
    LRS_TRY(lrs_mat_set_global(t->A2, rows));
  }
  LRS_TRY(lrs_mat_fill(t->B1, 0.0));
  LRS_TRY(lrs_mat_fill(t->B2, 0.0));
  pack4(t->A1, t->B1, t->A2, t->B2, t->theta);
  return lrs_mat_norm_fro(t->A1, &pb->z1_norm0); /* ‖Z1(0)‖ = ‖A1(0)‖ */
}

static lrs_status build(const lrs_point *p, lrs_model *shell) {
  const double alpha = lrs_point_init_std(p);
  LRS_TRY(check_point(p, alpha));
  lrs_linalg *la = shell->la;
  lrs_status st = LRS_OK;
  gsl_rng *data = NULL, *init = NULL;
  double *gbuf = NULL, *ubuf = NULL, *vbuf = NULL, *buf = NULL;
  lora *t = calloc(1, sizeof *t);
  if (!t)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a lora model");
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, st), done); /* local failures are agreed */
  lrs_lora_problem *pb = &t->pb;
  pb->m = (size_t)p->output_dim;
  pb->n = (size_t)p->input_dim;
  pb->h = (size_t)p->width;
  pb->r = (size_t)p->lora_rank;
  pb->k = pb->m < pb->n ? pb->m : pb->n;
  pb->c = p->balance;
  pb->sigma = p->delta_scale;
  pb->alpha = alpha;
  pb->init = p->init;
  pb->pair = p->delta_pair;
  t->rcap = rate_capacity(p);
  t->rstride = 1;
  t->align_end = t->align_plateau = t->last_loss = NAN;
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, lora_alloc(t, la)), done);

  const size_t m = pb->m, n = pb->n, h = pb->h, r = pb->r, k = pb->k;
  size_t nbuf = m * n; /* largest setup array */
  nbuf = nbuf > r * h ? nbuf : r * h;
  nbuf = nbuf > r * n + 2 * r ? nbuf : r * n + 2 * r;
  nbuf = nbuf > r * h + 2 * r ? nbuf : r * h + 2 * r;
  st = alloc_doubles(h * k, &gbuf);
  if (st == LRS_OK)
    st = alloc_doubles(m * k, &ubuf);
  if (st == LRS_OK)
    st = alloc_doubles(k * n, &vbuf);
  if (st == LRS_OK)
    st = alloc_doubles(nbuf, &buf);
  if (st == LRS_OK)
    st = lrs_problem_rng(p, LRS_STREAM_DATA, &data);
  if (st == LRS_OK)
    st = lrs_problem_rng(p, LRS_STREAM_INIT, &init);
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, st), done);
  LRS_TRY_GOTO(st, make_problem(t, p, data, init, gbuf, ubuf, vbuf, buf), done);
  LRS_TRY_GOTO(st, make_init(t, init, gbuf, vbuf, buf), done);

  pb->s = t->s;
  pb->dirs = t->dirs;
  pb->Y_pre = t->Ypre;
  pb->dY = t->dY;
  pb->U = t->U;
  pb->Vt = t->Vt;
  pb->G = t->G;
  pb->W1 = t->W1;
  pb->W2 = t->W2;
  pb->u = t->u;
  pb->v = t->v;
  pb->g = t->g;
  shell->ops = &lora_ops;
  shell->impl = t;
  t = NULL;
done:
  gsl_rng_free(data);
  gsl_rng_free(init);
  free(gbuf);
  free(ubuf);
  free(vbuf);
  free(buf);
  lora_free(t);
  return st;
}

static bool check(const lrs_point *p, lrs_violation *v) {
  const int64_t n = p->input_dim, m = p->output_dim, nm = n < m ? n : m;
  if (p->width < nm)
    return lrs_violate(v, LRS_ERR_CONFIG, "width",
                       "width = %lld is below min(input_dim, output_dim) = %lld; the "
                       "pre-trained factors need h ≥ min(n, m)",
                       (long long)p->width, (long long)nm);
  /* Row i of the spectral init uses the i-th singular pair (papers.md §2.2);
   * the small init draws A of any rank. */
  if (p->init == LRS_INIT_SPECTRAL && p->lora_rank > nm)
    return lrs_violate(v, LRS_ERR_CONFIG, "lora_rank",
                       "lora_rank = %lld exceeds min(n, m) = %lld: the spectral init has that "
                       "many singular directions",
                       (long long)p->lora_rank, (long long)nm);
  return true;
}

/* P1, P2 updates, P2P1, and the four adapter gradients (papers.md §2.1). */
static void cost(const lrs_point *p, double *per_eval, double *setup) {
  const double n = (double)p->input_dim, m = (double)p->output_dim, h = (double)p->width,
               r = (double)p->lora_rank;
  *per_eval = 2 * (n + m) * h * r + 2 * m * h * n + 4 * (m * n * (h + r) + (n + m) * h * r);
  *setup = 0.0;
}

static int64_t solve_width(const lrs_point *p) { return p->width; }

const lrs_model_type lrs_lora_type = {
    .inits = LRS_KIND_BIT(LRS_INIT_SMALL) | LRS_KIND_BIT(LRS_INIT_SPECTRAL),
    .losses = LRS_KIND_BIT(LRS_LOSS_SQUARED),
    .p1_theory = false,
    .check = check,
    .solve_width = solve_width,
    .cost = cost,
    .init = build,
};

lrs_status lrs_lora_create(const lrs_point *p, lrs_linalg *la, lrs_model **model) {
  *model = NULL;
  if (p->model != LRS_MODEL_LORA)
    return LRS_RAISE(LRS_ERR_CONFIG, "model = %s is not lora",
                     (unsigned)p->model < LRS_MODEL_COUNT ? lrs_model_names[p->model] : "?");
  return lrs_model_create(p, la, model);
}

bool lrs_lora_is(const lrs_model *m) { return m && m->ops == &lora_ops; }

const lrs_lora_problem *lrs_lora_problem_of(const lrs_model *m) {
  return lrs_lora_is(m) ? &impl(m)->pb : NULL;
}
