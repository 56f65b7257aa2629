# mxwitness - passive analyzer of SMTP TLS handshakes.
#
#   make            build ./mxwitness (dependencies must be installed: make deps)
#   make demo       install what is missing (as root), build, run on a bundled capture
#   make test       install what is missing, build, run every test (cmocka + end-to-end)
#   make asan       the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      throughput and memory against a bare libpcap loop and tshark
#   make fuzz       libFuzzer targets (clang), short run each
#   make install    PREFIX=/usr/local DESTDIR=
#
# Set OPT, not CFLAGS, on the command line: CFLAGS carries -std, the warnings
# and the pkg-config flags, and a command-line CFLAGS would replace all of it.

CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
B       ?= build

WARN    = -Wall -Wextra -Wformat=2 -Wshadow -Wvla -Wwrite-strings \
          -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
          -Wimplicit-fallthrough -Wsign-compare -Wtype-limits \
          -Wmissing-field-initializers -Wnull-dereference -Wpointer-arith \
          -Wcast-qual -Wundef
PKGS    = libpcap libndpi openssl
OPT    ?= -O2 -g
CFLAGS  = $(OPT) -pthread -std=c11 -D_DEFAULT_SOURCE -I. $(WARN) $(if $(WERROR),-Werror) \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS = $(OPT) -pthread
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LDLIBS = $(shell pkg-config --libs cmocka 2>/dev/null) $(LDLIBS)
SAN     = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

LIB_SRCS = lib/cbs.c lib/out.c lib/strbuf.c lib/jsonr.c lib/outfile.c lib/privs.c \
           capture/cap_link.c capture/cap_ip.c capture/cap_source.c capture/pcapng.c \
           capture/tcp_reasm.c capture/tcp_flow.c capture/cap_pipe.c capture/cap_clock.c \
           dissect/smtp.c dissect/tls.c dissect/tls_suite.c dissect/keylog.c dissect/decrypt.c dissect/classify.c \
           dissect/session.c \
           analyze/names.c analyze/x509.c analyze/verify.c analyze/weak.c \
           analyze/hostname.c analyze/expect.c analyze/findings.c analyze/servers.c \
           analyze/judge.c analyze/evidence.c analyze/digest.c analyze/hops.c analyze/pipeline.c \
           report/json.c report/common.c report/text.c report/json_lines.c report/certs.c \
           report/html.c report/flows_report.c report/report.c report/events.c report/stats.c \
           report/progress.c capture/cap_fanout.c lib/workers.c lib/handoff.c lib/seen.c
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/%.o)
TEST_SRCS = $(wildcard tests/test_*.c)
TEST_BINS = $(TEST_SRCS:tests/%.c=$(B)/tests/%) \
            $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/helper_*.c))
BENCH_BINS = $(B)/bench/readloop $(B)/bench/gen $(B)/bench/measure
FUZZ_TARGETS = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TIME ?= 60
SHARED ?= ../shared

.PHONY: all deps demo test check asan bench fuzz install clean tests-bin
.DEFAULT_GOAL := all

all: mxwitness

mxwitness: $(B)/mxwitness
	$(Q)cp $< $@

$(B)/mxwitness: $(B)/main.o $(B)/libmxw.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libmxw.a: $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# analyze/products.txt, the product patterns, is compiled in as one string.
$(B)/analyze/products.inc: analyze/products.txt
	@mkdir -p $(dir $@)
	$(Q)sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $< >$@.tmp && mv $@.tmp $@

$(B)/analyze/evidence.o: $(B)/analyze/products.inc
$(B)/analyze/evidence.o: CFLAGS += -I$(B)/analyze

# V=1 shows the full commands.
Q = $(if $(V),,@)

$(B)/%.o: %.c $(wildcard */*.h) $(wildcard */*.inc) Makefile
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $@";)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/%.c $(B)/libmxw.a $(wildcard tests/*.h tests/vectors/*.h)
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  LD      $@";)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libmxw.a $(TEST_LDLIBS)

