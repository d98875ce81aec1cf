# Build the patched Linux 6.12 kernel and the selftests for x86_64 and arm64,
# boot each kernel in QEMU with an initramfs of the tests and summarise the
# TAP results.  "make check" does everything (from a fresh clone too) and ends
# with "N passed, N failed, N skipped".  All outputs go to build/.
#
#   make check [EXTRA_TESTS="a.c prebuilt-elf ..."]    both arches
#   make check-x86_64 | check-arm64                      one arch
#   make deps | tree | kernel-ARCH | selftests-ARCH | initramfs-ARCH | boot-ARCH | clean
#   make lint | check-kunit                            part of check
#   make check-debug                                   the tests on KASAN/lockdep kernels
#   make check-matrix                                  the tests on 16K/64K-page arm64, 4-level x86_64
#   make demo | bench                                  not part of check
#
# Knobs: EXTRA_TESTS (C sources, built for both arches, or static ELF binaries,
# used for the arch they are built for), GUEST_TIMEOUT (s, default 900),
# PREBUILT_TESTS=DIR (use DIR/ARCH/* instead of building selftests/),
# KCONFIG_EXTRA, APPEND_EXTRA, QEMU_EXTRA, MMRANGE_KVM (see the scripts).

SHELL := /bin/bash
ARCHES := x86_64 arm64
B := $(CURDIR)/build
STAGE := $(CURDIR)/scripts/stage
GUEST_TIMEOUT ?= 900
EXTRA_TESTS ?=
PREBUILT_TESTS ?=
PATCHES := $(wildcard kernel-patch/[0-9][0-9][0-9][0-9]-*.patch)

KERNEL_x86_64 := $(B)/x86_64/kernel/arch/x86/boot/bzImage
KERNEL_arm64 := $(B)/arm64/kernel/arch/arm64/boot/Image
testdir = $(if $(PREBUILT_TESTS),$(abspath $(PREBUILT_TESTS))/$(1),$(B)/$(1)/selftests)
log = $(B)/$(1)/guest.log
LOGS := $(foreach a,$(ARCHES),$(call log,$(a)))

per_arch = $(foreach a,$(ARCHES),$(1)-$(a))
.PHONY: all deps tree check check-debug check-matrix check-kunit clean lint libmmrange-host $(foreach t,kernel kernel-debug selftests extra testdrv testdrv-debug libtests initramfs initramfs-debug boot check,$(call per_arch,$(t)))

all: check

deps:
	@$(STAGE) deps scripts/install-deps

tree: $(PATCHES)
	@$(STAGE) tree kernel-patch/prepare-tree

$(call per_arch,kernel): kernel-%: tree
	@$(STAGE) kernel-$* kernel-patch/build-kernel $*

$(call per_arch,selftests): selftests-%: tree
ifeq ($(PREBUILT_TESTS),)
	@$(STAGE) selftests-$* $(MAKE) --no-print-directory -C selftests ARCH=$* O=$(B)/$*/selftests
else
	@echo "selftests-$*: using prebuilt tests in $(call testdir,$*)"
endif

$(call per_arch,extra): extra-%: tree
	@$(STAGE) extra-tests-$* scripts/extra-tests $* $(B)/$*/extra-tests $(EXTRA_TESTS)

# The test driver modules (selftests/testdrv), built out of tree against the
# test kernel.
TESTDRV_MODS := mmrange_vm_mmap.ko mmrange_own_area.ko
KMAKE_x86_64 := ARCH=x86_64 CC="ccache gcc"
KMAKE_arm64 := ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="ccache aarch64-linux-gnu-gcc"
$(call per_arch,testdrv): testdrv-%: kernel-%
	@mkdir -p $(B)/$*/testdrv
	@cp selftests/testdrv/Kbuild selftests/testdrv/*.c $(B)/$*/testdrv/
	@$(STAGE) testdrv-$* $(MAKE) -s --no-print-directory -C $(B)/linux \
		O=$(B)/$*/kernel $(KMAKE_$*) M=$(B)/$*/testdrv modules

# libmmrange: its tests, static, for the guests (libmmrange_*_test) ...
$(call per_arch,libtests): libtests-%: tree
	@$(STAGE) libtests-$* $(MAKE) -s --no-print-directory -C libmmrange ARCH=$* \
		O=$(B)/$*/libmmrange guest-tests

