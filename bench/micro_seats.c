/* micro_seats.c - what a signaling join costs the store, and what recording
 * its status callback events adds (issue 13's target: joins with callbacks
 * recorded within 10 % of joins without).  In process, no sockets: the
 * seat batches the hub makes (rg_store_participant_join_batch), BATCH
 * seats each, rooms of two opened in the batch (a new room per pair, as
 * bench/signal.sh's joins phase), on a fresh SQLite store per run: without
 * a callback, then with the account's default callback set (each join
 * records participant-connected, each room room-created, in the seat's
 * transaction).  Nobody delivers: the dispatcher's cost is webhooks.sh's.
 * Rates are per second of the thread's CPU time (SQLite's syscalls
 * included, the fsync's wait not), so they hold on a shared machine; the
 * wall-clock rate (the fsync of each batch that opens a room included) is
 * printed beside.  Runs alternate, three each; medians.  Usage:
 * micro_seats [joins per run, default 4000]; MICRO_SEATS_SIDS and
 * MICRO_SEATS_KEEP below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/sid.h"
#include "store/outbox.h"
#include "store/rooms.h"
#include "store/store.h"

#define BATCH 16
#define RUNS 3
#define AC "AC0123456789abcdef0123456789abcdef"
#define NOW 1700000000

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "micro_seats: %s: %d\n", what, rc);
    exit(1);
}

/* As the server makes them (rg_sid_format_at) at 4,000 joins a second,
 * join n's moment: the second, its fraction, then bits that look random
 * (a hash of the run and n).  MICRO_SEATS_SIDS picks the SIDs of an
 * earlier build for an A/B (bench/README.md "SIDs in time order", "Pages
 * per commit"): "random", 128 random-looking bits; "second", the second
 * then random-looking bits. */
#define JOINS_PER_S 4000u
static void hex_sid(char out[RG_SID_SIZE], const char *prefix, unsigned run, unsigned n)
{
    static const char *kind = NULL;
    uint8_t rnd[RG_SID_AT_RANDOM];
    uint64_t h = ((uint64_t)run << 32 | n) * 0x9e3779b97f4a7c15ull;
    if (kind == NULL) kind = getenv("MICRO_SEATS_SIDS") ? getenv("MICRO_SEATS_SIDS") : "";
    if (strcmp(kind, "random") == 0) {
        snprintf(out, RG_SID_SIZE, "%s%08x%08x%016x", prefix, n * 2654435761u, run, n);
        return;
    }
    for (int i = 0; i < RG_SID_AT_RANDOM; i++)
        rnd[i] = (uint8_t)(h >> (8 * (i % 8))) ^ (uint8_t)(i * 29);
    uint16_t frac = strcmp(kind, "second") == 0
                        ? (uint16_t)(h >> 48)
                        : (uint16_t)((n % JOINS_PER_S) * 65536u / JOINS_PER_S);
    rg_sid_format_at(out, prefix, NOW + n / JOINS_PER_S, frac, rnd);
}

/* MICRO_SEATS_KEEP=DIR: the store of the run as it ends, its WAL not yet
 * checkpointed by the close, copied to DIR/plain or DIR/recorded (the last
 * run of each kind) for bench/wal_pages.py. */
static void keep(const char *dir, int hooked)
{
    const char *to = getenv("MICRO_SEATS_KEEP");
    char cmd[1024];
    if (to == NULL || to[0] == '\0' || strchr(to, '\'') != NULL) return;
    const char *kind = hooked ? "recorded" : "plain";
    snprintf(cmd, sizeof cmd, "rm -rf '%s/%s' && mkdir -p '%s/%s' && cp '%s'/roomgate.db* '%s/%s/'",
             to, kind, to, kind, dir, to, kind);
    if (system(cmd) != 0) die("MICRO_SEATS_KEEP: copy", 0);
}

/* One run on a fresh store: joins seats, BATCH per transaction. */
static void run(int hooked, unsigned tag, int joins, double *cpu, double *wall)
{
    char dir[] = "/tmp/rg_micro_seats_XXXXXX", path[64], cmd[96];
    rg_store *st = NULL;
    rg_account a;
    if (mkdtemp(dir) == NULL) die("mkdtemp", 0);
    snprintf(path, sizeof path, "%s/roomgate.db", dir);
    int rc = rg_store_open(path, &st);
    if (rc != RG_OK) die("open", rc);
    memset(&a, 0, sizeof a);
    strcpy(a.sid, AC);
    a.date_created = NOW;
    if ((rc = rg_store_account_insert(st, &a)) != RG_OK) die("account", rc);
    if (hooked) {
        rg_account_callback cb;
        memset(&cb, 0, sizeof cb);
        strcpy(cb.url, "http://127.0.0.1:9/hook");
        if ((rc = rg_store_account_set_callback(st, AC, &cb)) != RG_OK) die("callback", rc);
    }
    static rg_room rooms[BATCH / 2];
    static char pa[BATCH][RG_SID_SIZE], ids[BATCH][16];
    rg_seat seats[BATCH];
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    for (int done = 0; done < joins; done += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            unsigned n = (unsigned)(done + i);
            rg_room *r = &rooms[i / 2];
            if (i % 2 == 0) {
                memset(r, 0, sizeof *r);
                hex_sid(r->sid, "RM", tag, n); /* at the join that opens it */
                strcpy(r->account_sid, AC);
                snprintf(r->unique_name, sizeof r->unique_name, "joins-%u", n / 2);
                r->type = RG_ROOM_GROUP;
                r->max_participants = 50;
                r->empty_room_timeout = r->unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
                r->date_created = NOW;
            }
            hex_sid(pa[i], "PA", tag, n);
            snprintf(ids[i], sizeof ids[i], "j%u", n);
            seats[i] = (rg_seat){r->sid, ids[i], pa[i], NOW, RG_EIO, r, 0};
        }
        rg_store_participant_join_batch(st, seats, BATCH);
        for (int i = 0; i < BATCH; i++)
            if (seats[i].rc != RG_OK) die("seat", seats[i].rc);
    }
    *cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    *wall = clock_s(CLOCK_MONOTONIC) - w0;
    keep(dir, hooked);
    rg_store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) die("rm", 0);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof *v, by_value);
    return v[RUNS / 2];
}

int main(int argc, char **argv)
{
    int joins = argc > 1 ? atoi(argv[1]) : 4000;
    double cpu[2][RUNS], wall[2][RUNS], rate[2], wrate[2];
    if (joins < BATCH) joins = BATCH;
    joins -= joins % BATCH;
    for (int r = 0; r < RUNS; r++)
        for (int h = 0; h < 2; h++)
            run(h, (unsigned)(r * 2 + h), joins, &cpu[h][r], &wall[h][r]);
    for (int h = 0; h < 2; h++) {
        rate[h] = joins / median(cpu[h]);
        wrate[h] = joins / median(wall[h]);
        printf("store seats (batches of %d, rooms of two opened), %-9s %8.0f joins/s/core "
               "(%.0f wall)\n",
               BATCH, h ? "recorded" : "plain", rate[h], wrate[h]);
    }
    printf("recording status callback events costs %.1f %% of the store's time per join\n",
           (rate[0] / rate[1] - 1) * 100);
    return 0;
}
