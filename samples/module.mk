# samples/: documents the project makes itself at build time, as TIFF-F
# (G4, 1728 pels wide, 204x196 dpi, A4 length) with Ghostscript: the
# two-page letter from plain text (Ghostscript's own gslp.ps typesets it),
# and a one-page cover sheet drawn in PostScript. Ghostscript's chatter
# goes to a log shown only when it fails.
SAMPLES += $(BUILD)/samples/letter.tif
SAMPLES += $(BUILD)/samples/form.tif

GSLP      := $(firstword $(wildcard /usr/share/ghostscript/*/lib/gslp.ps))
GS_TIFFG4 := gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 \
             -g1728x2292

$(BUILD)/samples/letter.tif: samples/letter.txt samples/module.mk
	@mkdir -p $(@D)
	$(if $(Q),@echo "  GS      $@")
	$(Q)test -n "$(GSLP)" || { echo "gslp.ps not found: install ghostscript" >&2; exit 1; }
	$(Q)$(GS_TIFFG4) --permit-file-read=samples/ -sOutputFile=$@.tmp \
	    -- $(GSLP) -B -fCourier11 $< >$@.log 2>&1 || { cat $@.log >&2; exit 1; }
	$(Q)rm -f $@.log && mv $@.tmp $@

$(BUILD)/samples/form.tif: samples/form.ps samples/module.mk
	@mkdir -p $(@D)
	$(if $(Q),@echo "  GS      $@")
	$(Q)$(GS_TIFFG4) -sOutputFile=$@.tmp $< >$@.log 2>&1 || { cat $@.log >&2; exit 1; }
	$(Q)rm -f $@.log && mv $@.tmp $@
