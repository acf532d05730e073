/* placeholder until the section lands */
#include <errno.h>
#include "internal.h"
void ks_section_processes(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	(void)ctx; (void)snap;
	ks_status_unavailable(st, "processes", -ENOSYS);
}
