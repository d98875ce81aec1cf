// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for the drivers whose ioctls map memory into the caller with
 * vm_mmap() and hand back the address (GPU buffer objects, DSP firmware
 * windows, ...).  The kernel chooses that address, so the test uses this
 * device to check that such placements honour PR_SET_MMAP_RANGE.
 *
 * ioctl(fd, MMRANGE_VM_MMAP, &len): maps len bytes of anonymous memory with
 * vm_mmap(NULL, 0, len, ...) and stores the address in the argument.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#define MMRANGE_VM_MMAP	_IOWR('m', 1, __u64)

static long mmrange_vm_mmap_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	u64 __user *uarg = (u64 __user *)arg;
	unsigned long addr;
	u64 len;

	if (cmd != MMRANGE_VM_MMAP)
		return -ENOTTY;
	if (get_user(len, uarg))
		return -EFAULT;
	addr = vm_mmap(NULL, 0, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	return put_user((u64)addr, uarg);
}

static const struct file_operations mmrange_vm_mmap_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mmrange_vm_mmap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mmrange_vm_mmap_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mmrange_vm_mmap",
	.fops = &mmrange_vm_mmap_fops,
};

module_misc_device(mmrange_vm_mmap_dev);
MODULE_DESCRIPTION("vm_mmap() from an ioctl, for the mmrange selftests");
MODULE_LICENSE("GPL");
