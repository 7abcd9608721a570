/*
 * lrsweep/result.h — the result of one point: a summary row plus trajectory
 * records.  This struct is the contract between the solver (which fills it),
 * the scheduler (which ships it between ranks) and the store (which writes it).
 *
 * Unset doubles are NaN; unset counts are -1.  Theory columns of a loss or
 * model the theory does not cover stay NaN with theory.applicable = false.
 * The structs are generated from the field lists below (one row per field).
 */
#ifndef LRSWEEP_RESULT_H
#define LRSWEEP_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/field.h"
#include "lrsweep/status.h"

#define LRS_POINT_STATUS_LIST(X)                                               \
  X(LRS_POINT_PENDING, "pending")                                              \
  X(LRS_POINT_CONVERGED, "converged")                                          \
  X(LRS_POINT_MAX_ITER, "max_iter")                                            \
  X(LRS_POINT_MAX_TIME, "max_time")                                            \
  X(LRS_POINT_DIVERGED, "diverged")                                            \
  X(LRS_POINT_NUMERICAL_FAILURE, "numerical_failure")                          \
  X(LRS_POINT_TIMEOUT, "timeout")                                              \
  X(LRS_POINT_ERROR, "error")                                                  \
  X(LRS_POINT_THEORY_ONLY, "theory_only")                                      \
  X(LRS_POINT_RULE_UNDEFINED, "rule_undefined") /* the step rule has no value */

#define LRS__ENUM_MEMBER(name, text) name,
typedef enum {
  LRS_POINT_STATUS_LIST(LRS__ENUM_MEMBER) LRS_POINT_STATUS_COUNT
} lrs_point_status;
#undef LRS__ENUM_MEMBER
extern const char *const lrs_point_status_names[];

/* Which term bound η_max in eq. (101)–(102) of [P1] (papers.md §1.5). */
#define LRS_ETA_BOUND_LIST(X)                                                  \
  X(LRS_ETA_BOUND_NONE, "none")                                                \
  X(LRS_ETA_BOUND_ETA1, "eta1")                                                \
  X(LRS_ETA_BOUND_ETA2, "eta2")                                                \
  X(LRS_ETA_BOUND_LOG, "log")                                                  \
  X(LRS_ETA_BOUND_ETA2_UNDERFLOW, "eta2_underflow") /* η⁽²⁾ < DBL_MIN: η_max = 0 */
#define LRS__ENUM_MEMBER(name, text) name,
typedef enum { LRS_ETA_BOUND_LIST(LRS__ENUM_MEMBER) LRS_ETA_BOUND_COUNT } lrs_eta_bound;
#undef LRS__ENUM_MEMBER
extern const char *const lrs_eta_bound_names[];

/*
 * The result's fields, each listed once.  Every list below generates its
 * struct (here), and through LRS_FIELD_TABLE the descriptors (lrs_field,
 * lrsweep/field.h) from which everything else is derived: the unset values
 * (NaN, -1, zeros), the store's columns (names, order, HDF5 types, units and
 * docs: docs/store.md, checked by tests/store), `lrsweep run`'s summary and
 * trajectory TSV, `lrsweep rerun`'s comparison, and the query columns.
 *
 * ADDING A FIELD is one row in one list (then a row in docs/store.md's table,
 * which tests/store compares with the schema): the row's position is its
 * column's position in the store.  Row forms (C is the list's context: pass
 * it on untouched):
 *   X(C, member, TYPE, unit, flags, show, doc)   column and run label = member
 *   N(C, member, column, label, TYPE, unit, flags, show, doc)  named otherwise
 *   L(C, member, k, TYPE, unit, flags, show, doc)  element k of an array over
 *        lrs_result_levels (declared by the k = 0 row); column MEMBER_3/_6/_10,
 *        run label MEMBER_1e-03/...
 *   S(C, member, type, LIST)                     a sub-struct with its own list
 * TYPE: F64 (double), I64 (int64_t), BOOL, TEXT (char[LRS_RESULT_MESSAGE_MAX]),
 * STATUS (lrs_point_status), ETA_BOUND (lrs_eta_bound).
 * flags: 0, or LRS_FIELD_PER_RECORD / LRS_FIELD_RUN_DEPENDENT (field.h).
 * show: LRS_NO_RUN, or LRS_RUN(line) / LRS_RUN_SET / LRS_RUN_GATE /
 * LRS_RUN_RATIO (line): where `lrsweep run` prints it (lrs_show_mode).
 */
