# common/: the project's error type, logging and small bounded helpers.
# Used by every module; depends on nothing of ours.
COMMON_SRCS += common/err.c
COMMON_SRCS += common/log.c
COMMON_SRCS += common/str.c
COMMON_SRCS += common/pwpolicy.c
COMMON_SRCS += common/clock.c
# The password deny-list is compiled in as pwpolicy_denylist (NUL-ended).
$(BUILD)/common/pwpolicy_denylist.c: config/password-denylist.txt common/module.mk
	@mkdir -p $(@D)
	$(if $(Q),@echo "  GEN     $@")
	$(Q){ echo '/* Generated from config/password-denylist.txt: do not edit. */'; \
	  echo '#include "common/pwpolicy.h"'; \
	  echo 'const unsigned char pwpolicy_denylist[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ *$$//' -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; } > $@.tmp && mv $@.tmp $@
$(BUILD)/common/pwpolicy_denylist.o: $(BUILD)/common/pwpolicy_denylist.c
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/libcommon.a: $(BUILD)/common/pwpolicy_denylist.o
