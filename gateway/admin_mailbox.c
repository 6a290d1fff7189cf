/* Confidential mailboxes: create, change, PIN change and reset, unlock,
 * delete, list (see admin.h). The PIN seals the mailbox key
 * (storage/store.h), so a PIN can only be changed by someone who knows the
 * current one; a reset without it leaves the held faxes unreadable, and
 * they are erased rather than kept as undecryptable blobs. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/admin_int.h"
#include "gateway/release.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"

bool admin_mailbox_number_ok(const char *n)
{
	size_t len = n != NULL ? strlen(n) : 0;

	if (len == 0 || len > ADMIN_MAILBOX_NUMBER_MAX)
		return false;
	return strspn(n, "0123456789*#") == len;
}

static int refuse(char *msg, size_t msgsize, const char *why)
{
	(void)str_copy(msg, msgsize, why);
	return FGW_ERR_INVALID;
}

static int check_pin(const char *pin, char *msg, size_t msgsize)
{
	if (pin != NULL && release_pin_valid(pin))
		return FGW_OK;
	return refuse(msg, msgsize, "a PIN is 4 to 16 digits (0-9) and nothing else");
}

/* Name and owner text into mb; a NULL field stays as it is. */
static int set_texts(struct catalog_mailbox *mb, const char *name, const char *owner,
		     char *msg, size_t msgsize)
{
	if (name != NULL && (name[0] == '\0' || str_copy(mb->name, sizeof mb->name, name) !=
			     FGW_OK))
		return refuse(msg, msgsize, "the mailbox name is 1 to 128 bytes");
	if (owner != NULL && str_copy(mb->owner, sizeof mb->owner, owner) != FGW_OK)
		return refuse(msg, msgsize, "the owner's user name is up to 128 bytes");
	return FGW_OK;
}

static int set_password(struct store *s, struct catalog_mailbox *mb, const char *password,
			char *msg, size_t msgsize)
{
	int rc = store_mailbox_set_password(s, mb, password);

	if (rc == FGW_ERR_INVALID)
		(void)str_format(msg, msgsize, "the F-code password takes up to %d printable "
				 "ASCII characters", STORE_MAILBOX_PASSWORD_MAX);
	return rc;
}

static int fill_new(struct store *s, const struct admin_mailbox_new *n,
		    struct catalog_mailbox *mb, char *msg, size_t msgsize)
{
	int rc;

	if (!admin_mailbox_number_ok(n->number))
		return refuse(msg, msgsize, "the mailbox number (its F-code) is 1 to 20 of "
			      "0-9 * #");
	if (n->retention_days > ADMIN_RETENTION_MAX)
		return refuse(msg, msgsize, "the retention is 0 to 36500 days");
	if ((rc = check_pin(n->pin, msg, msgsize)) != FGW_OK)
		return rc;
	(void)str_copy(mb->number, sizeof mb->number, n->number);
	rc = set_texts(mb, n->name != NULL ? n->name : "", n->owner != NULL ? n->owner : "",
		       msg, msgsize);
	mb->retention_days = n->retention_days;
	mb->created_ms = store_now_ms();
	if (rc == FGW_OK)
		rc = set_password(s, mb, n->password, msg, msgsize);
	if (rc == FGW_OK)
		rc = store_mailbox_seal(s, mb, n->pin);
	return rc;
}

int admin_mailbox_create(struct store *s, const struct admin_mailbox_new *n,
			 const struct admin_actor *who, char *msg, size_t msgsize)
{
	struct catalog_mailbox mb = {0};
	int rc;

	msg[0] = '\0';
	rc = fill_new(s, n, &mb, msg, msgsize);
	if (rc == FGW_OK)
		rc = catalog_mailbox_create(store_catalog(s), &mb);
	OPENSSL_cleanse(&mb, sizeof mb);
	if (rc == FGW_ERR_EXISTS)
		(void)str_format(msg, msgsize, "mailbox %s exists already", n->number);
	if (rc != FGW_OK)
		return rc;
	return admin_audit(s, who, "mailbox_create", "mailbox", n->number,
			   n->password != NULL && n->password[0] != '\0' ? "password set"
									 : "no password");
}