#define LRS_NO_RUN {0, LRS_SHOW_NEVER}
#define LRS_RUN(line) {line, LRS_SHOW_ALWAYS}
#define LRS_RUN_SET(line) {line, LRS_SHOW_SET}
#define LRS_RUN_GATE(line) {line, LRS_SHOW_GATE}
#define LRS_RUN_RATIO(line) {line, LRS_SHOW_RATIO}

/* [P1] constants at t = 0 (papers.md §1.3–1.5).  Uncovered loss or model:
 * applicable = false and the rest NaN. */
#define LRS_THEORY_FIELDS(X, N, L, S, C)                                                     \
  N(C, applicable, theory_applicable, "theory", BOOL, "", 0, LRS_RUN_GATE(180),              \
    "loss and model covered by [P1]")                                                        \
  X(C, mu, F64, "", 0, LRS_RUN(190), "μ: strong convexity of ℓ")                             \
  X(C, K, F64, "", 0, LRS_RUN(200), "K: smoothness of ℓ")                                    \
  X(C, lambda_plus, F64, "", 0, LRS_NO_RUN, "λ₊ of D₀")                                      \
  X(C, lambda_minus, F64, "", 0, LRS_NO_RUN, "λ₋ of D₀")                                     \
  X(C, delta_under, F64, "", 0, LRS_NO_RUN, "Δ̲")                                             \
  X(C, delta_plus, F64, "", 0, LRS_NO_RUN, "Δ₊")                                             \
  X(C, delta_minus, F64, "", 0, LRS_NO_RUN, "Δ₋")                                            \
  X(C, beta1, F64, "", 0, LRS_RUN(230), "β1 margin")                                         \
  X(C, beta2, F64, "", 0, LRS_RUN(240), "β2 margin")                                         \
  X(C, alpha1, F64, "", 0, LRS_RUN(210), "α1: lower bound on σ_min²(T_t)")                   \
  X(C, alpha2, F64, "", 0, LRS_RUN_RATIO(220), "α2: upper bound on σ_max²(T_t)")             \
  X(C, mu_bar, F64, "", 0, LRS_NO_RUN, "μ̄ at η0")                                            \
  X(C, K_bar0, F64, "", 0, LRS_NO_RUN, "K̄_0 at η0")                                          \
  X(C, eta1, F64, "step", 0, LRS_RUN(250), "η⁽¹⁾ (eq. 101)")                                 \
  X(C, eta2, F64, "step", 0, LRS_RUN(260),                                                  \
    "η⁽²⁾ (eq. 102; inf if none; 0 if it underflows: see `eta_max_bound`, or if α1 ≤ 0)")     \
  X(C, eta_max, F64, "step", 0, LRS_RUN(270), "η_max")                                       \
  X(C, eta_max_bound, ETA_BOUND, "", 0, LRS_RUN(280), "which term bound η_max")              \
  X(C, eta0, F64, "step", 0, LRS_RUN(290), "initial step actually used")                     \
  X(C, rho_bar0, F64, "", 0, LRS_RUN(300), "ρ̄(η0, 0)")                                       \
  X(C, asymptotic_rate, F64, "", 0, LRS_RUN(310), "1 − (μ/K) α1/α2")                       \
  /* β2, α2 and the rate with ‖W*‖_F for σ_max(W*) (papers.md §3.3); the      \
   * point's beta2_norm says which pair drove η_max, μ̄, K̄_t and ρ̄. */          \
  X(C, beta2_fro, F64, "", 0, LRS_RUN(320), "β2 with ‖W*‖_F for σ_max(W*)")                  \
  X(C, alpha2_fro, F64, "", 0, LRS_RUN(330), "α2 with beta2_fro")                            \
  X(C, asymptotic_rate_fro, F64, "", 0, LRS_RUN(340), "1 − (μ/K) α1/alpha2_fro")

