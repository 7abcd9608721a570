/* The [P1] two_layer model L(W1, W2) = ℓ(W1W2ᵀ) (lrsweep/two_layer.h). */
#include "lrsweep/two_layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/kind.h"
#include "model_private.h"

typedef struct tl {
  lrs_problem *P; /* owned */
  lrs_loss *loss; /* owned */
  lrs_loss_params lp;
  size_t n, m, h, k; /* k = n + m */
  size_t width;      /* columns of the parameter matrix B: k when reduced, else h */
  bool reduced;      /* B holds Z = B(t)Q, Q = orth(B(0)ᵀ) (lrs_coords) */
  size_t n_local;    /* this rank's parameters: the size of B's local block */
  double star;       /* ℓ* */
  double L0;         /* L(0) − ℓ* */
  bool covered;
  lrs_theory_state ts;

  /* Parameters and gradient, (n+m)×width, with their W1/W2 row views.
   * Reduced: B(t) = Z(t)Qᵀ with orthonormal Q, so W1W2ᵀ, the Gram matrices
   * W1W1ᵀ, W2W2ᵀ and the gradient's coordinates Z ↦ ∇L·Q are those of the
   * h-wide model, and so is every GD/GF iterate (eq. 7–8). */
  lrs_mat *B, *W1, *W2;
  lrs_mat *GB, *G1, *G2;
  lrs_mat *VB, *V1, *V2, *HB, *H1, *H2; /* hess_vec */
  /* BBᵀ = [W1W1ᵀ, W; Wᵀ, W2W2ᵀ] (k×k) with its views W = W1W2ᵀ (n×m) and the
   * Gram matrices Gr1, Gr2 of the [P1] local constants (papers.md §1.4);
   * GrW = WWᵀ (n×n).  After a GD iterate's observe, eval forms all of BBᵀ in
   * one dsyrk (one pass over B instead of three); else only W, and the Grams
   * when needed. */
  lrs_mat *BB, *W, *Gr1, *Gr2, *GrW;
  bool fuse, grams_valid;
  /* Fused GD (lrsweep/model.h) in full coordinates with h > k: descend's
   * lrs_mat_coupled_step leaves BB = BBᵀ of the new θ (bb_fresh), which the
   * next eval then uses instead of its own dsyrk. */
  bool fused_ok, bb_fresh;
  lrs_mat *G, *dW, *dG; /* n×m */
  double *eig;                          /* max(n, m) eigenvalues */
  /* The last (λ_min, λ_max) of W1W1ᵀ, W2W2ᵀ and WWᵀ: the next iterate's
   * guesses (lrs_mat_sym_eig_extremes_near); NaN before the first. */
  double ends[3][2];
  double last_excess;
  double no_entries; /* the gradient storage of a rank holding no parameters */

  /* Imbalance drift ‖D(t) − D(0)‖: full coordinates with h > k, in the
   * coordinates Z = BQ of an orthonormal basis Q (h×k) of B0's row space (Z
   * with its W1/W2 row views, M0 = Z0ᵀSZ0 and Dh are k×k); else (h ≤ k, or
   * reduced: D = QDzQᵀ has Dz's norm) the width×width difference itself. */
  lrs_mat *Q, *Z, *Z1, *Z2, *M0;
  lrs_mat *Dh, *D0h;

  /* Per-θ cache and running bound products (GD). */
  bool lc_valid;
  lrs_local_consts lc;
  int64_t last_step;
  double prod_local, prod_global;
} tl;

static tl *impl(const lrs_model *m) { return m->impl; }

/* ------------------------------------------------------------ helpers */

/* W = W1W2ᵀ (with the Grams when fused, or as descend left them) and ℓ(W),
 * G = ∇ℓ(W). */
static lrs_status eval_product(tl *t, bool fuse, double *value) {
  if (t->bb_fresh) { /* descend formed BBᵀ of this θ */
    t->bb_fresh = false;
    t->grams_valid = true;
  } else {
    t->grams_valid = fuse;
    if (fuse)
      LRS_TRY(lrs_mat_gram(t->B, t->BB));
    else
      LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, t->W1, t->W2, 0.0, t->W));
  }
  return lrs_loss_eval(t->loss, t->W, value, t->G);
}

