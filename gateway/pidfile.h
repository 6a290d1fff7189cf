/* The daemon's lock on its data directory: DATA_DIR/faxgwd.pid, held with
 * flock for the daemon's whole life, holding its pid. A second daemon on
 * the same directory is refused and told which pid holds it. The file is
 * left in place at exit (emptied): unlinking a locked file lets a third
 * process lock a new one while a second still holds the old. */
#ifndef FAXGW_GATEWAY_PIDFILE_H
#define FAXGW_GATEWAY_PIDFILE_H

#include <sys/types.h>

#define PIDFILE_NAME "faxgwd.pid"

struct pidfile;

/* Locks dir/PIDFILE_NAME (created 0600, chowned to owner unless owner is
 * (uid_t)-1) and writes our pid. Returns 0 and *out (pidfile_release),
 * FGW_ERR_BUSY when another process holds it (*holder gets its pid, 0 if
 * unreadable; logged), FGW_ERR_IO (logged), FGW_ERR_NOMEM. */
int pidfile_acquire(const char *dir, uid_t owner, struct pidfile **out, pid_t *holder);

/* Empties the file and drops the lock. NULL is fine. */
void pidfile_release(struct pidfile *p);

#endif
