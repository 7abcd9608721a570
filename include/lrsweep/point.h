/*
 * lrsweep/point.h — one grid point: every parameter of one solve, resolved.
 *
 * A point is what the numerics sees of a sweep: the sweep file's fixed values
 * with the grid's axis values applied.  It is a plain value (no pointers), so it
 * can be copied, sent over MPI as bytes, and rebuilt from the store.
 *
 * Each enumeration is generated from one list that also gives its user-facing
 * names (the spelling in sweep files, the CLI and the store's HDF5 enum types).
 */
#ifndef LRSWEEP_POINT_H
#define LRSWEEP_POINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kind lists (models, losses, step rules) also name each kind's catalog
 * row (lrsweep/kind.h): adding a kind is a line here and a row in its file. */
#define LRS_MODEL_LIST(X)                                                      \
  X(LRS_MODEL_TWO_LAYER, "two_layer", lrs_two_layer_type)                      \
  X(LRS_MODEL_LORA, "lora", lrs_lora_type)                                     \
  X(LRS_MODEL_REFERENCE, "reference", lrs_reference_type)                      \
  X(LRS_MODEL_LORA_HEAD, "lora_head", lrs_lora_head_type)

/* Data matrix X ∈ R^{N×n} of a two_layer problem (papers.md §1.1, §1.7). */
#define LRS_DATA_LIST(X)                                                       \
  X(LRS_DATA_ORTHOGONAL, "orthogonal") /* Haar-random orthogonal, N = n */     \
  X(LRS_DATA_GAUSSIAN, "gaussian")     /* i.i.d. N(0,1) entries */             \
  X(LRS_DATA_SPECTRUM, "spectrum")     /* U diag(s) Vᵀ, s ~ U[sv_min,sv_max] */ \
  X(LRS_DATA_IDENTITY, "identity")     /* X = I: matrix factorization */    \
  X(LRS_DATA_FILE, "file")             /* X, Y from data_file (datafile.h) */

/* Targets Y ∈ R^{N×m} of a two_layer problem. */
#define LRS_TARGET_LIST(X)                                                     \
  X(LRS_TARGET_TEACHER, "teacher")   /* Y = X W1(0) W2(0)ᵀ + σ²ε (§1.7) */     \
  X(LRS_TARGET_PLANTED, "planted")   /* Y = X Θ + σ²ε, Θ ~ N(0, std²) */        \
  X(LRS_TARGET_LOW_RANK, "low_rank") /* Y = X U Vᵀ + σ²ε, rank target_rank */

#define LRS_INIT_LIST(X)                                                       \
  X(LRS_INIT_GAUSSIAN, "gaussian") /* i.i.d. N(0, s²) weights */               \
  X(LRS_INIT_BALANCED, "balanced") /* two_layer: W1ᵀW1 = W2ᵀW2 spectral */     \
  X(LRS_INIT_SMALL, "small")       /* lora: A ~ N(0, α²), B = 0 (§2.2) */      \
  X(LRS_INIT_SPECTRAL, "spectral") /* lora: aligned with ΔY (§2.2) */

#define LRS_LOSS_LIST(X)                                                       \
  X(LRS_LOSS_SQUARED, "squared", lrs__loss_squared)                            \
  X(LRS_LOSS_LOGISTIC, "logistic", lrs__loss_logistic) /* ℓ2-regularized */    \
  X(LRS_LOSS_HUBER, "huber", lrs__loss_huber)                                  \
  X(LRS_LOSS_SENSING, "sensing", lrs__loss_sensing) /* matrix sensing */       \
  X(LRS_LOSS_SOFTMAX, "softmax", lrs__loss_softmax) /* ℓ2-regularized */

#define LRS_STEP_RULE_LIST(X)                                                  \
  X(LRS_STEP_FIXED, "fixed", lrs__step_fixed)                                  \
  X(LRS_STEP_LOCAL, "local", lrs__step_local)                                  \
  X(LRS_STEP_GLOBAL, "global", lrs__step_global)                               \
  X(LRS_STEP_BACKTRACKING, "backtracking", lrs__step_backtracking)             \
  X(LRS_STEP_XU2023, "xu2023", lrs__step_xu2023)