/* W1W1ᵀ and W2W2ᵀ when the last eval did not form them. */
static lrs_status ensure_grams(tl *t) {
  if (t->grams_valid)
    return LRS_OK;
  LRS_TRY(lrs_mat_gram(t->W1, t->Gr1));
  LRS_TRY(lrs_mat_gram(t->W2, t->Gr2));
  t->grams_valid = true;
  return LRS_OK;
}

static lrs_status eig_extremes(const lrs_mat *S, double *w, double ends[2], double *lmin,
                               double *lmax) {
  LRS_TRY(lrs_mat_sym_eig_extremes_near(S, ends, w));
  *lmin = ends[0] = w[0];
  *lmax = ends[1] = w[lrs_mat_rows(S) - 1];
  return LRS_OK;
}

static lrs_status compute_local(tl *t) {
  double a1, b1, a2, b2, aw, bw;
  /* σ²(T) from the n×n and m×m Gram matrices (papers.md §1.4). */
  LRS_TRY(ensure_grams(t));
  LRS_TRY(eig_extremes(t->Gr1, t->eig, t->ends[0], &a1, &b1));
  LRS_TRY(eig_extremes(t->Gr2, t->eig, t->ends[1], &a2, &b2));
  LRS_TRY(lrs_mat_gram(t->W, t->GrW)); /* σ_max(W)² = λ_max(WWᵀ) */
  LRS_TRY(eig_extremes(t->GrW, t->eig, t->ends[2], &aw, &bw));
  t->lc = (lrs_local_consts){.L = t->last_excess,
                             .mu = lrs_loss_mu(t->loss),
                             .K = lrs_loss_K(t->loss),
                             .smin2_T = fmax(a1, 0.0) + fmax(a2, 0.0),
                             .smax2_T = fmax(b1, 0.0) + fmax(b2, 0.0),
                             .smax_W = sqrt(fmax(bw, 0.0))};
  LRS_TRY(lrs_mat_norm_fro(t->G, &t->lc.grad_l)); /* ‖∇ℓ(W_t)‖ (xu2023's exact r) */
  t->lc_valid = true;
  return LRS_OK;
}

/* ‖D(t) − D(0)‖_F, D = W1ᵀW1 − W2ᵀW2 (papers.md §1.3).  Every GD or GF
 * update of W1 (W2) is a combination of the rows of W2 (W1) (eq. 7–8), so
 * B(t) = Z(t)Qᵀ stays in B0's row space and D(t) − D(0) = Q(ZᵀSZ − Z0ᵀSZ0)Qᵀ
 * with S = diag(I_n, −I_m): the norm of a k×k matrix, from one k×h×k product
 * per record, with rounding relative to ‖B‖² as for D itself. */
static lrs_status drift(tl *t, double *out) {
  if (t->Q) {
    LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->B, t->Q, 0.0, t->Z));
    LRS_TRY(lrs_mat_copy(t->M0, t->Dh));
    LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->Z1, t->Z1, -1.0, t->Dh));
    LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, -1.0, t->Z2, t->Z2, 1.0, t->Dh));
    return lrs_mat_norm_fro(t->Dh, out);
  }
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->W1, t->W1, 0.0, t->Dh));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, -1.0, t->W2, t->W2, 1.0, t->Dh));
  LRS_TRY(lrs_mat_axpy(-1.0, t->D0h, t->Dh));
  return lrs_mat_norm_fro(t->Dh, out);
}

/* ------------------------------------------------------------ ops */

static size_t op_param_count(const lrs_model *m) { return impl(m)->n_local; }

static double *op_params(lrs_model *m) { return lrs_mat_local(impl(m)->B).data; }

static double *op_grad_storage(lrs_model *m) {
  tl *t = impl(m); /* never NULL, also for a rank with an empty block */
  return t->n_local ? lrs_mat_local(t->GB).data : &t->no_entries;
}

static lrs_status op_eval(lrs_model *m, double *excess, double *grad) {
  tl *t = impl(m);
  double v;
  t->lc_valid = false;
  LRS_TRY(eval_product(t, (grad || t->fused_ok) && t->fuse, &v));
  LRS_TRY(lrs_loss_excess(t->loss, v, &t->last_excess));
  *excess = t->last_excess;
  if (grad) { /* ∇_{W1}L = ∇ℓ W2, ∇_{W2}L = ∇ℓᵀ W1 (eq. 7–8) */
    LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->G, t->W2, 0.0, t->G1));
    LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->G, t->W1, 0.0, t->G2));
    const double *gb = lrs_mat_local(t->GB).data;
    if (grad != gb)
      memcpy(grad, gb, t->n_local * sizeof *grad);
  }
  return LRS_OK;
}

