/* Values behind a field descriptor (lrsweep/field.h). */
#include "lrsweep/field.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double lrs_field_number(const lrs_field *f, const void *base) {
  const char *p = (const char *)base + f->offset;
  switch (f->type) {
  case LRS_FIELD_U64: {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return (double)v;
  }
  case LRS_FIELD_I64: {
    int64_t v;
    memcpy(&v, p, sizeof v);
    return (double)v;
  }
  case LRS_FIELD_I32: {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case LRS_FIELD_F64: {
    double v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case LRS_FIELD_ENUM: {
    int v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case LRS_FIELD_BOOL: {
    bool v;
    memcpy(&v, p, sizeof v);
    return v ? 1 : 0;
  }
  case LRS_FIELD_TEXT:
    break;
  }
  return NAN;
}

void lrs_field_format(lrs_field_type type, const char *const *names, double value, char *buf,
                      size_t cap) {
  switch (type) {
  case LRS_FIELD_U64:
  case LRS_FIELD_I64:
  case LRS_FIELD_I32:
    snprintf(buf, cap, "%lld", (long long)value);
    return;
  case LRS_FIELD_ENUM: {
    int n = 0;
    while (names[n])
      n++;
    const int v = (int)value;
    snprintf(buf, cap, "%s", v >= 0 && v < n ? names[v] : "?");
    return;
  }
  case LRS_FIELD_BOOL:
    snprintf(buf, cap, "%s", value != 0 ? "true" : "false");
    return;
  case LRS_FIELD_F64:
    if (isnan(value)) {
      snprintf(buf, cap, "nan");
      return;
    }
    /* The shortest %.*g that reads back exactly: stable, human-sized. */
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, cap, "%.*g", prec, value);
      if (strtod(buf, NULL) == value)
        return;
    }
    return;
  case LRS_FIELD_TEXT:
    break;
  }
  snprintf(buf, cap, "%s", "");
}

const char *lrs_field_text(const lrs_field *f, const void *base, char *buf, size_t cap) {
  const char *p = (const char *)base + f->offset;
  if (f->type == LRS_FIELD_U64) { /* beyond 2^53 a double would round it */
    uint64_t v;
    memcpy(&v, p, sizeof v);
    snprintf(buf, cap, "%llu", (unsigned long long)v);
  } else if (f->type == LRS_FIELD_TEXT) {
    snprintf(buf, cap, "%.*s", (int)f->size, p);
  } else {
    lrs_field_format(f->type, f->names, lrs_field_number(f, base), buf, cap);
  }
  return buf;
}

/* Bytes of the value (TEXT: the whole buffer). */
static size_t value_size(const lrs_field *f) {
  switch (f->type) {
  case LRS_FIELD_U64:
  case LRS_FIELD_I64:
  case LRS_FIELD_F64:
    return 8;
  case LRS_FIELD_I32:
    return 4;
  case LRS_FIELD_ENUM:
    return sizeof(int);
  case LRS_FIELD_BOOL:
    return sizeof(bool);
  case LRS_FIELD_TEXT:
    return f->size;
  }
  return 0;
}

void lrs_field_unset(const lrs_field *f, void *base) {
  char *p = (char *)base + f->offset;
  if (f->type == LRS_FIELD_F64) {
    const double nan = NAN;
    memcpy(p, &nan, sizeof nan);
  } else if (f->type == LRS_FIELD_I64) {
    const int64_t none = -1;
    memcpy(p, &none, sizeof none);
  } else {
    memset(p, 0, value_size(f));
  }
}

bool lrs_field_is_set(const lrs_field *f, const void *base) {
  const char *p = (const char *)base + f->offset;
  switch (f->type) {
  case LRS_FIELD_F64:
    return !isnan(lrs_field_number(f, base));
  case LRS_FIELD_I64:
    return lrs_field_number(f, base) != -1;
  case LRS_FIELD_TEXT:
    return p[0] != '\0';
  default:
    return lrs_field_number(f, base) != 0;
  }
}

bool lrs_field_same(const lrs_field *f, const void *a, const void *b) {
  const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
  if (f->type == LRS_FIELD_TEXT)
    return strncmp(pa, pb, f->size) == 0;
  if (f->type == LRS_FIELD_BOOL || f->type == LRS_FIELD_ENUM)
    return lrs_field_number(f, a) == lrs_field_number(f, b);
  return memcmp(pa, pb, value_size(f)) == 0;
}

const lrs_field *lrs_field_find(const lrs_field *fields, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(fields[i].name, name) == 0)
      return &fields[i];
  return NULL;
}