# make lint: checkpatch, W=1, docs, man pages, get_maintainer, cppcheck and
# clang-tidy (scripts/lint); make check runs it after building the kernels.
lint: tree kernel-x86_64 kernel-arm64
	@$(STAGE) lint scripts/lint

# make check-kunit: the series' KUnit suite on UML (scripts/run-kunit); the
# guest kernels run it at boot as well.  Its KTAP log joins the summary.
KUNIT_LOG := $(B)/um/kunit.log
check-kunit: tree
	@$(STAGE) check-kunit scripts/run-kunit $(KUNIT_LOG)

# ... and on this machine, under ASan/UBSan, plus install, pkg-config and
# man page checks.  Its TAP log joins the guests' in the summary.
HOST_LOG := $(B)/host/libmmrange.log
libmmrange-host: tree
	@mkdir -p $(B)/host
	@$(STAGE) libmmrange-host $(MAKE) -s --no-print-directory -C libmmrange \
		O=$(B)/host/libmmrange HOST_LOG=$(HOST_LOG) check

$(call per_arch,initramfs): initramfs-%: selftests-% extra-% testdrv-% libtests-%
	@$(STAGE) initramfs-$* selftests/make-initramfs $* $(B)/$*/initramfs.cpio.gz \
		$(call testdir,$*) $(TESTDRV_MODS:%=$(B)/$*/testdrv/%) \
		$$(find $(B)/$*/extra-tests $(B)/$*/libmmrange/guest -type f | sort)

# boot-ARCH only boots what is already built (check-ARCH builds first)
$(call per_arch,boot): boot-%:
	@rm -f $(call log,$*)
	@$(STAGE) boot-$* selftests/run-guest $* $(KERNEL_$*) $(B)/$*/initramfs.cpio.gz \
		$(call log,$*) $(GUEST_TIMEOUT)

# check-ARCH / check: build, boot every arch (even after a failed boot), then
# summarise all logs; the summary line is the last line of output.
define run_checks
	@rm -f $(foreach a,$(1),$(call log,$(a))) $(HOST_LOG) $(KUNIT_LOG) $(B)/check-summary.txt
	+@$(MAKE) --no-print-directory $(foreach a,$(1),kernel-$(a) initramfs-$(a))
	+@rc=0; \
	$(MAKE) --no-print-directory lint || rc=1; \
	$(MAKE) --no-print-directory libmmrange-host || rc=1; \
	$(MAKE) --no-print-directory check-kunit || rc=1; \
	for a in $(1); do $(MAKE) --no-print-directory boot-$$a || rc=1; done; \
	echo "==> summary"; \
	selftests/tap-summary $(HOST_LOG) $(KUNIT_LOG) $(foreach a,$(1),$(call log,$(a))) | tee $(B)/check-summary.txt; \
	[ $${PIPESTATUS[0]} -eq 0 ] || rc=1; \
	exit $$rc
endef

$(call per_arch,check): check-%: deps
	$(call run_checks,$*)

check: deps
	$(call run_checks,$(ARCHES))

# make check-debug: the same tests on debug kernels (KASAN, lockdep,
# DEBUG_VM, maple tree and list checks, configs/debug.config); run-guest fails
# a boot on any KASAN report, lockdep splat, WARNING or BUG in the log.  The
# stress tests run 60 s each there (mmrange.stress=60), 5 s in make check.
DEBUG_FRAG := kernel-patch/configs/debug.config
KERNEL_DEBUG_x86_64 := $(B)/x86_64/kernel-debug/arch/x86/boot/bzImage
KERNEL_DEBUG_arm64 := $(B)/arm64/kernel-debug/arch/arm64/boot/Image
DEBUG_LOGS := $(foreach a,$(ARCHES),$(B)/$(a)/guest-debug.log)

$(call per_arch,kernel-debug): kernel-debug-%: tree
	@KERNEL_OUT=$(B)/$*/kernel-debug KCONFIG_EXTRA="$(DEBUG_FRAG) $(KCONFIG_EXTRA)" \
		$(STAGE) kernel-debug-$* kernel-patch/build-kernel $*

