# ecg-run: run the commands of an INI file as one errgroup.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANPREFIX ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ecg-run
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
# Kept apart from CFLAGS so that a user's CFLAGS never drops them.
WARN = -std=c17 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
INIH_CFLAGS = $(shell pkg-config --cflags inih 2>/dev/null)
INIH_LIBS = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
# -ffunction-sections: each function in a section of its own, which the
# static build's layout (src/front/layout.ld) can place.
ALL_CFLAGS = $(WARN) $(CFLAGS) $(INIH_CFLAGS) -D_FORTIFY_SOURCE=2 -ffunction-sections -Isrc
LIBS = -lev $(INIH_LIBS)

# Every kind of build lives in a directory of its own under build/, so that
# one can never pick up what another left behind (a sanitizer object in a
# static link, say):
#   VARIANT=release   build/          -O2, ecg-run linked statically (default)
#   VARIANT=asan      build/asan/     AddressSanitizer and UBSan, dynamic
#   VARIANT=dynamic   build/dynamic/  linked against the shared libraries
#                                     (valgrind-suite, and W4 of the bench)
# The fuzzer is built in build/fuzz/.  Each directory records how it was
# linked in link.stamp: a change relinks, and install.bats checks the
# binary against it.
VARIANT ?= release
ifeq ($(VARIANT),release)
B = build
LINK ?= static
else ifeq ($(VARIANT),asan)
B = build/asan
override LINK = dynamic
override CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined
else ifeq ($(VARIANT),dynamic)
B = build/dynamic
override LINK = dynamic
else
$(error VARIANT must be release, asan or dynamic, not '$(VARIANT)')
endif

# The release build of ecg-run is linked statically by default (a static
# PIE, so address space randomization still applies), against libc.a,
# libev.a and libinih.a from the same Debian -dev packages: one file that
# runs in any Linux container image, and about 0.9 MiB less resident memory
# than mapping the shared libraries (tests/bench/RESULTS.md, W4).
# LINK=dynamic links it against the shared libraries, as a distribution
# package would.
# The static binary also takes the layout of src/front/layout.ld (make
# layout writes it): the code a group runs first and together, so that an
# idle group maps about 0.3 MiB of the binary's code, not all of it.
LAYOUT = src/front/layout.ld
LINK_FLAGS_static = -static-pie -Wl,-T,$(LAYOUT)
LINK_FLAGS_dynamic =
ifeq ($(filter static dynamic,$(LINK)),)
$(error LINK must be static or dynamic, not '$(LINK)')
endif

# src/ is one folder per layer, lowest first; a file includes only headers
# of its own layer or of layers before it in this list (tests/layers.sh
# checks it).  Each folder's README says what lives there.
LAYERS = base seed sys config report output task run control front
MODULES = base/buf base/clock base/strmap base/safeopen \
	seed/context seed/errgroup seed/ring seed/channel seed/event \
	sys/spawn sys/proc sys/userdb sys/escapees sys/sentinel sys/notify sys/netprobe sys/portown \
	config/value config/inilex config/deps config/ere config/command config/dotenv config/procfile config/keys config/resolve config/config \
	report/evtext report/evjson report/evlog report/summary report/junit \
	output/sink output/frame output/pump output/notes output/logfile \
	task/taskstate task/restart task/taskio task/ready task/health task/taskrun task/task task/sched \
	run/signals run/sweep run/supervisor \
	control/json control/sockpath control/server control/commands \
	front/cli front/adhoc front/ctl front/front
