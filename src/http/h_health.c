/* h_health.c - GET /healthz: the process is up and its loop answers. */
#include "http/router.h"

void rg_h_health(rg_call *c)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    rg_reply_raw(c, 200, ok, sizeof ok - 1);
}
