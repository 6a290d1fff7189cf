/* Files built into the binary by web/embed.sh (see web/module.mk): the
 * stylesheet served at /static/style.css and the scripts. Each
 * array ends with a NUL that the length does not count. */
#ifndef FAXGW_WEB_EMBEDDED_H
#define FAXGW_WEB_EMBEDDED_H

#include <stddef.h>

extern const unsigned char web_embed_style_css[];
extern const size_t web_embed_style_css_len;
extern const unsigned char web_embed_send_js[];
extern const size_t web_embed_send_js_len;

#endif
