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

/* Removes a test database and whatever its back end keeps beside it
 * (tests/unit/backend_sqlite.c). */
void rg_test_remove_db(const char *path);

#endif
