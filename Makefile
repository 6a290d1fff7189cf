# faxgw — one plain Makefile. Each module lists its sources in its own
# module.mk; this file knows how to turn them into libraries, programs and
# test binaries. Quiet unless V=1.
#
#   make            build everything (after installing missing packages)
#   make run        build, then the demo (see README)
#   make check      every test, plainly and again under ASan+UBSan
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each
#   make bench      the benchmarks under tests/bench
#
# BUILD=dir puts all output in another folder (so several builds can share
# one tree); SAN=1 builds with AddressSanitizer and UBSan.

SHELL    := /bin/bash
BUILD    ?= build
SAN      ?= 0
CC       ?= cc
TESTDATA ?= $(abspath ../shared/testdata)
FUZZ_SECONDS ?= 20
CHECK_FUZZ_SECONDS ?= 5

ifeq ($(SAN),1)
  override BUILD := $(BUILD)-san
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla
# CFLAGS and LDFLAGS stay the user's (e.g. CFLAGS="-O0 -g"); ours are added.
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -I. -MMD -MP \
            -pthread -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
            -I/usr/include/iniparser $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) -pthread $(LDFLAGS)
LIBS     := -lspandsp -ltiff -lssl -lcrypto -lsqlite3 -levent -levent_openssl \
            -liniparser -lpng -losipparser2 -losip2 -lm

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

# Filled in by the module fragments below.
COMMON_SRCS  :=
DSP_SRCS     :=
STORAGE_SRCS :=
GATEWAY_SRCS :=
WEB_SRCS     :=
TEST_SUPPORT_SRCS :=
PROGRAMS     :=
UNIT_TESTS   :=
FUZZ_TARGETS :=
BENCHES      :=

include common/module.mk
include dsp/module.mk
include storage/module.mk
include gateway/module.mk
include web/module.mk
include samples/module.mk
include tests/module.mk

objs = $(patsubst %.c,$(BUILD)/%.o,$(1))

# Module libraries, lowest last on the link line.
# libweb.a twice: faxgwd's module table in libgateway starts the web server.
MODLIBS := $(BUILD)/libweb.a $(BUILD)/libgateway.a $(BUILD)/libstorage.a \
           $(BUILD)/libdsp.a $(BUILD)/libcommon.a

.SECONDARY:

.PHONY: all deps build run check check-plain check-san test fuzz bench clean

all: deps build

deps:
	$(Q)mk/deps.sh

build: $(addprefix $(BUILD)/,$(PROGRAMS)) $(addprefix $(BUILD)/,$(UNIT_TESTS)) $(SAMPLES)

$(BUILD)/libcommon.a:  $(call objs,$(COMMON_SRCS))
$(BUILD)/libdsp.a:     $(call objs,$(DSP_SRCS))
$(BUILD)/libstorage.a: $(call objs,$(STORAGE_SRCS))
$(BUILD)/libgateway.a: $(call objs,$(GATEWAY_SRCS))
$(BUILD)/libweb.a:     $(call objs,$(WEB_SRCS))

# A source added to a module.mk may have been compiled already (for a test)
# and so be older than the archive: the list itself is a prerequisite.
$(BUILD)/libcommon.a:  common/module.mk
$(BUILD)/libdsp.a:     dsp/module.mk
$(BUILD)/libstorage.a: storage/module.mk
$(BUILD)/libgateway.a: gateway/module.mk
$(BUILD)/libweb.a:     web/module.mk

$(BUILD)/%.a:
	@mkdir -p $(@D)
	@rm -f $@
	$(if $(Q),@echo "  AR      $@")
	$(Q)ar rcs $@ $(filter %.o,$^) $(if $(filter %.o,$^),,$(BUILD)/empty.o)

$(BUILD)/empty.o:
	@mkdir -p $(@D)
	$(Q)echo 'typedef int faxgw_empty_unit;' | $(CC) -x c -c -o $@ -

$(MODLIBS): | $(BUILD)/empty.o

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Programs: gateway/<name>_main.c plus every module library.
$(BUILD)/faxgw $(BUILD)/faxgwd: $(BUILD)/%: $(BUILD)/gateway/%_main.o $(MODLIBS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(MODLIBS) $(LIBS)

# Tests: one Criterion binary per file under tests/unit and tests/integration,
# each linked with the shared helpers of tests/support.
$(BUILD)/libtestsupport.a: $(call objs,$(TEST_SUPPORT_SRCS)) | $(BUILD)/empty.o

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libtestsupport.a $(MODLIBS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libtestsupport.a $(MODLIBS) $(LIBS) -lcriterion

# Benchmarks are plain programs.
$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(MODLIBS)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(MODLIBS) $(LIBS)

run: deps build
	$(Q)mk/run.sh $(BUILD)

demo: deps build
	$(Q)mk/demo.sh $(BUILD)

# The whole suite, once plainly and once under the sanitizers, then every
# fuzz target briefly so none of them rots.
check: deps
	$(Q)mk/checksrc.sh
	$(Q)$(MAKE) --no-print-directory check-plain
	$(Q)mk/e2e.sh $(BUILD)
	$(Q)$(MAKE) --no-print-directory check-plain SAN=1
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)

check-plain: build
	$(Q)FAXGW_TESTDATA=$(TESTDATA) FAXGW_BUILD=$(BUILD) \
	    mk/run-tests.sh $(BUILD) $(UNIT_TESTS)

# libFuzzer needs clang; the fuzz build lives in its own folder.
FUZZ_BUILD := build-fuzz
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build BUILD=$(FUZZ_BUILD) CC=clang \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	    CFLAGS="-O1 -g"
	$(Q)FAXGW_TESTDATA=$(TESTDATA) mk/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(MODLIBS)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(MODLIBS) $(LIBS)

bench: deps
	$(Q)$(MAKE) --no-print-directory bench-build BUILD=build-bench CFLAGS="-O2 -g"
	$(Q)FAXGW_TESTDATA=$(TESTDATA) mk/run-bench.sh build-bench $(BENCHES)

bench-build: $(addprefix $(BUILD)/bench/,$(BENCHES))

clean:
	rm -rf build build-san build-fuzz build-bench build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
