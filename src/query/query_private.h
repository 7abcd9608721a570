/* Private to the query room. */
#ifndef LRSWEEP_QUERY_PRIVATE_H
#define LRSWEEP_QUERY_PRIVATE_H
#include <stdbool.h>
#include <stddef.h>

/* A number as text: the shortest decimal that reads back to v ("nan" for
 * NaN), or in a table 6 significant digits as a person writes them
 * (lrs_format_number; "-" for NaN). */
void lrs__query_number_text(double v, bool table, char *buf, size_t cap);

/* "; did you mean 'x'?" for the column of the table closest to `name`
 * (lrs_closest_name's rule), else "", into buf. */
struct lrs_query_table;
void lrs__query_suggest(const struct lrs_query_table *table, const char *name, char *buf,
                        size_t cap);

#endif
