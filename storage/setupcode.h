/* The one-time code that lets the first administrator account be created
 * from another machine than the appliance itself (seed 000 1.2: no factory
 * password). faxgw init makes it and prints it; the web server's first-run
 * page checks it, then removes it. Only a hash is stored. */
#ifndef FAXGW_STORAGE_SETUPCODE_H
#define FAXGW_STORAGE_SETUPCODE_H

#define SETUPCODE_LEN 14            /* XXXX-XXXX-XXXX */
#define SETUPCODE_FILE "web-setup-code"

/* Makes a new random code, writes its hash to data_dir/SETUPCODE_FILE
 * (0600, replacing an old one) and returns the code in code. Returns 0,
 * FGW_ERR_CRYPTO or FGW_ERR_IO. */
int setupcode_create(const char *data_dir, char code[static SETUPCODE_LEN + 1]);

/* Checks code (dashes, spaces and case ignored) in constant time. Returns
 * 0, FGW_ERR_BAD_PASSWORD, or FGW_ERR_NOT_FOUND when no code is pending. */
int setupcode_check(const char *data_dir, const char *code);

/* Removes the pending code (after the first admin is made). */
void setupcode_remove(const char *data_dir);

#endif
