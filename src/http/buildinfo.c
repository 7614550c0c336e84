/* buildinfo.c - the commit this binary was built from, for
 * roomgate_build_info (http/metrics.c).  Recompiled by every make (see the
 * Makefile) so the value is never stale. */
#ifndef RG_COMMIT
#define RG_COMMIT "unknown"
#endif
extern const char rg_build_commit[];
const char rg_build_commit[] = RG_COMMIT;
