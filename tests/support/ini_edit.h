/* Test helper: changes one key of one section of an INI file in place
 * (owner and mode kept), for configs where a key name appears in several
 * sections ([web] listen, [sip] listen). */
#ifndef FAXGW_TESTS_INI_EDIT_H
#define FAXGW_TESTS_INI_EDIT_H

/* Sets "key = value" on the line of key inside [section] of the file at
 * path. Fails the test (Criterion) when the file cannot be read or
 * written or the section has no such key. */
void ini_set(const char *path, const char *section, const char *key, const char *value);

#endif
