# Build the patched Linux 6.12 kernel and the selftests for x86_64 and arm64,
# boot each kernel in QEMU with an initramfs of the tests and summarise the
# TAP results.  "make check" does everything (from a fresh clone too) and ends
# with "N passed, N failed, N skipped".  All outputs go to build/.
#
#   make check [EXTRA_TESTS="a.c prebuilt-elf ..."]    both arches
#   make check-x86_64 | check-arm64                      one arch
#   make deps | tree | kernel-ARCH | selftests-ARCH | initramfs-ARCH | boot-ARCH | clean
#   make lint | check-kunit                            part of check
#   make check-debug                                   the tests and fuzzers on KASAN/lockdep kernels, check-mm
#   make check-matrix                                  the tests on 16K/64K-page arm64, 4-level x86_64
#   make check-mm                                      the kernel's mm selftests, patched vs unpatched
#   make demo | bench                                  not part of check
#   make check-clients | demo-qemu                     QEMU linux-user, stock vs patched (clients/qemu)
#
# Knobs: EXTRA_TESTS (C sources, built for both arches, or static ELF binaries,
# used for the arch they are built for), GUEST_TIMEOUT (s, default 900),
# PREBUILT_TESTS=DIR (DIR/ARCH/* in /tests instead of the mmrange kselftests),
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
testdir = $(if $(PREBUILT_TESTS),$(abspath $(PREBUILT_TESTS))/$(1),$(B)/$(1)/no-tests)
# what a guest needs to run kselftests (ARCH, install directory): a
# coreutils-like timeout (selftests/kselftest-timeout.c), the install
kselftest_files = file:/bin/timeout=$(B)/$(1)/kernel/kselftest-timeout tree:/kselftest=$(2)
kselftests = $(if $(PREBUILT_TESTS),,$(call kselftest_files,$(1),$(B)/$(1)/kselftest))
log = $(B)/$(1)/guest.log
LOGS := $(foreach a,$(ARCHES),$(call log,$(a)))

per_arch = $(foreach a,$(ARCHES),$(1)-$(a))
.PHONY: $(call per_arch,fuzz-root)
.PHONY: all deps tree check check-debug check-matrix check-kunit clean lint libmmrange-host $(foreach t,kernel kernel-debug selftests extra testdrv testdrv-debug libtests initramfs initramfs-debug boot check,$(call per_arch,$(t)))

all: check

deps:
	@$(STAGE) deps scripts/install-deps

tree: $(PATCHES)
	@$(STAGE) tree kernel-patch/prepare-tree

$(call per_arch,kernel): kernel-%: tree
	@$(STAGE) kernel-$* kernel-patch/build-kernel $*

# The series' kselftests (tools/testing/selftests/mmrange of the tree, from
# selftests/mmrange/), built by the kernel's kselftest machinery and run in
# the guest by its run_kselftest.sh; PREBUILT_TESTS puts other programs in
# /tests instead.
$(call per_arch,selftests): selftests-%: kernel-%
ifeq ($(PREBUILT_TESTS),)
	@$(STAGE) selftests-$* selftests/build-kselftests $* $(B)/$*/kernel $(B)/$*/kselftest mmrange
else
	@echo "selftests-$*: using prebuilt tests in $(call testdir,$*)"
endif

$(call per_arch,extra): extra-%: selftests-%
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
	@mkdir -p $(B)/$*/no-tests
	@$(STAGE) initramfs-$* selftests/make-initramfs $* $(B)/$*/initramfs.cpio.gz \
		$(call testdir,$*) $(call kselftests,$*) $(TESTDRV_MODS:%=$(B)/$*/testdrv/%) \
		$$(find $(B)/$*/extra-tests $(B)/$*/libmmrange/guest -type f | sort)