static bool op_gd_fused(const lrs_model *m) { return impl(m)->fused_ok; }

/* ‖∇L‖² = ‖G·W2‖² + ‖Gᵀ·W1‖² = ⟨G·W2W2ᵀ, G⟩ + ⟨W1W1ᵀ·G, G⟩ (eq. 7–8): n×m
 * work from the Gram matrices instead of a pass over the h-wide gradient. */
static lrs_status op_grad_norm2(lrs_model *m, double *out) {
  tl *t = impl(m);
  LRS_TRY(ensure_grams(t));
  double a, b;
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->G, t->Gr2, 0.0, t->dW));
  LRS_TRY(lrs_mat_dot(t->dW, t->G, &a));
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->Gr1, t->G, 0.0, t->dG));
  LRS_TRY(lrs_mat_dot(t->dG, t->G, &b));
  *out = a + b;
  return LRS_OK;
}

/* W1 ← W1 − η∇ℓ·W2, W2 ← W2 − η∇ℓᵀ·W1 (eq. 7–8) and BBᵀ of the result, in
 * one pass over B (G1, the gradient's first rows, holds the old W1). */
static lrs_status op_descend(lrs_model *m, double eta) {
  tl *t = impl(m);
  LRS_TRY(lrs_mat_coupled_step(t->B, t->W1, t->W2, t->G, -eta, t->G1, t->BB));
  t->bb_fresh = true;
  return LRS_OK;
}

static lrs_status op_hess_vec(lrs_model *m, const double *v, double *hv) {
  /* d(∇_{W1}L) = dG W2 + G V2, d(∇_{W2}L) = dGᵀW1 + GᵀV1 with
   * dW = V1W2ᵀ + W1V2ᵀ and dG = ∇²ℓ(W)[dW]. */
  tl *t = impl(m);
  memcpy(lrs_mat_local(t->VB).data, v, t->n_local * sizeof *v);
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, t->V1, t->W2, 0.0, t->dW));
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, t->W1, t->V2, 1.0, t->dW));
  LRS_TRY(lrs_loss_hess_apply(t->loss, t->dW, t->dG));
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->dG, t->W2, 0.0, t->H1));
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->G, t->V2, 1.0, t->H1));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->dG, t->W1, 0.0, t->H2));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->G, t->V1, 1.0, t->H2));
  memcpy(hv, lrs_mat_local(t->HB).data, t->n_local * sizeof *hv);
  return LRS_OK;
}

static lrs_status op_observe(lrs_model *m, const lrs_observe *obs, lrs_record *rec) {
  tl *t = impl(m);
  t->last_step = obs->step;
  t->fuse = obs->discrete; /* GD: the next gradient evaluation's Grams get used */
  const bool bounds = t->covered && obs->discrete;
  if (!obs->finite || (!rec && !bounds))
    return LRS_OK;
  if (!t->lc_valid)
    LRS_TRY(compute_local(t));
  if (!rec)
    return LRS_OK;
  rec->sigma_min2_T = t->lc.smin2_T;
  rec->sigma_max2_T = t->lc.smax2_T;
  if (t->covered)
    rec->mu_t = t->lc.mu * t->lc.smin2_T; /* μ_t = μσ²_min(T_t) (eq. 10) */
  if (bounds) {
    rec->bound_local = t->L0 * t->prod_local;
    rec->bound_global = t->L0 * t->prod_global;
    /* ρ̄(η0, 0) < 0 (η0 beyond η_max): no bound; NaN, not a negative "bound" */
    const double rb = t->ts.th.rho_bar0;
    rec->bound_const = rb >= 0.0 ? t->L0 * pow(rb, (double)obs->step) : NAN;
  }
  LRS_TRY(drift(t, &rec->imbalance_drift));
  return LRS_OK;
}

static lrs_status op_account_step(lrs_model *m, double eta, lrs_record *rec) {
  tl *t = impl(m);
  if (!t->covered || !t->lc_valid)
    return LRS_OK;
  const double rho = lrs_theory_rho(&t->lc, eta);
  const double rho_bar = lrs_theory_rho_bar(&t->ts, eta, (double)t->last_step);
  if (rec) {
    rec->K_t = lrs_theory_K_t(&t->lc, eta);
    rec->rho_t = rho;
  }
  t->prod_local *= rho;
  /* a negative or undefined ρ̄ factor ends the curve (NaN from then on) */
  t->prod_global = rho_bar >= 0.0 ? t->prod_global * rho_bar : NAN;
  return LRS_OK;
}

