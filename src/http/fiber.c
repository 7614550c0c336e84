/* fiber.c - handlers on fibers of their loop (fiber.h).
 *
 * Ownership: a loop's rg_fibers owns every fiber and stack of that loop;
 * a fiber belongs to one request while it runs, and goes back to the free
 * list (or is unmapped) when its handler returns.  Everything here runs on
 * the loop's thread; nothing is shared with another.
 *
 * Where a suspended fiber is, exactly one of: waiting for its socket or
 * the tick (f->watch, f->tick), parked on a lock (f->parked_on, in
 * fs->parked), or due at the loop's next turn (f->soon).  Each place that
 * suspends undoes its own arming when the fiber runs again, whoever ran
 * it, so a fiber driven or finished from elsewhere leaves nothing linked. */
#include "http/fiber.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "store/yield.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define RG_FIBER_STACK (512 * 1024) /* ASan's frames are larger */
#define SAN_START(save, bottom, size) __sanitizer_start_switch_fiber((save), (bottom), (size))
#define SAN_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define RG_FIBER_STACK (256 * 1024)
#define SAN_START(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define SAN_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define VG_REGISTER(lo, hi) VALGRIND_STACK_REGISTER((lo), (hi))
#define VG_DEREGISTER(id) VALGRIND_STACK_DEREGISTER(id)
#endif
#endif
#ifndef VG_REGISTER
#define VG_REGISTER(lo, hi) 0u
#define VG_DEREGISTER(id) ((void)(id))
#endif

#define GUARD 4096   /* an unmapped page below each stack */
#define TICK_MS 100  /* a waiting fiber looks at its deadline this often */
#define KEEP_FREE 32 /* stacks kept for reuse per loop */

enum { RUN = 0, DRIVEN, FINISH };

typedef struct rg_fiber fiber;
typedef struct anchor anchor;

struct rg_fiber {
    ucontext_t uc;
    ucontext_t *back; /* the context that ran it last: where it yields to */
    rg_fibers *fs;
    rg_call *c; /* a request's handler fn(c), or (c NULL) a task(arg) */
    rg_handler_fn fn;
    void (*task)(void *arg);
    void *arg;
    anchor *anchor; /* on c's pool once it first waits; NULL before */
    char *map;      /* GUARD + RG_FIBER_STACK bytes */
    unsigned vg_id;
    int mode, done;
    int waited;          /* counted in the loop's metrics as waiting (rg_metrics_db_wait) */
    h2o_socket_t *watch; /* a dup of the socket it waits for */
    h2o_timeout_entry_t tick, soon;
    const void *parked_on;
    fiber *next;             /* fs->parked, or fs->free */
    void *fake_stack;        /* ASan's, while it is switched out */
    const void *back_bottom; /* ASan: the stack it yields to */
    size_t back_size;
};

/* Ties a waiting fiber to its request: h2o disposes of the request's pool,
 * and this with it, when the client or the server closes it. */
struct anchor {
    fiber *f; /* NULL once the handler returned */
    rg_call *c;
};

struct rg_fibers {
    h2o_loop_t *loop;
    fiber *current; /* running now; NULL: the loop's own stack */
    fiber *parked;  /* FIFO of fibers parked on locks */
    fiber *free;
    int nfree;
    h2o_timeout_t tick, soon, nap;
    unsigned live, max; /* fibers in use, and at most */
    rg_fiber_wait_fn on_wait;
};

static _Thread_local rg_fibers *thread_fibers;

/* ---- switching ------------------------------------------------------------ */

static void recycle(rg_fibers *fs, fiber *f)
{
    fs->live--;
    if (fs->nfree < KEEP_FREE) {
        f->next = fs->free;
        fs->free = f;
        fs->nfree++;
        return;
    }
    VG_DEREGISTER(f->vg_id);
    munmap(f->map, GUARD + RG_FIBER_STACK);
    free(f);
}

/* Runs f until it waits or ends (1: it ended, and is recycled); from the
 * loop's stack or another fiber's. */
static int resume(fiber *f)
{
    rg_fibers *fs = f->fs;
    fiber *prev = fs->current;
    ucontext_t here;
    void *save = NULL;
    fs->current = f;
    /* valid while f runs: f only ever yields back here, before this returns */
    // cppcheck-suppress autoVariables
    f->back = &here;
    SAN_START(&save, f->map + GUARD, RG_FIBER_STACK);
    swapcontext(&here, &f->uc);
    SAN_FINISH(save, NULL, NULL);
    fs->current = prev;
    if (!f->done) return 0;
    recycle(fs, f);
    return 1;
}

/* From f, back to whoever ran it. */
static void yield(fiber *f)
{
    SAN_START(&f->fake_stack, f->back_bottom, f->back_size);
    swapcontext(&f->uc, f->back);
    SAN_FINISH(f->fake_stack, &f->back_bottom, &f->back_size);
}

