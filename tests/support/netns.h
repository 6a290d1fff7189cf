/* Test helper (root only): two network namespaces joined by a lossy wire.
 * Each namespace has lo up and a TUN device "fgw0" addressed
 * NETNS_ADDR_A / NETNS_ADDR_B (point to point); a thread of the test
 * carries every IP packet between the two TUN devices and drops each one
 * with the configured probability (seeded, so a run repeats) — packet loss
 * on a real IP path without the kernel's netem, which not every kernel
 * has. Programs forked while the test is inside a namespace
 * (netns_enter) live in it; Unix sockets by path still reach them.
 *
 * Namespaces named like ours that a crashed run left are removed first;
 * netns_link_free removes ours (call it from the test's fini so a failed
 * assertion still cleans up). */
#ifndef FAXGW_TESTS_NETNS_H
#define FAXGW_TESTS_NETNS_H

#include <stdint.h>

#define NETNS_ADDR_A "10.231.0.1"
#define NETNS_ADDR_B "10.231.0.2"

struct netns_link;

/* Makes namespaces "<prefix>a" and "<prefix>b" and starts the wire with
 * loss (0..1) and seed. Fails the test on any error (e.g. not root). */
struct netns_link *netns_link_new(const char *prefix, double loss, uint64_t seed);

/* Moves the calling thread into namespace side (0: a, 1: b); processes it
 * forks from now on start there. */
void netns_enter(struct netns_link *l, int side);

/* Back to the namespace the test started in. */
void netns_leave(struct netns_link *l);

/* Packets carried and dropped so far (both directions). */
uint64_t netns_carried(const struct netns_link *l);
uint64_t netns_dropped(const struct netns_link *l);

/* Stops the wire, removes both namespaces, frees l. NULL is fine. Never
 * fails the test (it runs in fini). */
void netns_link_free(struct netns_link *l);

#endif