static lrs_status op_summarize(lrs_model *m, lrs_summary *s) {
  tl *t = impl(m);
  LRS_TRY(lrs__model_summarize_untheorized(t->loss, t->star, s));
  if (t->covered)
    s->theory = t->ts.th;
  return LRS_OK;
}

static void op_destroy(lrs_model *m) {
  tl *t = impl(m);
  if (!t)
    return;
  lrs_mat **views[] = {&t->W1, &t->W2, &t->G1, &t->G2, &t->V1, &t->V2,
                       &t->H1, &t->H2, &t->Z1, &t->Z2, &t->W,  &t->Gr1, &t->Gr2};
  for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
    lrs_mat_destroy(views[i]);
  lrs_mat **mats[] = {&t->B, &t->GB, &t->VB, &t->HB, &t->BB, &t->GrW, &t->G, &t->dW,
                      &t->dG, &t->Q, &t->Z, &t->M0, &t->Dh, &t->D0h};
  for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
    lrs_mat_destroy(mats[i]);
  lrs_loss_destroy(&t->loss);
  lrs_problem_destroy(&t->P);
  free(t->eig);
  free(t);
  m->impl = NULL;
}

static double op_eta_max(const lrs_model *m) {
  const tl *t = impl(m);
  return t->covered ? t->ts.th.eta_max : NAN;
}

static void op_set_eta0(lrs_model *m, double eta0) {
  tl *t = impl(m);
  if (t->covered)
    lrs_theory_set_eta0(&t->ts, eta0);
}

static lrs_status op_dump(lrs_model *m, lrs_dump_fn emit, void *ctx) {
  const lrs_problem *P = impl(m)->P;
  LRS_TRY(lrs__model_emit_data(emit, ctx, P, impl(m)->loss, "W1 W2ᵀ"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "W1", P->W1_0, "W1(0) (n×h); the model's product is W = W1 W2ᵀ"));
  return lrs_model_emit_mat(emit, ctx, "W2", P->W2_0, "W2(0) (m×h)");
}

static const lrs_model_ops two_layer_ops = {
    .kind = LRS_MODEL_TWO_LAYER,
    .param_count = op_param_count,
    .params = op_params,
    .eval = op_eval,
    .grad_storage = op_grad_storage,
    .hess_vec = op_hess_vec,
    .observe = op_observe,
    .account_step = op_account_step,
    .gd_fused = op_gd_fused,
    .grad_norm2 = op_grad_norm2,
    .descend = op_descend,
    .eta_max = op_eta_max,
    .set_eta0 = op_set_eta0,
    .dump = op_dump,
    .summarize = op_summarize,
    .destroy = op_destroy,
};

/* ------------------------------------------------------------ creation */

static lrs_status stacked(lrs_linalg *la, size_t n, size_t m, size_t h, lrs_mat **S,
                          lrs_mat **top, lrs_mat **bot) {
  LRS_TRY(lrs_mat_create(la, n + m, h, S));
  LRS_TRY(lrs_mat_view(*S, 0, 0, n, h, top));
  return lrs_mat_view(*S, n, 0, m, h, bot);
}

/* Keeps the products of B0 alone that setup computed: Z0 (reduced), or Q and
 * M0 (full), zb doubles (the set-up cache, lrsweep/problem.h). */
static lrs_status keep_b0_products(const tl *t, const lrs_setup_key *key, size_t zb) {
  double *buf = malloc(zb * sizeof *buf);
  if (!buf)
    return LRS_OK; /* best effort */
  lrs_status st;
  if (t->reduced) {
    st = lrs_mat_get_global(t->B, buf);
  } else {
    st = lrs_mat_get_global(t->Q, buf);
    if (st == LRS_OK)
      st = lrs_mat_get_global(t->M0, buf + t->h * t->k);
  }
  if (st == LRS_OK)
    lrs_setup_cache_put(key, buf, zb * sizeof *buf);
  free(buf);
  return st;
}

/* Workspaces, W*, ℓ*, L0 and the t = 0 theory. */
/* The set-up cache's key (lrsweep/problem.h) of what depends on the problem
 * (X, Y, B0: problem_key) and the loss alone: W* (Newton from 0), ℓ* and W*'s
 * constants; `tag` names the product. */
