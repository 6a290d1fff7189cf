/* SIMULATION ONLY: the machines at the far ends of faxgwd's simulated
 * lines when the gateway calls out. On the "trunk" a simulated public fax
 * machine answers; on the "device" line a simulated office fax machine
 * prints (receives). Both receive into a memory file and, when given a
 * folder, save what arrived there as NAME.tif; without a folder they
 * count the pages and discard the document.
 *
 * Test knobs (control verb "simulate-far-end busy=N noanswer=N"): the next
 * N trunk calls find the far end busy / not answering. Like a network's
 * call signalling, that answer comes before any audio; a real line will
 * learn it from SIP (486 Busy Here, no answer timer). */
#ifndef FAXGW_GATEWAY_SIM_FAREND_H
#define FAXGW_GATEWAY_SIM_FAREND_H

#include <stddef.h>

struct control;
struct fax_endpoint;
struct fax_result;
struct sim_farend;
struct sim_rx;

enum sim_farend_answer { SIM_FAREND_ANSWER = 0, SIM_FAREND_BUSY, SIM_FAREND_NO_ANSWER };

/* Makes the knobs (all zero: the far end answers). Returns 0 and *out
 * (sim_farend_free), FGW_ERR_NOMEM. */
int sim_farend_new(struct sim_farend **out);
void sim_farend_free(struct sim_farend *f);

/* Registers "simulate-far-end" on ctl, setting f's knobs. Returns 0 or a
 * control_register code. f must outlive ctl's serving. */
int sim_farend_register(struct control *ctl, struct sim_farend *f);

/* A trunk call is placed: returns how the far end answers, using up one
 * busy (first) or no-answer count. */
enum sim_farend_answer sim_farend_dial(struct sim_farend *f);

/* Makes a receiving far-end machine (answering side, accepts every fax;
 * ident: its CSI, may be NULL) writing into its own memory file. Returns 0,
 * *out (sim_rx_free) and *ep (the endpoint; the caller owns it, and must
 * free it before sim_rx_free), or fax_endpoint_new / memfile codes. */
int sim_rx_new(const char *ident, struct sim_rx **out, struct fax_endpoint **ep);

/* Pages received so far. */
int sim_rx_pages(const struct sim_rx *rx);

/* After the call: when dirfd >= 0 and a page arrived, writes the received
 * TIFF to dirfd/name (new file, mode 0600; an existing one is kept and
 * FGW_ERR_EXISTS returned). dirfd < 0: discards. Returns 0 or a code. */
int sim_rx_keep(struct sim_rx *rx, int dirfd, const char *name);

/* Wipes the memory file and frees rx; NULL is fine. */
void sim_rx_free(struct sim_rx *rx);

#endif
