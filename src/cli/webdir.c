/* webdir.c - where `serve` finds its static files (web/sdk, web/demo).
 *
 * A relative default (./web) served nothing when the binary ran from any
 * other directory, and would serve whatever a "web" directory holds in the
 * current one.  So the default is found next to the executable: the source
 * tree's web/ for build/roomgate and build/san/roomgate, then an installed
 * <prefix>/share/roomgate/web for <prefix>/bin/roomgate.  --web and
 * ROOMGATE_WEB still name the directory outright. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define NCAND 3

/* dir has one of the two subdirectories the server serves. */
static int has_static(const char *dir)
{
    char sub[PATH_MAX];
    static const char *const subs[] = {"sdk", "demo"};
    if (dir[0] == '\0') return 0;
    for (int i = 0; i < 2; i++) {
        if (snprintf(sub, sizeof sub, "%s/%s", dir, subs[i]) >= (int)sizeof sub) return 0;
        if (access(sub, R_OK | X_OK) == 0) return 1;
    }
    return 0;
}

/* Cuts the last path component off p in place ("/x" becomes ""). */
static void up(char *p)
{
    char *slash = strrchr(p, '/');
    if (slash != NULL) *slash = '\0';
}

/* The candidates, from the executable's path <exe dir>/roomgate, in order:
 * <exe dir>/../web (build/roomgate in the tree), the installed
 * <exe dir>/../share/roomgate/web (<prefix>/bin/roomgate), then
 * <exe dir>/../../web (build/san/roomgate). */
static int candidates(char out[NCAND][PATH_MAX])
{
    char one[PATH_MAX], two[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", one, sizeof one - 1);
    if (n <= 0) return 0;
    one[n] = '\0';
    up(one); /* the executable's directory */
    up(one); /* its parent: the tree or the prefix */
    memcpy(two, one, sizeof two);
    up(two);
    /* A path too long to extend is no candidate (has_static fails on "") */
    static const char *const tails[NCAND] = {"/web", "/share/roomgate/web", "/web"};
    for (int i = 0; i < NCAND; i++) {
        const char *base = i == 2 ? two : one;
        size_t bl = strlen(base), tl = strlen(tails[i]);
        out[i][0] = '\0';
        if (bl + tl < PATH_MAX) {
            memcpy(out[i], base, bl);
            memcpy(out[i] + bl, tails[i], tl + 1);
        }
    }
    if (strcmp(out[2], out[0]) == 0) out[2][0] = '\0'; /* the executable is in / or /bin */
    return NCAND;
}

const char *rg_cli_web_dir(const char *opt, char *buf)
{
    const char *given = opt ? opt : getenv("ROOMGATE_WEB");
    char cand[NCAND][PATH_MAX];
    int n;
    if (given != NULL && *given != '\0') {
        if (has_static(given)) return given;
        fprintf(stderr,
                "roomgate: %s %s holds neither sdk/ nor demo/: no static files; serving the "
                "API only\n",
                opt ? "--web" : "ROOMGATE_WEB", given);
        return NULL;
    }
    n = candidates(cand);
    for (int i = 0; i < n; i++) {
        if (has_static(cand[i]) && realpath(cand[i], buf) != NULL) return buf;
    }
    fprintf(stderr, "roomgate: no static files (web/sdk, web/demo) found; looked in");
    for (int i = 0, shown = 0; i < n; i++)
        if (cand[i][0] != '\0') fprintf(stderr, "%s %s", shown++ ? "," : "", cand[i]);
    fprintf(stderr, "%s; set --web DIR or ROOMGATE_WEB. Serving the API only\n",
            n ? "" : " nothing (cannot read /proc/self/exe)");
    return NULL;
}
