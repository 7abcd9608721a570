/* The --where language and column lookups (lrsweep/query.h). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/query.h"
#include "query_private.h"

/* ---- names ---------------------------------------------------------------------- */

long lrs_query_column_index(const lrs_query_table *t, const char *name) {
  for (size_t i = 0; i < t->n_cols; i++)
    if (strcmp(t->cols[i].name, name) == 0)
      return (long)i;
  return -1;
}

/* "; did you mean 'x'?" for the closest of names (or ""), into buf. */
static void suggest(const char *word, size_t len, const char *const *names, size_t n,
                    const char *(*name_at)(const void *, size_t), const void *ctx, char *buf,
                    size_t cap) {
  const char *pick = names ? lrs_closest_name(word, len, lrs_name_in_array, names, n)
                           : lrs_closest_name(word, len, name_at, ctx, n);
  if (pick)
    snprintf(buf, cap, "; did you mean '%s'?", pick);
  else
    buf[0] = '\0';
}

static const char *column_name_at(const void *ctx, size_t i) {
  return ((const lrs_query_table *)ctx)->cols[i].name;
}

/* ---- tokens --------------------------------------------------------------------- */

typedef enum {
  T_END, T_NUMBER, T_STRING, T_IDENT, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR,
  T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD
} tok_kind;

typedef struct token {
  tok_kind kind;
  size_t pos, len; /* in the text (pos 0-based) */
  double number;
  char *string;    /* T_STRING: decoded, malloc'd; T_IDENT: copy */
} token;

typedef enum { N_NUMBER, N_STRING, N_COLUMN, N_NOT, N_AND, N_OR, N_CMP } node_kind;

typedef struct node {
  node_kind kind;
  tok_kind op;        /* N_CMP */
  int a, b;           /* children (node indices) */
  double number;      /* N_NUMBER, and resolved enum strings */
  char *string;       /* N_STRING */
  size_t col;         /* N_COLUMN */
  size_t pos;
} node;

struct lrs_query_expr {
  node *nodes;
  size_t n, cap;
  int root;
};

typedef struct parser {
  const char *text;
  const lrs_query_table *table;
  token tok;
  lrs_query_expr *e;
  lrs_status st;
  int depth; /* open '(' and '!' around the current token */
} parser;

/* Raises the parse error at 0-based text position `pos`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static lrs_status fail(parser *p, size_t pos, const char *fmt, ...) {
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* A long expression is abbreviated: the reason must fit the message. */
  const int shown = 60;
  if (p->st == LRS_OK)
    p->st = LRS_RAISE(LRS_ERR_USAGE, "--where \"%.*s%s\": column %zu: %s", shown, p->text,
                      strlen(p->text) > (size_t)shown ? "…" : "", pos + 1, what);
  return p->st;
}

static const char *tok_text(tok_kind k) {
  switch (k) {
  case T_END: return "the end";
  case T_NUMBER: return "a number";
  case T_STRING: return "a string";
  case T_IDENT: return "a column";
  case T_LPAREN: return "'('";
  case T_RPAREN: return "')'";
  case T_NOT: return "'!'";
  case T_AND: return "'&&'";
  case T_OR: return "'||'";
  case T_EQ: return "'=='";
  case T_NE: return "'!='";
  case T_LT: return "'<'";
  case T_LE: return "'<='";
  case T_GT: return "'>'";
  case T_GE: return "'>='";
  case T_BAD: break;
  }
  return "a character";
}

/* The lexer keeps its position in the token that was just consumed. */
typedef struct lexer_state {
  size_t at;
} lexer_state;

