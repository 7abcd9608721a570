/* The TOML document tree: node storage, ordered hashed tables, arrays and the
 * public read-only getters. */
#include "toml/toml_internal.h"

#include <stdlib.h>
#include <string.h>

/* Tables up to this many keys are searched linearly; bigger ones get a hash
 * index so a table of n keys is built in O(n), not O(n^2). */
enum { TABLE_SCAN_MAX = 8 };

lrs_status lrs__toml_doc_create(const char *name, lrs_toml_doc **out) {
  lrs_status st = LRS_OK;
  lrs_toml_doc *doc = calloc(1, sizeof *doc);
  LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(doc), done);
  size_t n = strlen(name);
  doc->name = malloc(n + 1);
  LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(doc->name), done);
  memcpy(doc->name, name, n + 1);
  LRS_TRY_GOTO(st, lrs__toml_node_new(doc, LRS_TOML_TABLE, 1, 1, &doc->root),
               done);
  doc->root->flags = LRS__TOML_HEADER;
  *out = doc;
  doc = NULL;
done:
  lrs_toml_destroy(&doc);
  return st;
}

lrs_status lrs__toml_node_new(lrs_toml_doc *doc, lrs_toml_type type, int line,
                              int col, lrs_toml_node **node) {
  lrs_toml_node *n = calloc(1, sizeof *n);
  if (!n)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory allocating a TOML node");
  n->type = type;
  n->line = line;
  n->col = col;
  n->next_alloc = doc->nodes;
  doc->nodes = n;
  *node = n;
  return LRS_OK;
}

/* FNV-1a: short, byte-exact (keys may hold NULs), good enough for keys a
 * person wrote. */
static size_t hash_key(const char *key, size_t len) {
  uint64_t h = 14695981039346656037u;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)key[i];
    h *= 1099511628211u;
  }
  return (size_t)(h ^ (h >> 32));
}

static bool entry_is(const lrs__toml_entry *e, const char *key, size_t len) {
  return e->len == len && memcmp(e->key, key, len) == 0;
}

lrs__toml_entry *lrs__toml_table_find(const lrs_toml_node *table,
                                      const char *key, size_t len) {
  lrs__toml_entry *entries = table->u.table.entries;
  size_t nslots = table->u.table.nslots;
  if (nslots == 0) {
    for (size_t i = 0; i < table->u.table.count; i++)
      if (entry_is(&entries[i], key, len))
        return &entries[i];
    return NULL;
  }
  const size_t *slots = table->u.table.slots;
  for (size_t s = hash_key(key, len) & (nslots - 1);; s = (s + 1) & (nslots - 1)) {
    if (slots[s] == 0)
      return NULL;
    if (entry_is(&entries[slots[s] - 1], key, len))
      return &entries[slots[s] - 1];
  }
}

static void index_insert(size_t *slots, size_t nslots, const lrs__toml_entry *e,
                         size_t number) {
  size_t s = hash_key(e->key, e->len) & (nslots - 1);
  while (slots[s] != 0)
    s = (s + 1) & (nslots - 1);
  slots[s] = number + 1;
}

/* Keeps the index at most half full (rebuilding it doubles its size, so the
 * total work stays linear). */
static lrs_status index_grow(lrs_toml_node *table, size_t count) {
  if (count <= TABLE_SCAN_MAX || 2 * count <= table->u.table.nslots)
    return LRS_OK;
  size_t nslots = table->u.table.nslots ? 2 * table->u.table.nslots : 32;
  while (nslots < 2 * count)
    nslots *= 2;
  size_t *slots = calloc(nslots, sizeof *slots);
  if (!slots)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory indexing a TOML table");
  for (size_t i = 0; i < table->u.table.count; i++)
    index_insert(slots, nslots, &table->u.table.entries[i], i);
  free(table->u.table.slots);
  table->u.table.slots = slots;
  table->u.table.nslots = nslots;
  return LRS_OK;
}

lrs_status lrs__toml_table_add(lrs_toml_node *table, const char *key,
                               size_t len, int line, int col,
                               lrs_toml_node *value) {
  lrs_status st = LRS_OK;
  char *copy = NULL;
  if (table->u.table.count == table->u.table.cap) {
    size_t cap = table->u.table.cap ? 2 * table->u.table.cap : 4;
    lrs__toml_entry *entries =
        realloc(table->u.table.entries, cap * sizeof *entries);
    LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(entries), done);
    table->u.table.entries = entries;
    table->u.table.cap = cap;
  }
  LRS_TRY_GOTO(st, index_grow(table, table->u.table.count + 1), done);
  copy = malloc(len + 1);
  LRS_TRY_GOTO(st, LRS_CHECK_ALLOC(copy), done);
  memcpy(copy, key, len);
  copy[len] = '\0';
  size_t number = table->u.table.count++;
  lrs__toml_entry *e = &table->u.table.entries[number];
  *e = (lrs__toml_entry){copy, len, line, col, value};
  copy = NULL;
  if (table->u.table.nslots)
    index_insert(table->u.table.slots, table->u.table.nslots, e, number);
done:
  free(copy);
  return st;
}

lrs_status lrs__toml_array_push(lrs_toml_node *array, lrs_toml_node *item) {
  if (array->u.array.count == array->u.array.cap) {
    size_t cap = array->u.array.cap ? 2 * array->u.array.cap : 4;
    lrs_toml_node **items = realloc(array->u.array.items, cap * sizeof *items);
    if (!items)
      return LRS_RAISE(LRS_ERR_NOMEM, "out of memory growing a TOML array");
    array->u.array.items = items;
    array->u.array.cap = cap;
  }
  array->u.array.items[array->u.array.count++] = item;
  return LRS_OK;
}

