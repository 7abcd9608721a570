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

void lrs__query_suggest(const lrs_query_table *t, const char *name, char *buf, size_t cap) {
  suggest(name, strlen(name), NULL, t->n_cols, column_name_at, t, buf, cap);
}

/* ---- tokens --------------------------------------------------------------------- */

typedef enum {
  T_END, T_NUMBER, T_STRING, T_IDENT, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR,
  T_PLUS, T_MINUS, T_STAR, T_SLASH,
  T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD
} tok_kind;

typedef struct token {
  tok_kind kind;
  size_t pos, len; /* in the text (pos 0-based) */
  double number;
  char *string;    /* T_STRING: decoded, malloc'd; T_IDENT: copy */
} token;

/* The AST (kept for lrs_query_note_unmatched and the type checks) and, built
 * alongside it while parsing, the program the evaluation runs: postfix code
 * over a stack of doubles (a condition is 0 or 1), so that evaluating a long
 * chain of + or && does not recurse. */
typedef enum {
  N_NUMBER, N_STRING, N_COLUMN, N_NOT, N_AND, N_OR, N_CMP, N_ARITH, N_NEG, N_CALL
} node_kind;

/* What a node yields: only numbers take part in arithmetic, only numbers and
 * conditions in && || !, and comparisons take values, never conditions. */
typedef enum { V_NUMBER, V_TEXT, V_ENUM, V_COND } value_type;

typedef struct node {
  node_kind kind;
  tok_kind op;     /* N_CMP, N_ARITH */
  int a, b;        /* children (node indices) */
  double number;   /* N_NUMBER, and resolved enum strings */
  char *string;    /* N_STRING */
  size_t col;      /* N_COLUMN */
  size_t pos;
  value_type type;
  size_t code_at;  /* N_NUMBER, N_STRING, N_COLUMN: their push instruction */
} node;

typedef enum {
  OP_NUM, OP_COL, OP_NEG, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_CALL, OP_CMP, OP_TEXT_CMP,
  OP_NOT, OP_AND, OP_OR
} op_kind;

typedef struct instr {
  op_kind op;
  tok_kind cmp;   /* OP_CMP, OP_TEXT_CMP */
  double number;  /* OP_NUM */
  size_t col;     /* OP_COL; OP_CALL: the function */
  int a, b;       /* OP_TEXT_CMP: the operand nodes */
} instr;

/* The functions of one argument (docs/store.md, "Queries"). */
static const struct {
  const char *name;
  double (*fn)(double);
} functions[] = {{"log10", log10}, {"log", log}, {"exp", exp}, {"sqrt", sqrt}, {"abs", fabs}};
enum { N_FUNCTIONS = sizeof functions / sizeof functions[0] };

/* The evaluation stack: each of the at most LRS_QUERY_MAX_DEPTH nesting
 * levels holds at most five pending operands (||, &&, comparison, + and *). */
enum { STACK_CAP = 6 * (LRS_QUERY_MAX_DEPTH + 2) };

struct lrs_query_expr {
  node *nodes;
  size_t n, cap;
  int root;
  instr *code;
  size_t n_code, code_cap;
};

typedef struct parser {
  const char *option; /* what the user typed the expression as: "--where" */
  const char *text;
  const lrs_query_table *table;
  token tok;
  lrs_query_expr *e;
  lrs_status st;
  int depth;   /* open '(', '!' and unary '-' around the current token */
  size_t sp;   /* the evaluation stack's height after the code so far */
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
    p->st = LRS_RAISE(LRS_ERR_USAGE, "%s \"%.*s%s\": column %zu: %s", p->option, shown, p->text,
                      strlen(p->text) > (size_t)shown ? "…" : "", pos + 1, what);
  return p->st;
}