static lrs_status lex(parser *p, lexer_state *lx) {
  free(p->tok.string);
  p->tok = (token){T_END, 0, 0, 0, NULL};
  const char *s = p->text;
  size_t i = lx->at;
  while (s[i] && isspace((unsigned char)s[i]))
    i++;
  token *t = &p->tok;
  t->pos = i;
  char c = s[i];
  if (!c) {
    t->kind = T_END;
  } else if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) {
    char *end;
    t->number = strtod(s + i, &end);
    t->kind = T_NUMBER;
    t->len = (size_t)(end - (s + i));
    if (isalpha((unsigned char)*end) || *end == '_')
      return fail(p, (size_t)(end - s), "unexpected '%c' after the number", *end);
  } else if (isalpha((unsigned char)c) || c == '_') {
    size_t j = i;
    while (isalnum((unsigned char)s[j]) || s[j] == '_')
      j++;
    t->len = j - i;
    t->string = malloc(t->len + 1);
    if (!t->string)
      return p->st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory");
    memcpy(t->string, s + i, t->len);
    t->string[t->len] = '\0';
    t->kind = T_IDENT;
  } else if (c == '"' || c == '\'') {
    size_t j = i + 1, n = 0;
    t->string = malloc(strlen(s + i) + 1);
    if (!t->string)
      return p->st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory");
    while (s[j] && s[j] != c) {
      if (s[j] == '\\' && s[j + 1])
        j++;
      t->string[n++] = s[j++];
    }
    if (!s[j])
      return fail(p, i, "unterminated string (missing closing %c)", c);
    t->string[n] = '\0';
    t->kind = T_STRING;
    t->len = j + 1 - i;
  } else {
    struct {
      const char *text;
      tok_kind kind;
    } ops[] = {{"&&", T_AND}, {"||", T_OR}, {"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE},
               {">=", T_GE},  {"<", T_LT},  {">", T_GT},  {"!", T_NOT}, {"(", T_LPAREN},
               {")", T_RPAREN}};
    t->kind = T_BAD;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
      if (strncmp(s + i, ops[k].text, strlen(ops[k].text)) == 0) {
        t->kind = ops[k].kind;
        t->len = strlen(ops[k].text);
        break;
      }
    if (t->kind == T_BAD) {
      if (c == '=' || c == '&' || c == '|')
        return fail(p, i, "'%c' alone is not an operator; use '%c%c'", c, c, c);
      return fail(p, i, "unexpected character '%c'", c);
    }
  }
  lx->at = i + t->len;
  return LRS_OK;
}

static int add_node(parser *p, node n) {
  lrs_query_expr *e = p->e;
  if (e->n == e->cap) {
    size_t cap = e->cap ? 2 * e->cap : 16;
    node *grown = realloc(e->nodes, cap * sizeof *grown);
    if (!grown) {
      if (p->st == LRS_OK)
        p->st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory parsing --where");
      free(n.string);
      return -1;
    }
    e->nodes = grown;
    e->cap = cap;
  }
  e->nodes[e->n] = n;
  return (int)e->n++;
}

static int parse_or(parser *p, lexer_state *lx);

/* A value node's kind for type checks: number, string, or the column's. */
static bool is_value(const node *n) {
  return n->kind == N_NUMBER || n->kind == N_STRING || n->kind == N_COLUMN;
}

/* Enters one level of '(' or '!' at `pos` (the parser and the evaluation
 * recurse on them): refused beyond LRS_QUERY_MAX_DEPTH. */
static bool enter(parser *p, size_t pos) {
  if (++p->depth <= LRS_QUERY_MAX_DEPTH)
    return true;
  fail(p, pos, "more than %d nested '(' and '!'", LRS_QUERY_MAX_DEPTH);
  return false;
}