static void on_gone(void *p)
{
    anchor *a = p;
    a->c->gone = 1; /* its answers go nowhere */
    fiber *f = a->f;
    if (f == NULL) return;
    f->mode = FINISH;
    if (f->fs->current == f) { /* running: it sees FINISH at its next wait */
        f->anchor = NULL;      /* freed when this returns */
        return;
    }
    resume(f); /* to its end: the pool goes after this returns */
}

static void count_wait(fiber *f, int delta)
{
    if (f->fs->on_wait != NULL && f->c != NULL) f->fs->on_wait(f->c, delta);
}

/* Yields f until something runs it again; first ties it to its request
 * (a task's owner finishes it itself). */
static void suspend(fiber *f)
{
    if (f->anchor == NULL && f->c != NULL) {
        f->anchor = h2o_mem_alloc_shared(&f->c->req->pool, sizeof *f->anchor, on_gone);
        f->anchor->f = f;
        f->anchor->c = f->c;
    }
    if (!f->waited) {
        f->waited = 1;
        count_wait(f, 1);
    }
    yield(f);
}

static void entry(unsigned lo, unsigned hi)
{
    fiber *f = (fiber *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
    SAN_FINISH(NULL, &f->back_bottom, &f->back_size);
    if (f->c != NULL)
        f->fn(f->c);
    else
        f->task(f->arg);
    if (f->waited) count_wait(f, -1);
    if (f->anchor) f->anchor->f = NULL;
    f->done = 1;
    SAN_START(NULL, f->back_bottom, f->back_size); /* its fake stack ends */
    setcontext(f->back);
}

static fiber *fiber_get(rg_fibers *fs)
{
    fiber *f = fs->free;
    if (f) {
        fs->free = f->next;
        fs->nfree--;
    } else {
        if (fs->live >= fs->max || (f = calloc(1, sizeof *f)) == NULL) return NULL;
        f->map = mmap(NULL, GUARD + RG_FIBER_STACK, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (f->map == MAP_FAILED || mprotect(f->map, GUARD, PROT_NONE) != 0) {
            if (f->map != MAP_FAILED) munmap(f->map, GUARD + RG_FIBER_STACK);
            free(f);
            return NULL;
        }
        f->vg_id = VG_REGISTER(f->map + GUARD, f->map + GUARD + RG_FIBER_STACK);
    }
    char *map = f->map;
    unsigned vg_id = f->vg_id;
    memset(f, 0, sizeof *f);
    f->map = map;
    f->vg_id = vg_id;
    f->fs = fs;
    fs->live++;
    return f;
}

/* f's context, to start in entry on its own stack.  Alone in a function:
 * getcontext returns twice for the compiler, which then distrusts every
 * local variable around it. */
static __attribute__((noinline)) int prepare(fiber *f)
{
    if (getcontext(&f->uc) != 0) return -1;
    f->uc.uc_stack.ss_sp = f->map + GUARD;
    f->uc.uc_stack.ss_size = RG_FIBER_STACK;
    f->uc.uc_link = NULL;
    uintptr_t p = (uintptr_t)f;
    makecontext(&f->uc, (void (*)(void))entry, 2, (unsigned)(p & 0xffffffffu), (unsigned)(p >> 32));
    return 0;
}

/* A fiber ready to start (NULL: none can be had). */
static fiber *fiber_start(rg_fibers *fs)
{
    fiber *f = fiber_get(fs);
    if (f != NULL && prepare(f) != 0) {
        f->done = 1;
        recycle(fs, f);
        return NULL;
    }
    return f;
}

int rg_fiber_call(rg_fibers *fs, rg_call *c, rg_handler_fn fn)
{
    fiber *f = fiber_start(fs);
    if (f == NULL) return -1;
    f->c = c;
    f->fn = fn;
    resume(f);
    return 0;
}

int rg_fiber_spawn(rg_fibers *fs, void (*fn)(void *arg), void *arg, rg_fiber **task)
{
    fiber *f = fiber_start(fs);
    if (f == NULL) return -1;
    f->task = fn;
    f->arg = arg;
    *task = f;
    return resume(f) ? 0 : 1; /* ended: *task is not looked at */
}

void rg_fiber_finish(rg_fiber *f)
{
    if (f->fs->current == f) return; /* its own owner cannot be going */
    f->mode = FINISH;
    resume(f);
}

/* ---- waiting (store/yield.h) ----------------------------------------------- */

static void on_ready(h2o_socket_t *sock, const char *err)
{
    (void)err;
    resume(sock->data);
}

static void on_tick(h2o_timeout_entry_t *e)
{
    resume(H2O_STRUCT_FROM_MEMBER(fiber, tick, e));
}

static void on_soon(h2o_timeout_entry_t *e)
{
    resume(H2O_STRUCT_FROM_MEMBER(fiber, soon, e));
}

/* Stops watching the dup: h2o takes it out of epoll before it is closed
 * (closing alone would not, libpq's descriptor keeping the socket open). */
static void unwatch(fiber *f)
{
    if (f->watch) {
        h2o_socket_export_t x;
        if (h2o_socket_export(f->watch, &x) == 0) h2o_socket_dispose_export(&x);
        f->watch = NULL;
    }
    if (h2o_timeout_is_linked(&f->tick)) h2o_timeout_unlink(&f->tick);
}

static void *y_self(void)
{
    return thread_fibers ? thread_fibers->current : NULL;
}

static int y_task(void)
{
    fiber *f = thread_fibers ? thread_fibers->current : NULL;
    return f != NULL && f->c == NULL;
}

static int y_can_wait(void)
{
    fiber *f = thread_fibers ? thread_fibers->current : NULL;
    return f != NULL && f->mode == RUN;
}

static void schedule_soon(fiber *f)
{
    f->soon.cb = on_soon;
    h2o_timeout_link(f->fs->loop, &f->fs->soon, &f->soon);
}

static void unlink_soon(fiber *f)
{
    if (h2o_timeout_is_linked(&f->soon)) h2o_timeout_unlink(&f->soon);
}

static void y_wait_fd(int fd, short events)
{
    rg_fibers *fs = thread_fibers;
    fiber *f = fs->current;
    if (events & POLLOUT) {
        /* libpq has more to send than the socket took (rare: large values):
         * it tries again at the loop's next turn */
        schedule_soon(f);
        suspend(f);
        unlink_soon(f);
        return;
    }
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup >= 0) { /* without one (out of descriptors) the tick alone wakes it */
        f->watch = h2o_evloop_socket_create(fs->loop, dup, H2O_SOCKET_FLAG_DONT_READ);
        f->watch->data = f;
        h2o_socket_read_start(f->watch, on_ready);
    }
    f->tick.cb = on_tick;
    h2o_timeout_link(fs->loop, &fs->tick, &f->tick);
    suspend(f);
    unwatch(f);
}

/* The soon entry on the nap's 1 ms list: a fiber is in one place at a
 * time, and a finish or a drive unlinks it as for soon. */
static void y_nap(void)
{
    rg_fibers *fs = thread_fibers;
    fiber *f = fs->current;
    f->soon.cb = on_soon;
    h2o_timeout_link(fs->loop, &fs->nap, &f->soon);
    suspend(f);
    unlink_soon(f);
}

static void unpark(rg_fibers *fs, fiber *f)
{
    for (fiber **p = &fs->parked; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    f->parked_on = NULL;
    f->next = NULL;
}

static void y_park(const void *lock)
{
    rg_fibers *fs = thread_fibers;
    fiber *f = fs->current, **p = &fs->parked;
    while (*p)
        p = &(*p)->next;
    *p = f;
    f->next = NULL;
    f->parked_on = lock;
    suspend(f);
    if (f->parked_on) unpark(fs, f); /* run by a finish, not by its turn */
    unlink_soon(f);
}

static void y_drive(void *holder)
{
    fiber *h = holder;
    if (h->mode == RUN) h->mode = DRIVEN;
    resume(h);
}

static void y_released(const void *lock)
{
    rg_fibers *fs = thread_fibers;
    fiber *f = fs->current;
    for (fiber *w = fs->parked; w; w = w->next)
        if (w->parked_on == lock) {
            unpark(fs, w);
            schedule_soon(w);
            break;
        }
    if (f == NULL || f->mode != DRIVEN) return;
    f->mode = RUN; /* its driver has the connection now; it goes on later */
    schedule_soon(f);
    yield(f);
    unlink_soon(f);
}

static const rg_yield fiber_yield = {
    .self = y_self,
    .task = y_task,
    .can_wait = y_can_wait,
    .wait_fd = y_wait_fd,
    .park = y_park,
    .nap = y_nap,
    .drive = y_drive,
    .released = y_released,
};

/* ---- a loop's fibers -------------------------------------------------------- */

rg_fibers *rg_fibers_new(h2o_loop_t *loop, unsigned max, rg_fiber_wait_fn on_wait)
{
    rg_fibers *fs = calloc(1, sizeof *fs);
    if (fs == NULL) return NULL;
    fs->loop = loop;
    fs->max = max;
    fs->on_wait = on_wait;
    h2o_timeout_init(loop, &fs->tick, TICK_MS);
    h2o_timeout_init(loop, &fs->soon, 0);
    h2o_timeout_init(loop, &fs->nap, 1);
    thread_fibers = fs;
    rg_yield_set(&fiber_yield);
    return fs;
}

void rg_fibers_free(rg_fibers *fs)
{
    if (fs == NULL) return;
    while (fs->free) {
        fiber *f = fs->free;
        fs->free = f->next;
        VG_DEREGISTER(f->vg_id);
        munmap(f->map, GUARD + RG_FIBER_STACK);
        free(f);
    }
    if (fs->live > 0) { /* h2o would assert on their linked timers: say so, keep them */
        fprintf(stderr, "roomgate: %u request handler(s) still waiting at the loop's end\n",
                fs->live);
        return;
    }
    h2o_timeout_dispose(fs->loop, &fs->tick);
    h2o_timeout_dispose(fs->loop, &fs->soon);
    h2o_timeout_dispose(fs->loop, &fs->nap);
    if (thread_fibers == fs) {
        thread_fibers = NULL;
        rg_yield_set(NULL);
    }
    free(fs);
}
