# roomgate - see README.md.  `make run` and `make test` are the two commands.
CC ?= gcc
SAN ?= 0

ifeq ($(SAN),1)
BUILD := build/san
OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD := build
OPT := -O2
endif

# The builds `make run`, `make test` and `make bench` start use every core
# (a fresh `make test` compiles the tree twice: sanitized and plain).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CFLAGS ?=
CFLAGS += -std=c17 -g -Wall -Wextra -Werror -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Isrc -I/usr/include/postgresql $(OPT) -MMD -MP
LDFLAGS += $(filter -fsanitize=%,$(OPT))
LDLIBS := -lh2o-evloop -lssl -lcrypto -ljansson -lsqlite3 -lpq -lcurl -lhiredis -lpthread

# The PostgreSQL back end (issue 15, src/store/pg/pg.h) is part of the
# library: rg_store_open picks it for a postgres:// location.
PG_UNITS := test_store test_pg test_audit test_outbox test_rooms test_meetings test_pgrooms
PG_UNIT_BIN := $(PG_UNITS:%=$(BUILD)/tests/pg/%)
LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/*/*.c src/*/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/micro_*.c) bench/signal_load.c bench/hook_receiver.c
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all units run test bench deps-run deps-test clean format lint fuzz fuzz-merge replay deps-fuzz install man deb
all: $(BUILD)/roomgate

$(BUILD)/roomgate: $(BUILD)/src/cli/main.o $(BUILD)/libroomgate.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libroomgate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# roomgate_build_info's commit label: $(BUILD)/commit is rewritten only when
# HEAD moved, and buildinfo.o depends on it, so the label is never stale and
# an unchanged tree relinks nothing.
RG_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(BUILD)/commit 2>/dev/null)" = "$(RG_COMMIT)" ] || echo "$(RG_COMMIT)" >$(BUILD)/commit; })
$(BUILD)/src/http/buildinfo.o: $(BUILD)/commit
$(BUILD)/src/http/buildinfo.o: CFLAGS += -DRG_COMMIT='"$(RG_COMMIT)"'

units: $(UNIT_BIN) $(PG_UNIT_BIN)

# roomgate(1) from the option table; tests/api/options.test.js fails when it drifts
man: $(BUILD)/roomgate
	$(BUILD)/roomgate man > docs/roomgate.1
# Every unit test is linked with the store back end's test shim
# (tests/unit/backend.h): the store tests see only the interface.
UNIT_BACKEND := tests/unit/backend_sqlite.c
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_BACKEND) $(BUILD)/libroomgate.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(UNIT_BACKEND) $(BUILD)/libroomgate.a $(LDLIBS) -lcmocka

# The store tests that the PostgreSQL back end passes so far, built against
# it (tests/unit/backend_pg.c maps each test's database path to a schema,
# hence the wrapped rg_store_open).  scripts/test.sh runs them on a
# throw-away server (scripts/pg.sh).
# tests/unit/pg/: the back end's own tests (test_pg), built only against it
$(BUILD)/tests/pg/%: tests/unit/pg/%.c tests/unit/backend_pg.c $(BUILD)/libroomgate.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -Wl,--wrap=rg_store_open -o $@ $< tests/unit/backend_pg.c \
		$(BUILD)/libroomgate.a $(LDLIBS) -lcmocka
$(BUILD)/tests/pg/%: tests/unit/%.c tests/unit/backend_pg.c $(BUILD)/libroomgate.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--wrap=rg_store_open -o $@ $< tests/unit/backend_pg.c \
		$(BUILD)/libroomgate.a $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(BUILD)/libroomgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libroomgate.a $(LDLIBS)

# ---- fuzzing (fuzz/README.md) ---------------------------------------------
# make fuzz: libFuzzer targets built with clang into build/fuzz/ (the library
# too, with its own sanitizer flags), each run FUZZ_TIME seconds.
# make replay: each target linked with fuzz/replay.c by gcc, under the SAN=1
# flags into build/san/fuzz/ and plain (for valgrind) into build/replay/, so
# make test replays the corpus without clang.
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TIME ?= 300
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c17 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -D_GNU_SOURCE \
	-DH2O_USE_LIBUV=0 -Isrc -I/usr/include/postgresql -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -MMD -MP
FUZZ_BIN := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
REPLAY_BIN := $(FUZZ_NAMES:%=build/san/fuzz/replay_%)
PLAIN_REPLAY_BIN := $(FUZZ_NAMES:%=build/replay/replay_%)

