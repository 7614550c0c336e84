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

CFLAGS ?=
CFLAGS += -std=c17 -g -Wall -Wextra -Werror -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Isrc $(OPT) -MMD -MP
LDFLAGS += $(filter -fsanitize=%,$(OPT))
LDLIBS := -lh2o-evloop -lssl -lcrypto -ljansson -lsqlite3 -lpthread

LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/micro_*.c) bench/signal_load.c
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all units run test bench deps-run deps-test clean format lint
all: $(BUILD)/roomgate

$(BUILD)/roomgate: $(BUILD)/src/cli/main.o $(BUILD)/libroomgate.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libroomgate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

units: $(UNIT_BIN)
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libroomgate.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libroomgate.a $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(BUILD)/libroomgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libroomgate.a $(LDLIBS)

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

run: deps-run
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

test: deps-test
	@$(MAKE) --no-print-directory SAN=1 all units
	@$(MAKE) --no-print-directory all units
	@scripts/test.sh

bench: deps-test
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@bench/run.sh

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h bench/*.c)

lint:
	cppcheck --quiet --enable=warning,performance,portability --std=c11 -Isrc -D_GNU_SOURCE src

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/cli/main.d $(UNIT_BIN:=.d)
