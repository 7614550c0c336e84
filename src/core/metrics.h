/* metrics.h - the Prometheus text exposition format (version 0.0.4), as
 * pure formatting: families, samples with labels, histograms.  The numbers
 * come from the caller (http/metrics.c sums them over the loop threads);
 * this file only writes them, escaped, into a growing buffer. */
#ifndef RG_CORE_METRICS_H
#define RG_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf; /* malloc'd, NUL-terminated while len > 0; NULL at first */
    size_t len, cap;
    int oom; /* an allocation failed: the text is incomplete, do not serve it */
} rg_mtext;

/* A label: name (a valid Prometheus label name, by the caller) = value
 * (any bytes; escaped here). */
typedef struct {
    const char *name, *value;
} rg_mlabel;

void rg_mtext_free(rg_mtext *t);

/* "# HELP name help\n# TYPE name type\n"; type is "counter", "gauge" or
 * "histogram".  help is escaped (\\ and \n). */
void rg_mtext_family(rg_mtext *t, const char *name, const char *type, const char *help);
/* name{labels} value: an integer sample. */
void rg_mtext_u64(rg_mtext *t, const char *name, const rg_mlabel *labels, size_t nlabels,
                  uint64_t value);
/* A histogram's series: name_bucket{labels,le="bound"} for each bound
 * (cumulative counts from per-bucket counts[0..nbounds], counts[nbounds]
 * being above the last bound), le="+Inf", name_sum (sum_micros / 1e6: the
 * observations are seconds kept as integer microseconds) and name_count. */
void rg_mtext_histogram(rg_mtext *t, const char *name, const rg_mlabel *labels, size_t nlabels,
                        const double *bounds, const uint64_t *counts, size_t nbounds,
                        uint64_t sum_micros);

#endif
