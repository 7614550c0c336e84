/* connlimit.c - open HTTP connections per client address (connlimit.h). */
#include "http/connlimit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/addrcount.h"
#include "core/ratetab.h"

struct rg_connlimit {
    pthread_mutex_t lock;
    int limit;
    uint64_t refused;
    rg_addrcount count; /* an entry exists only while its address has a connection */
};

rg_connlimit *rg_connlimit_new(int limit)
{
    rg_connlimit *cl;
    if (limit <= 0 || (cl = calloc(1, sizeof *cl)) == NULL) return NULL;
    pthread_mutex_init(&cl->lock, NULL);
    cl->limit = limit;
    return cl;
}

void rg_connlimit_free(rg_connlimit *cl)
{
    if (cl == NULL) return;
    rg_addrcount_clear(&cl->count);
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

void rg_connlimit_key(const struct sockaddr *sa, socklen_t len, uint8_t key[RG_CONNKEY_LEN])
{
    rg_ratekey k;
    memset(key, 0, RG_CONNKEY_LEN);
    if (len >= (socklen_t)sizeof(struct sockaddr_in) && sa->sa_family == AF_INET)
        rg_ratekey_ip(&k, 4, (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
    else if (len >= (socklen_t)sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6)
        rg_ratekey_ip(&k, 6, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    else
        return;
    memcpy(key, k.b, RG_CONNKEY_LEN); /* kind byte + at most 8 address bytes; the rest is 0 */
}

int rg_connlimit_acquire(rg_connlimit *cl, const uint8_t key[RG_CONNKEY_LEN])
{
    int rc;
    pthread_mutex_lock(&cl->lock);
    if ((rc = rg_addrcount_acquire(&cl->count, key, cl->limit)) != 0) cl->refused++;
    pthread_mutex_unlock(&cl->lock);
    return rc;
}

void rg_connlimit_release(rg_connlimit *cl, const uint8_t key[RG_CONNKEY_LEN])
{
    pthread_mutex_lock(&cl->lock);
    rg_addrcount_release(&cl->count, key);
    pthread_mutex_unlock(&cl->lock);
}

uint64_t rg_connlimit_take_refused(rg_connlimit *cl)
{
    uint64_t n;
    pthread_mutex_lock(&cl->lock);
    n = cl->refused;
    cl->refused = 0;
    pthread_mutex_unlock(&cl->lock);
    return n;
}
