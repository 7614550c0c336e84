/* unit.h - common includes for the cmocka suites.  Each tests/unit/test_*.c
 * is one binary linked against build/.../libroomgate.a. */
#ifndef RG_TESTS_UNIT_H
#define RG_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

/* Removes a test database and the files SQLite keeps beside it. */
static inline void rg_test_remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[512];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

#endif
