/* The TOML document grammar: lines of key/value pairs, [table] and
 * [[array-of-tables]] headers, arrays and inline tables, and the rules that
 * decide which tables may still be extended.  The public parse entry points
 * live here. */
#include "toml/toml_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a key quoted in a message. */
enum { KEY_SHOW = 96 };

static lrs_status parse_value(lrs__toml_parser *p, unsigned depth,
                              lrs_toml_node **out);

static const char *part_key(const lrs__toml_parser *p, size_t i) {
  return p->keys.data + p->parts[i].off;
}

static const char *show_part(const lrs__toml_parser *p, size_t i,
                             char out[KEY_SHOW]) {
  return lrs__toml_quote_key(part_key(p, i), p->parts[i].len, out, KEY_SHOW);
}

static lrs_status check_depth(const lrs__toml_parser *p, unsigned depth,
                              int line, int col) {
  if (depth > LRS__TOML_MAX_DEPTH)
    return LRS__TOML_FAIL(p, line, col, "nesting deeper than %u levels",
                          LRS__TOML_MAX_DEPTH);
  return LRS_OK;
}

/* A new table or array under key part i of `parent`. */
static lrs_status add_container(lrs__toml_parser *p, lrs_toml_node *parent,
                                size_t i, lrs_toml_type type, unsigned flags,
                                int line, int col, lrs_toml_node **out) {
  const lrs__toml_keypart *part = &p->parts[i];
  LRS_TRY(check_depth(p, parent->depth + 1, part->line, part->col));
  LRS_TRY(lrs__toml_node_new(p->doc, type, line, col, out));
  (*out)->depth = parent->depth + 1;
  (*out)->flags = flags;
  return lrs__toml_table_add(parent, part_key(p, i), part->len, part->line,
                             part->col, *out);
}

/* "an integer", "an inline table", ...: what a key already holds. */
static const char *describe(const lrs_toml_node *v) {
  switch (v->type) {
  case LRS_TOML_TABLE:
    return (v->flags & LRS__TOML_INLINE) ? "an inline table" : "a table";
  case LRS_TOML_ARRAY: return "an array";
  case LRS_TOML_STRING: return "a string";
  case LRS_TOML_INTEGER: return "an integer";
  case LRS_TOML_FLOAT: return "a float";
  case LRS_TOML_BOOL: return "a bool";
  case LRS_TOML_DATETIME: return "an offset date-time";
  case LRS_TOML_DATETIME_LOCAL: return "a local date-time";
  case LRS_TOML_DATE_LOCAL: return "a local date";
  case LRS_TOML_TIME_LOCAL: return "a local time";
  }
  return "a value";
}

/* The error for key part i being something that cannot be extended. */
static lrs_status not_extensible(const lrs__toml_parser *p, size_t i,
                                 const lrs__toml_entry *e, const char *how) {
  char key[KEY_SHOW];
  const lrs_toml_node *v = e->value;
  const lrs__toml_keypart *part = &p->parts[i];
  show_part(p, i, key);
  if (v->type == LRS_TOML_TABLE && (v->flags & LRS__TOML_INLINE))
    return LRS__TOML_FAIL(p, part->line, part->col,
                          "inline table %s (defined at %d:%d) cannot be "
                          "extended", key, e->line, e->col);
  if (v->type == LRS_TOML_TABLE)
    return LRS__TOML_FAIL(p, part->line, part->col,
                          "table %s (defined at %d:%d) cannot be extended %s",
                          key, v->line, v->col, how);
  return LRS__TOML_FAIL(p, part->line, part->col,
                        "%s is already %s (defined at %d:%d), not a table",
                        key, describe(v), e->line, e->col);
}

/* ---- [table] and [[array of tables]] headers --------------------------- */

/* Walks the header's leading key parts from the root, creating the missing
 * tables; a part naming an array of tables goes into its last table. */