static int parse_operand(parser *p, lexer_state *lx) {
  token t = p->tok;
  if (t.kind == T_LPAREN) {
    if (!enter(p, t.pos) || lex(p, lx) != LRS_OK)
      return -1;
    int inner = parse_or(p, lx);
    if (inner < 0)
      return -1;
    p->depth--;
    if (p->tok.kind != T_RPAREN) {
      fail(p, p->tok.pos, "expected ')' to close the '(' at column %zu, found %s", t.pos + 1,
           tok_text(p->tok.kind));
      return -1;
    }
    if (lex(p, lx) != LRS_OK)
      return -1;
    return inner;
  }
  node n = {0};
  n.pos = t.pos;
  n.a = n.b = -1;
  if (t.kind == T_NUMBER) {
    n.kind = N_NUMBER;
    n.number = t.number;
  } else if (t.kind == T_STRING) {
    n.kind = N_STRING;
    n.string = p->tok.string;
    p->tok.string = NULL;
  } else if (t.kind == T_IDENT) {
    const char *w = t.string;
    if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
      n.kind = N_NUMBER;
      n.number = w[0] == 't';
    } else if (strcmp(w, "nan") == 0 || strcmp(w, "inf") == 0) {
      n.kind = N_NUMBER;
      n.number = w[0] == 'n' ? NAN : INFINITY;
    } else {
      long c = lrs_query_column_index(p->table, w);
      if (c < 0) {
        char hint[128];
        suggest(w, strlen(w), NULL, p->table->n_cols, column_name_at, p->table, hint,
                sizeof hint);
        fail(p, t.pos, "unknown column '%s'%s", w, hint);
        return -1;
      }
      n.kind = N_COLUMN;
      n.col = (size_t)c;
    }
  } else if (t.kind == T_NOT || t.kind == T_AND || t.kind == T_OR || t.kind == T_END ||
             t.kind == T_RPAREN || t.kind >= T_EQ) {
    fail(p, t.pos, "expected a number, string, column or '(' but found %s", tok_text(t.kind));
    return -1;
  }
  if (lex(p, lx) != LRS_OK) {
    free(n.string);
    return -1;
  }
  return add_node(p, n);
}

/* Checks the operands of a comparison and resolves enum names. */
static bool check_compare(parser *p, node *cmp) {
  node *a = &p->e->nodes[cmp->a], *b = &p->e->nodes[cmp->b];
  if (!is_value(a) || !is_value(b)) {
    fail(p, cmp->pos, "%s compares values, not conditions (use parentheses and && ||)",
         tok_text(cmp->op));
    return false;
  }
  /* Put a column first when there is one. */
  if (a->kind != N_COLUMN && b->kind == N_COLUMN) {
    node *tmp = a;
    a = b;
    b = tmp;
  }
  lrs_query_kind ka = a->kind == N_COLUMN ? lrs_query_kind_of(&p->table->cols[a->col])
                      : a->kind == N_STRING ? LRS_QUERY_TEXT
                                            : LRS_QUERY_NUMBER;
  lrs_query_kind kb = b->kind == N_COLUMN ? lrs_query_kind_of(&p->table->cols[b->col])
                      : b->kind == N_STRING ? LRS_QUERY_TEXT
                                            : LRS_QUERY_NUMBER;
  const char *an = a->kind == N_COLUMN ? p->table->cols[a->col].name : "";
  bool eq = cmp->op == T_EQ || cmp->op == T_NE;
  if (ka == LRS_QUERY_ENUM && b->kind == N_STRING) {
    const char *const *names = p->table->cols[a->col].names;
    int idx = -1;
    size_t count = 0;
    for (; names[count]; count++)
      if (strcmp(names[count], b->string) == 0)
        idx = (int)count;
    if (idx < 0) {
      char hint[128], allowed[400] = "";
      suggest(b->string, strlen(b->string), names, count, NULL, NULL, hint, sizeof hint);
      for (size_t k = 0, used = 0; k < count; k++) {
        int w = snprintf(allowed + used, sizeof allowed - used, "%s%s", k ? ", " : "",
                         names[k]);
        if (w > 0 && (size_t)w < sizeof allowed - used)
          used += (size_t)w;
      }
      fail(p, b->pos, "'%s' is not a value of %s%s (values: %s)", b->string, an, hint, allowed);
      return false;
    }
    if (!eq) {
      fail(p, cmp->pos, "%s is an enum column: compare it with == or !=", an);
      return false;
    }
    free(b->string);
    b->string = NULL;
    b->kind = N_NUMBER;
    b->number = idx;
    return true;
  }
  if (ka == LRS_QUERY_ENUM && kb == LRS_QUERY_ENUM) {
    if (p->table->cols[a->col].names != p->table->cols[b->col].names || !eq) {
      fail(p, cmp->pos, "%s and %s cannot be compared", an, p->table->cols[b->col].name);
      return false;
    }
    return true;
  }
  if (ka == LRS_QUERY_ENUM || kb == LRS_QUERY_ENUM) {
    const node *en = ka == LRS_QUERY_ENUM ? a : b, *other = ka == LRS_QUERY_ENUM ? b : a;
    const lrs_field *ec = &p->table->cols[en->col];
    fail(p, other->pos, "%s is an enum column: compare it with a quoted name, e.g. %s == \"%s\"",
         ec->name, ec->name, ec->names[0]);
    return false;
  }
  if (ka == LRS_QUERY_TEXT || kb == LRS_QUERY_TEXT) {
    if (ka != kb) {
      const char *num = a->kind == N_COLUMN && ka == LRS_QUERY_NUMBER ? an : "a number";
      fail(p, b->pos, "cannot compare %s with a string", num);
      return false;
    }
    return true;
  }
  return true;
}

