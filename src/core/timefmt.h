/* timefmt.h - the two date formats on the wire: ISO 8601 UTC with
 * milliseconds (tokens, validate) and RFC 2822 (Twilio's 2010-04-01 API).
 * Pure: formats the time it is given. */
#ifndef RG_CORE_TIMEFMT_H
#define RG_CORE_TIMEFMT_H

#include <stdint.h>

#define RG_TIMEFMT_SIZE 80 /* room for any int fields, as gcc checks */

/* "2026-11-23T10:00:00.000Z"; returns buf. */
const char *rg_time_iso8601(int64_t t, char buf[RG_TIMEFMT_SIZE]);
/* "Mon, 23 Nov 2026 10:00:00 +0000", independent of the locale; returns buf. */
const char *rg_time_rfc2822(int64_t t, char buf[RG_TIMEFMT_SIZE]);

#endif