static lrs_status header_parent(lrs__toml_parser *p, lrs_toml_node **out) {
  lrs_toml_node *t = p->doc->root;
  for (size_t i = 0; i + 1 < p->nparts; i++) {
    lrs__toml_entry *e = lrs__toml_table_find(t, part_key(p, i), p->parts[i].len);
    if (!e) {
      LRS_TRY(add_container(p, t, i, LRS_TOML_TABLE, LRS__TOML_IMPLICIT,
                            p->parts[i].line, p->parts[i].col, &t));
      continue;
    }
    lrs_toml_node *v = e->value;
    if (v->type == LRS_TOML_TABLE && !(v->flags & LRS__TOML_INLINE))
      t = v;
    else if (v->type == LRS_TOML_ARRAY && (v->flags & LRS__TOML_AOT))
      t = v->u.array.items[v->u.array.count - 1];
    else
      return not_extensible(p, i, e, "");
  }
  *out = t;
  return LRS_OK;
}

/* [a.b.c]: defines table c, which may exist only as an intermediate of an
 * earlier header. */
static lrs_status define_table(lrs__toml_parser *p, const char *name,
                               int line, int col) {
  lrs_toml_node *parent;
  LRS_TRY(header_parent(p, &parent));
  size_t last = p->nparts - 1;
  lrs__toml_entry *e =
      lrs__toml_table_find(parent, part_key(p, last), p->parts[last].len);
  if (!e)
    return add_container(p, parent, last, LRS_TOML_TABLE, LRS__TOML_HEADER,
                         line, col, &p->current);
  lrs_toml_node *v = e->value;
  if (v->type == LRS_TOML_TABLE && v->flags == LRS__TOML_IMPLICIT) {
    v->flags = LRS__TOML_HEADER;
    v->line = line;
    v->col = col;
    p->current = v;
    return LRS_OK;
  }
  if (v->type == LRS_TOML_TABLE && (v->flags & LRS__TOML_HEADER))
    return LRS__TOML_FAIL(p, line, col, "duplicate table [%s] (first "
                                        "defined at %d:%d)",
                          name, v->line, v->col);
  if (v->type == LRS_TOML_TABLE && (v->flags & LRS__TOML_DOTTED))
    return LRS__TOML_FAIL(p, line, col, "table [%s] was already defined "
                                        "by a dotted key at %d:%d",
                          name, e->line, e->col);
  return LRS__TOML_FAIL(p, line, col, "duplicate key [%s]: already %s "
                                      "(first defined at %d:%d)",
                        name, describe(v), e->line, e->col);
}

/* [[a.b.c]]: appends a new table to the array of tables c, creating it. */
static lrs_status append_table(lrs__toml_parser *p, const char *name,
                               int line, int col) {
  lrs_toml_node *parent, *array, *table;
  LRS_TRY(header_parent(p, &parent));
  size_t last = p->nparts - 1;
  lrs__toml_entry *e =
      lrs__toml_table_find(parent, part_key(p, last), p->parts[last].len);
  if (!e) {
    LRS_TRY(add_container(p, parent, last, LRS_TOML_ARRAY, LRS__TOML_AOT, line,
                          col, &array));
  } else if (e->value->type == LRS_TOML_ARRAY &&
             (e->value->flags & LRS__TOML_AOT)) {
    array = e->value;
  } else if (e->value->type == LRS_TOML_ARRAY) {
    return LRS__TOML_FAIL(p, line, col, "cannot append to static array "
                                        "[[%s]] (defined at %d:%d)",
                          name, e->line, e->col);
  } else {
    return LRS__TOML_FAIL(p, line, col, "[[%s]] is already %s (first "
                                        "defined at %d:%d), not an array of "
                                        "tables",
                          name, describe(e->value), e->line, e->col);
  }
  LRS_TRY(check_depth(p, array->depth + 1, line, col));
  LRS_TRY(lrs__toml_node_new(p->doc, LRS_TOML_TABLE, line, col, &table));
  table->depth = array->depth + 1;
  table->flags = LRS__TOML_HEADER;
  LRS_TRY(lrs__toml_array_push(array, table));
  p->current = table;
  return LRS_OK;
}