$(call per_arch,testdrv-debug): testdrv-debug-%: kernel-debug-%
	@mkdir -p $(B)/$*/testdrv-debug
	@cp selftests/testdrv/Kbuild selftests/testdrv/*.c $(B)/$*/testdrv-debug/
	@$(STAGE) testdrv-debug-$* $(MAKE) -s --no-print-directory -C $(B)/linux \
		O=$(B)/$*/kernel-debug $(KMAKE_$*) M=$(B)/$*/testdrv-debug modules

$(call per_arch,initramfs-debug): initramfs-debug-%: selftests-% extra-% testdrv-debug-% libtests-%
	@$(STAGE) initramfs-debug-$* selftests/make-initramfs $* $(B)/$*/initramfs-debug.cpio.gz \
		$(call testdir,$*) $(TESTDRV_MODS:%=$(B)/$*/testdrv-debug/%) \
		$$(find $(B)/$*/extra-tests $(B)/$*/libmmrange/guest -type f | sort)

check-debug: deps
	@rm -f $(DEBUG_LOGS)
	+@$(MAKE) --no-print-directory $(foreach a,$(ARCHES),kernel-debug-$(a) initramfs-debug-$(a))
	+@rc=0; \
	for a in $(ARCHES); do \
		k=$$(case $$a in x86_64) echo $(KERNEL_DEBUG_x86_64);; arm64) echo $(KERNEL_DEBUG_arm64);; esac); \
		APPEND_EXTRA="mmrange.timeout=1800 mmrange.stress=60 $(APPEND_EXTRA)" $(STAGE) boot-debug-$$a \
			selftests/run-guest $$a $$k $(B)/$$a/initramfs-debug.cpio.gz \
			$(B)/$$a/guest-debug.log 3600 || rc=1; \
	done; \
	echo "==> summary (debug kernels)"; \
	selftests/tap-summary $(DEBUG_LOGS) || rc=1; \
	exit $$rc

# make check-matrix: the same tests on the other kernels distributions ship:
# arm64 with 64 KiB pages and 52-bit VA (configs/arm64-64k.config), arm64
# with 16 KiB pages (arm64-16k.config), and the x86_64 test kernel (5-level
# paging) booted on a CPU without LA57, so with 4-level paging.  Each page
# size gets the hugetlb sizes it has: 2 MiB contiguous-PTE pages on both,
# and 32 MiB PMD pages with 16 KiB pages.
MATRIX := 64k 16k
HUGEPAGES_64k := default_hugepagesz=2M hugepages=16
HUGEPAGES_16k := default_hugepagesz=2M hugepages=16 hugepagesz=32M hugepages=2
MATRIX_LOGS := $(B)/x86_64/guest-4level.log $(foreach v,$(MATRIX),$(B)/arm64/guest-$(v).log)

$(foreach v,$(MATRIX),kernel-arm64-$(v)): kernel-arm64-%: tree
	@KERNEL_OUT=$(B)/arm64/kernel-$* KCONFIG_EXTRA="kernel-patch/configs/arm64-$*.config $(KCONFIG_EXTRA)" \
		$(STAGE) kernel-arm64-$* kernel-patch/build-kernel arm64

$(foreach v,$(MATRIX),testdrv-arm64-$(v)): testdrv-arm64-%: kernel-arm64-%
	@mkdir -p $(B)/arm64/testdrv-$*
	@cp selftests/testdrv/Kbuild selftests/testdrv/*.c $(B)/arm64/testdrv-$*/
	@$(STAGE) testdrv-arm64-$* $(MAKE) -s --no-print-directory -C $(B)/linux \
		O=$(B)/arm64/kernel-$* $(KMAKE_arm64) M=$(B)/arm64/testdrv-$* modules

$(foreach v,$(MATRIX),initramfs-arm64-$(v)): initramfs-arm64-%: selftests-arm64 extra-arm64 testdrv-arm64-% libtests-arm64
	@$(STAGE) initramfs-arm64-$* selftests/make-initramfs arm64 $(B)/arm64/initramfs-$*.cpio.gz \
		$(call testdir,arm64) $(TESTDRV_MODS:%=$(B)/arm64/testdrv-$*/%) \
		$$(find $(B)/arm64/extra-tests $(B)/arm64/libmmrange/guest -type f | sort)