static int parse_compare(parser *p, lexer_state *lx) {
  int left = parse_operand(p, lx);
  if (left < 0)
    return -1;
  tok_kind op = p->tok.kind;
  if (op < T_EQ || op > T_GE)
    return left;
  size_t pos = p->tok.pos;
  if (lex(p, lx) != LRS_OK)
    return -1;
  if (p->tok.kind == T_END || p->tok.kind == T_RPAREN || p->tok.kind == T_AND ||
      p->tok.kind == T_OR || p->tok.kind >= T_EQ) {
    fail(p, p->tok.pos, "expected a value after %s, found %s", tok_text(op),
         tok_text(p->tok.kind));
    return -1;
  }
  int right = parse_operand(p, lx);
  if (right < 0)
    return -1;
  node n = {N_CMP, op, left, right, 0, NULL, 0, pos};
  int id = add_node(p, n);
  if (id < 0 || !check_compare(p, &p->e->nodes[id]))
    return -1;
  if (p->tok.kind >= T_EQ && p->tok.kind <= T_GE) {
    fail(p, p->tok.pos, "comparisons do not chain: use && between them");
    return -1;
  }
  return id;
}

static int parse_unary(parser *p, lexer_state *lx) {
  if (p->tok.kind == T_NOT) {
    size_t pos = p->tok.pos;
    if (!enter(p, pos) || lex(p, lx) != LRS_OK)
      return -1;
    int inner = parse_unary(p, lx);
    if (inner < 0)
      return -1;
    p->depth--;
    node n = {N_NOT, T_NOT, inner, -1, 0, NULL, 0, pos};
    return add_node(p, n);
  }
  return parse_compare(p, lx);
}

/* `first` (k's operator next) and the operands after it, joined by k
 * (N_AND over parse_unary, N_OR over parse_and) as a chain of links: each
 * link holds one operand (a) and the next link (b, -1 at the end), so that
 * neither the parser nor the evaluation recurses along a long chain. */
static int parse_chain(parser *p, lexer_state *lx, node_kind k, tok_kind op,
                       int (*operand)(parser *, lexer_state *)) {
  int first = operand(p, lx);
  if (first < 0 || p->tok.kind != op)
    return first;
  node head = {k, op, first, -1, 0, NULL, 0, p->tok.pos};
  int top = add_node(p, head), tail = top;
  while (tail >= 0 && p->tok.kind == op) {
    size_t pos = p->tok.pos;
    if (lex(p, lx) != LRS_OK)
      return -1;
    int right = operand(p, lx);
    if (right < 0)
      return -1;
    node link = {k, op, right, -1, 0, NULL, 0, pos};
    int id = add_node(p, link);
    if (id < 0)
      return -1;
    p->e->nodes[tail].b = id;
    tail = id;
  }
  return tail < 0 ? -1 : top;
}

static int parse_and(parser *p, lexer_state *lx) {
  return parse_chain(p, lx, N_AND, T_AND, parse_unary);
}

static int parse_or(parser *p, lexer_state *lx) {
  return parse_chain(p, lx, N_OR, T_OR, parse_and);
}

