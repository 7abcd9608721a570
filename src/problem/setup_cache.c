/* The set-up cache (lrsweep/problem.h): products of a point's random draws
 * kept across the points one process solves, keyed exactly by what
 * determines them, least recently used first out. */
#include "lrsweep/problem.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
  uint64_t hash; /* of the key: compared first */
  lrs_setup_key key;
  void *data;
  size_t bytes;
  uint64_t used; /* the clock at the last get or put */
} entry;

/* One cache per process: lrsweep solves the points of a rank one at a time. */
static struct {
  bool configured;
  size_t budget; /* bytes; 0: off */
  entry *e;
  size_t n, cap, bytes;
  uint64_t clock, hits, misses;
} cache;

static void configure_once(void) {
  if (cache.configured)
    return;
  cache.configured = true;
  cache.budget = (size_t)LRS_SETUP_CACHE_DEFAULT_MIB << 20;
  const char *env = getenv("LRS_SETUP_CACHE_MIB");
  if (env && *env) {
    char *end = NULL;
    const unsigned long long mib = strtoull(env, &end, 10);
    if (end && *end == '\0' && mib <= (SIZE_MAX >> 21))
      cache.budget = (size_t)mib << 20;
  }
}

void lrs_setup_key_init(lrs_setup_key *k, char tag) {
  memset(k, 0, sizeof *k);
  k->w[0] = (uint64_t)(unsigned char)tag;
  k->n = 1;
}

void lrs_setup_key_add(lrs_setup_key *k, uint64_t v) {
  if (k->n == 0) { /* a key never made (e.g. a problem's, off the local backend) */
    lrs_setup_key_invalidate(k);
    return;
  }
  if (k->n < LRS_SETUP_KEY_WORDS)
    k->w[k->n] = v;
  k->n++; /* a key that overflowed never matches (lrs_setup_key_valid) */
}

void lrs_setup_key_add_double(lrs_setup_key *k, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits); /* the exact value, −0 and NaN payloads apart */
  lrs_setup_key_add(k, bits);
}

void lrs_setup_key_invalidate(lrs_setup_key *k) { k->n = LRS_SETUP_KEY_WORDS + 1; }

bool lrs_setup_key_valid(const lrs_setup_key *k) {
  return k->n >= 1 && k->n <= LRS_SETUP_KEY_WORDS;
}

static bool same(const lrs_setup_key *a, const lrs_setup_key *b) {
  return a->n == b->n && memcmp(a->w, b->w, a->n * sizeof a->w[0]) == 0;
}

/* FNV-1a over the key's words: a filter only, the whole key is compared. */
static uint64_t key_hash(const lrs_setup_key *k) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < k->n; i++)
    h = (h ^ k->w[i]) * 0x100000001b3ULL;
  return h;
}

/* A linear scan: at most LRS_SETUP_CACHE_MAX_ENTRIES hashes (about a
 * microsecond), against a set-up of a tenth of a millisecond or more. */
static entry *find(const lrs_setup_key *k, uint64_t hash) {
  for (size_t i = 0; i < cache.n; i++)
    if (cache.e[i].hash == hash && same(&cache.e[i].key, k))
      return &cache.e[i];
  return NULL;
}

const void *lrs_setup_cache_get(const lrs_setup_key *k, size_t bytes) {
  configure_once();
  if (!cache.budget || !lrs_setup_key_valid(k))
    return NULL;
  entry *e = find(k, key_hash(k));
  if (!e || e->bytes != bytes) {
    cache.misses++;
    return NULL;
  }
  e->used = ++cache.clock;
  cache.hits++;
  return e->data;
}

static void drop(size_t i) {
  cache.bytes -= cache.e[i].bytes;
  free(cache.e[i].data);
  cache.e[i] = cache.e[--cache.n];
}

void lrs_setup_cache_put(const lrs_setup_key *k, const void *data, size_t bytes) {
  configure_once();
  if (!cache.budget || !lrs_setup_key_valid(k) || bytes > cache.budget / 2)
    return; /* too large to be worth half the budget */
  const uint64_t hash = key_hash(k);
  entry *old = find(k, hash);
  if (old)
    drop((size_t)(old - cache.e));
  while (cache.n > 0 && (cache.bytes + bytes > cache.budget ||
                         cache.n >= LRS_SETUP_CACHE_MAX_ENTRIES)) { /* least recently used out */
    size_t lru = 0;
    for (size_t i = 1; i < cache.n; i++)
      if (cache.e[i].used < cache.e[lru].used)
        lru = i;
    drop(lru);
  }
  if (cache.n == cache.cap) {
    const size_t cap = cache.cap ? 2 * cache.cap : 64;
    entry *e = realloc(cache.e, cap * sizeof *e);
    if (!e)
      return; /* a cache that cannot grow just does not keep this one */
    cache.e = e;
    cache.cap = cap;
  }
  void *copy = malloc(bytes ? bytes : 1);
  if (!copy)
    return;
  memcpy(copy, data, bytes);
  cache.e[cache.n++] = (entry){.hash = hash, .key = *k, .data = copy, .bytes = bytes, .used = ++cache.clock};
  cache.bytes += bytes;
}

void lrs_setup_cache_clear(void) {
  while (cache.n > 0)
    drop(cache.n - 1);
  free(cache.e);
  cache.e = NULL;
  cache.cap = 0;
}

void lrs_setup_cache_set_budget(size_t bytes) {
  configure_once();
  lrs_setup_cache_clear();
  cache.budget = bytes;
}

lrs_setup_cache_stats lrs_setup_cache_stats_get(void) {
  configure_once();
  return (lrs_setup_cache_stats){.entries = cache.n, .bytes = cache.bytes,
                                 .budget = cache.budget, .hits = cache.hits,
                                 .misses = cache.misses};
}