/* A token for messages; the word operators as they were spelled. */
static const char *tok_text(const parser *p, const token *t) {
  bool word = t->kind != T_END && isalpha((unsigned char)p->text[t->pos]);
  switch (t->kind) {
  case T_END: return "the end";
  case T_NUMBER: return "a number";
  case T_STRING: return "a string";
  case T_IDENT: return "a column";
  case T_LPAREN: return "'('";
  case T_RPAREN: return "')'";
  case T_NOT: return word ? "'not'" : "'!'";
  case T_AND: return word ? "'and'" : "'&&'";
  case T_OR: return word ? "'or'" : "'||'";
  case T_PLUS: return "'+'";
  case T_MINUS: return "'-'";
  case T_STAR: return "'*'";
  case T_SLASH: return "'/'";
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

static bool is_compare(tok_kind k) { return k >= T_EQ && k <= T_GE; }

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
    t->kind = strcmp(t->string, "and") == 0   ? T_AND
              : strcmp(t->string, "or") == 0  ? T_OR
              : strcmp(t->string, "not") == 0 ? T_NOT
                                              : T_IDENT;
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
    } ops[] = {{"&&", T_AND}, {"||", T_OR},  {"==", T_EQ},   {"!=", T_NE},    {"<=", T_LE},
               {">=", T_GE},  {"<", T_LT},   {">", T_GT},    {"!", T_NOT},    {"(", T_LPAREN},
               {")", T_RPAREN}, {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR}, {"/", T_SLASH}};
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
        p->st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory parsing %s", p->option);
      free(n.string);
      return -1;
    }
    e->nodes = grown;
    e->cap = cap;
  }
  e->nodes[e->n] = n;
  return (int)e->n++;
}

/* Appends one instruction that changes the stack's height by `delta`. */
static bool emit(parser *p, instr in, int delta) {
  lrs_query_expr *e = p->e;
  if (e->n_code == e->code_cap) {
    size_t cap = e->code_cap ? 2 * e->code_cap : 16;
    instr *grown = realloc(e->code, cap * sizeof *grown);
    if (!grown) {
      if (p->st == LRS_OK)
        p->st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory parsing %s", p->option);
      return false;
    }
    e->code = grown;
    e->code_cap = cap;
  }
  e->code[e->n_code++] = in;
  p->sp = (size_t)((long)p->sp + delta);
  if (p->sp > STACK_CAP) { /* unreachable within the nesting limit; checked all the same */
    fail(p, 0, "the expression needs more than %d pending operands", STACK_CAP);
    return false;
  }
  return true;
}

static int parse_or(parser *p, lexer_state *lx);

/* Enters one level of '(', '!', unary '-' or a function at `pos` (the parser
 * recurses on them): refused beyond LRS_QUERY_MAX_DEPTH. */
static bool enter(parser *p, size_t pos) {
  if (++p->depth <= LRS_QUERY_MAX_DEPTH)
    return true;
  fail(p, pos, "more than %d nested '(', '!' and unary '-'", LRS_QUERY_MAX_DEPTH);
  return false;
}

/* Whether the token can start an operand; if not, the error names `after`. */
static bool starts_operand(parser *p, const char *after) {
  tok_kind k = p->tok.kind;
  if (k == T_NUMBER || k == T_STRING || k == T_IDENT || k == T_LPAREN || k == T_MINUS ||
      k == T_NOT)
    return true;
  if (after)
    fail(p, p->tok.pos, "expected a value after %s, found %s", after, tok_text(p, &p->tok));
  else
    fail(p, p->tok.pos, "expected a number, string, column or '(' but found %s",
         tok_text(p, &p->tok));
  return false;
}

static const char *column_name(const parser *p, const node *n) {
  return n->kind == N_COLUMN ? p->table->cols[n->col].name : "";
}

/* Checks that node `id` is a number for operator `what` (at the node). */
static bool check_number(parser *p, int id, const char *what) {
  const node *n = &p->e->nodes[id];
  if (n->type == V_NUMBER)
    return true;
  if (n->type == V_COND)
    fail(p, n->pos, "%s takes numbers, not a condition", what);
  else if (n->type == V_ENUM)
    fail(p, n->pos, "%s takes numbers; %s is an enum column", what, column_name(p, n));
  else
    fail(p, n->pos, "%s takes numbers, not text", what);
  return false;
}

