/* Comparing the grid of a stored sweep with the sweep file given now. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store_private.h"

static bool same_value(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static const lrs_axis *find_axis(const lrs_config *cfg, const lrs_param *p) {
  for (size_t i = 0; i < lrs_config_axis_count(cfg); i++)
    if (lrs_config_axis(cfg, i)->param == p)
      return lrs_config_axis(cfg, i);
  return NULL;
}

static bool axis_has(const lrs_axis *a, double v) {
  for (size_t i = 0; i < a->length; i++)
    if (same_value(a->values[i], v))
      return true;
  return false;
}

static const char *shown_name(const lrs_param *p) {
  return strcmp(p->name, "replicate") == 0 ? "seed" : p->name;
}

/* Appends "; " (unless first) and printf text to desc[cap]. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void say(char *desc, size_t cap, const char *fmt, ...) {
  size_t used = strlen(desc);
  if (used + 3 >= cap)
    return;
  if (used) {
    snprintf(desc + used, cap - used, "; ");
    used += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(desc + used, cap - used, fmt, ap);
  va_end(ap);
}

/* The values of `a` missing from `b`, as "v1, v2, ..." (at most 6 shown);
 * returns how many. */
static size_t missing_values(const lrs_axis *a, const lrs_axis *b, char *buf, size_t cap) {
  size_t n = 0, used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < a->length; i++) {
    if (axis_has(b, a->values[i]))
      continue;
    if (n < 6) {
      char v[64];
      lrs_param_format(a->param, a->values[i], v, sizeof v);
      int w = snprintf(buf + used, cap - used, "%s%s", n ? ", " : "", v);
      if (w > 0 && (size_t)w < cap - used)
        used += (size_t)w;
    } else if (n == 6) {
      snprintf(buf + used, cap - used, ", ...");
      used = strlen(buf);
    }
    n++;
  }
  return n;
}

/* Names of the other axes zipped with `a` in `cfg`, sorted by table order. */
static void zip_partners(const lrs_config *cfg, const lrs_axis *a, char *buf, size_t cap) {
  buf[0] = '\0';
  if (a->zip_group < 0)
    return;
  size_t used = 0;
  for (size_t i = 0; i < lrs_config_axis_count(cfg); i++) {
    const lrs_axis *b = lrs_config_axis(cfg, i);
    if (b != a && b->zip_group == a->zip_group) {
      int w = snprintf(buf + used, cap - used, "%s,", shown_name(b->param));
      if (w > 0 && (size_t)w < cap - used)
        used += (size_t)w;
    }
  }
}

lrs_status lrs__store_grid_diff(const lrs_config *old_cfg, const lrs_config *new_cfg,
                                bool *same, bool *extensible, char *desc, size_t cap) {
  *same = true;
  *extensible = true;
  desc[0] = '\0';
  size_t n;
  const lrs_param *table = lrs_param_table(&n);
  const lrs_point *bo = lrs_config_base(old_cfg), *bn = lrs_config_base(new_cfg);
  if (bo->seed != bn->seed) {
    say(desc, cap, "base_seed changed from %llu to %llu", (unsigned long long)bo->seed,
        (unsigned long long)bn->seed);
    *same = *extensible = false;
  }
  for (size_t i = 0; i < n; i++) {
    const lrs_param *p = &table[i];
    const lrs_axis *ao = find_axis(old_cfg, p), *an = find_axis(new_cfg, p);
    char a[64], b[64];
    if (!ao && !an) {
      double vo = lrs_param_get(bo, p), vn = lrs_param_get(bn, p);
      if (!same_value(vo, vn)) {
        lrs_param_format(p, vo, a, sizeof a);
        lrs_param_format(p, vn, b, sizeof b);
        say(desc, cap, "%s changed from %s to %s", shown_name(p), a, b);
        *same = *extensible = false;
      }
      continue;
    }
    if (!an || !ao) {
      say(desc, cap, !an ? "axis %s was removed" : "%s became an axis (keys would change)",
          shown_name(p));
      *same = *extensible = false;
      continue;
    }
    char gained[512], lost[512];
    size_t n_gained = missing_values(an, ao, gained, sizeof gained);
    size_t n_lost = missing_values(ao, an, lost, sizeof lost);
    if (n_lost) {
      say(desc, cap, "axis %s loses value%s %s", shown_name(p), n_lost > 1 ? "s" : "", lost);
      *same = *extensible = false;
    }
    if (n_gained) {
      say(desc, cap, "axis %s gains value%s %s", shown_name(p), n_gained > 1 ? "s" : "", gained);
      *same = false;
    }
    if (!n_lost && !n_gained) {
      bool in_order = ao->length == an->length;
      for (size_t k = 0; in_order && k < ao->length; k++)
        in_order = same_value(ao->values[k], an->values[k]);
      if (!in_order) {
        say(desc, cap, "axis %s lists its values in another order", shown_name(p));
        *same = false;
      }
    }
    zip_partners(old_cfg, ao, a, sizeof a);
    zip_partners(new_cfg, an, b, sizeof b);
    if (strcmp(a, b) != 0) {
      say(desc, cap, "axis %s is zipped differently", shown_name(p));
      *same = *extensible = false;
    }
  }
  return LRS_OK;
}