/* LoRA summary quantities (papers.md §2.4); NaN for two_layer points. */
#define LRS_LORA_FIELDS(X, N, L, S, C)                                                       \
  X(C, delta_w, F64, "", 0, LRS_RUN_GATE(400), "LoRA δ_w = σ_W1/σ_W2")                       \
  X(C, sigma_w1, F64, "", 0, LRS_NO_RUN, "LoRA σ_W1 = ‖W1 v‖")                               \
  X(C, sigma_w2, F64, "", 0, LRS_NO_RUN, "LoRA σ_W2 = ‖W2ᵀ u‖")                              \
  X(C, align_end, F64, "step (GF: time)", 0, LRS_RUN(410), "end of the alignment phase")     \
  X(C, align_plateau, F64, "log10", 0, LRS_RUN(420), "log10(1 − |cos|) at align_end")        \
  X(C, final_floor, F64, "loss", 0, LRS_RUN(430), "LoRA final-loss floor")                   \
  X(C, local_rate, F64, "", LRS_FIELD_PER_RECORD, LRS_RUN(440),                              \
    "LoRA fitted rate after alignment")

enum { LRS_RESULT_LEVELS = 3, LRS_RESULT_MESSAGE_MAX = 256 };
/* Relative loss levels for iters_to/time_to: L ≤ level · L0, and the L rows'
 * name suffixes (tests/store checks them against the values). */
extern const double lrs_result_levels[LRS_RESULT_LEVELS]; /* 1e-3, 1e-6, 1e-10 */
#define LRS__LEVEL_COLUMN_0 "3"
#define LRS__LEVEL_COLUMN_1 "6"
#define LRS__LEVEL_COLUMN_2 "10"
#define LRS__LEVEL_LABEL_0 "1e-03"
#define LRS__LEVEL_LABEL_1 "1e-06"
#define LRS__LEVEL_LABEL_2 "1e-10"

/* The summary row of a point. */
#define LRS_SUMMARY_FIELDS(X, N, L, S, C)                                                    \
  X(C, status, STATUS, "", 0, LRS_RUN(10), "outcome; pending until computed")                \
  X(C, message, TEXT, "", 0, LRS_RUN_SET(20), "why, for failures (empty otherwise)")         \
  X(C, iterations, I64, "", 0, LRS_RUN(30), "GD iterations (GF: accepted ODE steps)")        \
  X(C, final_time, F64, "GF time", 0, LRS_RUN_SET(40), "GF time reached (GD: NaN)")          \
  X(C, rhs_evals, I64, "", 0, LRS_RUN(50), "gradient evaluations")                           \
  X(C, loss_evals, I64, "", 0, LRS_RUN(52),                                                 \
    "loss-only evaluations (line-search trials: backtracking; 0 for the other rules)")       \
  X(C, ls_failures, I64, "", 0, LRS_RUN(54), "GD iterations whose line search hit its guard") \
  X(C, loss0, F64, "loss", 0, LRS_RUN(60), "L(0)")                                           \
  X(C, final_loss, F64, "loss", 0, LRS_RUN(70), "L at the end")                              \
  X(C, loss_star, F64, "loss", 0, LRS_RUN(80), "ℓ* (0 when min ℓ = 0)")                      \
  X(C, rate, F64, "per iteration (GF: per unit time)", LRS_FIELD_PER_RECORD, LRS_RUN(90),    \
    "fitted linear rate")                                                                    \
  X(C, rate_r2, F64, "", LRS_FIELD_PER_RECORD, LRS_RUN(100),                                 \
    "R² of the rate fit of log(L − ℓ*)")                                                     \
  X(C, rate_begin, I64, "record", LRS_FIELD_PER_RECORD, LRS_NO_RUN,                          \
    "first record of the fit window")                                                        \
  X(C, rate_end, I64, "record", LRS_FIELD_PER_RECORD, LRS_NO_RUN,                            \
    "last record of the fit window")                                                         \
  L(C, iters_to, 0, I64, "", 0, LRS_RUN(110), "first iteration with L ≤ 1e-3·L0 (-1: never)") \
  L(C, iters_to, 1, I64, "", 0, LRS_RUN(130), "first iteration with L ≤ 1e-6·L0 (-1: never)") \
  L(C, iters_to, 2, I64, "", 0, LRS_RUN(150),                                                \
    "first iteration with L ≤ 1e-10·L0 (-1: never)")                                         \
  L(C, time_to, 0, F64, "GF time", 0, LRS_RUN_SET(120), "GF time to L ≤ 1e-3·L0 (NaN: never)") \
  L(C, time_to, 1, F64, "GF time", 0, LRS_RUN_SET(140), "GF time to L ≤ 1e-6·L0 (NaN: never)") \
  L(C, time_to, 2, F64, "GF time", 0, LRS_RUN_SET(160),                                      \
    "GF time to L ≤ 1e-10·L0 (NaN: never)")                                                  \
  X(C, max_drift, F64, "", 0, LRS_RUN(170), "max ‖D(t) − D(0)‖ along the run")               \
  S(C, theory, lrs_theory, LRS_THEORY_FIELDS)                                                \
  S(C, lora, lrs_lora_summary, LRS_LORA_FIELDS)                                              \
  X(C, wall_seconds, F64, "s", LRS_FIELD_RUN_DEPENDENT, LRS_RUN(900),                        \
    "wall-clock time of the solve")                                                          \
  /* Provenance of data = "file" (lrsweep/datafile.h); "" otherwise. */                      \
  X(C, data_file, TEXT, "", 0, LRS_RUN_SET(910), "data file read (resolved path)")           \
  X(C, data_sha256, TEXT, "", 0, LRS_RUN_SET(920), "SHA-256 of the data file's bytes")

