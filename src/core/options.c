/* options.c - the option table's parser: flags, environment and config file
 * collected as text, then applied per option from the strongest source. */
#include "core/options.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rg_opts_init(rg_opts *p, const rg_opt *opts, size_t nopts, void *cfg)
{
    memset(p, 0, sizeof *p);
    p->opts = opts, p->nopts = nopts, p->cfg = cfg;
}

const rg_opt *rg_opts_find(const rg_opt *opts, size_t nopts, const char *name, size_t len)
{
    for (size_t i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

static int add(rg_opts *p, const rg_opt *o, int layer, const char *val, int line)
{
    if (p->nvals == RG_OPT_MAX_VALUES) {
        snprintf(p->err, sizeof p->err, "more than %d option values", RG_OPT_MAX_VALUES);
        return -1;
    }
    p->vals[p->nvals++] =
        (rg_opt_value){(unsigned short)(o - p->opts), (unsigned char)layer, val, line};
    return 0;
}

static int takes_value(const rg_opt *o)
{
    return o->type != RG_OPT_TRUE && o->type != RG_OPT_FALSE;
}

/* One argv word (and maybe the next); returns how many it used, or -1. */
static int scan_flag(rg_opts *p, char **argv, int i, int argc)
{
    const char *w = argv[i] + 2, *eq = strchr(w, '=');
    size_t len = eq ? (size_t)(eq - w) : strlen(w);
    const rg_opt *o = rg_opts_find(p->opts, p->nopts, w, len);
    if (o == NULL && len == 4 && memcmp(w, "help", 4) == 0) return p->help = 1, 1;
    if (o == NULL) {
        snprintf(p->err, sizeof p->err, "unknown option --%.*s", (int)(len > 64 ? 64 : len), w);
        return -1;
    }
    if (!takes_value(o)) {
        if (eq) return snprintf(p->err, sizeof p->err, "--%s takes no value", o->name), -1;
        return add(p, o, RG_OPT_FROM_FLAG, "1", 0) == 0 ? 1 : -1;
    }
    if (eq) return add(p, o, RG_OPT_FROM_FLAG, eq + 1, 0) == 0 ? 1 : -1;
    if (i + 1 >= argc) return snprintf(p->err, sizeof p->err, "--%s needs a value", o->name), -1;
    return add(p, o, RG_OPT_FROM_FLAG, argv[i + 1], 0) == 0 ? 2 : -1;
}

int rg_opts_scan_argv(rg_opts *p, int argc, char **argv)
{
    for (int i = 1, n; i < argc; i += n) {
        const char *w = argv[i];
        if (strcmp(w, "--") == 0) return 0;
        if (strcmp(w, "-h") == 0) {
            p->help = 1, n = 1;
            continue;
        }
        if (strncmp(w, "--", 2) != 0) {
            snprintf(p->err, sizeof p->err, "unexpected argument %.64s", w);
            return -1;
        }
        if ((n = scan_flag(p, argv, i, argc)) < 0) return -1;
    }
    return 0;
}

const char *rg_opts_flag(const rg_opts *p, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < p->nvals; i++)
        if (p->vals[i].layer == RG_OPT_FROM_FLAG && strcmp(p->opts[p->vals[i].opt].name, name) == 0)
            v = p->vals[i].val;
    return v;
}

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = '\0';
    return s;
}

/* One `key = value` line (already cut at its '\n'). */
static int scan_line(rg_opts *p, char *line, int no)
{
    char *eq, *key, *val;
    const rg_opt *o;
    key = trim(line, line + strlen(line));
    if (*key == '\0' || *key == '#') return 0;
    if ((eq = strchr(key, '=')) == NULL) {
        snprintf(p->err, sizeof p->err, "%s:%d: not a `key = value` line", p->file_name, no);
        return -1;
    }
    val = trim(eq + 1, eq + 1 + strlen(eq + 1));
    key = trim(key, eq);
    o = rg_opts_find(p->opts, p->nopts, key, strlen(key));
    if (o == NULL || (o->flags & RG_OPT_FLAG_ONLY)) {
        snprintf(p->err, sizeof p->err, "%s:%d: unknown key %.64s", p->file_name, no, key);
        return -1;
    }
    return add(p, o, RG_OPT_FROM_FILE, val, no);
}

int rg_opts_scan_file(rg_opts *p, char *text, const char *name)
{
    char *line = text, *nl;
    p->file_name = name;
    for (int no = 1; line != NULL; line = nl ? nl + 1 : NULL, no++) {
        if ((nl = strchr(line, '\n')) != NULL) *nl = '\0';
        if (scan_line(p, line, no) != 0) return -1;
    }
    return 0;
}