#define LRS_METHOD_LIST(X)                                                     \
  X(LRS_METHOD_GD, "gd")                                                       \
  X(LRS_METHOD_GF, "gf")                                                       \
  X(LRS_METHOD_NONE, "none") /* theory constants only, no training */         \
  X(LRS_METHOD_ADAM, "adam") /* Adam (papers.md §4), lr = step_size */

#define LRS_ODE_LIST(X)                                                        \
  X(LRS_ODE_RK8PD, "rk8pd")                                                    \
  X(LRS_ODE_RKF45, "rkf45")                                                    \
  X(LRS_ODE_MSBDF, "msbdf")                                                    \
  X(LRS_ODE_DOP853, "dop853")

/* How the two_layer solver represents B = [W1; W2] when h > n + m: every GD
 * or GF update stays in B(0)'s row space (eq. 7–8), so `reduced` solves for
 * Z = BQ (k×k, k = n + m, Q = orth(B(0)ᵀ)) — the same iterates in exact
 * arithmetic at a cost independent of h; `full` updates the h-wide B. */
#define LRS_COORDS_LIST(X)                                                     \
  X(LRS_COORDS_FULL, "full") /* first: stores older than the column read 0 */  \
  X(LRS_COORDS_REDUCED, "reduced")

/* Which norm of W* enters β2 (papers.md §3.3): σ_max(W*) as printed, or
 * ‖W*‖_F as [P1]'s figures used. */
#define LRS_BETA2_NORM_LIST(X)                                                 \
  X(LRS_BETA2_SPECTRAL, "spectral")                                            \
  X(LRS_BETA2_FROBENIUS, "frobenius")

/* xu2023 (papers.md §3.1): cap η_t at [P1-2023]'s η_max' or not; r_t the
 * bound √(2KL_t) of ‖∇ℓ(W_t)‖ or its exact value. */
#define LRS_XU_CAP_LIST(X)                                                     \
  X(LRS_XU_CAP_NONE, "none")                                                   \
  X(LRS_XU_CAP_ETA_MAX, "eta_max")
#define LRS_XU_GRAD_LIST(X)                                                    \
  X(LRS_XU_GRAD_BOUND, "bound")                                                \
  X(LRS_XU_GRAD_EXACT, "exact")

/* Backtracking's sufficient-decrease test (papers.md §3.2): Armijo
 * L(θ − η∇L) ≤ L − c·η‖∇L‖², or App. G.2.1 as printed, without the η. */
#define LRS_BT_TEST_LIST(X)                                                    \
  X(LRS_BT_PRINTED, "printed") /* first: tables older than the column read 0 */ \
  X(LRS_BT_ARMIJO, "armijo")

#define LRS_JACOBIAN_LIST(X)                                                   \
  X(LRS_JACOBIAN_ANALYTIC, "analytic")                                         \
  X(LRS_JACOBIAN_FD, "fd")

#define LRS_PAIR_LIST(X)                                                       \
  X(LRS_PAIR_TOP, "top")                                                       \
  X(LRS_PAIR_BOTTOM, "bottom")

/* Bytes of a point's resolved data_file path, with its NUL (the store's
 * provenance column data_file has the same size). */
enum { LRS_DATA_PATH_MAX = 256 };

