/* The loss table's entries (one file each) and the private loss layout. */
#ifndef LRSWEEP_LOSS_IMPL_H
#define LRSWEEP_LOSS_IMPL_H

#include "lrsweep/loss.h"

extern const lrs_loss_ops lrs__loss_squared;
extern const lrs_loss_ops lrs__loss_logistic;
extern const lrs_loss_ops lrs__loss_huber;

#endif
