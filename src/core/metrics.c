/* metrics.c - Prometheus text format writer (see metrics.h). */
#include "core/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(rg_mtext *t, size_t more)
{
    size_t cap;
    char *nb;
    if (t->oom) return -1;
    if (t->len + more + 1 <= t->cap) return 0;
    cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more + 1)
        cap *= 2;
    if ((nb = realloc(t->buf, cap)) == NULL) {
        t->oom = 1;
        return -1;
    }
    t->buf = nb;
    t->cap = cap;
    return 0;
}

static void put(rg_mtext *t, const char *s, size_t n)
{
    if (grow(t, n) != 0) return;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void puts_(rg_mtext *t, const char *s)
{
    put(t, s, strlen(s));
}

static void printf_(rg_mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(rg_mtext *t, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) put(t, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* The format's escapes: \\ and \n everywhere, \" in label values. */
static void escaped(rg_mtext *t, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(t, "\\\\");
        else if (*s == '\n')
            puts_(t, "\\n");
        else if (*s == '"' && quote)
            puts_(t, "\\\"");
        else
            put(t, s, 1);
    }
}

void rg_mtext_free(rg_mtext *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

void rg_mtext_family(rg_mtext *t, const char *name, const char *type, const char *help)
{
    puts_(t, "# HELP ");
    puts_(t, name);
    puts_(t, " ");
    escaped(t, help, 0);
    puts_(t, "\n# TYPE ");
    puts_(t, name);
    puts_(t, " ");
    puts_(t, type);
    puts_(t, "\n");
}

/* name{a="x",b="y"[,le="z"]} with the optional extra label last. */
static void series(rg_mtext *t, const char *name, const char *suffix, const rg_mlabel *labels,
                   size_t nlabels, const char *le)
{
    puts_(t, name);
    puts_(t, suffix);
    if (nlabels == 0 && le == NULL) return;
    puts_(t, "{");
    for (size_t i = 0; i < nlabels; i++) {
        if (i) puts_(t, ",");
        puts_(t, labels[i].name);
        puts_(t, "=\"");
        escaped(t, labels[i].value, 1);
        puts_(t, "\"");
    }
    if (le != NULL) {
        if (nlabels) puts_(t, ",");
        puts_(t, "le=\"");
        puts_(t, le);
        puts_(t, "\"");
    }
    puts_(t, "}");
}

void rg_mtext_u64(rg_mtext *t, const char *name, const rg_mlabel *labels, size_t nlabels,
                  uint64_t value)
{
    series(t, name, "", labels, nlabels, NULL);
    printf_(t, " %llu\n", (unsigned long long)value);
}

void rg_mtext_histogram(rg_mtext *t, const char *name, const rg_mlabel *labels, size_t nlabels,
                        const double *bounds, const uint64_t *counts, size_t nbounds,
                        uint64_t sum_micros)
{
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= nbounds; i++) {
        cum += counts[i];
        if (i < nbounds)
            snprintf(le, sizeof le, "%g", bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        series(t, name, "_bucket", labels, nlabels, le);
        printf_(t, " %llu\n", (unsigned long long)cum);
    }
    series(t, name, "_sum", labels, nlabels, NULL);
    printf_(t, " %llu.%06llu\n", (unsigned long long)(sum_micros / 1000000),
            (unsigned long long)(sum_micros % 1000000));
    series(t, name, "_count", labels, nlabels, NULL);
    printf_(t, " %llu\n", (unsigned long long)cum);
}
