/* See web_harness_mb.h. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/catalog_users.h"
#include "tests/support/fax_harness.h"
#include "tests/support/web_harness_mb.h"
#include "web/auth.h"
#include "web/html.h"

void whm_setup(struct whm *w)
{
	static const struct store_options opts = {.pin_cost = {10, 8, 1}};
	struct web_settings set = { .idle_minutes = 15, .max_hours = 8, .lock_minutes = 15,
				    .max_failures = 3, .scrypt_log2_n = 14 };

	memset(w, 0, sizeof *w);
	cr_assert_eq(str_copy(w->dir, sizeof w->dir, "/tmp/test_webmb.XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(w->dir));
	cr_assert_eq(str_format(w->data, sizeof w->data, "%s/d", w->dir), 0);
	cr_assert_eq(store_init(w->data), FGW_OK);
	cr_assert_eq(store_open(w->data, &opts, &w->st), FGW_OK);
	cr_assert_eq(str_copy(set.data_dir, sizeof set.data_dir, w->data), 0);
	cr_assert_eq(web_app_new(&set, w->st, NULL, &w->app), FGW_OK);
}

void whm_teardown(struct whm *w)
{
	char cmd[128];

	web_app_free(w->app);
	store_close(w->st);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", w->dir), 0);
	cr_assert_eq(system(cmd), 0);
}

int whm_req(struct whm *w, const char *method, const char *path, const struct whm_session *s,
	    const char *body, const char *peer, struct web_response *r)
{
	struct web_request q = {
		.method = method, .path = path, .cookie = s ? s->cookie : NULL,
		.peer = peer ? peer : "127.0.0.1",
		.content_type = "application/x-www-form-urlencoded",
		.body = (const unsigned char *)body, .body_len = body ? strlen(body) : 0,
	};
	char p[512];
	const char *qm = strchr(path, '?');

	if (qm) {
		cr_assert_eq(str_format(p, sizeof p, "%.*s", (int)(qm - path), path), 0);
		q.path = p;
		q.query = qm + 1;
	}
	web_handle(w->app, &q, r);
	return r->status;
}

int whm_post(struct whm *w, const char *path, const struct whm_session *s, const char *body,
	     struct web_response *r)
{
	char full[4096];

	cr_assert_eq(str_format(full, sizeof full, "csrf=%s%s%s", s->csrf,
				body && *body ? "&" : "", body ? body : ""), 0);
	return whm_req(w, "POST", path, s, full, NULL, r);
}

void whm_add_user(struct whm *w, const char *name, const char *role)
{
	struct catalog_user u = {0};

	cr_assert_eq(str_copy(u.name, sizeof u.name, name), 0);
	cr_assert_eq(str_copy(u.role, sizeof u.role, role), 0);
	cr_assert_eq(auth_password_hash(WHM_PW, 14, u.verifier, &u.verifier_len), FGW_OK);
	cr_assert_eq(catalog_user_insert(store_catalog(w->st), &u), FGW_OK);
}

void whm_login(struct whm *w, const char *name, struct whm_session *s)
{
	struct web_response r;
	char body[256];
	const char *sc;

	cr_assert_eq(str_format(body, sizeof body, "user=%s&password=%s", name, WHM_PW), 0);
	cr_assert_eq(whm_req(w, "POST", "/login", NULL, body, NULL, &r), 303);
	sc = web_response_header(&r, "Set-Cookie");
	cr_assert_not_null(sc);
	cr_assert_eq(str_format(s->cookie, sizeof s->cookie, "%.*s", (int)strcspn(sc, ";"), sc),
		     0);
	cr_assert_eq(auth_token_derive("csrf", strchr(s->cookie, '=') + 1, s->csrf), FGW_OK);
	web_response_clear(&r);
}

void whm_add_mailbox(struct whm *w, const char *number, const char *name, const char *owner,
		     const char *pin, unsigned retention_days)
{
	struct catalog_mailbox mb = {.retention_days = retention_days, .created_ms = 1};

	cr_assert_eq(str_copy(mb.number, sizeof mb.number, number), 0);
	cr_assert_eq(str_copy(mb.name, sizeof mb.name, name), 0);
	cr_assert_eq(str_copy(mb.owner, sizeof mb.owner, owner), 0);
	cr_assert_eq(store_mailbox_seal(w->st, &mb, pin), 0);
	cr_assert_eq(catalog_mailbox_create(store_catalog(w->st), &mb), 0);
}

void whm_hold(struct whm *w, const char *mailbox, const char *rel, char *id)
{
	struct catalog_document meta = {.direction = CATALOG_DIR_IN, .state = CATALOG_DOC_HELD};
	struct store_doc *d;
	const char *path = testdata(rel);
	int pages = tiff_pages(path);
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s is missing", path);
	cr_assert_gt(pages, 0);
	cr_assert_eq(str_copy(meta.mailbox, sizeof meta.mailbox, mailbox), 0);
	cr_assert_eq(str_copy(meta.remote_number, sizeof meta.remote_number, "0312345678"), 0);
	cr_assert_eq(store_doc_create(w->st, &meta, &d), 0);
	cr_assert_eq(store_doc_add_page_fd(d, fd), 0);
	cr_assert_eq(store_doc_commit(d, id), 0);
	cr_assert_eq(close(fd), 0);
	cr_assert_eq(catalog_document_set_state(store_catalog(w->st), id, CATALOG_DOC_HELD,
						(uint32_t)pages, 2), 0);
}

struct count {
	const char *type, *needle;
	int n;
};

static int count_fn(const struct audit_record *rec, void *arg)
{
	struct count *c = arg;
	bool hit = c->needle == NULL;

	if (c->type && strcmp(rec->type, c->type) != 0)
		return 0;
	for (size_t i = 0; !hit && i < rec->nfields; i++)
		hit = strstr(rec->fields[i].value, c->needle) != NULL;
	c->n += hit;
	return 0;
}

int whm_audit_count(struct whm *w, const char *type, const char *needle)
{
	struct count c = {.type = type, .needle = needle};
	char path[256];

	cr_assert_eq(audit_sync(store_audit(w->st), NULL), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", w->data, STORE_AUDIT_FILE), 0);
	cr_assert_eq(audit_read_file(path, count_fn, &c, NULL), 0);
	return c.n;
}

const char *whm_body(const struct web_response *r)
{
	return html_data(r->body);
}
