/* faxgw init: creates a new device (data directory, keys, catalog, audit
 * log). Refuses to touch an existing one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/commands.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/setupcode.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw init [--data DIR] [--owner USER]\n\n"
		"Creates a new device in DIR (default " STORE_DEFAULT_DIR "): the folder\n"
		"(mode 700), a random master key and the device's Ed25519 signing key\n"
		"(mode 600), the public key (" KEYS_PUBLIC_FILE "), the catalog, the\n"
		"audit log and the web's self-signed HTTPS certificate (DIR/tls).\n"
		"Refuses when DIR already holds a device or other files.\n\n"
		"  --data DIR     data directory\n"
		"  --owner USER   when run as root: give the new device to USER, the\n"
		"                 account faxgwd runs as ([general] user; default faxgw)\n"
		"  --help         this text\n");
}

/* Gives dirfd's entries (recursively) to uid:gid; symlinks themselves,
 * never what they point to. Returns 0 or -1 after saying what failed. */
static int chown_tree(int dirfd, const char *path, uid_t uid, gid_t gid)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		close(dirfd);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
			fprintf(stderr, "faxgw init: cannot give %s/%s to uid %u: %s\n", path,
				e->d_name, (unsigned)uid, strerror(errno));
			rc = -1;
		} else if (e->d_type == DT_DIR) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			rc = sub < 0 ? -1 : chown_tree(sub, path, uid, gid);
		}
	}
	closedir(d);
	return rc;
}

/* faxgwd drops root and then must own its data directory: a root-run
 * init hands the fresh tree to that account, so nobody has to chown by
 * hand. Returns 0, or 1 after saying what failed. */
static int give_to_owner(const char *dir, const char *owner, bool explicit_owner)
{
	struct passwd *pw;
	int fd;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(owner);
	if (pw == NULL) {
		if (explicit_owner) {
			fprintf(stderr, "faxgw init: no account named '%s' (--owner): the device "
				"in %s stays root's; create the account and run 'chown -R %s: %s'\n",
				owner, dir, owner, dir);
			return 1;
		}
		printf("note: no '%s' account here, so %s stays root's; faxgwd running as "
		       "another user needs 'chown -R USER: %s'\n", owner, dir, dir);
		return 0;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0 || fchown(fd, pw->pw_uid, pw->pw_gid) != 0) {
		fprintf(stderr, "faxgw init: cannot give %s to %s: %s\n", dir, owner,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (chown_tree(fd, dir, pw->pw_uid, pw->pw_gid) != 0)
		return 1;
	printf("the device belongs to %s (the account faxgwd runs as)\n", owner);
	return 0;
}

int cmd_init(int argc, char **argv)
{
	return cmd_init_with(argc, argv, NULL);
}

int cmd_init_with(int argc, char **argv, cmd_init_extra_fn *extra)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"owner", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = STORE_DEFAULT_DIR, *owner = "faxgw";
	bool explicit_owner = false;
	char code[SETUPCODE_LEN + 1];
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			dir = optarg;
		} else if (c == 'o') {
			owner = optarg;
			explicit_owner = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faxgw init: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	rc = store_init(dir);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw init: no device created in %s: %s\n", dir, fgw_strerror(rc));
		return 1;
	}
	printf("created a new device in %s\npublic key for erasure certificates: %s/%s\n", dir,
	       dir, KEYS_PUBLIC_FILE);
	/* the web interface has no factory password: the first admin is made
	 * from loopback, or remotely with this one-time code */
	rc = setupcode_create(dir, code);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw init: cannot write the web setup code: %s\n",
			fgw_strerror(rc));
		return 1;
	}
	printf("web setup code (needed to create the first admin from another host): %s\n",
	       code);
	/* before the hand-over, so what the layers above make goes too */
	if (extra != NULL && extra(dir) != 0)
		return 1;
	return give_to_owner(dir, owner, explicit_owner);
}