/* ---- changes ------------------------------------------------------------ */

static void describe_change(const struct admin_mailbox_change *ch, char *out, size_t size)
{
	char ret[40] = "";

	if (ch->retention_days >= 0)
		(void)str_format(ret, sizeof ret, " retention_days=%lld", ch->retention_days);
	(void)str_format(out, size, "%s%s%s%s%s", ch->name != NULL ? "name changed" : "",
			 ch->owner != NULL ? " owner=" : "", ch->owner != NULL ? ch->owner : "",
			 ret, ch->password == NULL ? "" : ch->password[0] != '\0'
			 ? " password set" : " password removed");
}

static int apply_change(struct store *s, const struct admin_mailbox_change *ch,
			struct catalog_mailbox *mb, char *msg, size_t msgsize)
{
	int rc = catalog_mailbox_get(store_catalog(s), ch->number, mb);

	if (rc == FGW_ERR_NOT_FOUND)
		(void)str_format(msg, msgsize, "there is no mailbox %s", ch->number);
	if (rc == FGW_OK && ch->retention_days > ADMIN_RETENTION_MAX)
		rc = refuse(msg, msgsize, "the retention is 0 to 36500 days");
	if (rc == FGW_OK)
		rc = set_texts(mb, ch->name, ch->owner, msg, msgsize);
	if (rc == FGW_OK && ch->retention_days >= 0)
		mb->retention_days = (uint32_t)ch->retention_days;
	if (rc == FGW_OK && ch->password != NULL)
		rc = set_password(s, mb, ch->password, msg, msgsize);
	if (rc == FGW_OK)
		rc = catalog_mailbox_update(store_catalog(s), mb);
	return rc;
}

int admin_mailbox_update(struct store *s, const struct admin_mailbox_change *ch,
			 const struct admin_actor *who, char *msg, size_t msgsize)
{
	struct catalog *cat = store_catalog(s);
	struct catalog_mailbox mb;
	char detail[ADMIN_DETAIL_MAX];
	int rc = catalog_begin(cat);

	msg[0] = '\0';
	if (rc != FGW_OK)
		return rc;
	rc = apply_change(s, ch, &mb, msg, msgsize);
	OPENSSL_cleanse(&mb, sizeof mb);
	if (rc == FGW_OK)
		rc = catalog_commit(cat);
	if (rc != FGW_OK) {
		(void)catalog_rollback(cat);
		return rc;
	}
	describe_change(ch, detail, sizeof detail);
	return admin_audit(s, who, "mailbox_set", "mailbox", ch->number, detail);
}

int admin_mailbox_change_pin(struct store *s, const struct release_policy *p,
			     const char *number, const char *old_pin, const char *new_pin,
			     const struct admin_actor *who, struct release_lock_info *info,
			     char *msg, size_t msgsize)
{
	const struct release_actor as = {.user = who ? who->user : NULL,
					 .source = who ? who->source : NULL};
	int rc;

	msg[0] = '\0';
	if ((rc = check_pin(new_pin, msg, msgsize)) != FGW_OK)
		return rc;
	/* the old PIN goes through the lockout (its records name the asker): a
	 * PIN change is no way around it */
	rc = release_unlock_as(s, p, number, old_pin, store_now_ms(), who ? &as : NULL, info);
	if (rc == FGW_OK)
		rc = store_mailbox_change_pin(s, number, old_pin, new_pin);
	if (rc == FGW_OK)
		rc = admin_audit(s, who, "mailbox_set_pin", "mailbox", number, "");
	return rc;
}