# boot-ARCH only boots what is already built (check-ARCH builds first)
$(call per_arch,boot): boot-%:
	@rm -f $(call log,$*)
	@$(STAGE) boot-$* selftests/run-guest $* $(KERNEL_$*) $(B)/$*/initramfs.cpio.gz \
		$(call log,$*) $(GUEST_TIMEOUT)

# The compat entries switched off, booting the same kernel and initramfs
# with another command line and only the tests that concern it: x86_64 with
# ia32_emulation=false (int $0x80 raises SIGSEGV), arm64 with aarch32_svc=0
# (svc #0xa32 is an ordinary svc); libmmrange must report "not available"
# there (MMRANGE_EXPECT_COMPAT=0) instead of being killed.  And arm64 as on
# a CPU without AArch32 EL0 (arm64.no32bit_el0), where the compat tests
# must pass too and personality(PER_LINUX32) is refused.
VARIANTS_x86_64 := noia32
VARIANTS_arm64 := a64only nosvc
APPEND_noia32 := ia32_emulation=false mmrange.expect_compat=0 mmrange.only=libmmrange_compat_test
APPEND_nosvc := aarch32_svc=0 mmrange.expect_compat=0 \
	mmrange.only=mmrange_aarch32_svc_test,libmmrange_compat_test
APPEND_a64only := arm64.no32bit_el0 \
	mmrange.only=mmrange_compat_test,mmrange_exclusive_test,mmrange_aarch32_svc_test,libmmrange_compat_test
variant_logs = $(foreach v,$(VARIANTS_$(1)),$(B)/$(1)/guest-$(v).log)
.PHONY: $(foreach a,$(ARCHES),$(foreach v,$(VARIANTS_$(a)),boot-$(a)-$(v)))

$(foreach a,$(ARCHES),$(foreach v,$(VARIANTS_$(a)),boot-$(a)-$(v))): boot-%:
	@a=$(firstword $(subst -, ,$*)); v=$(lastword $(subst -, ,$*)); \
	rm -f $(B)/$$a/guest-$$v.log; \
	k=$$(case $$a in x86_64) echo $(KERNEL_x86_64);; arm64) echo $(KERNEL_arm64);; esac); \
	case $$v in noia32) ap="$(APPEND_noia32)";; nosvc) ap="$(APPEND_nosvc)";; \
		a64only) ap="$(APPEND_a64only)";; esac; \
	APPEND_EXTRA="$$ap $(APPEND_EXTRA)" $(STAGE) boot-$* selftests/run-guest $$a $$k \
		$(B)/$$a/initramfs.cpio.gz $(B)/$$a/guest-$$v.log $(GUEST_TIMEOUT)

# The arm64 entry's noinstr code, checked in the built vmlinux (check and
# check-debug; the KASAN kernel is the one where instrumented helpers are
# out-of-line calls).
entry_log = $(if $(filter arm64,$(1)),$(B)/arm64/entry-noinstr$(2).log)

# check-ARCH / check: build, boot every arch (even after a failed boot), then
# summarise all logs; the summary line is the last line of output.
define run_checks
	@rm -f $(foreach a,$(1),$(call log,$(a)) $(call variant_logs,$(a))) $(HOST_LOG) $(KUNIT_LOG) $(B)/check-summary.txt
	+@$(MAKE) --no-print-directory $(foreach a,$(1),kernel-$(a) initramfs-$(a))
	+@rc=0; \
	$(MAKE) --no-print-directory lint || rc=1; \
	$(MAKE) --no-print-directory libmmrange-host || rc=1; \
	$(MAKE) --no-print-directory check-kunit || rc=1; \
	for a in $(1); do $(MAKE) --no-print-directory boot-$$a || rc=1; done; \
	for b in $(foreach a,$(1),$(foreach v,$(VARIANTS_$(a)),boot-$(a)-$(v))); do \
		$(MAKE) --no-print-directory $$b || rc=1; done; \
	$(if $(call entry_log,$(1)),scripts/check-entry-noinstr $(B)/arm64/kernel/vmlinux \
		> $(call entry_log,$(1)) || rc=1;) \
	echo "==> summary"; \
	selftests/tap-summary $(HOST_LOG) $(KUNIT_LOG) $(foreach a,$(1),$(call log,$(a)) $(call variant_logs,$(a))) \
		$(call entry_log,$(1)) | tee $(B)/check-summary.txt; \
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
# stress tests run 60 s each there (mmrange.stress=60), 5 s in make check;
# the fuzzers (trinity, stress-ng under a window) run only there.  Then it
# runs make check-mm (the kernel's mm selftests, patched vs unpatched),
# unless CHECK_MM=0.
DEBUG_FRAG := kernel-patch/configs/debug.config
# The fuzzers (selftests/fuzz/fuzz-mm) run FUZZ_SECONDS each, three of them.
FUZZ_SECONDS ?= 120
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