/* One trajectory record.  Fields a model does not have are NaN. */
#define LRS_RECORD_FIELDS(X, N, L, S, C)                                                     \
  X(C, step, I64, "", 0, LRS_NO_RUN, "GD iteration, or GF record number")                    \
  X(C, time, F64, "GF time", 0, LRS_NO_RUN, "GF time (GD: Σ η_k)")                           \
  X(C, loss, F64, "loss", 0, LRS_NO_RUN, "L − ℓ*")                                           \
  X(C, grad_norm, F64, "", 0, LRS_NO_RUN, "‖∇L‖ over all parameters")                        \
  X(C, step_size, F64, "step", 0, LRS_NO_RUN, "η_t taken from here (GD)")                    \
  X(C, sigma_min2_T, F64, "", 0, LRS_NO_RUN, "σ²_min(T_t)")                                  \
  X(C, sigma_max2_T, F64, "", 0, LRS_NO_RUN, "σ²_max(T_t)")                                  \
  X(C, mu_t, F64, "", 0, LRS_NO_RUN, "local PL constant μ_t")                                \
  X(C, K_t, F64, "", 0, LRS_NO_RUN, "local smoothness K_t(η_t)")                             \
  X(C, rho_t, F64, "", 0, LRS_NO_RUN, "local rate ρ(η_t, t)")                                \
  X(C, bound_local, F64, "loss", 0, LRS_NO_RUN, "Π ρ(η_k, k) · L0")                          \
  X(C, bound_global, F64, "loss", 0, LRS_NO_RUN, "Π ρ̄(η_k, k) · L0")                         \
  X(C, bound_const, F64, "loss", 0, LRS_NO_RUN, "L0 ρ̄(η0, 0)^t")                             \
  X(C, imbalance_drift, F64, "", 0, LRS_NO_RUN, "‖D(t) − D(0)‖")                             \
  X(C, loss_signal, F64, "loss", 0, LRS_NO_RUN, "LoRA signal loss L_S")                      \
  X(C, loss_noise, F64, "loss", 0, LRS_NO_RUN, "LoRA noise loss L_N")                        \
  X(C, log10_misalign, F64, "log10", 0, LRS_NO_RUN, "log10(1 − |cos(γ1, U_Z1)|)")            \
  X(C, z1_fro, F64, "", 0, LRS_NO_RUN, "‖Z1‖_F")                                             \
  X(C, z2_fro, F64, "", 0, LRS_NO_RUN, "‖Z2‖_F")                                             \
  X(C, z1_spec, F64, "", 0, LRS_NO_RUN, "‖Z1‖_2")                                            \
  X(C, z2_spec, F64, "", 0, LRS_NO_RUN, "‖Z2‖_2")                                            \
  X(C, z_ratio, F64, "", 0, LRS_NO_RUN, "‖Z1‖²/‖Z2‖²")                                       \
  X(C, signal_coord, F64, "", 0, LRS_NO_RUN, "gᵀ B1 A1 v")                                 \
  /* The classifier head (model lora_head, lrsweep/lora_head.h): NaN elsewhere. */          \
  X(C, test_loss, F64, "loss", 0, LRS_NO_RUN,                                                \
    "objective ℓ(W) on the test split, (λ/2)‖W‖² included (without ℓ*)")                    \
  X(C, train_acc, F64, "", 0, LRS_NO_RUN, "training accuracy (argmax of XW)")                \
  X(C, test_acc, F64, "", 0, LRS_NO_RUN, "test accuracy")                                    \
  X(C, lora_norm, F64, "", 0, LRS_NO_RUN, "‖BA‖_F of the LoRA head")                         \
  X(C, update_align, F64, "", 0, LRS_NO_RUN,                                                 \
    "‖U_rᵀ BA V_r‖_F/‖BA‖_F, U_r, V_r the top-r singular vectors of ΔW = W* − W0")        \
  /* Plain cross-entropy, the objective without its ridge ([P2] §5.2 reports it;  \
   * papers.md §4): added after the columns above, so older stores lack it. */      \
  X(C, train_cross_entropy, F64, "loss", 0, LRS_NO_RUN,                                      \
    "plain cross-entropy (1/N)Σ_i[logsumexp(z_i) − z_{i,c_i}] on the training split: the "  \
    "objective (loss + loss_star) without (λ/2)‖W‖²")                                        \
  X(C, test_cross_entropy, F64, "loss", 0, LRS_NO_RUN,                                       \
    "plain cross-entropy on the test split: test_loss without (λ/2)‖W‖²")

