/* The data directory lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/pidfile.h"

struct pidfile {
	int fd;
};

/* Reads the pid the holder wrote; 0 when there is none yet. */
static pid_t read_holder(int fd)
{
	char buf[32];
	long long pid;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	return str_to_int(buf, 1, 1LL << 30, &pid) == 0 ? (pid_t)pid : 0;
}

static int write_pid(int fd)
{
	char buf[32];

	if (str_format(buf, sizeof buf, "%ld\n", (long)getpid()) != 0 || ftruncate(fd, 0) != 0)
		return FGW_ERR_IO;
	size_t len = strlen(buf);
	return pwrite(fd, buf, len, 0) == (ssize_t)len ? 0 : FGW_ERR_IO;
}

int pidfile_acquire(const char *dir, uid_t owner, struct pidfile **out, pid_t *holder)
{
	char path[4200];
	int fd;

	*out = NULL;
	*holder = 0;
	if (str_format(path, sizeof path, "%s/%s", dir, PIDFILE_NAME) != 0)
		return FGW_ERR_TOO_LARGE;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_errno("cannot open the lock file %s", path);
		return FGW_ERR_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		*holder = busy ? read_holder(fd) : 0;
		if (busy && *holder > 0)
			log_error("%s is in use by another faxgwd (pid %ld, lock %s); stop it "
				  "first", dir, (long)*holder, path);
		else if (busy)
			log_error("%s is in use by another faxgwd starting up (lock %s); stop "
				  "it first", dir, path);
		else
			log_errno("cannot lock %s", path);
		close(fd);
		return busy ? FGW_ERR_BUSY : FGW_ERR_IO;
	}
	if ((owner != (uid_t)-1 && fchown(fd, owner, (gid_t)-1) != 0) || write_pid(fd) != 0) {
		log_errno("cannot write the lock file %s", path);
		close(fd);
		return FGW_ERR_IO;
	}
	if ((*out = malloc(sizeof **out)) == NULL) {
		close(fd);
		return FGW_ERR_NOMEM;
	}
	(*out)->fd = fd;
	return 0;
}

void pidfile_release(struct pidfile *p)
{
	if (p == NULL)
		return;
	if (ftruncate(p->fd, 0) != 0)
		log_errno("cannot empty the lock file");
	close(p->fd);   /* drops the lock */
	free(p);
}