# The fuzzers (selftests/fuzz): trinity and stress-ng with their libraries
$(call per_arch,fuzz-root): fuzz-root-%: deps
	@$(STAGE) fuzz-root-$* selftests/fuzz/make-fuzz-root $* $(B)/$*/fuzz-root

$(call per_arch,initramfs-debug): initramfs-debug-%: selftests-% extra-% testdrv-debug-% libtests-% fuzz-root-%
	@mkdir -p $(B)/$*/no-tests
	@$(STAGE) initramfs-debug-$* selftests/make-initramfs $* $(B)/$*/initramfs-debug.cpio.gz \
		$(call testdir,$*) $(call kselftests,$*) $(TESTDRV_MODS:%=$(B)/$*/testdrv-debug/%) \
		tree:/fuzz=$(B)/$*/fuzz-root selftests/fuzz/fuzz-mm \
		$$(find $(B)/$*/extra-tests $(B)/$*/libmmrange/guest -type f | sort)

check-debug: deps
	@rm -f $(DEBUG_LOGS)
	+@$(MAKE) --no-print-directory $(foreach a,$(ARCHES),kernel-debug-$(a) initramfs-debug-$(a))
	+@rc=0; \
	for a in $(ARCHES); do \
		k=$$(case $$a in x86_64) echo $(KERNEL_DEBUG_x86_64);; arm64) echo $(KERNEL_DEBUG_arm64);; esac); \
		MMRANGE_MEM=2048 APPEND_EXTRA="mmrange.timeout=1800 mmrange.stress=60 mmrange.fuzz=$(FUZZ_SECONDS) $(APPEND_EXTRA)" \
			$(STAGE) boot-debug-$$a \
			selftests/run-guest $$a $$k $(B)/$$a/initramfs-debug.cpio.gz \
			$(B)/$$a/guest-debug.log 3600 || rc=1; \
	done; \
	scripts/check-entry-noinstr $(B)/arm64/kernel-debug/vmlinux \
		> $(call entry_log,arm64,-debug) || rc=1; \
	echo "==> summary (debug kernels)"; \
	selftests/tap-summary $(DEBUG_LOGS) $(call entry_log,arm64,-debug) || rc=1; \
	[ "$(CHECK_MM)" = 0 ] || $(MAKE) --no-print-directory check-mm || rc=1; \
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
	@mkdir -p $(B)/arm64/no-tests
	@$(STAGE) initramfs-arm64-$* selftests/make-initramfs arm64 $(B)/arm64/initramfs-$*.cpio.gz \
		$(call testdir,arm64) $(call kselftests,arm64) $(TESTDRV_MODS:%=$(B)/arm64/testdrv-$*/%) \
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