static lrs_status parse_header(lrs__toml_parser *p) {
  int line = p->line, col = p->col;
  lrs__toml_advance(p);
  bool aot = lrs__toml_peek(p) == '[';
  if (aot)
    lrs__toml_advance(p);
  lrs__toml_skip_ws(p);
  size_t start = p->pos;
  LRS_TRY(lrs__toml_scan_key(p));
  /* The name as written (trailing blanks dropped, long ones cut at a
   * character boundary), for messages. */
  char name[KEY_SHOW];
  size_t end = p->pos, cut = start + 80;
  while (end > start && (p->src[end - 1] == ' ' || p->src[end - 1] == '\t'))
    end--;
  if (end > cut) {
    while (((unsigned char)p->src[cut] & 0xC0) == 0x80)
      cut--;
    snprintf(name, sizeof name, "%.*s...", (int)(cut - start), p->src + start);
  } else {
    snprintf(name, sizeof name, "%.*s", (int)(end - start), p->src + start);
  }
  if (lrs__toml_peek(p) != ']' || (aot && lrs__toml_peek_at(p, 1) != ']'))
    return LRS__TOML_FAIL_HERE(p, "expected '%s' to close the header [%s%s",
                               aot ? "]]" : "]", aot ? "[" : "", name);
  lrs__toml_advance(p);
  if (aot)
    lrs__toml_advance(p);
  if (aot)
    return append_table(p, name, line, col);
  return define_table(p, name, line, col);
}

/* ---- key = value ------------------------------------------------------- */

/* key = value into `table` (the current section, or an inline table). */
static lrs_status parse_keyval(lrs__toml_parser *p, lrs_toml_node *table) {
  char key[KEY_SHOW];
  LRS_TRY(lrs__toml_scan_key(p));
  size_t last = p->nparts - 1;
  if (lrs__toml_peek(p) != '=')
    return LRS__TOML_FAIL_HERE(p, "expected '=' after key %s",
                               show_part(p, last, key));
  lrs__toml_advance(p);
  lrs__toml_skip_ws(p);
  /* Dotted keys may only pass through tables made by dotted keys. */
  lrs_toml_node *t = table;
  for (size_t i = 0; i < last; i++) {
    lrs__toml_entry *e = lrs__toml_table_find(t, part_key(p, i), p->parts[i].len);
    if (!e)
      LRS_TRY(add_container(p, t, i, LRS_TOML_TABLE, LRS__TOML_DOTTED,
                            p->parts[i].line, p->parts[i].col, &t));
    else if (e->value->type == LRS_TOML_TABLE &&
             e->value->flags == LRS__TOML_DOTTED)
      t = e->value;
    else
      return not_extensible(p, i, e, "by a dotted key");
  }
  const lrs__toml_keypart *part = &p->parts[last];
  lrs__toml_entry *e = lrs__toml_table_find(t, part_key(p, last), part->len);
  if (e)
    return LRS__TOML_FAIL(p, part->line, part->col,
                          "duplicate key %s (first defined at %d:%d)",
                          show_part(p, last, key), e->line, e->col);
  /* The key goes in first: parsing the value reuses the key scratch. */
  LRS_TRY(lrs__toml_table_add(t, part_key(p, last), part->len, part->line,
                              part->col, NULL));
  size_t slot = t->u.table.count - 1;
  lrs_toml_node *value;
  LRS_TRY(parse_value(p, t->depth + 1, &value));
  t->u.table.entries[slot].value = value;
  return LRS_OK;
}

/* ---- values ------------------------------------------------------------ */