static void loss_key(const tl *t, char tag, lrs_setup_key *key) {
  *key = t->P->problem_key;
  key->w[0] = (uint64_t)(unsigned char)tag; /* a problem_key never made stays invalid */
  lrs__model_key_loss(key, &t->lp);
}

static lrs_status setup(tl *t, lrs_linalg *la, double c, double d, bool beta2_fro) {
  const size_t n = t->n, m = t->m, h = t->h, k = t->k;
  lrs_status st = LRS_OK;
  lrs_mat *Wstar = NULL, *Diff = NULL;
  double *sv = NULL;

  const size_t w = t->width;
  LRS_TRY_GOTO(st, stacked(la, n, m, w, &t->B, &t->W1, &t->W2), done);
  LRS_TRY_GOTO(st, stacked(la, n, m, w, &t->GB, &t->G1, &t->G2), done);
  LRS_TRY_GOTO(st, stacked(la, n, m, w, &t->VB, &t->V1, &t->V2), done);
  LRS_TRY_GOTO(st, stacked(la, n, m, w, &t->HB, &t->H1, &t->H2), done);
  /* The products of B0 alone (lrsweep/problem.h, the set-up cache): reduced,
   * Z0 = B0Q ((n+m)×k); full with h > k, Q (h×k) and M0 (k×k). */
  const size_t zb = t->reduced ? (n + m) * k : h > k ? (h + k) * k : 0;
  lrs_setup_key zkey = t->P->init_key;
  const bool cache = zb > 0 && lrs_setup_key_valid(&zkey);
  zkey.w[0] = 'Z';
  lrs_setup_key_add(&zkey, t->reduced);
  const double *zhit = cache ? lrs_setup_cache_get(&zkey, zb * sizeof(double)) : NULL;
  if (h > k) { /* Q = orth(B0ᵀ) (h×k) */
    LRS_TRY_GOTO(st, lrs_mat_create(la, h, k, &t->Q), done);
    LRS_TRY_GOTO(st, lrs_mat_create(la, k, k, &t->Z), done);
    if (zhit && !t->reduced) {
      LRS_TRY_GOTO(st, lrs_mat_set_global(t->Q, zhit), done);
    } else if (!zhit) {
      LRS_TRY_GOTO(st, lrs_mat_transpose(t->P->B0, t->Q), done);
      LRS_TRY_GOTO(st, lrs_mat_orthonormalize(t->Q), done);
    }
  }
  if (t->reduced) { /* B ← Z0 = B0Q; Q is not needed after this */
    if (zhit)
      LRS_TRY_GOTO(st, lrs_mat_set_global(t->B, zhit), done);
    else
      LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->P->B0, t->Q, 0.0, t->B),
                   done);
    lrs_mat_destroy(&t->Q);
    lrs_mat_destroy(&t->Z);
  } else {
    LRS_TRY_GOTO(st, lrs_mat_copy(t->P->B0, t->B), done);
  }
  { /* θ, ∇L and hess_vec's vectors are the local blocks of B, GB, VB, HB:
     * whole matrices, so their blocks are contiguous and alike. */
    const lrs_mat_block b = lrs_mat_local(t->B);
    t->n_local = b.rows * b.cols;
  }
  LRS_TRY_GOTO(st, lrs_mat_create(la, k, k, &t->BB), done);
  LRS_TRY_GOTO(st, lrs_mat_view(t->BB, 0, n, n, m, &t->W), done);
  LRS_TRY_GOTO(st, lrs_mat_view(t->BB, 0, 0, n, n, &t->Gr1), done);
  LRS_TRY_GOTO(st, lrs_mat_view(t->BB, n, n, m, m, &t->Gr2), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, n, &t->GrW), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &t->G), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &t->dW), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &t->dG), done);
  t->eig = malloc((n > m ? n : m) * sizeof *t->eig);
  for (int i = 0; i < 3; i++)
    t->ends[i][0] = t->ends[i][1] = NAN;
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(t->eig)), done);
  if (t->Q) { /* full coordinates, drift in Z = BQ: Z0 = B0Q, M0 = Z0ᵀSZ0 */
    LRS_TRY_GOTO(st, lrs_mat_view(t->Z, 0, 0, n, k, &t->Z1), done);
    LRS_TRY_GOTO(st, lrs_mat_view(t->Z, n, 0, m, k, &t->Z2), done);
    LRS_TRY_GOTO(st, lrs_mat_create(la, k, k, &t->M0), done);
    LRS_TRY_GOTO(st, lrs_mat_create(la, k, k, &t->Dh), done);
    if (zhit) { /* (Z is formed anew by every drift) */
      LRS_TRY_GOTO(st, lrs_mat_set_global(t->M0, zhit + h * k), done);
    } else {
      LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->B, t->Q, 0.0, t->Z),
                   done);
      LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->Z1, t->Z1, 0.0, t->M0),
                   done);
      LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, -1.0, t->Z2, t->Z2, 1.0, t->M0),
                   done);
    }
  } else { /* D0 itself (width×width) */
    LRS_TRY_GOTO(st, lrs_mat_create(la, w, w, &t->Dh), done);
    LRS_TRY_GOTO(st, lrs_mat_create(la, w, w, &t->D0h), done);
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->W1, t->W1, 0.0, t->D0h), done);
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, -1.0,
                                  t->W2, t->W2, 1.0, t->D0h),
                 done);
  }
  if (cache && !zhit)
    LRS_TRY_GOTO(st, keep_b0_products(t, &zkey, zb), done);
  /* Scratch for the per-step Gram matrices (up to BBᵀ) and their eigenvalues,
   * so loops never allocate. */
  LRS_TRY_GOTO(st, lrs_linalg_reserve(la, k, k), done);

  /* ℓ*, W* (Newton from W = 0) and L0. */
  LRS_TRY_GOTO(st, lrs_loss_create(&t->lp, t->P->X, t->P->Y, m, &t->loss), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Wstar), done);
  {
    lrs_setup_key lkey;
    loss_key(t, 'L', &lkey);
    LRS_TRY_GOTO(st, lrs__model_minimize_kept(t->loss, &lkey, Wstar, &t->star), done);
  }
  double v0;
  LRS_TRY_GOTO(st, eval_product(t, false, &v0), done);
  LRS_TRY_GOTO(st, lrs_loss_excess(t->loss, v0, &t->L0), done);
  t->last_excess = t->L0;
  t->covered = lrs_loss_ops_of(t->loss)->covered;
  t->prod_local = t->prod_global = 1.0;
  t->ts.th.applicable = false;
  if (!t->covered)
    goto done;
  if (!(c > 0.0 && c < 1.0) || !(d > 1.0) || !isfinite(d)) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "theory_c = %g, theory_d = %g: need 0 < c < 1 < d", c, d);
    goto done;
  }

  /* [P1] constants at t = 0 (papers.md §1.3, §1.5). */
  lrs_theory_in in = {.mu = lrs_loss_mu(t->loss), .K = lrs_loss_K(t->loss), .L0 = t->L0,
                      .c = c, .d = d, .beta2_frobenius = beta2_fro};
  /* D0's spectrum from the drift's k×k M0 = Z0ᵀSZ0 (D0 = Q·M0·Qᵀ), or D0 itself */
  {
    double spec[4];
    lrs_setup_key skey = t->P->init_key; /* a function of B0 and the coordinates */
    const bool skeep = lrs_setup_key_valid(&skey);
    skey.w[0] = 'S';
    lrs_setup_key_add(&skey, t->reduced);
    const double *shit = skeep ? lrs_setup_cache_get(&skey, sizeof spec) : NULL;
    if (shit) {
      memcpy(spec, shit, sizeof spec);
    } else {
      LRS_TRY_GOTO(st, lrs_theory_imbalance(t->Q ? t->M0 : t->D0h, n, m, h, &spec[0],
                                            &spec[1], &spec[2], &spec[3]),
                   done);
      if (skeep)
        lrs_setup_cache_put(&skey, spec, sizeof spec);
    }
    in.lmax_D = spec[0];
    in.lmax_negD = spec[1];
    in.ln_D = spec[2];
    in.lm_negD = spec[3];
  }
  const size_t kk = n < m ? n : m;
  { /* σ_max, σ_min and ‖·‖_F of W*, a function of the problem and the loss */
    lrs_setup_key wkey;
    loss_key(t, 'W', &wkey);
    const bool wkeep = lrs_setup_key_valid(&wkey);
    const double *whit = wkeep ? lrs_setup_cache_get(&wkey, 3 * sizeof(double)) : NULL;
    double wc[3];
    if (whit) {
      memcpy(wc, whit, sizeof wc);
    } else {
      sv = malloc(kk * sizeof *sv);
      LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(sv)), done);
      LRS_TRY_GOTO(st, lrs_mat_singular_values(Wstar, sv), done);
      wc[0] = sv[0];
      wc[1] = sv[kk - 1];
      LRS_TRY_GOTO(st, lrs_mat_norm_fro(Wstar, &wc[2]), done); /* papers.md §3.3 */
      if (wkeep)
        lrs_setup_cache_put(&wkey, wc, sizeof wc);
    }
    in.smax_Wstar = wc[0];
    in.smin_Wstar = wc[1];
    in.fro_Wstar = wc[2];
  }
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Diff), done);
  LRS_TRY_GOTO(st, lrs_mat_copy(t->W, Diff), done); /* W(0) from eval_product */
  LRS_TRY_GOTO(st, lrs_mat_axpy(-1.0, Wstar, Diff), done);
  LRS_TRY_GOTO(st, lrs_mat_norm_fro(Diff, &in.dist0), done);
  LRS_TRY_GOTO(st, lrs_theory_init(&in, NULL, &t->ts), done);
