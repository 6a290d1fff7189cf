/* Two namespaces and a lossy wire between them; see netns.h. */
#include "tests/support/netns.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/str.h"

#define TUN_NAME "fgw0"
#define PACKET_MAX 65536

struct netns_link {
	char name[2][32];
	int ns[2];                 /* namespace fds */
	int tun[2];
	int home;                  /* the test's own namespace */
	int stop[2];               /* pipe: the wire stops when it is written */
	pthread_t wire;
	bool running;
	double loss;
	uint64_t rng;
	atomic_uint_fast64_t carried, dropped;
};

/* Runs argv (NULL-terminated) and returns its exit status (-1 on failure
 * to run); output goes to the test's stderr. */
static int run(const char *const *argv)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void must(const char *const *argv)
{
	int rc = run(argv);

	cr_assert_eq(rc, 0, "%s %s %s %s ... failed (%d): the test needs root and iproute2",
		     argv[0], argv[1], argv[2], argv[3] != NULL ? argv[3] : "", rc);
}

static void remove_ns(const char *name)
{
	const char *del[] = {"ip", "netns", "del", name, NULL};
	char path[64];

	if (str_format(path, sizeof path, "/run/netns/%s", name) == 0 && access(path, F_OK) == 0)
		(void)run(del);
}

static int open_ns(const char *name)
{
	char path[64];

	cr_assert_eq(str_format(path, sizeof path, "/run/netns/%s", name), 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* A TUN device made in the namespace the thread is in. */
static int open_tun(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	cr_assert_geq(fd, 0, "cannot open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	cr_assert_eq(str_copy(ifr.ifr_name, sizeof ifr.ifr_name, TUN_NAME), 0);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "TUNSETIFF: %s", strerror(errno));
	return fd;
}

static void configure(const char *ns, const char *self, const char *peer)
{
	const char *lo[] = {"ip", "-n", ns, "link", "set", "lo", "up", NULL};
	const char *addr[] = {"ip", "-n", ns, "addr", "add", self, "peer", peer, "dev",
			      TUN_NAME, NULL};
	const char *up[] = {"ip", "-n", ns, "link", "set", TUN_NAME, "up", NULL};

	must(lo);
	must(addr);
	must(up);
}

static uint64_t next_random(struct netns_link *l)
{
	/* xorshift64*: repeatable loss pattern for a seed. */
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 2685821657736338717ULL;
}

static void carry(struct netns_link *l, int from)
{
	static _Thread_local unsigned char buf[PACKET_MAX];
	ssize_t n = read(l->tun[from], buf, sizeof buf);

	if (n <= 0)
		return;
	if ((double)(next_random(l) >> 11) / 9007199254740992.0 < l->loss) {
		atomic_fetch_add(&l->dropped, 1);
		return;
	}
	if (write(l->tun[1 - from], buf, (size_t)n) == n)
		atomic_fetch_add(&l->carried, 1);
}

static void *wire(void *arg)
{
	struct netns_link *l = arg;
	struct pollfd p[3] = {{.fd = l->tun[0], .events = POLLIN},
			      {.fd = l->tun[1], .events = POLLIN},
			      {.fd = l->stop[0], .events = POLLIN}};

	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents != 0)
			break;
		for (int i = 0; i < 2; i++)
			if (p[i].revents & POLLIN)
				carry(l, i);
	}
	return NULL;
}

struct netns_link *netns_link_new(const char *prefix, double loss, uint64_t seed)
{
	struct netns_link *l = calloc(1, sizeof *l);

	cr_assert_not_null(l);
	l->ns[0] = l->ns[1] = l->tun[0] = l->tun[1] = l->stop[0] = l->stop[1] = -1;
	l->loss = loss;
	l->rng = seed != 0 ? seed : 1;
	l->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(l->home, 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(str_format(l->name[i], sizeof l->name[i], "%s%c", prefix, 'a' + i), 0);
		remove_ns(l->name[i]);
		const char *add[] = {"ip", "netns", "add", l->name[i], NULL};
		must(add);
		l->ns[i] = open_ns(l->name[i]);
		netns_enter(l, i);
		l->tun[i] = open_tun();
		netns_leave(l);
	}
	configure(l->name[0], NETNS_ADDR_A, NETNS_ADDR_B);
	configure(l->name[1], NETNS_ADDR_B, NETNS_ADDR_A);
	cr_assert_eq(pipe2(l->stop, O_CLOEXEC), 0);
	cr_assert_eq(pthread_create(&l->wire, NULL, wire, l), 0);
	l->running = true;
	return l;
}

void netns_enter(struct netns_link *l, int side)
{
	cr_assert_eq(setns(l->ns[side], CLONE_NEWNET), 0, "setns %s: %s", l->name[side],
		     strerror(errno));
}

void netns_leave(struct netns_link *l)
{
	cr_assert_eq(setns(l->home, CLONE_NEWNET), 0, "setns back: %s", strerror(errno));
}

uint64_t netns_carried(const struct netns_link *l)
{
	return atomic_load(&l->carried);
}

uint64_t netns_dropped(const struct netns_link *l)
{
	return atomic_load(&l->dropped);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

void netns_link_free(struct netns_link *l)
{
	if (l == NULL)
		return;
	if (l->running) {
		if (write(l->stop[1], "x", 1) == 1)
			(void)pthread_join(l->wire, NULL);
	}
	if (l->home >= 0)
		(void)setns(l->home, CLONE_NEWNET);
	for (int i = 0; i < 2; i++) {
		close_fd(l->tun[i]);
		close_fd(l->ns[i]);
		close_fd(l->stop[i]);
		if (l->name[i][0] != '\0')
			remove_ns(l->name[i]);
	}
	close_fd(l->home);
	free(l);
}