# make check-mm: the kernel's own mm selftests (tools/testing/selftests/mm
# of the tree, built static by selftests/build-kselftests and
# run by its run_kselftest.sh) in a guest of the patched kernel and in a
# guest of the unpatched base tree (kernel-patch/build-base-kernel, same
# config); the patched guest runs them again under a window set before
# main() below 4 GiB and far from the default layout (impose_window.c).
# compare-mm-results fails on any per-test difference that
# selftests/upstream-mm/expected-differences does not explain, and on any
# mapping found outside an imposed window.
MM_TABLE := selftests/upstream-mm/expected-differences
MM_GUEST_TIMEOUT ?= 5400
# 3 GiB: virtual_address_range's page tables (800 MiB on arm64) and
# mremap_test's 2 GiB moves do not fit in the 1 GiB of the other guests
MM_GUEST_MEM ?= 3072
BASH_STATIC_x86_64 := /bin/bash-static
BASH_STATIC_arm64 := $(B)/deps/arm64-root/bin/bash-static
KERNEL_BASE_x86_64 := $(B)/x86_64/kernel-base/arch/x86/boot/bzImage
KERNEL_BASE_arm64 := $(B)/arm64/kernel-base/arch/arm64/boot/Image
MM_LOGS := $(foreach a,$(ARCHES),$(B)/$(a)/guest-mm.log $(B)/$(a)/guest-mm-base.log)
.PHONY: check-mm $(foreach t,kernel-base mm-selftests initramfs-mm check-mm,$(call per_arch,$(t)))

$(call per_arch,kernel-base): kernel-base-%: tree
	@$(STAGE) kernel-base-$* kernel-patch/build-base-kernel $*

$(call per_arch,mm-selftests): mm-selftests-%: kernel-%
	@$(STAGE) mm-selftests-$* selftests/build-kselftests --impose-window $* \
		$(B)/$*/kernel $(B)/$*/kselftest-mm mm

$(call per_arch,initramfs-mm): initramfs-mm-%: mm-selftests-%
	@mkdir -p $(B)/$*/no-tests
	@$(STAGE) initramfs-mm-$* selftests/make-initramfs $* $(B)/$*/initramfs-mm.cpio.gz \
		$(B)/$*/no-tests file:/bin/bash=$(BASH_STATIC_$*) \
		$(call kselftest_files,$*,$(B)/$*/kselftest-mm)

# check-mm-ARCH: boot both guests (even after a failed boot), then compare.
# loglevel=5: kernel messages of level info and notice stay off the console,
# where they split the lines of the test output (run_vmtests.sh writes
# drop_caches, which logs "drop_caches: 3" in the middle of a result line);
# warnings, errors and every splat run-guest looks for are below 5.
MM_APPEND := loglevel=5 mmrange.timeout=3000
$(call per_arch,check-mm): check-mm-%: deps
	@rm -f $(B)/$*/guest-mm.log $(B)/$*/guest-mm-base.log $(B)/$*/check-mm-summary.txt
	+@$(MAKE) --no-print-directory kernel-$* kernel-base-$* initramfs-mm-$*
	+@rc=0; \
	MMRANGE_MEM=$(MM_GUEST_MEM) APPEND_EXTRA="$(MM_APPEND) mmrange.kselftest=plain,low,high $(APPEND_EXTRA)" \
		$(STAGE) boot-mm-$* selftests/run-guest $* $(KERNEL_$*) \
		$(B)/$*/initramfs-mm.cpio.gz $(B)/$*/guest-mm.log $(MM_GUEST_TIMEOUT) >/dev/null || rc=1; \
	MMRANGE_MEM=$(MM_GUEST_MEM) APPEND_EXTRA="$(MM_APPEND) mmrange.kselftest=plain $(APPEND_EXTRA)" \
		$(STAGE) boot-mm-base-$* selftests/run-guest $* $(KERNEL_BASE_$*) \
		$(B)/$*/initramfs-mm.cpio.gz $(B)/$*/guest-mm-base.log $(MM_GUEST_TIMEOUT) >/dev/null || rc=1; \
	echo "==> compare-mm-results $*"; \
	selftests/upstream-mm/compare-mm-results $(MM_TABLE) $* $(B)/$*/guest-mm.log \
		$(B)/$*/guest-mm-base.log | tee $(B)/$*/check-mm-summary.txt; \
	[ $${PIPESTATUS[0]} -eq 0 ] || rc=1; \
	exit $$rc

