/* fuzz_jsonr.c - the claim reader (src/core/jsonr.c) against jansson.
 *
 * Input: a JSON text as a token header or payload would carry it.  Both
 * rg_jr_read and json_loadb(JSON_REJECT_DUPLICATES) read it; they must
 * agree on accept/reject (except where the reader is stricter by design:
 * its limits, RG_JR_ELIMIT, and NUL bytes), and on an accepted text every claim of the
 * path table must have the same type and value as jansson's, a value
 * marked canonical must be byte for byte jansson's JSON_COMPACT dump of it
 * (what POST validate echoes), and an array's elements must iterate as
 * jansson's. */
#include <jansson.h>

#include "core/jsonr.h"
#include "fuzz.h"

enum { A, B, GRANTS, ID, VIDEO, ROOM, EXP, PERMS, AA, AB, NP };
static const rg_jr_path paths[NP] = {
    RG_JR_PATH(-1, "a"),         RG_JR_PATH(-1, "b"),
    RG_JR_PATH(-1, "grants"),    RG_JR_PATH(GRANTS, "identity"),
    RG_JR_PATH(GRANTS, "video"), RG_JR_PATH(VIDEO, "room"),
    RG_JR_PATH(-1, "exp"),       RG_JR_PATH(-1, "permissions"),
    RG_JR_PATH(A, "a"),          RG_JR_PATH(A, "b"),
};

static rg_jr_type type_of(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return RG_JR_OBJECT;
    case JSON_ARRAY:
        return RG_JR_ARRAY;
    case JSON_STRING:
        return RG_JR_STRING;
    case JSON_INTEGER:
        return RG_JR_INTEGER;
    case JSON_REAL:
        return RG_JR_REAL;
    case JSON_TRUE:
        return RG_JR_TRUE;
    case JSON_FALSE:
        return RG_JR_FALSE;
    default:
        return RG_JR_NULL;
    }
}

/* v (from the reader) is the same value as j (from jansson). */
static void same(const rg_jr_val *v, const json_t *j)
{
    FZ_ASSERT(j != NULL && v->type == type_of(j));
    if (v->type == RG_JR_STRING) {
        static char buf[RG_JR_MAX_INPUT + 1];
        size_t n;
        FZ_ASSERT(rg_jr_str(v, buf, RG_JR_MAX_INPUT, &n));
        FZ_ASSERT(n == json_string_length(j) && memcmp(buf, json_string_value(j), n) == 0);
        FZ_ASSERT(rg_jr_str_is(v, json_string_value(j), n) || n >= 64);
    } else if (v->type == RG_JR_INTEGER) {
        FZ_ASSERT(v->integer == json_integer_value(j));
    } else if (v->type == RG_JR_REAL) {
        FZ_ASSERT(memcmp(&v->real, &(double){json_real_value(j)}, sizeof(double)) == 0);
    }
    if (v->canonical) {
        char *dump = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        FZ_ASSERT(dump != NULL && strlen(dump) == v->raw_len &&
                  memcmp(dump, v->raw, v->raw_len) == 0);
        free(dump);
    }
    if (v->type == RG_JR_ARRAY) {
        rg_jr_iter it;
        rg_jr_val e;
        size_t i = 0;
        rg_jr_iter_init(&it, v);
        while (rg_jr_next(&it, &e)) {
            FZ_ASSERT(i < json_array_size(j));
            FZ_ASSERT(e.type == type_of(json_array_get(j, i)));
            if (e.type == RG_JR_STRING || e.type == RG_JR_INTEGER) same(&e, json_array_get(j, i));
            i++;
        }
        FZ_ASSERT(i == json_array_size(j));
    }
}

/* The value at paths[k] as jansson sees it, or NULL. */
static const json_t *lookup(const json_t *root, int k)
{
    const json_t *parent = paths[k].parent < 0 ? root : lookup(root, paths[k].parent);
    return json_is_object(parent) ? json_object_get(parent, paths[k].key) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_jr_val v[NP], root;
    int rc = rg_jr_read((const char *)data, size, paths, NP, v, &root);
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);

    /* Stricter by design: the limits, and a NUL byte anywhere (jansson
     * drops one NUL right after a number or a literal: "[1\0]" loads). */
    if (rc == RG_JR_ELIMIT || (rc != RG_JR_OK && memchr(data, 0, size) != NULL)) {
        json_decref(j);
        return 0;
    }
    FZ_ASSERT((rc == RG_JR_OK) == (j != NULL));
    if (j != NULL) {
        FZ_ASSERT(root.raw_len <= size);
        same(&root, j);
        for (int k = 0; k < NP; k++) {
            const json_t *x = lookup(j, k);
            if (x == NULL)
                FZ_ASSERT(v[k].type == RG_JR_ABSENT);
            else
                same(&v[k], x);
        }
    }
    json_decref(j);
    return 0;
}
