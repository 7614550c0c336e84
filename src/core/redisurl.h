/* core/redisurl.h - `--redis redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`
 * (the form redis-cli -u takes), parsed without I/O.  The DB number does
 * not reach Redis as a SELECT: pub/sub channels are global to a server,
 * so it separates deployments sharing one Redis by the channels' prefix
 * (bus/bus.h). */
#ifndef RG_CORE_REDISURL_H
#define RG_CORE_REDISURL_H

typedef struct {
    char host[256];     /* a name or an address; IPv6 without its brackets */
    int port;           /* 6379 when absent */
    int db;             /* 0 when absent; 0..65535 */
    char user[128];     /* "" when absent (Redis 6 ACL user; AUTH USER PASSWORD) */
    char password[256]; /* "" when absent: no AUTH; a secret, never printed */
} rg_redis_url;

/* RG_OK with *out filled, or RG_EINVAL (out zeroed): another scheme, an
 * empty or malformed host, a port outside 1..65535, a db outside 0..65535,
 * a query or fragment, or fields too long. */
int rg_redis_url_parse(const char *s, rg_redis_url *out);

#endif
