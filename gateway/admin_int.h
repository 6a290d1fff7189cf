/* Private to gateway/admin*.c. */
#ifndef FAXGW_GATEWAY_ADMIN_INT_H
#define FAXGW_GATEWAY_ADMIN_INT_H

#include "gateway/admin.h"

/* Appends the config_change record of a change (see admin.h): action,
 * subject_key = subject ("mailbox" = "1234"), detail (NULL: ""), and the
 * actor's user and source when who is not NULL. Returns 0 or the audit
 * code. */
int admin_audit(struct store *s, const struct admin_actor *who, const char *action,
		const char *subject_key, const char *subject, const char *detail);

#endif
