/* fiber.h - request handlers that wait for the database without holding
 * their event loop (issue 15, docs/deploy.md "Requests wait on fibers").
 *
 * When the store is PostgreSQL, each loop runs a request's handler on a
 * fiber: a stack of its own, switched to and from on the loop's thread
 * (ucontext).  A statement's wait (store/pg/wait.c) then gives the loop
 * back, which serves other requests and WebSocket traffic until the
 * connection's socket is readable, and the handler resumes where it
 * waited.  Handlers are unchanged: they run on the loop's thread, with
 * its worker and memory, as before; only their stack differs.
 *
 * Three ways a waiting fiber runs again:
 *   - its socket is ready, or a 100 ms tick passed (it checks its
 *     deadline, --db-timeout, and waits again);
 *   - "driven": code on the loop's own stack (a signaling join's
 *     admission read) needs the connection the fiber holds.  It cannot wait for
 *     the loop (it is the loop), so it runs the fiber, whose waits then
 *     block as they did before fibers, until the fiber releases the
 *     connection; the fiber goes on at the loop's next turn;
 *   - "finished": its request is gone (the client closed, the server
 *     stops) while it waits.  h2o frees the request's memory right after,
 *     so the fiber is run to its end at once, blocking waits, its answer
 *     dropped (rg_call.gone); what it wrote is committed or not exactly as
 *     for a request whose client left after its answer.
 * Fibers of one loop that want its connection while another of them
 * holds it wait their turn (park), in order, without blocking the loop. */
#ifndef RG_HTTP_FIBER_H
#define RG_HTTP_FIBER_H

#include "http/call.h"

typedef struct rg_fibers rg_fibers;
typedef struct rg_fiber rg_fiber;

/* Told when a request begins (delta 1) or ends (-1) waiting on a fiber:
 * once per request, at its first wait (the server counts them for
 * /metrics). */
typedef void (*rg_fiber_wait_fn)(rg_call *c, int delta);

/* The calling loop thread's fibers (and its rg_yield, store/yield.h), at
 * most max alive at once (RG_FIBERS_MAX); on_wait may be NULL.  NULL when
 * out of memory. */
rg_fibers *rg_fibers_new(h2o_loop_t *loop, unsigned max, rg_fiber_wait_fn on_wait);
/* On the same thread, after its loop's connections are gone (every fiber
 * has ended: a request's disposal finishes its fiber); NULL is fine. */
void rg_fibers_free(rg_fibers *fs);

/* Runs fn(c) on a fiber: returns 0 when fn returned or first waits; -1,
 * fn not called, when no fiber can be had (out of memory, or
 * RG_FIBERS_MAX waiting on this loop: the database is that far behind,
 * and running fn on the loop's stack would hold every connection of the
 * loop behind its wait). */
int rg_fiber_call(rg_fibers *fs, rg_call *c, rg_handler_fn fn);

/* Runs fn(arg) on a fiber, as rg_fiber_call runs a handler, for work that
 * is no request's (a signaling connection's messages): 0 when fn ran to
 * its end, 1 when it waits (it goes on later, and *task names it until it
 * ends: fn says when it does; whoever owns arg runs rg_fiber_finish before
 * arg goes), -1 (fn not called) as rg_fiber_call.  Its waits are not
 * counted in on_wait (no request). */
int rg_fiber_spawn(rg_fibers *fs, void (*fn)(void *arg), void *arg, rg_fiber **task);
/* Runs a task that waits to its end now, its waits then blocking (its
 * owner is going): from the loop's stack or another fiber, not its own. */
void rg_fiber_finish(rg_fiber *task);

/* Fibers of one loop alive at once, in the server (each holds a stack of
 * at most RG_FIBER_STACK bytes, mapped on demand) */
#define RG_FIBERS_MAX 4096

#endif