#define LRS__ENUM_MEMBER(name, text) name,
#define LRS__KIND_MEMBER(name, text, row) name,
typedef enum { LRS_MODEL_LIST(LRS__KIND_MEMBER) LRS_MODEL_COUNT } lrs_model_kind;
typedef enum { LRS_DATA_LIST(LRS__ENUM_MEMBER) LRS_DATA_COUNT } lrs_data_kind;
typedef enum { LRS_TARGET_LIST(LRS__ENUM_MEMBER) LRS_TARGET_COUNT } lrs_target_kind;
typedef enum { LRS_INIT_LIST(LRS__ENUM_MEMBER) LRS_INIT_COUNT } lrs_init_kind;
typedef enum { LRS_LOSS_LIST(LRS__KIND_MEMBER) LRS_LOSS_COUNT } lrs_loss_kind;
typedef enum { LRS_STEP_RULE_LIST(LRS__KIND_MEMBER) LRS_STEP_RULE_COUNT } lrs_step_rule;
typedef enum { LRS_METHOD_LIST(LRS__ENUM_MEMBER) LRS_METHOD_COUNT } lrs_method;
typedef enum { LRS_ODE_LIST(LRS__ENUM_MEMBER) LRS_ODE_COUNT } lrs_ode_stepper;
typedef enum { LRS_COORDS_LIST(LRS__ENUM_MEMBER) LRS_COORDS_COUNT } lrs_coords;
typedef enum { LRS_JACOBIAN_LIST(LRS__ENUM_MEMBER) LRS_JACOBIAN_COUNT } lrs_jacobian;
typedef enum { LRS_PAIR_LIST(LRS__ENUM_MEMBER) LRS_PAIR_COUNT } lrs_pair;
typedef enum { LRS_BETA2_NORM_LIST(LRS__ENUM_MEMBER) LRS_BETA2_NORM_COUNT } lrs_beta2_norm;
typedef enum { LRS_XU_CAP_LIST(LRS__ENUM_MEMBER) LRS_XU_CAP_COUNT } lrs_xu_cap;
typedef enum { LRS_XU_GRAD_LIST(LRS__ENUM_MEMBER) LRS_XU_GRAD_COUNT } lrs_xu_grad;
typedef enum { LRS_BT_TEST_LIST(LRS__ENUM_MEMBER) LRS_BT_TEST_COUNT } lrs_bt_test;
#undef LRS__ENUM_MEMBER
#undef LRS__KIND_MEMBER

/* Name tables (index = enum value), and their lengths. */
extern const char *const lrs_model_names[];
extern const char *const lrs_data_names[];
extern const char *const lrs_target_names[];
extern const char *const lrs_init_names[];
extern const char *const lrs_loss_names[];
extern const char *const lrs_step_rule_names[];
extern const char *const lrs_method_names[];
extern const char *const lrs_ode_names[];
extern const char *const lrs_coords_names[];
extern const char *const lrs_jacobian_names[];
extern const char *const lrs_pair_names[];
extern const char *const lrs_beta2_norm_names[];
extern const char *const lrs_xu_cap_names[];
extern const char *const lrs_xu_grad_names[];
extern const char *const lrs_bt_test_names[];

/*
 * Every parameter of a solve.  Field names are the sweep-file keys (and axis
 * names); the README's TOML reference documents each with its default.
 * Doubles that are "unset" hold NaN (init_scale/init_exponent: exactly one is
 * set; step_size: NaN means η_max for the local/global rules).
 */