static lrs_status parse_array(lrs__toml_parser *p, unsigned depth,
                              lrs_toml_node **out) {
  lrs_toml_node *array;
  LRS_TRY(check_depth(p, depth, p->line, p->col));
  LRS_TRY(lrs__toml_node_new(p->doc, LRS_TOML_ARRAY, p->line, p->col, &array));
  array->depth = depth;
  *out = array;
  lrs__toml_advance(p);
  for (;;) {
    LRS_TRY(lrs__toml_skip_blank(p));
    if (lrs__toml_peek(p) == ']')
      break;
    lrs_toml_node *item;
    LRS_TRY(parse_value(p, depth + 1, &item));
    LRS_TRY(lrs__toml_array_push(array, item));
    LRS_TRY(lrs__toml_skip_blank(p));
    int c = lrs__toml_peek(p);
    if (c == ']')
      break;
    if (c != ',')
      return LRS__TOML_FAIL_HERE(p, "expected ',' or ']' after an array "
                                    "item (array opened at %d:%d)",
                                 array->line, array->col);
    lrs__toml_advance(p);
  }
  lrs__toml_advance(p);
  return LRS_OK;
}

/* { k = v, ... } on one line, no trailing comma; closed once parsed. */
static lrs_status parse_inline_table(lrs__toml_parser *p, unsigned depth,
                                     lrs_toml_node **out) {
  lrs_toml_node *table;
  LRS_TRY(check_depth(p, depth, p->line, p->col));
  LRS_TRY(lrs__toml_node_new(p->doc, LRS_TOML_TABLE, p->line, p->col, &table));
  table->depth = depth;
  table->flags = LRS__TOML_INLINE;
  *out = table;
  lrs__toml_advance(p);
  lrs__toml_skip_ws(p);
  if (lrs__toml_peek(p) == '}') {
    lrs__toml_advance(p);
    return LRS_OK;
  }
  for (;;) {
    LRS_TRY(parse_keyval(p, table));
    lrs__toml_skip_ws(p);
    int c = lrs__toml_peek(p);
    if (c == '}')
      break;
    if (c != ',') {
      if (c == -1 || c == '#' || lrs__toml_at_newline(p))
        return LRS__TOML_FAIL_HERE(p, "expected ',' or '}' before the end of "
                                      "the line: an inline table (opened at "
                                      "%d:%d) must stay on one line",
                                   table->line, table->col);
      return LRS__TOML_FAIL_HERE(p, "expected ',' or '}' after a value in "
                                    "the inline table opened at %d:%d",
                                 table->line, table->col);
    }
    lrs__toml_advance(p);
    lrs__toml_skip_ws(p);
    if (lrs__toml_peek(p) == '}')
      return LRS__TOML_FAIL_HERE(p, "expected a key after ',': inline "
                                    "tables take no trailing comma");
    c = lrs__toml_peek(p); /* wrapped after a comma: say why, as above */
    if (c == -1 || c == '#' || lrs__toml_at_newline(p))
      return LRS__TOML_FAIL_HERE(p, "expected a key after ',' before the end of the line: an "
                                    "inline table (opened at %d:%d) must stay on one line",
                                 table->line, table->col);
  }
  lrs__toml_advance(p);
  return LRS_OK;
}

static lrs_status parse_string_value(lrs__toml_parser *p, lrs_toml_node **out) {
  int line = p->line, col = p->col;
  p->text.len = 0;
  LRS_TRY(lrs__toml_scan_string(p, true, &p->text));
  LRS_TRY(lrs__toml_node_new(p->doc, LRS_TOML_STRING, line, col, out));
  char *s = malloc(p->text.len + 1);
  if (!s)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory storing a TOML string");
  if (p->text.len)
    memcpy(s, p->text.data, p->text.len);
  s[p->text.len] = '\0';
  (*out)->u.str.ptr = s;
  (*out)->u.str.len = p->text.len;
  return LRS_OK;
}

/* Any value; `depth` is the depth the value will have in the tree. */
static lrs_status parse_value(lrs__toml_parser *p, unsigned depth,
                              lrs_toml_node **out) {
  switch (lrs__toml_peek(p)) {
  case '"':
  case '\'':
    LRS_TRY(parse_string_value(p, out));
    break;
  case '[':
    return parse_array(p, depth, out);
  case '{':
    return parse_inline_table(p, depth, out);
  default:
    LRS_TRY(lrs__toml_scan_scalar(p, out));
    break;
  }
  (*out)->depth = depth;
  return LRS_OK;
}

