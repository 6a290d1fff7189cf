#include "common/err.h"

struct err_entry {
	const char *name;
	const char *text;
};

/* Indexed by -code. */
static const struct err_entry err_table[] = {
	[0] = {"FGW_OK", "success"},
	[1] = {"FGW_ERR_NOMEM", "out of memory"},
	[2] = {"FGW_ERR_INVALID", "invalid argument"},
	[3] = {"FGW_ERR_IO", "input/output error"},
	[4] = {"FGW_ERR_NOT_FOUND", "not found"},
	[5] = {"FGW_ERR_EXISTS", "already exists"},
	[6] = {"FGW_ERR_PERMISSION", "unsafe permissions or access denied"},
	[7] = {"FGW_ERR_CONFIG", "invalid configuration"},
	[8] = {"FGW_ERR_RANGE", "value out of range"},
	[9] = {"FGW_ERR_PARSE", "malformed input"},
	[10] = {"FGW_ERR_TOO_LARGE", "input exceeds a size limit"},
	[11] = {"FGW_ERR_TIFF", "not a readable TIFF file"},
	[12] = {"FGW_ERR_TIFF_UNSUPPORTED", "TIFF cannot be sent as a fax"},
	[13] = {"FGW_ERR_FAX_FAILED", "fax transfer failed"},
	[14] = {"FGW_ERR_FAX_REJECTED", "fax refused by the receiver"},
	[15] = {"FGW_ERR_TIMEOUT", "timed out"},
	[16] = {"FGW_ERR_CRYPTO", "cryptographic operation failed"},
	[17] = {"FGW_ERR_AUTH", "authentication failed: data was altered"},
	[18] = {"FGW_ERR_VERSION", "unknown format version"},
	[19] = {"FGW_ERR_TRUNCATED", "data is truncated"},
	[20] = {"FGW_ERR_TAMPERED", "data was tampered with"},
	[21] = {"FGW_ERR_BAD_PIN", "wrong PIN"},
	[22] = {"FGW_ERR_LOCKED", "locked after too many failures"},
	[23] = {"FGW_ERR_DB", "catalog database error"},
	[24] = {"FGW_ERR_NO_SPACE", "no space left on device"},
	[25] = {"FGW_ERR_MISMATCH", "the two entries do not match"},
	[26] = {"FGW_ERR_DENIED", "not permitted"},
	[27] = {"FGW_ERR_BUSY", "busy"},
	[28] = {"FGW_ERR_STATE", "not possible in the current state"},
	[29] = {"FGW_ERR_UNSUPPORTED", "not supported"},
	[30] = {"FGW_ERR_BAD_PASSWORD", "password refused"},
	[31] = {"FGW_ERR_REORDERED", "data was reordered"},
	[32] = {"FGW_ERR_SPLICED", "data from another document was spliced in"},
};

_Static_assert(sizeof err_table / sizeof err_table[0] == -FGW_ERR_LAST,
	       "every error code needs a table entry");

static const struct err_entry *err_lookup(int code)
{
	static const struct err_entry unknown = {"FGW_ERR_UNKNOWN", "unknown error"};

	if (code > 0 || code <= FGW_ERR_LAST)
		return &unknown;
	return &err_table[-code];
}

const char *fgw_strerror(int code)
{
	return err_lookup(code)->text;
}

const char *fgw_errname(int code)
{
	return err_lookup(code)->name;
}
