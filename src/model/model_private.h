/* Helpers shared by the model rows of src/model (not part of lrsweep/model.h:
 * the solver and the other rooms never call them). */
#ifndef LRSWEEP_MODEL_PRIVATE_H
#define LRSWEEP_MODEL_PRIVATE_H

#include "lrsweep/loss.h"
#include "lrsweep/model.h"
#include "lrsweep/problem.h"

/* The summary of a model without [P1] theory at this point (summarize op):
 * loss_star ← star, theory not applicable, and the loss's μ and K (what
 * lrsweep/result.h reports for every model). */
lrs_status lrs__model_summarize_untheorized(const lrs_loss *loss, double star, lrs_summary *s);

/* Adds a loss's parameters (all a loss row reads besides its data) to a
 * set-up cache key; a kind whose parameters lrs_loss_params may not hold
 * invalidates the key (a new loss is not cached until its inputs join). */
void lrs__model_key_loss(lrs_setup_key *key, const lrs_loss_params *lp);

/* ℓ* and W* (lrs_loss_minimize from Wstar's content), or, when `key` is
 * valid (lrsweep/problem.h: THE SET-UP CACHE) and an earlier point kept them
 * under it, those bytes, the loss then left as minimize leaves it
 * (lrs_loss_set_minimum); a valid key's result is kept.  The key must name
 * everything the minimum depends on: the data, the loss and its parameters,
 * the start (a model's own convention). */
lrs_status lrs__model_minimize_kept(lrs_loss *loss, const lrs_setup_key *key, lrs_mat *Wstar,
                                    double *star);

/* Emits a drawn problem's data X and Y by name (dump op): the N×n data and
 * N×m targets, or for a `vectorized` loss the N×nm sensing operator and the
 * N×1 measurements.  `product` names the model's W in the loss's formula
 * ("W", "W1 W2ᵀ"). */
lrs_status lrs__model_emit_data(lrs_dump_fn emit, void *ctx, const lrs_problem *P,
                                const lrs_loss *loss, const char *product);

#endif