lrs_status lrs_query_parse(const char *text, const lrs_query_table *table, lrs_query_expr **out) {
  *out = NULL;
  lrs_query_expr *e = calloc(1, sizeof *e);
  LRS_TRY(LRS_CHECK_ALLOC(e));
  parser p = {text, table, {T_END, 0, 0, 0, NULL}, e, LRS_OK, 0};
  lexer_state lx = {0};
  int root = -1;
  size_t len = strlen(text);
  if (len > LRS_QUERY_MAX_TEXT)
    fail(&p, LRS_QUERY_MAX_TEXT, "an expression of %zu bytes; at most %d are read", len,
         LRS_QUERY_MAX_TEXT);
  else if (lex(&p, &lx) == LRS_OK) {
    if (p.tok.kind == T_END)
      fail(&p, 0, "empty expression");
    else
      root = parse_or(&p, &lx);
  }
  if (root >= 0 && p.st == LRS_OK && p.tok.kind != T_END)
    fail(&p, p.tok.pos, "unexpected %s; expected && || or the end", tok_text(p.tok.kind));
  free(p.tok.string);
  e->root = root;
  if (p.st != LRS_OK || root < 0) {
    lrs_query_expr_destroy(&e);
    return p.st != LRS_OK ? p.st : LRS_RAISE(LRS_ERR_USAGE, "--where: cannot parse \"%s\"", text);
  }
  *out = e;
  return LRS_OK;
}

void lrs_query_expr_destroy(lrs_query_expr **expr) {
  if (!expr || !*expr)
    return;
  for (size_t i = 0; i < (*expr)->n; i++)
    free((*expr)->nodes[i].string);
  free((*expr)->nodes);
  free(*expr);
  *expr = NULL;
}

/* ---- evaluation -------------------------------------------------------------------- */

static double value_of(const lrs_query_expr *e, const lrs_query_table *t, size_t row, int id) {
  const node *n = &e->nodes[id];
  return n->kind == N_COLUMN ? t->number(t->ctx, row, n->col) : n->number;
}

static bool eval(const lrs_query_expr *e, const lrs_query_table *t, size_t row, int id) {
  const node *n = &e->nodes[id];
  switch (n->kind) {
  case N_NUMBER:
  case N_COLUMN: {
    double v = value_of(e, t, row, id);
    return v != 0 && !isnan(v);
  }
  case N_STRING:
    return n->string[0] != '\0';
  case N_NOT:
    return !eval(e, t, row, n->a);
  case N_AND:
  case N_OR:
    /* A chain of links (a: an operand, b: the next link), short-circuit:
     * a loop, so only '(' and '!' nest the recursion. */
    for (; id >= 0; id = e->nodes[id].b) {
      bool v = eval(e, t, row, e->nodes[id].a);
      if (v == (n->kind == N_OR))
        return v;
    }
    return n->kind == N_AND;
  case N_CMP:
    break;
  }
  const node *a = &e->nodes[n->a], *b = &e->nodes[n->b];
  bool text = (a->kind == N_STRING) || (b->kind == N_STRING) ||
              (a->kind == N_COLUMN && lrs_query_kind_of(&t->cols[a->col]) == LRS_QUERY_TEXT);
  int c;
  if (text) {
    char ba[512], bb[512];
    const char *x = a->kind == N_STRING ? a->string : t->text(t->ctx, row, a->col, ba, sizeof ba);
    const char *y = b->kind == N_STRING ? b->string : t->text(t->ctx, row, b->col, bb, sizeof bb);
    c = strcmp(x, y);
  } else {
    double x = value_of(e, t, row, n->a), y = value_of(e, t, row, n->b);
    if (isnan(x) || isnan(y))
      return n->op == T_NE;
    c = x < y ? -1 : x > y;
  }
  switch (n->op) {
  case T_EQ: return c == 0;
  case T_NE: return c != 0;
  case T_LT: return c < 0;
  case T_LE: return c <= 0;
  case T_GT: return c > 0;
  case T_GE: return c >= 0;
  default: return false;
  }
}

