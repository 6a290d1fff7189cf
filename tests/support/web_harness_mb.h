/* In-process web tests of the mailbox and admin pages: a fresh device in
 * a temp dir, a web_app over it (no daemon), requests built in memory,
 * users, logins, mailboxes and held faxes, and audit record counts. */
#ifndef FAXGW_TESTS_WEB_HARNESS_MB_H
#define FAXGW_TESTS_WEB_HARNESS_MB_H

#include <stddef.h>

#include "storage/store.h"
#include "web/web.h"

#define WHM_PW "Tr0ub4dor3x"

struct whm {
	char dir[64];             /* temp dir, removed by whm_teardown */
	char data[128];           /* the device's data dir inside it */
	struct store *st;
	struct web_app *app;
};

/* One logged-in browser: its Cookie header and CSRF token. */
struct whm_session {
	char cookie[128];
	char csrf[80];
};

/* Makes the device and the app; fails the test on error. */
void whm_setup(struct whm *w);
/* Frees everything and removes the temp dir. */
void whm_teardown(struct whm *w);

/* Sends one request (path may hold "?query"; body is urlencoded; peer
 * NULL: 127.0.0.1) and returns the status; clear r afterwards. */
int whm_req(struct whm *w, const char *method, const char *path, const struct whm_session *s,
	    const char *body, const char *peer, struct web_response *r);

/* As whm_req for a POST with the session's CSRF token prepended to body
 * ("csrf=...&" body). */
int whm_post(struct whm *w, const char *path, const struct whm_session *s, const char *body,
	     struct web_response *r);

/* Adds a user (password WHM_PW) with role. */
void whm_add_user(struct whm *w, const char *name, const char *role);

/* Logs name in with WHM_PW; fails the test unless it works. */
void whm_login(struct whm *w, const char *name, struct whm_session *s);

/* Adds a mailbox with a PIN, owner ("" none) and retention. */
void whm_add_mailbox(struct whm *w, const char *number, const char *name, const char *owner,
		     const char *pin, unsigned retention_days);

/* Holds the TIFF $FAXGW_TESTDATA/rel in mailbox as the inbound path does
 * (one vault page, catalog pages = fax pages); id gets its id (65 bytes). */
void whm_hold(struct whm *w, const char *mailbox, const char *rel, char *id);

/* Audit records of type (NULL: any) with a field value containing needle
 * (NULL: any). */
int whm_audit_count(struct whm *w, const char *type, const char *needle);

/* The response body (NUL-terminated for pages). */
const char *whm_body(const struct web_response *r);

#endif
