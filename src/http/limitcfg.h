/* limitcfg.h - the settings of the HTTP rate limits (options: cli/serve_options.c; README
 * "Configuration", docs/security.md "Rate limits"). */
#ifndef RG_HTTP_LIMITCFG_H
#define RG_HTTP_LIMITCFG_H

typedef struct {
    int auth_fail_limit;  /* failed Basic authentications a minute, per client address and
                             per credential (default 60; 0 = no limit) */
    int playback_rate;    /* /sec_rec and /media requests a minute per client address
                             (default 3000; 0 = no limit) */
    int mint_rate;        /* tokens a minute per signing key (default 6000; 0 = no limit) */
    int anon_audit_rows;  /* refused anonymous playback requests a minute per client address
                             that get an audit row each; the rest are counted in one summary
                             row (default 10) */
    int max_conns_per_ip; /* open HTTP connections per client address, both loops together
                             (default 256; 0 = no limit); over it a new one is closed at
                             accept (http/connlimit.h) */
} rg_limit_config;

#endif