static void node_free(lrs_toml_node *n) {
  switch (n->type) {
  case LRS_TOML_TABLE:
    for (size_t i = 0; i < n->u.table.count; i++)
      free(n->u.table.entries[i].key);
    free(n->u.table.entries);
    free(n->u.table.slots);
    break;
  case LRS_TOML_ARRAY:
    free(n->u.array.items);
    break;
  case LRS_TOML_STRING:
    free(n->u.str.ptr);
    break;
  case LRS_TOML_DATETIME:
  case LRS_TOML_DATETIME_LOCAL:
  case LRS_TOML_DATE_LOCAL:
  case LRS_TOML_TIME_LOCAL:
    free(n->u.dt.text);
    break;
  default:
    break;
  }
  free(n);
}

/* Frees the node list in one pass: no recursion, whatever the tree's shape. */
void lrs_toml_destroy(lrs_toml_doc **doc) {
  if (!doc || !*doc)
    return;
  lrs_toml_node *n = (*doc)->nodes;
  while (n) {
    lrs_toml_node *next = n->next_alloc;
    node_free(n);
    n = next;
  }
  free((*doc)->name);
  free(*doc);
  *doc = NULL;
}

const lrs_toml_node *lrs_toml_root(const lrs_toml_doc *doc) {
  return doc ? doc->root : NULL;
}

const char *lrs_toml_source_name(const lrs_toml_doc *doc) {
  return doc ? doc->name : NULL;
}

lrs_toml_type lrs_toml_type_of(const lrs_toml_node *node) { return node->type; }

const char *lrs_toml_type_name(lrs_toml_type type) {
  switch (type) {
  case LRS_TOML_TABLE: return "table";
  case LRS_TOML_ARRAY: return "array";
  case LRS_TOML_STRING: return "string";
  case LRS_TOML_INTEGER: return "integer";
  case LRS_TOML_FLOAT: return "float";
  case LRS_TOML_BOOL: return "bool";
  case LRS_TOML_DATETIME: return "datetime";
  case LRS_TOML_DATETIME_LOCAL: return "datetime-local";
  case LRS_TOML_DATE_LOCAL: return "date-local";
  case LRS_TOML_TIME_LOCAL: return "time-local";
  }
  return "unknown";
}

int lrs_toml_line(const lrs_toml_node *node) { return node ? node->line : 0; }
int lrs_toml_column(const lrs_toml_node *node) { return node ? node->col : 0; }

size_t lrs_toml_count(const lrs_toml_node *node) {
  if (!node)
    return 0;
  if (node->type == LRS_TOML_TABLE)
    return node->u.table.count;
  if (node->type == LRS_TOML_ARRAY)
    return node->u.array.count;
  return 0;
}

const char *lrs_toml_key_at(const lrs_toml_node *table, size_t i, size_t *len) {
  if (!table || table->type != LRS_TOML_TABLE || i >= table->u.table.count)
    return NULL;
  if (len)
    *len = table->u.table.entries[i].len;
  return table->u.table.entries[i].key;
}

const lrs_toml_node *lrs_toml_at(const lrs_toml_node *node, size_t i) {
  if (!node)
    return NULL;
  if (node->type == LRS_TOML_TABLE)
    return i < node->u.table.count ? node->u.table.entries[i].value : NULL;
  if (node->type == LRS_TOML_ARRAY)
    return i < node->u.array.count ? node->u.array.items[i] : NULL;
  return NULL;
}

const lrs_toml_node *lrs_toml_get_len(const lrs_toml_node *table,
                                      const char *key, size_t len) {
  if (!table || table->type != LRS_TOML_TABLE)
    return NULL;
  const lrs__toml_entry *e = lrs__toml_table_find(table, key, len);
  return e ? e->value : NULL;
}

const lrs_toml_node *lrs_toml_get(const lrs_toml_node *table, const char *key) {
  return lrs_toml_get_len(table, key, strlen(key));
}

bool lrs_toml_as_int(const lrs_toml_node *node, int64_t *out) {
  if (!node || node->type != LRS_TOML_INTEGER)
    return false;
  *out = node->u.integer;
  return true;
}

bool lrs_toml_as_double(const lrs_toml_node *node, double *out) {
  if (!node || node->type != LRS_TOML_FLOAT)
    return false;
  *out = node->u.real;
  return true;
}

bool lrs_toml_as_bool(const lrs_toml_node *node, bool *out) {
  if (!node || node->type != LRS_TOML_BOOL)
    return false;
  *out = node->u.boolean;
  return true;
}

bool lrs_toml_as_string(const lrs_toml_node *node, const char **out,
                        size_t *len) {
  if (!node || node->type != LRS_TOML_STRING)
    return false;
  *out = node->u.str.ptr;
  if (len)
    *len = node->u.str.len;
  return true;
}

static bool is_datetime(const lrs_toml_node *node) {
  return node && (node->type == LRS_TOML_DATETIME ||
                  node->type == LRS_TOML_DATETIME_LOCAL ||
                  node->type == LRS_TOML_DATE_LOCAL ||
                  node->type == LRS_TOML_TIME_LOCAL);
}

bool lrs_toml_as_datetime(const lrs_toml_node *node, lrs_toml_datetime *out) {
  if (!is_datetime(node))
    return false;
  *out = node->u.dt.value;
  return true;
}

const char *lrs_toml_datetime_text(const lrs_toml_node *node, size_t *len) {
  if (!is_datetime(node))
    return NULL;
  if (len)
    *len = node->u.dt.len;
  return node->u.dt.text;
}