/* Checks that node `id` is a condition or a number (true when non-zero). */
static bool check_condition(parser *p, int id, const char *what) {
  const node *n = &p->e->nodes[id];
  if (n->type == V_NUMBER || n->type == V_COND)
    return true;
  if (n->type == V_ENUM)
    fail(p, n->pos, "%s takes conditions; %s is an enum column: compare it, e.g. %s == \"%s\"",
         what, column_name(p, n), column_name(p, n), p->table->cols[n->col].names[0]);
  else
    fail(p, n->pos, "%s takes conditions, not text: compare it with == or !=", what);
  return false;
}

static int parse_primary(parser *p, lexer_state *lx) {
  token t = p->tok;
  if (!starts_operand(p, NULL))
    return -1;
  if (t.kind == T_LPAREN) {
    if (!enter(p, t.pos) || lex(p, lx) != LRS_OK)
      return -1;
    int inner = parse_or(p, lx);
    if (inner < 0)
      return -1;
    p->depth--;
    if (p->tok.kind != T_RPAREN) {
      fail(p, p->tok.pos, "expected ')' to close the '(' at column %zu, found %s", t.pos + 1,
           tok_text(p, &p->tok));
      return -1;
    }
    if (lex(p, lx) != LRS_OK)
      return -1;
    return inner;
  }
  if (t.kind == T_IDENT) { /* a function: the name and '(' */
    size_t after = t.pos + t.len;
    while (isspace((unsigned char)p->text[after]))
      after++;
    if (p->text[after] == '(') {
      size_t f = 0;
      while (f < N_FUNCTIONS && strcmp(functions[f].name, t.string) != 0)
        f++;
      if (f == N_FUNCTIONS && lrs_query_column_index(p->table, t.string) < 0) {
        fail(p, t.pos, "unknown function '%s' (functions: log10, log, exp, sqrt, abs)", t.string);
        return -1;
      }
      if (f < N_FUNCTIONS) {
        if (!enter(p, t.pos) || lex(p, lx) != LRS_OK || lex(p, lx) != LRS_OK)
          return -1;
        int arg = parse_or(p, lx);
        if (arg < 0)
          return -1;
        p->depth--;
        if (p->tok.kind != T_RPAREN) {
          fail(p, p->tok.pos, "expected ')' to close %s( at column %zu, found %s",
               functions[f].name, t.pos + 1, tok_text(p, &p->tok));
          return -1;
        }
        char what[32];
        snprintf(what, sizeof what, "%s()", functions[f].name);
        if (!check_number(p, arg, what) || lex(p, lx) != LRS_OK ||
            !emit(p, (instr){.op = OP_CALL, .col = f}, 0))
          return -1;
        return add_node(p, (node){.kind = N_CALL, .a = arg, .b = -1, .pos = t.pos,
                                  .type = V_NUMBER});
      }
    }
  }
  if (t.kind == T_MINUS || t.kind == T_NOT) { /* after an operator that takes a number */
    fail(p, t.pos, "expected a number, string, column or '(' but found %s", tok_text(p, &t));
    return -1;
  }
  node n = {0};
  n.pos = t.pos;
  n.a = n.b = -1;
  n.type = V_NUMBER;
  n.code_at = p->e->n_code;
  instr push = {.op = OP_NUM};
  if (t.kind == T_NUMBER) {
    n.kind = N_NUMBER;
    n.number = push.number = t.number;
  } else if (t.kind == T_STRING) {
    n.kind = N_STRING;
    n.type = V_TEXT;
    n.string = p->tok.string;
    p->tok.string = NULL;
    push.number = NAN; /* a slot: a comparison replaces it */
  } else {
    const char *w = t.string;
    if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
      n.kind = N_NUMBER;
      n.number = push.number = w[0] == 't';
    } else if (strcmp(w, "nan") == 0 || strcmp(w, "inf") == 0) {
      n.kind = N_NUMBER;
      n.number = push.number = w[0] == 'n' ? NAN : INFINITY;
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
      n.col = push.col = (size_t)c;
      push.op = OP_COL;
      lrs_query_kind k = lrs_query_kind_of(&p->table->cols[c]);
      n.type = k == LRS_QUERY_ENUM ? V_ENUM : k == LRS_QUERY_TEXT ? V_TEXT : V_NUMBER;
    }
  }
  if (lex(p, lx) != LRS_OK || !emit(p, push, 1)) {
    free(n.string);
    return -1;
  }
  return add_node(p, n);
}

