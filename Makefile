# Gateway: one non-recursive Makefile.
# BUILD is debug | release | asan (no trailing comments on assignments: make keeps the spaces)
BUILD    ?= debug
O        := build/$(BUILD)
PKGS     := fcgi libpq hiredis json-c libcrypto libcurl
VERSION  := $(shell cat VERSION)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wconversion -Wvla -Wcast-qual -Wwrite-strings -Wpointer-arith \
            -Wimplicit-fallthrough -fno-common
OPT_debug   := -O0 -g3
OPT_release := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT_asan    := -O1 -g3 -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all
LDOPT_release := -pie -Wl,-z,relro,-z,now
LDOPT_asan    := -fsanitize=address,undefined

# pkg-config names differ across distributions; fall back to plain -l flags for fcgi.
PKG_CFLAGS := $(shell pkg-config --cflags $(filter-out fcgi,$(PKGS)) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out fcgi,$(PKGS)) 2>/dev/null) -lfcgi
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

CPPFLAGS := -Icore -Ifcgi-app/src -Iworker/src -DOPENSSL_API_COMPAT=30000 \
            -DOPENSSL_NO_DEPRECATED -DGW_VERSION='"$(VERSION)"' -D_GNU_SOURCE
CFLAGS   := -std=gnu11 $(WARN) $(OPT_$(BUILD)) $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) -lm