/* ---- what the lists generate -------------------------------------------------------- */

/* A TYPE as (C type, array suffix, lrs_field_type, TEXT size, enum names). */
#define LRS__T_F64(P) P(double, , LRS_FIELD_F64, 0, NULL)
#define LRS__T_I64(P) P(int64_t, , LRS_FIELD_I64, 0, NULL)
#define LRS__T_BOOL(P) P(bool, , LRS_FIELD_BOOL, 0, NULL)
#define LRS__T_TEXT(P)                                                                       \
  P(char, [LRS_RESULT_MESSAGE_MAX], LRS_FIELD_TEXT, LRS_RESULT_MESSAGE_MAX, NULL)
#define LRS__T_STATUS(P) P(lrs_point_status, , LRS_FIELD_ENUM, 0, lrs_point_status_names)
#define LRS__T_ETA_BOUND(P) P(lrs_eta_bound, , LRS_FIELD_ENUM, 0, lrs_eta_bound_names)
#define LRS__T_CTYPE(c, d, t, s, n) c
#define LRS__T_DIM(c, d, t, s, n) d
#define LRS__T_FIELD(c, d, t, s, n) t
#define LRS__T_SIZE(c, d, t, s, n) s
#define LRS__T_NAMES(c, d, t, s, n) n

/* Struct members: the k = 0 row of a level array declares the array. */
#define LRS__M_X(C, m, T, ...) LRS__T_##T(LRS__T_CTYPE) m LRS__T_##T(LRS__T_DIM);
#define LRS__M_N(C, m, col, label, T, ...) LRS__T_##T(LRS__T_CTYPE) m LRS__T_##T(LRS__T_DIM);
#define LRS__M_L(C, m, k, T, ...) LRS__M_L##k(LRS__T_##T(LRS__T_CTYPE), m)
#define LRS__M_L0(ctype, m) ctype m[LRS_RESULT_LEVELS];
#define LRS__M_L1(ctype, m)
#define LRS__M_L2(ctype, m)
#define LRS__M_S(C, m, type, LIST) type m;
#define LRS__MEMBERS(LIST) LIST(LRS__M_X, LRS__M_N, LRS__M_L, LRS__M_S, ~)

