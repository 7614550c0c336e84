/* slot.c - which of a store handle's connections the calling thread uses
 * (store.h rg_store_links): an event loop binds its index + 1 when it
 * starts, every other thread is slot 0.  A unit of its own: the back ends
 * read it, and it reads nothing. */
#include "store/store.h"

static _Thread_local int thread_slot;

void rg_store_bind_thread(int slot)
{
    thread_slot = slot > 0 ? slot : 0;
}

int rg_store_thread_slot(void)
{
    return thread_slot;
}