/* ---- the document ------------------------------------------------------ */

/* After a key/value or a header only a comment may remain on the line. */
static lrs_status end_of_line(lrs__toml_parser *p, const char *after) {
  lrs__toml_skip_ws(p);
  LRS_TRY(lrs__toml_skip_comment(p));
  if (lrs__toml_peek(p) == -1)
    return LRS_OK;
  if (lrs__toml_peek(p) == '\r' && !lrs__toml_at_newline(p))
    return LRS__TOML_FAIL_HERE(p, "carriage return not followed by a line "
                                  "feed");
  if (!lrs__toml_at_newline(p))
    return LRS__TOML_FAIL_HERE(p, "expected the end of the line after %s",
                               after);
  lrs__toml_take_newline(p);
  return LRS_OK;
}

static lrs_status parse_document(lrs__toml_parser *p) {
  for (;;) {
    lrs__toml_skip_ws(p);
    int c = lrs__toml_peek(p);
    if (c == -1)
      return LRS_OK;
    if (c == '[') {
      LRS_TRY(parse_header(p));
      LRS_TRY(end_of_line(p, "the table header"));
    } else if (c == '#' || lrs__toml_at_newline(p)) {
      LRS_TRY(end_of_line(p, "a comment"));
    } else {
      LRS_TRY(parse_keyval(p, p->current));
      LRS_TRY(end_of_line(p, "a value"));
    }
  }
}

lrs_status lrs_toml_parse_string(const char *text, size_t len,
                                 const char *name, lrs_toml_doc **doc) {
  lrs_status st = LRS_OK;
  if (!doc)
    return LRS_RAISE(LRS_ERR_INTERNAL, "lrs_toml_parse_string: doc is NULL");
  *doc = NULL;
  if (!name)
    name = "<string>";
  if (!text && len)
    return LRS_RAISE(LRS_ERR_INTERNAL, "lrs_toml_parse_string: text is NULL");
  /* Lines and columns are ints. */
  if (len >= (size_t)INT_MAX)
    return LRS_RAISE(LRS_ERR_RANGE, "%s: TOML document larger than %d bytes",
                     name, INT_MAX - 1);
  lrs__toml_parser p = {.src = text ? text : "", .len = len, .line = 1,
                        .col = 1, .name = name};
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    p.pos = 3; /* byte order mark: not part of the content */
  LRS_TRY_GOTO(st, lrs__toml_check_utf8(&p), done);
  LRS_TRY_GOTO(st, lrs__toml_doc_create(name, &p.doc), done);
  p.current = p.doc->root;
  LRS_TRY_GOTO(st, parse_document(&p), done);
  *doc = p.doc;
  p.doc = NULL;
done:
  lrs_toml_destroy(&p.doc);
  lrs__toml_buf_free(&p.text);
  lrs__toml_buf_free(&p.keys);
  free(p.parts);
  return st;
}

lrs_status lrs_toml_parse_file(const char *path, lrs_toml_doc **doc) {
  lrs_status st = LRS_OK;
  lrs__toml_buf buf = {0};
  if (!doc)
    return LRS_RAISE(LRS_ERR_INTERNAL, "lrs_toml_parse_file: doc is NULL");
  *doc = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return LRS_RAISE(LRS_ERR_IO, "%s: %s", path, strerror(errno));
  /* Read in chunks: works for pipes and files alike. */
  for (;;) {
    LRS_TRY_GOTO(st, lrs__toml_buf_reserve(&buf, 65536), done);
    size_t n = fread(buf.data + buf.len, 1, buf.cap - buf.len, f);
    buf.len += n;
    if (n == 0)
      break;
  }
  if (ferror(f)) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: %s", path, strerror(errno));
    goto done;
  }
  st = lrs_toml_parse_string(buf.data, buf.len, path, doc);
done:
  fclose(f);
  lrs__toml_buf_free(&buf);
  return st;
}