check-matrix: deps
	@rm -f $(MATRIX_LOGS) $(B)/check-matrix-summary.txt
	+@$(MAKE) --no-print-directory kernel-x86_64 initramfs-x86_64 \
		$(foreach v,$(MATRIX),kernel-arm64-$(v) initramfs-arm64-$(v))
	+@rc=0; \
	MMRANGE_CPU=max,la57=off $(STAGE) boot-x86_64-4level selftests/run-guest x86_64 \
		$(KERNEL_x86_64) $(B)/x86_64/initramfs.cpio.gz $(B)/x86_64/guest-4level.log \
		$(GUEST_TIMEOUT) || rc=1; \
	$(foreach v,$(MATRIX),MMRANGE_HUGEPAGES="$(HUGEPAGES_$(v))" $(STAGE) boot-arm64-$(v) \
		selftests/run-guest arm64 $(B)/arm64/kernel-$(v)/arch/arm64/boot/Image \
		$(B)/arm64/initramfs-$(v).cpio.gz $(B)/arm64/guest-$(v).log $(GUEST_TIMEOUT) || rc=1;) \
	echo "==> summary (matrix kernels)"; \
	selftests/tap-summary $(MATRIX_LOGS) | tee $(B)/check-matrix-summary.txt; \
	[ $${PIPESTATUS[0]} -eq 0 ] || rc=1; \
	exit $$rc

clean:
	rm -rf $(B)

# make demo: window-demo and translator-demo inside the patched x86_64 guest,
# then the same static binaries on this machine's own (unpatched) kernel for
# contrast.
DEMO_DIR := $(B)/x86_64/demo
DEMOS := $(DEMO_DIR)/demo-window $(DEMO_DIR)/demo-translator
LIBMMRANGE_x86_64 := $(B)/x86_64/libmmrange/libmmrange.a

$(DEMO_DIR)/demo-window: examples/window-demo.c uapi/linux/mmrange.h | deps
	@mkdir -p $(dir $@)
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -Iuapi -o $@ $< -luring

$(LIBMMRANGE_x86_64): $(wildcard libmmrange/src/*.[ch] libmmrange/src/arch/*/*.h libmmrange/include/*.h)
	@$(MAKE) -s --no-print-directory -C libmmrange ARCH=x86_64 O=$(B)/x86_64/libmmrange $@

$(DEMO_DIR)/demo-translator: examples/translator-demo.c $(LIBMMRANGE_x86_64) | deps
	@mkdir -p $(dir $@)
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -Ilibmmrange/include -Iuapi \
		-o $@ $< $(LIBMMRANGE_x86_64) -luring -pthread

.PHONY: demo
demo: deps $(DEMOS) kernel-x86_64 tree
	@rm -f $(DEMO_DIR)/demo-*.d
	@$(STAGE) initramfs-demo selftests/make-initramfs x86_64 $(DEMO_DIR)/initramfs.cpio.gz \
		$(DEMO_DIR)
	@APPEND_EXTRA="quiet" $(STAGE) boot-demo selftests/run-guest x86_64 \
		$(KERNEL_x86_64) $(DEMO_DIR)/initramfs.cpio.gz $(DEMO_DIR)/guest.log 300 >/dev/null
	@for d in $(notdir $(DEMOS)); do \
		echo "==> $$d in the patched guest:"; \
		sed -n "/MMRANGE-TEST-START $$d/,/MMRANGE-TEST-END/p" $(DEMO_DIR)/guest.log | \
			grep -v MMRANGE- | tr -d '\r'; \
		grep -q "MMRANGE-TEST-END $$d rc=0" $(DEMO_DIR)/guest.log || exit 1; \
	done
	@for d in $(DEMOS); do \
		echo "==> $${d##*/} on this machine's kernel ($$(uname -r)), without the series:"; \
		$$d || true; \
	done

# make bench: programs in bench/ that print ratios measured in one run; they
# do not gate "make check".  The tables and the plot of
# Documentation/benchmarks.md come out in build/bench/.
.PHONY: bench
bench: deps tree
	@set -o pipefail; $(STAGE) bench-syscall-entry bench/run-syscall-entry arm64 | tee $(B)/bench-syscall-entry.txt
	@$(STAGE) bench-guest bench/run-guest-bench
