/* Private to the query room. */
#ifndef LRSWEEP_QUERY_PRIVATE_H
#define LRSWEEP_QUERY_PRIVATE_H
#include <stdbool.h>
#include <stddef.h>

/* A number as text: the shortest decimal that reads back to v ("nan" for
 * NaN), or in a table 6 significant digits ("-" for NaN). */
void lrs__query_number_text(double v, bool table, char *buf, size_t cap);

#endif
