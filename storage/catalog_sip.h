/* Per-device SIP credentials (the catalog's sip_credentials table): the
 * digest user name and HA1 = H(user:realm:password) for MD5 and SHA-256,
 * under the realm they were made for. HA1 is password-equivalent for that
 * realm, so the row is as secret as a password (the catalog is 0600 and
 * secure_delete is on); the plain password is never stored. Changing
 * [sip] realm makes every stored HA1 useless: set the passwords again.
 *
 * A row belongs to a catalog device (devices.address) and is deleted with
 * it. Same conventions as storage/catalog.h. */
#ifndef FAXGW_STORAGE_CATALOG_SIP_H
#define FAXGW_STORAGE_CATALOG_SIP_H

#include <stddef.h>
#include <stdint.h>

#include "storage/catalog.h"

#define CATALOG_SIP_REALM_MAX 64
#define CATALOG_SIP_MD5_LEN 16
#define CATALOG_SIP_SHA256_LEN 32

struct catalog_sip_cred {
	char device[CATALOG_NAME_MAX + 1];     /* devices.address; primary key */
	char user[CATALOG_NAME_MAX + 1];       /* digest user name (unique) */
	char realm[CATALOG_SIP_REALM_MAX + 1]; /* realm the HA1s were made for */
	uint8_t ha1_md5[CATALOG_SIP_MD5_LEN];
	uint8_t ha1_sha256[CATALOG_SIP_SHA256_LEN];
	int64_t created_ms;
	int64_t changed_ms;
};

/* Inserts c, or replaces user, realm, HA1s and changed_ms of the row of
 * c->device (created_ms stays). FGW_ERR_DENIED when no device has that
 * address; FGW_ERR_EXISTS when another device has that user name. */
int catalog_sip_put(struct catalog *cat, const struct catalog_sip_cred *c);

/* Fills *out with the credentials of device. FGW_ERR_NOT_FOUND. The caller
 * OPENSSL_cleanses *out when done. */
int catalog_sip_get(struct catalog *cat, const char *device, struct catalog_sip_cred *out);

/* Fills *out with the credentials whose user name is user.
 * FGW_ERR_NOT_FOUND. The caller OPENSSL_cleanses *out when done. */
int catalog_sip_get_by_user(struct catalog *cat, const char *user,
			    struct catalog_sip_cred *out);

/* Deletes the credentials of device. FGW_ERR_NOT_FOUND. */
int catalog_sip_delete(struct catalog *cat, const char *device);

#endif