$(B)/bench/%: bench/%.c $(B)/libmxw.a
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  LD      $@";)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libmxw.a $(LDLIBS)

# replay_X runs fuzz target X on files without libFuzzer (any compiler).
$(B)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(B)/libmxw.a
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  LD      $@";)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< fuzz/replay.c $(B)/libmxw.a $(LDLIBS)

# fuzz_X is the libFuzzer binary (clang only; see the fuzz target).
$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c $(B)/libmxw.a
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  LD      $@";)$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(B)/libmxw.a $(LDLIBS)

# bench/gen too: tests/e2e_html.sh makes its 1000 sessions with it
tests-bin: $(TEST_BINS) $(B)/mxwitness $(B)/bench/gen $(FUZZ_TARGETS:%=$(B)/fuzz/replay_%)

# deps installs the Debian packages the build and the tests need (as root),
# or says which command to run.
deps:
	@sh tools/deps.sh build

demo:
	@sh tools/deps.sh build
	@$(MAKE) --no-print-directory all
	@# exit status 1 means findings (the point of the demo); 2 would be an error
	./mxwitness --ca-file pcaps/certs/test-root-ca.pem \
	  --expect mail.example.test=pem:pcaps/certs/appliance-inside.pem \
	  -r pcaps/appliance-outside.pcap@outside -r pcaps/appliance-inside.pcap@inside || [ $$? -eq 1 ]

test:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory WERROR=1 tests-bin
	@MXW_BUILD=$(B) sh tests/run.sh
	@$(MAKE) --no-print-directory asan

check: test

# asan builds into its own directory, so it never mixes objects with the
# normal build, and runs the whole suite there.
asan:
	@$(MAKE) --no-print-directory B=build-asan OPT="$(SAN)" WERROR=1 tests-bin
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 MXW_BUILD=build-asan MXW_SANITIZED=1 sh tests/run.sh

bench:
	@sh tools/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@MXW_BUILD=$(B) sh bench/run.sh

# fuzz runs each libFuzzer target for FUZZ_TIME seconds, seeded from its
# corpus, the captures in pcaps/ and, where present, the third-party ones.
# New inputs go to build-fuzz/corpus-X; a crash is written to build-fuzz/
# and belongs in fuzz/corpus/X/ once fixed, so make test replays it forever.
fuzz:
	@sh tools/deps.sh build
	@$(MAKE) --no-print-directory B=build-fuzz CC=clang \
	   OPT="$(SAN) -fsanitize=fuzzer-no-link" $(FUZZ_TARGETS:%=build-fuzz/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	   mkdir -p build-fuzz/corpus-$$t; \
	   seeds="fuzz/corpus/$$t"; [ -d "pcaps" ] && seeds="$$seeds pcaps"; \
	   for d in $(SHARED)/pcaps/*/; do [ -d "$$d" ] && seeds="$$seeds $$d"; done; \
	   echo "fuzz: $$t for $(FUZZ_TIME)s, seeds: $$seeds"; \
	   ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) \
	     -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ -print_final_stats=1 \
	     build-fuzz/corpus-$$t $$seeds || exit 1; \
	 done

install: mxwitness
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 mxwitness $(DESTDIR)$(BINDIR)/mxwitness
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 mxwitness.1 $(DESTDIR)$(MANDIR)/man1/mxwitness.1
	install -d $(DESTDIR)$(PREFIX)/share/mxwitness $(DESTDIR)$(PREFIX)/share/doc/mxwitness
	install -m 0644 tools/mxwitness-template.json $(DESTDIR)$(PREFIX)/share/mxwitness/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/mxwitness/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0644 tools/mxwitness@.service $(DESTDIR)$(PREFIX)/lib/systemd/system/

clean:
	rm -rf build build-asan build-fuzz mxwitness