done:
  lrs_mat_destroy(&Wstar);
  lrs_mat_destroy(&Diff);
  free(sv);
  return st;
}

/* Fills `mod` with a two_layer model of *problem (taken over). */
static lrs_status attach(lrs_model *mod, lrs_problem **problem, const lrs_loss_params *lp,
                         double c, double d, bool beta2_fro, lrs_coords coords) {
  tl *t = calloc(1, sizeof *t);
  const lrs_status st = lrs_linalg_agree(mod->la, LRS_CHECK_ALLOC(t));
  if (st != LRS_OK) {
    lrs_problem_destroy(problem);
    return st;
  }
  mod->ops = &two_layer_ops;
  mod->impl = t;
  t->P = *problem;
  *problem = NULL;
  t->lp = *lp;
  t->n = t->P->n;
  t->m = t->P->m;
  t->h = t->P->h;
  t->k = t->n + t->m;
  t->reduced = coords == LRS_COORDS_REDUCED && t->h > t->k;
  t->width = t->reduced ? t->k : t->h;
  t->fused_ok = t->width > t->k;
  return setup(t, mod->la, c, d, beta2_fro);
}

lrs_status lrs_two_layer_create_from(lrs_problem **problem, const lrs_loss_params *lp, double c,
                                     double d, lrs_coords coords, lrs_linalg *la,
                                     lrs_model **model) {
  lrs_status st = lrs_model_shell_create(la, model);
  if (st != LRS_OK) {
    lrs_problem_destroy(problem);
    return st;
  }
  st = attach(*model, problem, lp, c, d, false, coords);
  if (st != LRS_OK)
    lrs_model_destroy(model);
  return st;
}

