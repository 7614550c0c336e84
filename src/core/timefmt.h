/* timefmt.h - the two date formats on the wire: ISO 8601 UTC with
 * milliseconds (tokens, validate) and RFC 2822 (Twilio's 2010-04-01 API).
 * Pure: formats the time it is given. */
#ifndef RG_CORE_TIMEFMT_H
#define RG_CORE_TIMEFMT_H

#include <stdint.h>

#define RG_TIMEFMT_SIZE 80 /* room for any int fields, as gcc checks */

/* "2026-11-23T10:00:00.000Z"; returns buf. */
const char *rg_time_iso8601(int64_t t, char buf[RG_TIMEFMT_SIZE]);
/* "2026-11-23T10:00:00Z": whole seconds, as Twilio's v1 APIs (Video) write
 * dates; returns buf. */
const char *rg_time_iso8601_s(int64_t t, char buf[RG_TIMEFMT_SIZE]);
/* "Mon, 23 Nov 2026 10:00:00 +0000", independent of the locale; returns buf. */
const char *rg_time_rfc2822(int64_t t, char buf[RG_TIMEFMT_SIZE]);

/* Parses an RFC 3339 date-time (the ISO 8601 profile JavaScript's
 * toISOString writes): "2026-11-23T10:00:00Z", "2026-11-23T10:00:00.123Z",
 * "2026-11-23T12:00:00+02:00" (also "+0200").  The zone is required (no
 * local-time guesses); fractions of a second are truncated; years
 * 1970..9999; a leap second (:60) is refused.  Returns 0 and *out (unix
 * seconds), or -1 when s (n bytes, not necessarily NUL-terminated) is
 * malformed or out of range. */
int rg_time_parse_iso8601(const char *s, size_t n, int64_t *out);

#endif