/* factor := "-" factor | primary (a literal's minus is folded into it) */
static int parse_factor(parser *p, lexer_state *lx) {
  if (p->tok.kind != T_MINUS)
    return parse_primary(p, lx);
  size_t pos = p->tok.pos;
  if (!enter(p, pos) || lex(p, lx) != LRS_OK || !starts_operand(p, "unary '-'"))
    return -1;
  int inner = parse_factor(p, lx);
  if (inner < 0 || !check_number(p, inner, "unary '-'"))
    return -1;
  p->depth--;
  node *in = &p->e->nodes[inner];
  if (in->kind == N_NUMBER) {
    in->number = -in->number;
    p->e->code[in->code_at].number = in->number;
    in->pos = pos;
    return inner;
  }
  if (!emit(p, (instr){.op = OP_NEG}, 0))
    return -1;
  return add_node(p, (node){.kind = N_NEG, .a = inner, .b = -1, .pos = pos, .type = V_NUMBER});
}

/* A left-associative chain of the binary operators lo..hi over `operand`. */
static int parse_arith(parser *p, lexer_state *lx, tok_kind lo, tok_kind hi,
                       int (*operand)(parser *, lexer_state *)) {
  int left = operand(p, lx);
  while (left >= 0 && p->tok.kind >= lo && p->tok.kind <= hi) {
    token op = p->tok;
    char what[8];
    snprintf(what, sizeof what, "%s", tok_text(p, &op));
    if (!check_number(p, left, what) || lex(p, lx) != LRS_OK || !starts_operand(p, what))
      return -1;
    int right = operand(p, lx);
    if (right < 0 || !check_number(p, right, what))
      return -1;
    op_kind code = op.kind == T_PLUS ? OP_ADD : op.kind == T_MINUS ? OP_SUB
                   : op.kind == T_STAR ? OP_MUL : OP_DIV;
    if (!emit(p, (instr){.op = code}, -1))
      return -1;
    left = add_node(p, (node){.kind = N_ARITH, .op = op.kind, .a = left, .b = right,
                              .pos = op.pos, .type = V_NUMBER});
  }
  return left;
}

static int parse_term(parser *p, lexer_state *lx) {
  return parse_arith(p, lx, T_STAR, T_SLASH, parse_factor);
}

static int parse_sum(parser *p, lexer_state *lx) {
  return parse_arith(p, lx, T_PLUS, T_MINUS, parse_term);
}

/* Checks the operands of a comparison, resolves enum names and turns a
 * comparison of text into one instruction. */
static bool check_compare(parser *p, int id) {
  node *cmp = &p->e->nodes[id];
  const int ia = cmp->a, ib = cmp->b;
  node *a = &p->e->nodes[ia], *b = &p->e->nodes[ib];
  char op[16]; /* an operator's text; the longest token text is 11 bytes */
  snprintf(op, sizeof op, "%s", tok_text(p, &(token){.kind = cmp->op, .pos = cmp->pos}));
  if (a->type == V_COND || b->type == V_COND) {
    fail(p, cmp->pos, "%s compares values, not conditions (use parentheses and && ||)", op);
    return false;
  }
  /* Put a column first when there is one (for the messages). */
  if (a->kind != N_COLUMN && b->kind == N_COLUMN) {
    node *tmp = a;
    a = b;
    b = tmp;
  }
  const char *an = column_name(p, a);
  bool eq = cmp->op == T_EQ || cmp->op == T_NE;
  if (a->type == V_ENUM && b->kind == N_STRING) {
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
    b->type = V_NUMBER;
    b->number = p->e->code[b->code_at].number = idx;
  } else if (a->type == V_ENUM && b->type == V_ENUM) {
    if (p->table->cols[a->col].names != p->table->cols[b->col].names || !eq) {
      fail(p, cmp->pos, "%s and %s cannot be compared", an, column_name(p, b));
      return false;
    }
  } else if (a->type == V_ENUM || b->type == V_ENUM) {
    const node *en = a->type == V_ENUM ? a : b, *other = a->type == V_ENUM ? b : a;
    const lrs_field *ec = &p->table->cols[en->col];
    fail(p, other->pos, "%s is an enum column: compare it with a quoted name, e.g. %s == \"%s\"",
         ec->name, ec->name, ec->names[0]);
    return false;
  } else if (a->type == V_TEXT || b->type == V_TEXT) {
    if (a->type != b->type) {
      const char *num = a->kind == N_COLUMN && a->type == V_NUMBER ? an : "a number";
      fail(p, b->pos, "cannot compare %s with a string", num);
      return false;
    }
    /* Both are single pushes, the last two instructions: one text comparison. */
    p->e->n_code -= 2;
    p->sp -= 2;
    return emit(p, (instr){.op = OP_TEXT_CMP, .cmp = cmp->op, .a = ia, .b = ib}, 1);
  }
  return emit(p, (instr){.op = OP_CMP, .cmp = cmp->op}, -1);
}