typedef struct lrs_point {
  uint64_t index;     /* position in the grid (see lrsweep/grid.h) */
  uint64_t seed;      /* [sweep] seed: the sweep's base seed */
  int64_t replicate;  /* the `seed` axis: 0 .. replicates-1 */

  /* [problem]: model and data */
  lrs_model_kind model;
  int64_t input_dim;  /* n */
  int64_t output_dim; /* m */
  int64_t samples;    /* N (two_layer; 0 means N = n; sensing: measurements) */
  int64_t width;      /* h */
  lrs_data_kind data;
  double data_sv_min, data_sv_max; /* singular-value range for `spectrum` */
  lrs_target_kind target;
  double sigma2;      /* noise level σ² multiplying ε ~ N(0,1) */
  double planted_std; /* std of Θ entries (`planted`) */
  int64_t target_rank;
  /* [problem]: LoRA (papers.md §2) */
  int64_t lora_rank;  /* r */
  double balance;     /* c of the pre-trained factors */
  double delta_scale; /* σ of ΔY = σ u vᵀ */
  lrs_pair delta_pair;
  /* [problem]: initialization */
  lrs_init_kind init;
  double init_scale;    /* std s of the init (α for LoRA) */
  double init_exponent; /* p: std h^{-p}, i.e. N(0, h^{-2p}) */
  /* [problem]: loss */
  lrs_loss_kind loss;
  double logistic_lambda; /* λ of the ℓ2-regularized logistic and softmax losses */
  double huber_delta;     /* threshold δ of the Huber loss */

  /* [solver] */
  lrs_method method;
  lrs_step_rule step_rule;
  double step_size;     /* η (fixed), η0 (local/global), η_bt (backtracking) */
  double bt_shrink;     /* τ of backtracking (App. G.2.1) */
  double bt_sufficient; /* c of the Armijo test (γ of the printed one) */
  lrs_bt_test bt_test;  /* armijo or printed (papers.md §3.2) */
  int64_t bt_max_shrinks; /* line-search guard: shrinks per iteration at most */
  double adam_beta1, adam_beta2, adam_eps; /* Adam's β1, β2, ε (papers.md §4) */
  lrs_xu_cap xu2023_cap;   /* xu2023: none or [P1-2023]'s η_max' */
  lrs_xu_grad xu2023_grad; /* xu2023: r_t bound or exact ‖∇ℓ‖ */
  double xu2023_c1, xu2023_c2; /* the cap's c1, c2 ([P1] p.13: 0.5, 1.5) */
  lrs_beta2_norm beta2_norm; /* β2 with σ_max(W*) or ‖W*‖_F (§3.3) */
  double theory_c;      /* c of §1.5 */
  double theory_d;      /* d of §1.5 */
  lrs_coords coordinates; /* two_layer: reduced (k×k) or full (k×h) B */
  int64_t max_iter;     /* GD iterations */
  double horizon;       /* GF final time */
  double tol;           /* converged when loss − ℓ* ≤ tol */
  double tol_rel;       /* ... or ≤ tol_rel · (L0 − ℓ*) */
  double blowup;        /* diverged when loss > blowup · L0 */
  double max_point_seconds; /* wall-clock limit of one solve (0: none) */
  int64_t record_every; /* GD: record every k steps; 0: log-spaced */
  int64_t records;      /* number of log-spaced records */
  lrs_ode_stepper ode_stepper;
  double rtol, atol;
  lrs_jacobian jacobian;

  /* [problem] data_file: the HDF5 data file of data = "file" (lrsweep/datafile.h),
   * resolved against the sweep file's directory; "" otherwise.  Not a grid
   * axis (a string); its SHA-256 is stored with each point's result. */
  char data_file[LRS_DATA_PATH_MAX];
} lrs_point;

/* Sub-streams of a point's randomness (see lrs_point_stream_seed). */
typedef enum {
  LRS_STREAM_DATA,   /* X, Θ, Y_pre, ΔY */
  LRS_STREAM_INIT,   /* W1(0), W2(0), LoRA A/B, G */
  LRS_STREAM_NOISE,  /* ε */
  LRS_STREAM_COUNT
} lrs_stream;

/*
 * The 64-bit seed of one random stream of a point: a hash of the base seed,
 * the replicate, the stream, and the problem-defining parameters (model,
 * n, m, N, h, data, target, target_rank, lora_rank, delta_pair).
 * Deliberately NOT hashed: the init scheme, step size, step rule, loss and
 * its parameters, solver settings, σ², init_scale/init_exponent, balance,
 * delta_scale — so points that differ only in those see the same
 * standard-normal draws (common random numbers; scales multiply the draws):
 * small and spectral LoRA inits start from the same Y_pre and G.
 */
uint64_t lrs_point_stream_seed(const lrs_point *point, lrs_stream stream);

/* The std of the initial weights: init_scale, or width^(-init_exponent). */
double lrs_point_init_std(const lrs_point *point);

/* Looks `name` up in a NULL-terminated name table; returns its index or -1. */
int lrs_name_lookup(const char *const *names, const char *name);

#endif