/* ------------------------------------------------------------ the catalog row */

static lrs_status init(const lrs_point *point, lrs_model *shell) {
  lrs_problem *P = NULL;
  LRS_TRY(lrs_problem_create(point, shell->la, &P));
  const lrs_loss_params lp = {.kind = point->loss,
                              .lambda = point->logistic_lambda,
                              .delta = point->huber_delta};
  return attach(shell, &P, &lp, point->theory_c, point->theory_d,
                point->beta2_norm == LRS_BETA2_FROBENIUS, point->coordinates);
}

static bool check(const lrs_point *p, lrs_violation *v) {
  const int64_t n = p->input_dim, m = p->output_dim, nm = n < m ? n : m;
  if (p->width < nm)
    return lrs_violate(v, LRS_ERR_CONFIG, "width",
                       "width = %lld is below min(input_dim, output_dim) = %lld; [P1] needs "
                       "h ≥ min(n, m)",
                       (long long)p->width, (long long)nm);
  /* A vectorized loss (sensing) draws its own operator: `data` is unused. */
  const lrs_loss_ops *loss = lrs_loss_type_of(p->loss);
  if (loss && loss->vectorized)
    goto targets;
  if ((p->data == LRS_DATA_ORTHOGONAL || p->data == LRS_DATA_IDENTITY) && p->samples != 0 &&
      p->samples != n)
    return lrs_violate(v, LRS_ERR_CONFIG, "samples",
                       "samples = %lld but data = \"%s\" is square: use 0 or input_dim = %lld",
                       (long long)p->samples, lrs_data_names[p->data], (long long)n);
  if (p->data == LRS_DATA_SPECTRUM && p->samples != 0 && p->samples < n)
    return lrs_violate(v, LRS_ERR_CONFIG, "samples",
                       "samples = %lld < input_dim = %lld: data = \"spectrum\" needs N ≥ n",
                       (long long)p->samples, (long long)n);
  if (p->data == LRS_DATA_SPECTRUM && p->data_sv_min > p->data_sv_max)
    return lrs_violate(v, LRS_ERR_CONFIG, "data_sv_min",
                       "data_sv_min = %g exceeds data_sv_max = %g", p->data_sv_min,
                       p->data_sv_max);
targets:
  if (p->target == LRS_TARGET_LOW_RANK && p->target_rank > nm)
    return lrs_violate(v, LRS_ERR_CONFIG, "target_rank",
                       "target_rank = %lld exceeds min(n, m) = %lld", (long long)p->target_rank,
                       (long long)nm);
  return true;
}

