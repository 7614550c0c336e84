/* timefmt.c - ISO 8601 (with or without milliseconds) and RFC 2822
 * written from unix time with the digits done by hand, and ISO 8601 read
 * back with its offset (timefmt.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/timefmt.h"

static char *put_num(char *p, int v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + digits;
}

/* Digits by hand for the years every answer carries (an expiry on each
 * validation): snprintf was a twentieth of POST validate's CPU.  Other
 * years keep the printf spelling. */
static const char *iso8601(int64_t t, const char *fmt, bool ms, char buf[RG_TIMEFMT_SIZE])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    int y = tm.tm_year + 1900;
    if (y < 0 || y > 9999) {
        snprintf(buf, RG_TIMEFMT_SIZE, fmt, y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        return buf;
    }
    char *p = put_num(buf, y, 4);
    *p++ = '-';
    p = put_num(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_num(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put_num(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_num(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_num(p, tm.tm_sec, 2);
    memcpy(p, ms ? ".000Z" : "Z", ms ? 6 : 2);
    return buf;
}

const char *rg_time_iso8601(int64_t t, char buf[RG_TIMEFMT_SIZE])
{
    return iso8601(t, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", true, buf);
}

const char *rg_time_iso8601_s(int64_t t, char buf[RG_TIMEFMT_SIZE])
{
    return iso8601(t, "%04d-%02d-%02dT%02d:%02d:%02dZ", false, buf);
}

const char *rg_time_rfc2822(int64_t t, char buf[RG_TIMEFMT_SIZE])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm); /* not strftime: %a and %b follow the locale */
    snprintf(buf, RG_TIMEFMT_SIZE, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): no timegm, no TZ, no tables. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly k digits at s[*i]; -1 if any is not a digit. */
static int digits(const char *s, size_t n, size_t *i, int k)
{
    int v = 0;
    if (*i + (size_t)k > n) return -1;
    for (int j = 0; j < k; j++) {
        char ch = s[*i + (size_t)j];
        if (ch < '0' || ch > '9') return -1;
        v = v * 10 + (ch - '0');
    }
    *i += (size_t)k;
    return v;
}

static bool expect(const char *s, size_t n, size_t *i, char a, char b)
{
    if (*i >= n || (s[*i] != a && s[*i] != b)) return false;
    (*i)++;
    return true;
}

/* "Z", "+HH:MM", "+HHMM" (or '-') at s[*i], to the end; *off in seconds. */
static int parse_zone(const char *s, size_t n, size_t i, int64_t *off)
{
    int sign, hh, mm;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        *off = 0;
        return i + 1 == n ? 0 : -1;
    }
    if (i >= n || (s[i] != '+' && s[i] != '-')) return -1;
    sign = s[i++] == '-' ? -1 : 1;
    if ((hh = digits(s, n, &i, 2)) < 0 || hh > 23) return -1;
    if (i < n && s[i] == ':') i++;
    if ((mm = digits(s, n, &i, 2)) < 0 || mm > 59 || i != n) return -1;
    *off = sign * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

int rg_time_parse_iso8601(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int y, mo, d, h, mi, sec;
    int64_t off;
    if (s == NULL || n > 64) return -1;
    if ((y = digits(s, n, &i, 4)) < 1970 || !expect(s, n, &i, '-', '-') ||
        (mo = digits(s, n, &i, 2)) < 1 || mo > 12 || !expect(s, n, &i, '-', '-') ||
        (d = digits(s, n, &i, 2)) < 1 || d > days_in_month(y, mo) || !expect(s, n, &i, 'T', 't') ||
        (h = digits(s, n, &i, 2)) < 0 || h > 23 || !expect(s, n, &i, ':', ':') ||
        (mi = digits(s, n, &i, 2)) < 0 || mi > 59 || !expect(s, n, &i, ':', ':') ||
        (sec = digits(s, n, &i, 2)) < 0 || sec > 59)
        return -1;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start) return -1;
    }
    if (parse_zone(s, n, i, &off) != 0) return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}