CORE_OBJ := $(patsubst %.c,$(O)/%.o,$(wildcard core/*.c))
APP_OBJ  := $(patsubst %.c,$(O)/%.o,$(wildcard fcgi-app/src/*.c))
WK_OBJ   := $(patsubst %.c,$(O)/%.o,$(wildcard worker/src/*.c))
CTL_OBJ  := $(patsubst %.c,$(O)/%.o,$(wildcard ctl/*.c))
UT_OBJ   := $(patsubst %.c,$(O)/%.o,$(wildcard tests/unit/*.c))
# api/openapi.json (generated from api/openapi.yaml by scripts/openapi-json.mjs, committed) is
# embedded in gw-fcgi as a byte array: the build needs neither node nor a YAML parser.
OPENAPI_OBJ := $(O)/gen/openapi_json.o
BINS     := $(O)/gw-fcgi $(O)/gw-worker $(O)/gatewayctl

.DEFAULT_GOAL := all
.PHONY: all release asan test test-unit test-integration test-e2e test-faults run stop reload lint \
        fmt clean deps bench fuzz fuzz-build fuzz-smoke

all: $(BINS) $(O)/unit-tests

release:
	$(MAKE) BUILD=release all

asan:
	$(MAKE) BUILD=asan all

$(O)/libgwcore.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

%/gen/openapi_json.c: api/openapi.json
	@mkdir -p $(@D)
	{ printf '#include "openapi.h"\nconst unsigned char gw_openapi_json[] = {\n'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  printf '};\nconst size_t gw_openapi_json_len = sizeof(gw_openapi_json);\n'; } > $@.tmp
	mv $@.tmp $@

$(O)/gen/openapi_json.o: $(O)/gen/openapi_json.c fcgi-app/src/openapi.h
	$(CC) $(CPPFLAGS) $(filter-out -Wconversion,$(CFLAGS)) -c $< -o $@

$(O)/gw-fcgi: $(APP_OBJ) $(OPENAPI_OBJ) $(O)/libgwcore.a
	$(CC) $(LDOPT_$(BUILD)) -o $@ $^ $(LDLIBS)

$(O)/gw-worker: $(WK_OBJ) $(O)/libgwcore.a
	$(CC) $(LDOPT_$(BUILD)) -o $@ $^ $(LDLIBS)

$(O)/gatewayctl: $(CTL_OBJ) $(O)/libgwcore.a
	$(CC) $(LDOPT_$(BUILD)) -o $@ $^ $(LDLIBS)

# The bench's write ceiling (bench/ceiling/): built for `make bench` only, never installed.
$(O)/gw-ceiling: $(O)/bench/ceiling/ceiling.o
	$(CC) $(LDOPT_$(BUILD)) -o $@ $^ $(LDLIBS)

$(O)/unit-tests: $(UT_OBJ) $(filter-out %/main.o,$(APP_OBJ) $(WK_OBJ)) $(OPENAPI_OBJ) $(O)/libgwcore.a
	$(CC) $(LDOPT_$(BUILD)) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(O)/tests/%.o: CPPFLAGS += $(CHECK_CFLAGS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

-include $(CORE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(WK_OBJ:.o=.d) $(CTL_OBJ:.o=.d) $(UT_OBJ:.o=.d) \
         $(O)/bench/ceiling/ceiling.d

# ---- tests ------------------------------------------------------------------------------------
# make test: unit tests (Check), then the integration and end-to-end suites against a private
# stack (PostgreSQL, Redis, FastCGI pool, worker, nginx) started by tests/harness/stack.sh.
# Like `make run`, `make test` installs what it lacks first (scripts/deps.sh is a no-op when
# everything is there), so that the README's two commands work on a fresh machine; --test adds
# the test and lint tools (chromium, docker-compose, clang-tidy, cppcheck, ...) that `make run`
# does not install.
test:
	scripts/deps.sh --test
	$(MAKE) all
	$(MAKE) test-unit
	$(MAKE) fuzz-smoke
	BUILD=$(BUILD) tests/harness/run-all.sh

# Like every test target, installs what it lacks first (a no-op when everything is there).
test-unit:
	scripts/deps.sh --test
	$(MAKE) BUILD=$(BUILD) $(O)/unit-tests
	CK_FORK=$(if $(filter asan,$(BUILD)),no,yes) $(O)/unit-tests

test-integration:
	scripts/deps.sh --test
	$(MAKE) all
	BUILD=$(BUILD) tests/harness/run-all.sh integration

test-e2e:
	scripts/deps.sh --test
	$(MAKE) all
	BUILD=$(BUILD) tests/harness/run-all.sh e2e

# The fault suite in full (tests/faults/, docs/RELIABILITY.md): 4,000 payments per scenario with
# the real 5-10 s bank delay; `make test` runs its short form. FAULTS_PAYMENTS=N scales it.
test-faults: all
	FAULTS_MODE=full GW_FAULTS_DELAY_MIN=5000 GW_FAULTS_DELAY_MAX=10000 BUILD=$(BUILD) \
	    tests/harness/run-all.sh faults

# ---- fuzzing ----------------------------------------------------------------------------------
# make fuzz [FUZZ_SECONDS=N] [FUZZ_RUNS=N]: libFuzzer harnesses (tests/fuzz/fuzz_<name>.c) built
# with clang, ASan and UBSan into build/fuzz/ (own objects, never the normal build's), each run
# on a scratch copy of its seed corpus (tests/fuzz/corpus/<name>/) with tests/fuzz/gateway.dict.
# Fails on any crash, leak, sanitizer report or failed property. fuzz-smoke: a short run of
# every target (FUZZ_SMOKE_SECONDS each), part of `make test`.
FUZZ_CC      ?= clang
FUZZ_O       := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# gcc's -Wimplicit-fallthrough accepts "fall through" comments, clang's does not: the project's
# sources keep gcc's check, the harnesses get clang's.
FUZZ_CFLAGS  := -std=gnu11 $(WARN) -O1 -g $(FUZZ_SAN) $(PKG_CFLAGS) -MMD -MP
FUZZ_LIB_SRC := $(wildcard core/*.c) $(filter-out fcgi-app/src/main.c,$(wildcard fcgi-app/src/*.c))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_O)/%.o,$(FUZZ_LIB_SRC))
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_NAMES))

fuzz-build: $(FUZZ_BINS)

.PRECIOUS: $(FUZZ_O)/tests/fuzz/%.o

fuzz:
	scripts/deps.sh
	$(MAKE) fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run.sh $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_RUNS= tests/fuzz/run.sh $(FUZZ_NAMES)

$(FUZZ_O)/libgwfuzz.a: $(FUZZ_LIB_OBJ) $(FUZZ_O)/gen/openapi_json.o
	$(AR) rcs $@ $^

$(FUZZ_O)/gen/openapi_json.o: $(FUZZ_O)/gen/openapi_json.c fcgi-app/src/openapi.h
	$(FUZZ_CC) $(CPPFLAGS) $(filter-out -Wconversion,$(FUZZ_CFLAGS)) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_O)/fuzz_%: $(FUZZ_O)/tests/fuzz/fuzz_%.o $(FUZZ_O)/libgwfuzz.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

$(FUZZ_O)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_O)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -Wno-implicit-fallthrough -fsanitize=fuzzer-no-link \
	    -c $< -o $@

-include $(FUZZ_LIB_OBJ:.o=.d) $(patsubst %,$(FUZZ_O)/tests/fuzz/fuzz_%.d,$(FUZZ_NAMES))

# ---- running ----------------------------------------------------------------------------------
deps:
	scripts/deps.sh --test

run:
	scripts/deps.sh
	$(MAKE) BUILD=release all
	scripts/run.sh

stop:
	scripts/stop.sh

# make reload: re-render nginx/gw.conf.template for the running make-run stack and reload nginx
# (nginx -t first; PostgreSQL, Redis, the FastCGI pool and the worker keep running).
reload:
	GW_STATE_DIR=$${GW_STATE_DIR:-$(CURDIR)/var} scripts/stack.sh nginx-reload

bench:
	scripts/deps.sh --test
	$(MAKE) BUILD=release all build/release/gw-ceiling
	bench/run.sh

# ---- code checks ------------------------------------------------------------------------------
C_SRC = $(wildcard core/*.c core/*.h fcgi-app/src/*.c fcgi-app/src/*.h worker/src/*.c \
          worker/src/*.h ctl/*.c tests/unit/*.c tests/unit/*.h bench/ceiling/*.c tests/fuzz/*.c \
          tests/fuzz/*.h)
BANNED := sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|atof|gets|rand|system|alloca

lint:
	clang-format --dry-run -Werror $(C_SRC)
	@if grep -nE '\b($(BANNED))[[:space:]]*\(' $(C_SRC) | grep -v 'NOLINT(banned)'; then \
	    echo 'lint: banned function'; exit 1; fi
	@if grep -nE '#[[:space:]]*include[[:space:]]*[<"]fcgi' core/*.c core/*.h; then \
	    echo 'lint: core/ must not include FastCGI headers'; exit 1; fi
	@if grep -nE '\bgetenv[[:space:]]*\(' $(filter-out core/cfg.c,$(wildcard core/*.c)); then \
	    echo 'lint: only core/cfg.c reads the environment'; exit 1; fi
	scripts/lint-layers.sh
	GW_CPPFLAGS="$(CPPFLAGS) $(PKG_CFLAGS)" node scripts/sql-routable.mjs
	cppcheck --enable=warning,performance,portability --inconclusive --std=c11 \
	    --error-exitcode=1 --suppress=missingIncludeSystem --inline-suppr -q \
	    -Icore core fcgi-app worker ctl tests/unit tests/fuzz bench/ceiling
	clang-tidy --quiet $(filter %.c,$(C_SRC)) -- $(CPPFLAGS) -std=gnu11 $(PKG_CFLAGS) \
	    $(CHECK_CFLAGS)

fmt:
	clang-format -i $(C_SRC)

clean:
	rm -rf build