int admin_mailbox_reset_pin(struct store *s, const char *number, const char *new_pin,
			    const struct admin_actor *who, uint64_t *erased, char *msg,
			    size_t msgsize)
{
	struct catalog_mailbox mb;
	int rc;

	msg[0] = '\0';
	if ((rc = check_pin(new_pin, msg, msgsize)) != FGW_OK)
		return rc;
	rc = catalog_mailbox_get(store_catalog(s), number, &mb);
	if (rc == FGW_OK)
		rc = release_erase_held(s, number, "pin_reset", erased);
	if (rc == FGW_OK)
		rc = store_mailbox_seal(s, &mb, new_pin);
	if (rc == FGW_OK)
		rc = catalog_mailbox_update(store_catalog(s), &mb);
	OPENSSL_cleanse(&mb, sizeof mb);
	if (rc == FGW_OK && catalog_checkpoint(store_catalog(s)) != FGW_OK)
		log_warn("catalog checkpoint after a PIN reset failed; retried at the next one");
	if (rc == FGW_OK)
		rc = release_lock_clear(s, number);
	if (rc == FGW_OK)
		rc = admin_audit(s, who, "mailbox_pin_reset", "mailbox", number,
				 "held faxes erased");
	return rc;
}

int admin_mailbox_unlock(struct store *s, const char *number, const struct admin_actor *who)
{
	struct catalog_mailbox mb;
	int rc = catalog_mailbox_get(store_catalog(s), number, &mb);

	OPENSSL_cleanse(&mb, sizeof mb);
	if (rc == FGW_OK)
		rc = release_lock_clear(s, number);
	if (rc == FGW_OK)
		rc = admin_audit(s, who, "mailbox_unlock", "mailbox", number, "lockout cleared");
	return rc;
}

int admin_mailbox_delete(struct store *s, const char *number, bool erase_held,
			 const struct admin_actor *who, uint64_t *erased)
{
	long long held = release_held_count(s, number);
	uint64_t n = 0;
	int rc = held < 0 ? (int)held : FGW_OK;

	if (rc == FGW_OK && held > 0 && !erase_held)
		return FGW_ERR_DENIED;
	if (rc == FGW_OK && held > 0)
		rc = release_erase_held(s, number, "mailbox_delete", &n);
	if (erased != NULL)
		*erased = n;
	if (rc == FGW_OK)
		rc = catalog_mailbox_delete(store_catalog(s), number);
	if (rc == FGW_OK)
		rc = release_lock_clear(s, number);
	if (rc == FGW_OK)
		rc = admin_audit(s, who, "mailbox_delete", "mailbox", number,
				 n > 0 ? "held faxes erased" : "");
	return rc;
}

/* ---- listing ------------------------------------------------------------ */

struct rows {
	struct admin_mailbox_row *row;
	size_t n, cap;
};

static int collect(const struct catalog_mailbox *mb, void *arg)
{
	struct rows *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap == 0 ? 16 : r->cap * 2;
		struct admin_mailbox_row *p = calloc(cap, sizeof *p);

		if (p == NULL)
			return FGW_ERR_NOMEM;
		if (r->row != NULL)
			memcpy(p, r->row, r->n * sizeof *p);
		admin_mailbox_rows_free(r->row, r->cap);
		r->row = p;
		r->cap = cap;
	}
	r->row[r->n].mb = *mb;
	/* the sealed key is not needed for a listing */
	OPENSSL_cleanse(r->row[r->n].mb.pin_verifier, sizeof r->row[r->n].mb.pin_verifier);
	r->n++;
	return FGW_OK;
}

int admin_mailbox_list(struct store *s, int64_t now_ms, struct admin_mailbox_row **rows,
		       size_t *n)
{
	struct rows r = {0};
	int rc = catalog_mailbox_list(store_catalog(s), collect, &r);

	for (size_t i = 0; rc == FGW_OK && i < r.n; i++) {
		struct admin_mailbox_row *m = &r.row[i];

		m->held = release_held_count(s, m->mb.number);
		rc = m->held < 0 ? (int)m->held
				 : release_lock_state(s, m->mb.number, now_ms, &m->lock, &m->locked);
	}
	if (rc != FGW_OK) {
		admin_mailbox_rows_free(r.row, r.cap);
		r.row = NULL;
		r.n = 0;
	}
	*rows = r.row;
	*n = r.n;
	return rc;
}

void admin_mailbox_rows_free(struct admin_mailbox_row *rows, size_t n)
{
	if (rows == NULL)
		return;
	OPENSSL_cleanse(rows, n * sizeof *rows);
	free(rows);
}