# the library as the compiler finds it (clang may warn where gcc does not:
# that must not stop fuzzing); the targets themselves with -Werror
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
build/fuzz/fuzz/%.o: FUZZ_CFLAGS += -Werror

build/fuzz/libroomgate.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BIN): build/fuzz/fuzz_%: build/fuzz/fuzz/fuzz_%.o build/fuzz/libroomgate.a
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz: deps-fuzz $(FUZZ_BIN)
	@FUZZ_TIME=$(FUZZ_TIME) fuzz/run.sh $(FUZZ_NAMES)

fuzz-merge: deps-fuzz $(FUZZ_BIN)
	@fuzz/run.sh --merge $(FUZZ_NAMES)

ifeq ($(SAN),1)
replay: $(REPLAY_BIN)
else
replay: $(PLAIN_REPLAY_BIN)
endif
$(REPLAY_BIN): build/san/fuzz/replay_%: build/san/fuzz/fuzz_%.o build/san/fuzz/replay.o build/san/libroomgate.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(PLAIN_REPLAY_BIN): build/replay/replay_%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h build/libroomgate.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

# ---- install (README "Operations") ----------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the web files
# where the server looks for them (BIN/../share/roomgate/web), the systemd
# unit (its ExecStart pointed at this PREFIX), the example environment
# file (under /etc for PREFIX=/usr, else PREFIX/etc) and roomgate(1).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/roomgate
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
WEB_FILES := $(wildcard web/sdk/* web/demo/* web/examples/twilio-video/*)

install: $(BUILD)/roomgate
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/web/sdk $(DESTDIR)$(DATADIR)/web/demo \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/roomgate $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/roomgate $(DESTDIR)$(BINDIR)/roomgate
	install -m 0644 $(filter web/sdk/%,$(WEB_FILES)) $(DESTDIR)$(DATADIR)/web/sdk/
	install -m 0644 $(filter web/demo/%,$(WEB_FILES)) $(DESTDIR)$(DATADIR)/web/demo/
	install -d $(DESTDIR)$(DATADIR)/web/examples/twilio-video
	install -m 0644 $(filter web/examples/twilio-video/%,$(WEB_FILES)) $(DESTDIR)$(DATADIR)/web/examples/twilio-video/
	sed -e 's|/usr/bin/roomgate|$(BINDIR)/roomgate|' -e 's|/etc/roomgate/|$(SYSCONFDIR)/roomgate/|' \
		deploy/roomgate.service >$(DESTDIR)$(UNITDIR)/roomgate.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/roomgate.service
	install -m 0644 deploy/roomgate.env $(DESTDIR)$(SYSCONFDIR)/roomgate/roomgate.env.example
	install -m 0644 docs/roomgate.1 $(DESTDIR)$(MANDIR)/man1/roomgate.1

# make deb: build/roomgate_VERSION_ARCH.deb from `make install PREFIX=/usr`
# (scripts/deb.sh: dependencies by dpkg-shlibdeps, checked by lintian in
# tests/api/deb.test.js).  Always the release build, whatever SAN says.
deb:
	@$(MAKE) --no-print-directory SAN=0 all
	@scripts/deb.sh

deps-fuzz:
	@scripts/deps.sh fuzz

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

run: deps-run
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@scripts/run.sh

test: deps-test
	@$(MAKE) --no-print-directory -j$(JOBS) SAN=1 all units replay
	@$(MAKE) --no-print-directory -j$(JOBS) all units replay
	@scripts/test.sh

bench: deps-test
	@$(MAKE) --no-print-directory -j$(JOBS) all $(BENCH_BIN)
	@bench/run.sh

format:
	clang-format -i $(wildcard src/*/*.[ch] src/*/*/*.[ch] tests/unit/*.[ch] tests/unit/*/*.[ch] bench/*.c fuzz/*.[ch])

lint:
	cppcheck --quiet --inline-suppr --enable=warning,performance,portability --std=c11 -Isrc -D_GNU_SOURCE --library=scripts/jansson.cfg src

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/cli/main.d $(UNIT_BIN:=.d) $(PG_UNIT_BIN:=.d)
-include $(wildcard build/fuzz/*/*/*.d build/fuzz/fuzz/*.d $(BUILD)/fuzz/*.d)
