/* The project's one error type: 0 is success, negatives are named codes.
 * Codes pass up unchanged; the place that meets the user says what to do. */
#ifndef FAXGW_COMMON_ERR_H
#define FAXGW_COMMON_ERR_H

enum fgw_err {
	FGW_OK = 0,
	FGW_ERR_NOMEM = -1,         /* out of memory */
	FGW_ERR_INVALID = -2,       /* a caller passed a bad argument */
	FGW_ERR_IO = -3,            /* a system call failed; errno says which */
	FGW_ERR_NOT_FOUND = -4,     /* no such file, mailbox, document, ... */
	FGW_ERR_EXISTS = -5,        /* refusing to overwrite */
	FGW_ERR_PERMISSION = -6,    /* file modes or ownership are unsafe */
	FGW_ERR_CONFIG = -7,        /* the configuration is invalid */
	FGW_ERR_RANGE = -8,         /* a number or length is out of its bounds */
	FGW_ERR_PARSE = -9,         /* malformed outside input */
	FGW_ERR_TOO_LARGE = -10,    /* input exceeds a hard limit */
	FGW_ERR_TIFF = -11,         /* not a readable TIFF file */
	FGW_ERR_TIFF_UNSUPPORTED = -12, /* a TIFF that cannot become a fax */
	FGW_ERR_FAX_FAILED = -13,   /* the fax session ended in failure */
	FGW_ERR_FAX_REJECTED = -14, /* the receiving side refused SUB/PWD */
	FGW_ERR_TIMEOUT = -15,
	FGW_ERR_CRYPTO = -16,       /* the crypto library failed */
	FGW_ERR_AUTH = -17,         /* authentication tag mismatch: data altered */
	FGW_ERR_VERSION = -18,      /* unknown format version */
	FGW_ERR_TRUNCATED = -19,    /* data ends early */
	FGW_ERR_TAMPERED = -20,     /* a log or blob was altered */
	FGW_ERR_BAD_PIN = -21,
	FGW_ERR_LOCKED = -22,       /* too many failures: locked for a while */
	FGW_ERR_DB = -23,           /* the catalog database failed */
	FGW_ERR_NO_SPACE = -24,     /* the disk is full */
	FGW_ERR_MISMATCH = -25,     /* double entry: the two numbers differ */
	FGW_ERR_DENIED = -26,       /* refused by policy or role */
	FGW_ERR_BUSY = -27,
	FGW_ERR_STATE = -28,        /* call not valid in the current state */
	FGW_ERR_UNSUPPORTED = -29,
	FGW_ERR_BAD_PASSWORD = -30,
	FGW_ERR_REORDERED = -31,    /* stored blocks or records are out of order */
	FGW_ERR_SPLICED = -32,      /* a block from another document was inserted */
	FGW_ERR_LAST = -33
};

/* Returns a short English description of code; never NULL. */
const char *fgw_strerror(int code);

/* Returns the code's symbolic name ("FGW_ERR_AUTH"); never NULL. */
const char *fgw_errname(int code);

#endif