bool lrs_query_eval(const lrs_query_expr *e, const lrs_query_table *t, size_t row) {
  return !e || eval(e, t, row, e->root);
}

lrs_status lrs_query_filter(const lrs_query_expr *e, const lrs_query_table *t, size_t **rows,
                            size_t *n) {
  *n = 0;
  *rows = malloc((t->n_rows ? t->n_rows : 1) * sizeof **rows);
  LRS_TRY(LRS_CHECK_ALLOC(*rows));
  for (size_t r = 0; r < t->n_rows; r++)
    if (lrs_query_eval(e, t, r))
      (*rows)[(*n)++] = r;
  return LRS_OK;
}

size_t lrs_query_note_unmatched(FILE *out, const lrs_query_expr *e, const lrs_query_table *t,
                                const bool *only) {
  size_t notes = 0;
  for (size_t i = 0; e && i < e->n; i++) {
    const node *n = &e->nodes[i];
    if (n->kind != N_CMP || n->op != T_EQ)
      continue;
    const node *a = &e->nodes[n->a], *b = &e->nodes[n->b];
    if (a->kind != N_COLUMN)
      a = b, b = &e->nodes[n->a];
    if (a->kind != N_COLUMN || b->kind != N_NUMBER || isnan(b->number) ||
        lrs_query_kind_of(&t->cols[a->col]) != LRS_QUERY_NUMBER || (only && !only[a->col]))
      continue;
    double nearest = NAN;
    bool hit = false;
    for (size_t r = 0; r < t->n_rows && !hit; r++) {
      double v = t->number(t->ctx, r, a->col);
      hit = v == b->number;
      if (!isnan(v) && (isnan(nearest) || fabs(v - b->number) < fabs(nearest - b->number)))
        nearest = v;
    }
    if (hit)
      continue;
    char want[40], got[40];
    lrs__query_number_text(b->number, false, want, sizeof want);
    lrs__query_number_text(nearest, false, got, sizeof got);
    fprintf(out, "lrsweep: --where: %s == %s matches no row; %s%s\n", t->cols[a->col].name, want,
            isnan(nearest) ? "the column holds no value" : "the nearest value is ",
            isnan(nearest) ? "" : got);
    notes++;
  }
  return notes;
}

/* ---- --select ------------------------------------------------------------------------ */

lrs_status lrs_query_select(const lrs_query_table *t, const char *list, size_t **cols,
                            size_t *n) {
  *n = 0;
  size_t cap = 1;
  for (const char *c = list; *c; c++)
    cap += *c == ',';
  *cols = malloc(cap * sizeof **cols);
  LRS_TRY(LRS_CHECK_ALLOC(*cols));
  const char *s = list;
  while (*s) {
    size_t len = strcspn(s, ",");
    const char *b = s, *e = s + len;
    while (b < e && isspace((unsigned char)*b))
      b++;
    while (e > b && isspace((unsigned char)e[-1]))
      e--;
    char name[128];
    size_t nl = (size_t)(e - b) < sizeof name - 1 ? (size_t)(e - b) : sizeof name - 1;
    memcpy(name, b, nl);
    name[nl] = '\0';
    long c = nl ? lrs_query_column_index(t, name) : -1;
    if (c < 0) {
      char hint[128];
      suggest(name, nl, NULL, t->n_cols, column_name_at, t, hint, sizeof hint);
      free(*cols);
      *cols = NULL;
      if (!nl)
        return LRS_RAISE(LRS_ERR_USAGE, "--select: empty column name in \"%s\"", list);
      return LRS_RAISE(LRS_ERR_USAGE, "--select: unknown column '%s'%s", name, hint);
    }
    (*cols)[(*n)++] = (size_t)c;
    s += len;
    if (*s == ',')
      s++;
  }
  if (*n == 0) {
    free(*cols);
    *cols = NULL;
    return LRS_RAISE(LRS_ERR_USAGE, "--select: no columns given");
  }
  return LRS_OK;
}