check-mm: deps
	+@rc=0; for a in $(ARCHES); do $(MAKE) --no-print-directory check-mm-$$a || rc=1; done; exit $$rc

clean:
	rm -rf $(B)

# make check-clients: QEMU linux-user 7.2 (Debian's source) with
# clients/qemu/patches, built for both hosts (qemu-i386, qemu-arm), and
# stock Debian QEMU, run side by side in the patched guests
# (clients/qemu/check-qemu); make demo-qemu prints the x86_64 table.
.PHONY: clients-deps demo-qemu check-clients $(call per_arch,check-clients)
clients-deps: deps
	@$(STAGE) clients-deps scripts/install-deps --clients

$(call per_arch,check-clients): check-clients-%: clients-deps kernel-% tree
	@$(STAGE) check-clients-$* clients/qemu/check-qemu $* $(KERNEL_$*)

check-clients:
	+@rc=0; for a in $(ARCHES); do $(MAKE) --no-print-directory check-clients-$$a || rc=1; done; exit $$rc

demo-qemu: clients-deps kernel-x86_64 tree
	@clients/qemu/check-qemu x86_64 $(KERNEL_x86_64) demo

# make demo: window-demo, translator-demo and fallback-demo inside the
# patched x86_64 guest, then the same static binaries on this machine's own
# (unpatched) kernel for contrast.
DEMO_DIR := $(B)/x86_64/demo
DEMOS := $(DEMO_DIR)/demo-window $(DEMO_DIR)/demo-translator $(DEMO_DIR)/demo-fallback
LIBMMRANGE_x86_64 := $(B)/x86_64/libmmrange/libmmrange.a

$(DEMO_DIR)/demo-window: examples/window-demo.c uapi/linux/mmrange.h | deps
	@mkdir -p $(dir $@)
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -Iuapi -o $@ $< -luring

$(LIBMMRANGE_x86_64): $(wildcard libmmrange/src/*.[ch] libmmrange/src/arch/*/*.h libmmrange/include/*.h)
	@$(MAKE) -s --no-print-directory -C libmmrange ARCH=x86_64 O=$(B)/x86_64/libmmrange $@

# A static PIE, as translators are: a -static program's text and brk heap
# would lie inside the guest's window before it is even set.
$(DEMO_DIR)/demo-translator $(DEMO_DIR)/demo-fallback: $(DEMO_DIR)/demo-%: examples/%-demo.c \
		$(LIBMMRANGE_x86_64) | deps
	@mkdir -p $(dir $@)
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIE -static-pie -Ilibmmrange/include -Iuapi \
		-o $@ $< $(LIBMMRANGE_x86_64) -pthread

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
# do not gate "make check".  The tables and plots of
# Documentation/benchmarks.md come out in build/bench/ARCH/,
# build/bench-syscall-entry-ARCH.txt and build/clients/qemu/ARCH/bench.md,
# for both guests; bench/summary prints the headline ratios at the end.
.PHONY: bench
bench: deps tree clients-deps kernel-x86_64 kernel-arm64
	@set -o pipefail; for a in $(ARCHES); do \
		$(STAGE) bench-syscall-entry-$$a bench/run-syscall-entry $$a | tee $(B)/bench-syscall-entry-$$a.txt || exit 1; done
	@for a in $(ARCHES); do $(STAGE) bench-guest-$$a bench/run-guest-bench $$a || exit 1; done
	@for a in $(ARCHES); do $(STAGE) bench-qemu-client-$$a clients/qemu/check-qemu $$a \
		$$(case $$a in x86_64) echo $(KERNEL_x86_64);; arm64) echo $(KERNEL_arm64);; esac) bench || exit 1; done
	@bench/summary $(B)