/* Descriptors: C = (struct type, its offset in the table's row, flags). */
#define LRS__C_TYPE(type, off, flags) type
#define LRS__C_OFF(type, off, flags) off
#define LRS__C_FLAGS(type, off, flags) flags
/* (`show` is a braced pair, hence last: LRS__D receives it as __VA_ARGS__.) */
#define LRS__D(C, m, col, label, TT, unit, flags, doc, ...)                                  \
  {col,        TT(LRS__T_FIELD), LRS__C_OFF C + offsetof(LRS__C_TYPE C, m), TT(LRS__T_SIZE), \
   TT(LRS__T_NAMES), unit, doc, (flags) | LRS__C_FLAGS C, label, __VA_ARGS__},
#define LRS__D_X(C, m, T, unit, flags, show, doc)                                            \
  LRS__D(C, m, #m, #m, LRS__T_##T, unit, flags, doc, show)
#define LRS__D_N(C, m, col, label, T, unit, flags, show, doc)                                \
  LRS__D(C, m, #col, label, LRS__T_##T, unit, flags, doc, show)
#define LRS__D_L(C, m, k, T, unit, flags, show, doc)                                         \
  LRS__D(C, m[k], #m "_" LRS__LEVEL_COLUMN_##k, #m "_" LRS__LEVEL_LABEL_##k, LRS__T_##T,   \
         unit, flags, doc, show)
#define LRS__D_S(C, m, type, LIST)                                                           \
  LIST(LRS__D_X, LRS__D_N, LRS__D_L, LRS__D_S,                                               \
       (type, LRS__C_OFF C + offsetof(LRS__C_TYPE C, m), LRS_FIELD_GATED))
/* The lrs_field initializers of LIST (describing `type`), for a table whose
 * rows hold that struct at byte `off`: {LRS_FIELD_TABLE(...)}. */
#define LRS_FIELD_TABLE(LIST, type, off)                                                     \
  LIST(LRS__D_X, LRS__D_N, LRS__D_L, LRS__D_S, (type, off, 0))

typedef struct lrs_theory {
  LRS__MEMBERS(LRS_THEORY_FIELDS)
} lrs_theory;
typedef struct lrs_lora_summary {
  LRS__MEMBERS(LRS_LORA_FIELDS)
} lrs_lora_summary;
typedef struct lrs_summary {
  LRS__MEMBERS(LRS_SUMMARY_FIELDS)
} lrs_summary;
typedef struct lrs_record {
  LRS__MEMBERS(LRS_RECORD_FIELDS)
} lrs_record;

/* The descriptors of every summary field (sub-structs flattened, in column
 * order; offsets in lrs_summary) and of every record field (in lrs_record). */
extern const lrs_field lrs_summary_fields[];
extern const size_t lrs_summary_field_count;
extern const lrs_field lrs_record_fields[];
extern const size_t lrs_record_field_count;

typedef struct lrs_result {
  lrs_summary summary;
  lrs_record *records;
  size_t n_records, cap_records;
} lrs_result;

/* Allocates an empty result with room for `capacity` records. */
lrs_status lrs_result_create(size_t capacity, lrs_result **result);
/* Frees the result and sets *result to NULL.  NULL-safe. */
void lrs_result_destroy(lrs_result **result);
/* Empties the result for reuse (keeps its memory); summary fields unset. */
void lrs_result_reset(lrs_result *result);
/* A record with every field unset (NaN / -1). */
lrs_record lrs_record_unset(void);
/* Makes room for at least `capacity` records in total, so that the next
 * appends up to that count do not allocate (solvers reserve before their
 * loop).  Statuses: LRS_ERR_NOMEM. */
lrs_status lrs_result_reserve(lrs_result *result, size_t capacity);
/* Appends a copy of *rec, growing the buffer when needed. */
lrs_status lrs_result_append(lrs_result *result, const lrs_record *rec);

#endif