int rg_opt_number(const char *s, unsigned long long min, unsigned long long max,
                  unsigned long long *out)
{
    char *end;
    unsigned long long v;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static void store(void *cfg, const rg_opt *o, unsigned long long v)
{
    char *f = (char *)cfg + o->off;
    if (o->width == sizeof(int)) {
        int i = (int)v;
        memcpy(f, &i, sizeof i);
    } else {
        uint64_t u = v;
        memcpy(f, &u, sizeof u);
    }
}

/* A flag's truth: from a flag always 1; the environment's "0" is false and
 * anything else true (as it always was); the file's must be spelled out. */
static int truth(const char *v, int layer, int *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"}, *const no[] = {"0", "no", "false",
                                                                                "off"};
    if (layer != RG_OPT_FROM_FILE) return *out = strcmp(v, "0") != 0, 0;
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) return *out = 1, 0;
        if (strcmp(v, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}

/* One item through the option's type; 0, or -1 with *why. */
static int set_one(rg_opts *p, const rg_opt *o, const char *v, size_t len, int layer,
                   const char **why)
{
    unsigned long long n;
    int t;
    *why = NULL;
    switch (o->type) {
    case RG_OPT_STR:
        memcpy((char *)p->cfg + o->off, &v, sizeof v);
        return 0;
    case RG_OPT_NUM:
        return rg_opt_number(v, o->min, o->max, &n) == 0 ? (store(p->cfg, o, n), 0) : -1;
    case RG_OPT_TRUE:
    case RG_OPT_FALSE:
        if (truth(v, layer, &t) != 0)
            return *why = "must be 1 or 0 (yes/no, true/false, on/off)", -1;
        /* the file's key is the flag (no-x = 1 clears); the variable names the feature */
        if (o->type == RG_OPT_FALSE && layer != RG_OPT_FROM_ENV) t = !t;
        store(p->cfg, o, (unsigned long long)t);
        return 0;
    case RG_OPT_FN:
        return o->set(p->cfg, v, len, why);
    }
    return -1;
}

/* The environment's list is comma-separated for a repeatable option. */
static int set_value(rg_opts *p, const rg_opt *o, const char *v, int layer, const char **why)
{
    const char *c;
    if (layer != RG_OPT_FROM_ENV || !(o->flags & RG_OPT_REPEAT))
        return set_one(p, o, v, strlen(v), layer, why);
    for (;; v = c + 1) {
        c = strchr(v, ',');
        if (set_one(p, o, v, c ? (size_t)(c - v) : strlen(v), layer, why) != 0) return -1;
        if (c == NULL) return 0;
    }
}

static void refusal(rg_opts *p, const rg_opt *o, const rg_opt_value *v, const char *why)
{
    char where[192];
    if (v->layer == RG_OPT_FROM_FLAG)
        snprintf(where, sizeof where, "--%s", o->name);
    else if (v->layer == RG_OPT_FROM_ENV)
        snprintf(where, sizeof where, "%s", o->env);
    else
        snprintf(where, sizeof where, "%s:%d: %s", p->file_name, v->line, o->name);
    if (o->type == RG_OPT_NUM)
        snprintf(p->err, sizeof p->err, "%s must be a whole number %llu..%llu (%s)", where, o->min,
                 o->max, o->section->noun);
    else if (v->layer == RG_OPT_FROM_FLAG && why && strstr(why, o->name))
        snprintf(p->err, sizeof p->err, "%s", why); /* it already names the flag */
    else
        snprintf(p->err, sizeof p->err, "%s: %s (%s)", where, why ? why : "bad value",
                 o->section->noun);
}

static const char *group_of(const rg_opt *o)
{
    return o->group ? o->group : o->name;
}

/* The strongest source that gave a value to v's option or its group. */
static int winner(const rg_opts *p, const rg_opt *o)
{
    int best = 0;
    for (size_t i = 0; i < p->nvals; i++)
        if (p->vals[i].layer > best && strcmp(group_of(&p->opts[p->vals[i].opt]), group_of(o)) == 0)
            best = p->vals[i].layer;
    return best;
}

static int collect_env(rg_opts *p)
{
    for (size_t i = 0; p->getenv && i < p->nopts; i++) {
        const rg_opt *o = &p->opts[i];
        const char *v = o->env && !(o->flags & RG_OPT_ENV_DOC) ? p->getenv(o->env) : NULL;
        if (v != NULL && *v != '\0' && add(p, o, RG_OPT_FROM_ENV, v, 0) != 0) return -1;
    }
    return 0;
}

static int apply_defaults(rg_opts *p)
{
    const char *why;
    for (size_t i = 0; i < p->nopts; i++) {
        const rg_opt *o = &p->opts[i];
        if (o->dflt && set_one(p, o, o->dflt, strlen(o->dflt), RG_OPT_FROM_ENV, &why) != 0) {
            snprintf(p->err, sizeof p->err, "internal: bad default of --%s", o->name);
            return -1;
        }
    }
    return 0;
}

int rg_opts_apply(rg_opts *p)
{
    const char *why;
    if (collect_env(p) != 0 || apply_defaults(p) != 0) return -1;
    for (size_t i = 0; i < p->nvals; i++) {
        const rg_opt_value *v = &p->vals[i];
        const rg_opt *o = &p->opts[v->opt];
        if (v->layer != winner(p, o) || set_value(p, o, v->val, v->layer, &why) == 0) continue;
        if (v->layer == RG_OPT_FROM_ENV && (o->flags & (RG_OPT_ENV_LAX | RG_OPT_ENV_WARN))) {
            char msg[160];
            snprintf(msg, sizeof msg, "ignoring %s: bad value", o->env);
            if ((o->flags & RG_OPT_ENV_WARN) && p->warn) p->warn(msg);
            continue;
        }
        refusal(p, o, v, why);
        return -1;
    }
    return 0;
}