/* Reduced coordinates iterate on k = n + m columns (lrs_coords). */
static int64_t solve_width(const lrs_point *p) {
  const int64_t k = p->input_dim + p->output_dim;
  return p->coordinates == LRS_COORDS_REDUCED && p->width > k ? k : p->width;
}

static void cost(const lrs_point *p, double *per_eval, double *setup) {
  const double n = (double)p->input_dim, m = (double)p->output_dim, h = (double)p->width;
  const double N = p->samples > 0 ? (double)p->samples : n, w = (double)solve_width(p);
  /* W = W1W2ᵀ, XW, ∇ℓ W2, ∇ℓᵀ W1 (papers.md §1.2) and the two Gram
   * matrices, at the solver's width; reduced: the QR of B(0)ᵀ first. */
  *per_eval = 2 * n * m * w + 2 * N * n * m + 4 * n * m * w + 2 * (n * n + m * m) * w;
  *setup = w < h ? 4 * (n + m) * (n + m) * h : 0.0;
}

const lrs_model_type lrs_two_layer_type = {
    .inits = LRS_KIND_BIT(LRS_INIT_GAUSSIAN) | LRS_KIND_BIT(LRS_INIT_BALANCED),
    .losses = UINT32_MAX, /* every loss: ℓ is reached through lrsweep/loss.h only */
    .p1_theory = true,
    .data_file = true,
    .check = check,
    .solve_width = solve_width,
    .cost = cost,
    .init = init,
};

bool lrs_two_layer_is(const lrs_model *m) { return m && m->ops == &two_layer_ops; }
const lrs_problem *lrs_two_layer_problem(const lrs_model *m) { return impl(m)->P; }
const lrs_theory_state *lrs_two_layer_theory(const lrs_model *m) { return &impl(m)->ts; }
const lrs_loss *lrs_two_layer_loss(const lrs_model *m) { return impl(m)->loss; }

lrs_status lrs_two_layer_local(lrs_model *m, lrs_local_consts *lc) {
  tl *t = impl(m);
  if (!t->lc_valid)
    LRS_TRY(compute_local(t));
  *lc = t->lc;
  return LRS_OK;
}

lrs_status lrs_two_layer_xu2023_in(const lrs_model *m, double c1, double c2, lrs_xu2023_in *in) {
  const tl *t = impl(m);
  if (t->lp.kind != LRS_LOSS_SQUARED || !t->covered)
    return LRS_RAISE(LRS_ERR_UNSUPPORTED,
                     "xu2023's cap needs the squared loss (p1, p2 of [P1-2023] use X and Y), "
                     "not %s",
                     lrs_loss_names[t->lp.kind]);
  const size_t N = t->P->N, mm = t->m, k = N < mm ? N : mm;
  double *sv = malloc(k * sizeof *sv);
  LRS_TRY(lrs_linalg_agree(m->la, LRS_CHECK_ALLOC(sv)));
  lrs_status st = lrs_mat_singular_values(t->P->Y, sv);
  if (st == LRS_OK)
    st = lrs_mat_norm_fro(t->P->Y, &in->fro_Y);
  if (st == LRS_OK) {
    in->smin_Y = sv[k - 1];
    in->mu = lrs_loss_mu(t->loss);
    in->K = lrs_loss_K(t->loss);
    in->L0 = t->L0;
    in->fro_E0 = sqrt(2.0 * (t->L0 + t->star)); /* ℓ(W(0)) = ½‖Y − XW(0)‖² */
    in->c1 = c1;
    in->c2 = c2;
  }
  free(sv);
  return st;
}