static int parse_compare(parser *p, lexer_state *lx) {
  int left = parse_sum(p, lx);
  if (left < 0)
    return -1;
  tok_kind op = p->tok.kind;
  if (!is_compare(op))
    return left;
  token optok = p->tok;
  if (lex(p, lx) != LRS_OK)
    return -1;
  if (p->tok.kind == T_NOT || !starts_operand(p, tok_text(p, &optok))) {
    if (p->tok.kind == T_NOT)
      fail(p, p->tok.pos, "expected a value after %s, found %s", tok_text(p, &optok),
           tok_text(p, &p->tok));
    return -1;
  }
  int right = parse_sum(p, lx);
  if (right < 0)
    return -1;
  node n = {.kind = N_CMP, .op = op, .a = left, .b = right, .pos = optok.pos, .type = V_COND};
  int id = add_node(p, n);
  if (id < 0 || !check_compare(p, id))
    return -1;
  if (is_compare(p->tok.kind)) {
    fail(p, p->tok.pos, "comparisons do not chain: use && between them");
    return -1;
  }
  return id;
}

/* unary := ("!" | "not") unary | compare */
static int parse_unary(parser *p, lexer_state *lx) {
  if (p->tok.kind != T_NOT)
    return parse_compare(p, lx);
  token t = p->tok;
  char what[8];
  snprintf(what, sizeof what, "%s", tok_text(p, &t));
  if (!enter(p, t.pos) || lex(p, lx) != LRS_OK || !starts_operand(p, what))
    return -1;
  int inner = parse_unary(p, lx);
  if (inner < 0 || !check_condition(p, inner, what))
    return -1;
  p->depth--;
  if (!emit(p, (instr){.op = OP_NOT}, 0))
    return -1;
  return add_node(p, (node){.kind = N_NOT, .op = T_NOT, .a = inner, .b = -1, .pos = t.pos,
                            .type = V_COND});
}

/* A left-associative chain of && (or ||) over `operand`: a loop, so that
 * neither the parser nor the evaluation recurses along a long chain. */
static int parse_chain(parser *p, lexer_state *lx, node_kind k, tok_kind op,
                       int (*operand)(parser *, lexer_state *)) {
  int left = operand(p, lx);
  while (left >= 0 && p->tok.kind == op) {
    token t = p->tok;
    char what[8];
    snprintf(what, sizeof what, "%s", tok_text(p, &t));
    if (!check_condition(p, left, what) || lex(p, lx) != LRS_OK)
      return -1;
    if (!starts_operand(p, NULL))
      return -1;
    int right = operand(p, lx);
    if (right < 0 || !check_condition(p, right, what) ||
        !emit(p, (instr){.op = k == N_AND ? OP_AND : OP_OR}, -1))
      return -1;
    left = add_node(p, (node){.kind = k, .op = op, .a = left, .b = right, .pos = t.pos,
                              .type = V_COND});
  }
  return left;
}

static int parse_and(parser *p, lexer_state *lx) {
  return parse_chain(p, lx, N_AND, T_AND, parse_unary);
}

