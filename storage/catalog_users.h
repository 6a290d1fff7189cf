/* More statements on the users and sessions tables of the catalog (the
 * basic insert/get live in catalog.h): list, update, delete, count, and
 * session housekeeping. Same error conventions as catalog.h. */
#ifndef FAXGW_STORAGE_CATALOG_USERS_H
#define FAXGW_STORAGE_CATALOG_USERS_H

#include <stdint.h>

#include "storage/catalog.h"

/* Calls fn for each user in name order; user is valid only during the
 * call. fn returns 0 to go on, anything else stops and is returned. */
typedef int (*catalog_user_fn)(const struct catalog_user *user, void *arg);
int catalog_user_list(struct catalog *cat, catalog_user_fn fn, void *arg);

/* Replaces role, verifier and must_change of user->name.
 * FGW_ERR_NOT_FOUND. */
int catalog_user_update(struct catalog *cat, const struct catalog_user *user);

/* Deletes the user and (cascade) its sessions. FGW_ERR_NOT_FOUND. */
int catalog_user_delete(struct catalog *cat, const char *name);

/* Number of users (>= 0) or a negative error. */
long long catalog_user_count(struct catalog *cat);

/* Sets expires_ms of session id (sliding idle timeout). FGW_ERR_NOT_FOUND. */
int catalog_session_touch(struct catalog *cat, const char *id, int64_t expires_ms);

/* Deletes every session of user (e.g. after a password change). */
int catalog_session_delete_user(struct catalog *cat, const char *user);

/* Deletes sessions whose expires_ms is before now_ms. */
int catalog_session_purge(struct catalog *cat, int64_t now_ms);

#endif
