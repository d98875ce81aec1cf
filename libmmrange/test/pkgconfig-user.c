/* Built against an installed libmmrange with pkg-config's flags only. */
#include <stdio.h>

#include <mmrange.h>

int main(void)
{
	unsigned int f = mmr_features();

	printf("libmmrange features: %#x (%s)\n", f,
	       f & MMR_FEAT_WINDOW ? "kernel window" : "fallback only");
	return mmr_strerror(-22) ? 0 : 1;
}