static int parse_or(parser *p, lexer_state *lx) {
  return parse_chain(p, lx, N_OR, T_OR, parse_and);
}

lrs_status lrs_query_parse(const char *text, const lrs_query_table *table, lrs_query_expr **out) {
  return lrs_query_parse_as("--where", text, table, out);
}

lrs_status lrs_query_parse_as(const char *option, const char *text, const lrs_query_table *table,
                              lrs_query_expr **out) {
  *out = NULL;
  lrs_query_expr *e = calloc(1, sizeof *e);
  LRS_TRY(LRS_CHECK_ALLOC(e));
  parser p = {option, text, table, {T_END, 0, 0, 0, NULL}, e, LRS_OK, 0, 0};
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
    fail(&p, p.tok.pos, "unexpected %s; expected an operator or the end", tok_text(&p, &p.tok));
  if (root >= 0 && p.st == LRS_OK)
    check_condition(&p, root, option);
  free(p.tok.string);
  e->root = root;
  if (p.st != LRS_OK || root < 0) {
    lrs_query_expr_destroy(&e);
    return p.st != LRS_OK ? p.st
                          : LRS_RAISE(LRS_ERR_USAGE, "%s: cannot parse \"%s\"", option, text);
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
  free((*expr)->code);
  free(*expr);
  *expr = NULL;
}

/* ---- evaluation -------------------------------------------------------------------- */

/* A number as a condition: true when non-zero and not NaN. */
static bool truth(double v) { return v != 0 && !isnan(v); }

static bool compare(tok_kind op, int c) {
  switch (op) {
  case T_EQ: return c == 0;
  case T_NE: return c != 0;
  case T_LT: return c < 0;
  case T_LE: return c <= 0;
  case T_GT: return c > 0;
  case T_GE: return c >= 0;
  default: return false;
  }
}

static const char *text_of(const lrs_query_expr *e, const lrs_query_table *t, size_t row, int id,
                           char *buf, size_t cap) {
  const node *n = &e->nodes[id];
  return n->kind == N_STRING ? n->string : t->text(t->ctx, row, n->col, buf, cap);
}

bool lrs_query_eval(const lrs_query_expr *e, const lrs_query_table *t, size_t row) {
  if (!e)
    return true;
  double s[STACK_CAP + 1];
  size_t sp = 0;
  for (size_t i = 0; i < e->n_code; i++) {
    const instr *in = &e->code[i];
    switch (in->op) {
    case OP_NUM: s[sp++] = in->number; break;
    case OP_COL: s[sp++] = t->number(t->ctx, row, in->col); break;
    case OP_NEG: s[sp - 1] = -s[sp - 1]; break;
    case OP_ADD: sp--; s[sp - 1] += s[sp]; break;
    case OP_SUB: sp--; s[sp - 1] -= s[sp]; break;
    case OP_MUL: sp--; s[sp - 1] *= s[sp]; break;
    case OP_DIV: sp--; s[sp - 1] /= s[sp]; break;
    case OP_CALL: s[sp - 1] = functions[in->col].fn(s[sp - 1]); break;
    case OP_CMP: {
      sp--;
      double x = s[sp - 1], y = s[sp];
      /* IEEE: a comparison with NaN is false, except != */
      s[sp - 1] = isnan(x) || isnan(y) ? in->cmp == T_NE : compare(in->cmp, x < y ? -1 : x > y);
      break;
    }
    case OP_TEXT_CMP: {
      char ba[512], bb[512];
      int c = strcmp(text_of(e, t, row, in->a, ba, sizeof ba),
                     text_of(e, t, row, in->b, bb, sizeof bb));
      s[sp++] = compare(in->cmp, c);
      break;
    }
    case OP_NOT: s[sp - 1] = !truth(s[sp - 1]); break;
    case OP_AND: sp--; s[sp - 1] = truth(s[sp - 1]) && truth(s[sp]); break;
    case OP_OR: sp--; s[sp - 1] = truth(s[sp - 1]) || truth(s[sp]); break;
    }
  }
  return sp == 1 && truth(s[0]);
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
