/* The point-result struct (lrsweep/result.h). */
#include "lrsweep/result.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LRS__NAME(name, text) text,
const char *const lrs_point_status_names[] = {LRS_POINT_STATUS_LIST(LRS__NAME) NULL};
const char *const lrs_eta_bound_names[] = {LRS_ETA_BOUND_LIST(LRS__NAME) NULL};
#undef LRS__NAME

const lrs_field lrs_summary_fields[] = {LRS_FIELD_TABLE(LRS_SUMMARY_FIELDS, lrs_summary, 0)};
const size_t lrs_summary_field_count = sizeof lrs_summary_fields / sizeof lrs_summary_fields[0];
const lrs_field lrs_record_fields[] = {LRS_FIELD_TABLE(LRS_RECORD_FIELDS, lrs_record, 0)};
const size_t lrs_record_field_count = sizeof lrs_record_fields / sizeof lrs_record_fields[0];

const double lrs_result_levels[LRS_RESULT_LEVELS] = {1e-3, 1e-6, 1e-10};

lrs_record lrs_record_unset(void) {
  lrs_record r;
  for (size_t i = 0; i < lrs_record_field_count; i++)
    lrs_field_unset(&lrs_record_fields[i], &r);
  return r;
}

static void summary_unset(lrs_summary *s) {
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < lrs_summary_field_count; i++)
    lrs_field_unset(&lrs_summary_fields[i], s);
}

lrs_status lrs_result_create(size_t capacity, lrs_result **result) {
  *result = NULL;
  lrs_result *r = calloc(1, sizeof *r);
  LRS_TRY(LRS_CHECK_ALLOC(r));
  if (capacity > 0) {
    r->records = malloc(capacity * sizeof *r->records);
    if (!r->records) {
      free(r);
      return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu trajectory records",
                       capacity);
    }
  }
  r->cap_records = capacity;
  summary_unset(&r->summary);
  *result = r;
  return LRS_OK;
}

void lrs_result_destroy(lrs_result **result) {
  if (!result || !*result)
    return;
  free((*result)->records);
  free(*result);
  *result = NULL;
}

void lrs_result_reset(lrs_result *result) {
  result->n_records = 0;
  summary_unset(&result->summary);
}

lrs_status lrs_result_reserve(lrs_result *result, size_t capacity) {
  if (capacity <= result->cap_records)
    return LRS_OK;
  if (capacity > SIZE_MAX / sizeof *result->records)
    return LRS_RAISE(LRS_ERR_NOMEM, "%zu trajectory records do not fit in memory",
                     capacity);
  lrs_record *grown = realloc(result->records, capacity * sizeof *grown);
  if (!grown)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu trajectory records",
                     capacity);
  result->records = grown;
  result->cap_records = capacity;
  return LRS_OK;
}

lrs_status lrs_result_append(lrs_result *result, const lrs_record *rec) {
  if (result->n_records == result->cap_records)
    LRS_TRY(lrs_result_reserve(result, result->cap_records ? 2 * result->cap_records : 64));
  result->records[result->n_records++] = *rec;
  return LRS_OK;
}
