/* commalist.c - calls back for each item of a comma-separated value,
 * the spaces around it trimmed, stopping at the first non-zero answer
 * (commalist.h). */
#include "core/commalist.h"

#include <string.h>

int rg_commalist_each(const char *list, int (*fn)(void *ud, const char *s, size_t n), void *ud)
{
    const char *s = list;
    while (s && *s) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        while (s < end && *s == ' ')
            s++;
        size_t n = (size_t)(end - s);
        while (n > 0 && s[n - 1] == ' ')
            n--;
        int rc = fn(ud, s, n);
        if (rc != 0) return rc;
        s = comma ? comma + 1 : end;
    }
    return 0;
}
