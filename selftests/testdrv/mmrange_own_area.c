// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for a driver with a get_unmapped_area() of its own that does
 * not end in vm_unmapped_area() and so knows nothing of PR_SET_MMAP_RANGE:
 * /dev/mmrange_own_area always offers MMRANGE_OWN_AREA_ADDR.  Under a window
 * that excludes it, the kernel must refuse the mapping with -ENOMEM rather
 * than hand that address out.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>

/* 64 TiB: below TASK_SIZE on x86_64 (47 bits) and arm64 (48 bits or more). */
#define MMRANGE_OWN_AREA_ADDR	BIT(46)

static unsigned long own_area_get_unmapped_area(struct file *file,
						unsigned long addr,
						unsigned long len,
						unsigned long pgoff,
						unsigned long flags)
{
	if (len > SZ_1G)
		return -ENOMEM;
	return MMRANGE_OWN_AREA_ADDR;
}

/* Nothing is ever accessed: the test only looks at the address. */
static int mmrange_own_area_mmap(struct file *file, struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

static const struct file_operations mmrange_own_area_fops = {
	.owner = THIS_MODULE,
	.get_unmapped_area = own_area_get_unmapped_area,
	.mmap = mmrange_own_area_mmap,
};

static struct miscdevice mmrange_own_area_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mmrange_own_area",
	.fops = &mmrange_own_area_fops,
};

module_misc_device(mmrange_own_area_dev);
MODULE_DESCRIPTION("A get_unmapped_area() that ignores the window, for the mmrange selftests");
MODULE_LICENSE("GPL");
