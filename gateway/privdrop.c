/* Privilege drop and core-dump hardening. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/privdrop.h"

int privdrop_no_core(void)
{
	struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		log_errno("cannot turn core dumps off (RLIMIT_CORE)");
		return FGW_ERR_IO;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		log_errno("cannot turn core dumps off (PR_SET_DUMPABLE)");
		return FGW_ERR_IO;
	}
	return 0;
}

int privdrop_target(const char *user, uid_t *uid, gid_t *gid, bool *will_drop)
{
	*will_drop = geteuid() == 0;
	if (!*will_drop) {
		*uid = geteuid();
		*gid = getegid();
		return 0;
	}
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		log_error("[general] user: no account '%s' to run as; create it with "
			  "'useradd --system --home-dir /var/lib/faxgw --shell /usr/sbin/nologin %s' "
			  "(make install does) or set another user", user, user);
		return FGW_ERR_NOT_FOUND;
	}
	if (pw->pw_uid == 0) {
		log_error("[general] user: '%s' is root; name an unprivileged account", user);
		return FGW_ERR_PERMISSION;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int drop(const char *user, uid_t uid, gid_t gid)
{
	if (setgroups(1, &gid) != 0) {
		log_errno("setgroups for %s", user);
		return FGW_ERR_PERMISSION;
	}
	if (setresgid(gid, gid, gid) != 0) {
		log_errno("setresgid(%u) for %s", (unsigned)gid, user);
		return FGW_ERR_PERMISSION;
	}
	if (setresuid(uid, uid, uid) != 0) {
		log_errno("setresuid(%u) for %s", (unsigned)uid, user);
		return FGW_ERR_PERMISSION;
	}
	/* A drop that can be undone is no drop. */
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid) {
		log_error("privilege drop to %s did not stick", user);
		return FGW_ERR_PERMISSION;
	}
	log_info("running as %s (uid %u, gid %u)", user, (unsigned)uid, (unsigned)gid);
	return 0;
}

int privdrop_apply(const char *user, uid_t uid, gid_t gid, bool will_drop)
{
	int rc = 0;

	if (will_drop)
		rc = drop(user, uid, gid);
	else
		log_info("not started as root: running as uid %u as is ([general] user '%s' "
			 "applies only when started as root)", (unsigned)uid, user);
	/* Changing ids resets the dumpable flag: set it again. */
	if (rc == 0 && will_drop)
		rc = privdrop_no_core();
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_errno("PR_SET_NO_NEW_PRIVS");
		rc = FGW_ERR_IO;
	}
	return rc;
}
