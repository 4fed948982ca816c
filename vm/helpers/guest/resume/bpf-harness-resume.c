// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-harness-resume: what a guest restored from a snapshot needs before anything runs in
 * it. Every guest restored from one snapshot wakes with the same clock (the moment it was
 * saved) and the same random state, so two of them would hand out the same "random"
 * numbers (hash seeds, TCP sequence numbers, UUIDs) until the kernel reseeds by itself,
 * up to a minute later.
 *
 *   bpf-harness-resume SECONDS NANOSECONDS < BYTES
 *
 * Sets CLOCK_REALTIME to the host's time, mixes the bytes read from stdin (fresh from
 * the host, at most 512) into the input pool, credited as entropy, then makes the kernel
 * reseed its generator from that pool at once (RNDRESEEDCRNG, Linux >= 4.17). Exit 0, or
 * 1 with the failing step on stderr, 2 for bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_BYTES 512

static int fail(const char *what)
{
	fprintf(stderr, "bpf-harness-resume: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct {
		struct rand_pool_info info;
		unsigned char buf[MAX_BYTES];
	} seed;
	struct timespec now;
	char *end;
	ssize_t n, got = 0;
	int fd;

	if (argc != 3)
		goto usage;
	now.tv_sec = strtoll(argv[1], &end, 10);
	if (*end || end == argv[1])
		goto usage;
	now.tv_nsec = strtol(argv[2], &end, 10);
	if (*end || end == argv[2] || now.tv_nsec < 0 || now.tv_nsec >= 1000000000L)
		goto usage;

	while (got < MAX_BYTES && (n = read(0, seed.buf + got, MAX_BYTES - got)) > 0)
		got += n;
	if (n < 0)
		return fail("reading the seed from stdin");
	if (got < 32) {
		fprintf(stderr, "bpf-harness-resume: %zd bytes of seed on stdin; want at least 32\n", got);
		return 2;
	}

	if (clock_settime(CLOCK_REALTIME, &now))
		return fail("setting the clock");

	fd = open("/dev/urandom", O_WRONLY);
	if (fd < 0)
		return fail("opening /dev/urandom");
	seed.info.entropy_count = got * 8;
	seed.info.buf_size = got;
	if (ioctl(fd, RNDADDENTROPY, &seed))
		return fail("adding the seed (RNDADDENTROPY)");
	if (ioctl(fd, RNDRESEEDCRNG))
		return fail("reseeding (RNDRESEEDCRNG)");
	close(fd);
	return 0;

usage:
	fprintf(stderr, "usage: bpf-harness-resume SECONDS NANOSECONDS < SEED\n");
	return 2;
}
