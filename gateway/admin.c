/* What the mailbox and device administration share: the audit record of
 * a change (see admin.h). */
#include "gateway/admin_int.h"

#include "storage/audit.h"
#include "storage/store.h"

int admin_audit(struct store *s, const struct admin_actor *who, const char *action,
		const char *subject_key, const char *subject, const char *detail)
{
	struct audit_field f[5] = {
		AUDIT_F_STR("action", action),
		AUDIT_F_STR(subject_key, subject),
		AUDIT_F_STR("detail", detail != NULL ? detail : ""),
	};
	size_t n = 3;

	if (who != NULL) {
		f[n++] = AUDIT_F_STR("user", who->user != NULL ? who->user : "");
		f[n++] = AUDIT_F_STR("source", who->source != NULL ? who->source : "");
	}
	return audit_append_durable(store_audit(s), AUDIT_CONFIG_CHANGE, f, n, NULL);
}