HEADERS = $(wildcard src/*/*.h)
OBJS = $(MODULES:%=$(B)/src/%.o)
# Every tests/unit/test_NAME.c is a unit test: one list, for make check (tests/unit.bats
# runs them all and checks it has a test for each) and for make valgrind.
UNITS = $(sort $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c)))
UNIT_BINS = $(UNITS:%=$(B)/tests/unit/test_%)
# The test helpers measure and inject; they are never the code under test,
# so every variant builds them the same way (no sanitizer in a measurement).
HELPER_FLAGS = -O2 -g
BENCH_BINS = $(B)/tests/bench/benchlines $(B)/tests/bench/measure $(B)/tests/bench/relay \
	$(B)/tests/bench/minisup \
	$(B)/tests/bench/erebench
FAULT_BINS = $(B)/tests/fault/inject

BUILD_DEPS = make gcc libc6-dev pkg-config libev-dev libinih-dev
# Real programs the tests run: redis-server (ready = tcp, ready = notify),
# python3 (an HTTP server, and parsing what ecg-run writes), socat (the
# control socket spoken to by another tool), nginx (stop_command = nginx -s quit)
# and postgresql (user = postgres: it refuses to run as root).
TEST_DEPS = bats redis-server python3 socat nginx-light postgresql

# What the bats suite is told: which build to test, and how to make more of it.
SUITE_ENV = ECG_BUILD=$(abspath $(B)) ECG_VARIANT=$(VARIANT)

.PHONY: FORCE all run check unit deps test-deps install uninstall clean sanitize valgrind \
	valgrind-suite fuzz lint stress bench layout

all: $(B)/ecg-run

# $(call link_ecg,FLAGS): links the objects into $@.
link_ecg = $(CC) $(ALL_CFLAGS) $(LDFLAGS) $(1) -o $@ $(OBJS) $(B)/src/front/main.o $(LIBS)

$(B)/ecg-run: $(OBJS) $(B)/src/front/main.o $(B)/link.stamp $(LAYOUT)
	$(call link_ecg,$(LINK_FLAGS_$(LINK)))

$(B)/link.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(LINK)' | cmp -s - $@ || echo '$(LINK)' >$@

FORCE:

$(B)/src/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/unit/test_%: tests/unit/test_%.c tests/unit/tap.h $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(UNIT_LDFLAGS) -o $@ $< $(OBJS) $(LIBS)

# The allocation test fails our modules' allocations one by one.
$(B)/tests/unit/test_alloc: UNIT_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup

# Installs what is missing from Debian's archive, saying what it runs.
deps:
	@sh tests/deps.sh $(BUILD_DEPS)

test-deps:
	@sh tests/deps.sh $(BUILD_DEPS) $(TEST_DEPS)

# The demo ends with a failing task on purpose: its status is shown, not an error of make.
run: deps
	@$(MAKE) --no-print-directory all
	$(B)/ecg-run -c conf/demo.ini; echo "make run: ecg-run exited with status $$?"

unit: $(UNIT_BINS)

check: test-deps
	@$(MAKE) --no-print-directory all unit $(BENCH_BINS) $(FAULT_BINS)
	$(SUITE_ENV) BATS_TEST_TIMEOUT=$${BATS_TEST_TIMEOUT:-120} bats tests

# The suite again, built with AddressSanitizer and UBSan in build/asan/.
sanitize: test-deps
	@$(MAKE) --no-print-directory VARIANT=asan all unit $(patsubst build/%,build/asan/%,$(BENCH_BINS) $(FAULT_BINS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ECG_BUILD=$(abspath build/asan) ECG_VARIANT=asan BATS_TEST_TIMEOUT=$${BATS_TEST_TIMEOUT:-120} \
		bats tests

# The C unit tests under valgrind memcheck; valgrind-suite also runs the
# bats suite with ecg-run (linked dynamically, in build/dynamic/) under
# memcheck (slower, timing tests get slack).
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: unit
	@sh tests/deps.sh valgrind
	@for t in $(UNIT_BINS); do \
		echo "# $$t under valgrind"; \
		$(VALGRIND) $$t || exit 1; \
	done

valgrind-suite: test-deps
	@sh tests/deps.sh valgrind
	@$(MAKE) --no-print-directory VARIANT=dynamic all unit $(patsubst build/%,build/dynamic/%,$(BENCH_BINS) $(FAULT_BINS))
	ECG_BUILD=$(abspath build/dynamic) ECG_VARIANT=dynamic ECG_RUN_WRAP="$(VALGRIND)" \
		BATS_TEST_TIMEOUT=300 bats tests

# The randomized fault matrix (tests/stress/stress.sh): STRESS_RUNS runs of up to
# STRESS_MAX_TASKS tasks; STRESS_SEED makes a run reproducible.
STRESS_RUNS ?= 200
STRESS_MAX_TASKS ?= 200
STRESS_SEED ?= $(shell date +%s)
$(B)/tests/stress/lines: tests/stress/lines.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -D_POSIX_C_SOURCE=200809L $(HELPER_FLAGS) -o $@ $<

stress: test-deps $(B)/tests/stress/lines
	@$(MAKE) --no-print-directory all
	ECG=$(abspath $(B))/ecg-run LINES_BIN=$(abspath $(B))/tests/stress/lines \
		bash tests/stress/stress.sh $(STRESS_RUNS) $(STRESS_SEED) $(STRESS_MAX_TASKS)

# The benchmark against GNU parallel, concurrently and foreman (tests/bench/):
# installs them, prints the tables of tests/bench/RESULTS.md.  BENCH_RUNS,
# BENCH_LINES and the other variables in bench.sh make quick runs.
$(B)/tests/bench/%: tests/bench/%.c tests/bench/write_all.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(HELPER_FLAGS) -o $@ $<

$(B)/tests/bench/erebench: tests/bench/erebench.c src/config/ere.c src/config/ere.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(HELPER_FLAGS) -Isrc -o $@ tests/bench/erebench.c src/config/ere.c

# A seccomp filter that makes one system call fail, for the fault tests.
$(B)/tests/fault/%: tests/fault/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(HELPER_FLAGS) -o $@ $<

# Writes src/front/layout.ld again from a profile of the release build (valgrind).
layout: all
	ECG=$(abspath $(B))/ecg-run bash tests/bench/layout.sh $(abspath $(LAYOUT))
	@$(MAKE) --no-print-directory all

bench: deps $(BENCH_BINS)
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory VARIANT=dynamic all
	@sh tests/bench/peers.sh
	ECG=$(abspath $(B))/ecg-run ECG_SHARED=$(abspath build/dynamic)/ecg-run \
		BENCH_BIN=$(abspath $(B))/tests/bench bash tests/bench/bench.sh
	@echo "ready = line: one line's match, ecg-run against glibc"
	$(B)/tests/bench/erebench
	ECG=$(abspath $(B))/ecg-run BENCH_BIN=$(abspath $(B))/tests/bench bash tests/bench/control.sh
	ECG=$(abspath $(B))/ecg-run BENCH_BIN=$(abspath $(B))/tests/bench bash tests/bench/probes.sh
	ECG=$(abspath $(B))/ecg-run BENCH_CURVE_SVG=$(abspath tests/bench)/curve.svg \
		python3 tests/bench/curve.py

# Static analysis; every check left out is left out for a stated reason:
#  variableScope, DeprecatedOrUnsafeBufferHandling: declarations stay at the top of a
#    function (style(9)); the C11 Annex K *_s functions do not exist in glibc.
#  not-null-terminated-result: the prefix header is a counted byte buffer, never a string.
#  valist.Uninitialized: a false positive of clang 14's analyzer on va_start + v*printf.
#  easily-swappable-parameters, err33-c: style, and unchecked printf-family results.
#  reserved-identifier, dcl37-c: _GNU_SOURCE is defined on purpose.
TIDY_CHECKS = -*,bugprone-*,clang-analyzer-*,cert-*,-bugprone-easily-swappable-parameters,\
-cert-err33-c,-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp,\
-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,\
-bugprone-not-null-terminated-result,-clang-analyzer-valist.Uninitialized
lint:
	@sh tests/deps.sh cppcheck clang-tidy $(BUILD_DEPS)
	cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
		--suppress=variableScope --quiet --error-exitcode=1 -Isrc src/*/*.c
	clang-tidy --quiet --warnings-as-errors='*' -checks='$(TIDY_CHECKS)' src/*/*.c -- \
		-std=c17 -D_GNU_SOURCE -Isrc $(INIH_CFLAGS)

# libFuzzer on the configuration loader and on the ERE matcher, each for
# FUZZ_SECONDS, in build/fuzz/; a crash or a slow input fails the target and
# leaves its input in build/fuzz/crash-* or timeout-* (turn each into a
# regression test).
FUZZ_SECONDS ?= 60
FUZZ_SRCS = src/base/buf.c src/base/strmap.c src/config/command.c src/config/dotenv.c src/sys/userdb.c src/config/config.c \
	src/config/keys.c src/config/resolve.c \
	src/config/inilex.c src/config/value.c src/config/ere.c src/sys/spawn.c src/config/deps.c \
	src/sys/netprobe.c
FUZZ = build/fuzz
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=$(FUZZ)/ \
	-print_final_stats=1
fuzz: test-deps
	@sh tests/deps.sh clang
	@mkdir -p $(FUZZ)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc $(INIH_CFLAGS) \
		-o $(FUZZ)/fuzz_config tests/fuzz/fuzz_config.c $(FUZZ_SRCS) $(INIH_LIBS) -lev
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
		-o $(FUZZ)/fuzz_ere tests/fuzz/fuzz_ere.c src/config/ere.c
	rm -rf $(FUZZ)/run-corpus $(FUZZ)/run-ere && mkdir -p $(FUZZ)/run-corpus $(FUZZ)/run-ere
	cp conf/*.ini tests/fuzz/corpus/* $(FUZZ)/run-corpus/
	cp tests/fuzz/ere-corpus/* $(FUZZ)/run-ere/
	$(FUZZ)/fuzz_config $(FUZZ_FLAGS) -max_len=65536 $(FUZZ)/run-corpus
	$(FUZZ)/fuzz_ere $(FUZZ_FLAGS) -max_len=8192 $(FUZZ)/run-ere

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(B)/ecg-run $(DESTDIR)$(BINDIR)/ecg-run
	install -m 644 man/ecg-run.1 $(DESTDIR)$(MANPREFIX)/man1/ecg-run.1
	install -m 644 man/ecg-run.ini.5 $(DESTDIR)$(MANPREFIX)/man5/ecg-run.ini.5
	install -m 644 conf/*.ini $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ecg-run $(DESTDIR)$(MANPREFIX)/man1/ecg-run.1 \
		$(DESTDIR)$(MANPREFIX)/man5/ecg-run.ini.5
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build
