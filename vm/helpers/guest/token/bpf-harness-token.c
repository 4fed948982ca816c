// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-harness-token: run a command with a BPF token, as the kernel intends tokens to be
 * used: an unprivileged process in its own user namespace opens a bpffs context, its
 * privileged parent (in the initial namespace) sets what the token may delegate and
 * creates the superblock, and the child mounts it and passes the mount to libbpf through
 * LIBBPF_BPF_TOKEN_PATH=/proc/self/fd/N (libbpf >= 1.4 then creates the token itself).
 *
 *   bpf-harness-token [--cmds L] [--maps L] [--progs L] [--attachs L] [--uid N] [--print] -- CMD [ARG...]
 *
 * L is a comma-separated list of bpffs delegate_* names (prog_load, map_create, xdp,
 * array, ...) or "any". The child runs as --uid (default 1000), mapped to root in the new
 * user namespace. Exit status: CMD's, or 125 when the token could not be set up (the
 * message says which step failed; a kernel without BPF tokens refuses to create a bpffs
 * opened in a user namespace), 2 for bad usage. --print shows the delegate options it
 * would set and exits. The command dies with the helper (PDEATHSIG), and SIGTERM, SIGINT
 * and SIGHUP sent to the helper are passed on to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define SETUP_FAILED 125

static const char *const keys[] = { "delegate_cmds", "delegate_maps", "delegate_progs", "delegate_attachs" };

#define USAGE "usage: bpf-harness-token [--cmds L] [--maps L] [--progs L] [--attachs L] [--uid N] [--print] -- CMD [ARG...]"

/* Exit with a message; bad usage (code 2) also shows the usage line. */
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bpf-harness-token: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (code == 2)
		fprintf(stderr, "%s\n", USAGE);
	exit(code);
}

static void usage(const char *why)
{
	die(2, "%s", why);
}

/* bpffs takes ':'-separated lists; the command line takes ',' too. */
static char *to_bpffs_list(const char *opt, const char *arg)
{
	char *s = strdup(arg);

	if (!s || !*s)
		usage("an empty delegation list");
	for (char *p = s; *p; p++) {
		if (*p == ',')
			*p = ':';
		else if (!(*p == '_' || *p == ':' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			die(2, "%s %s: names are lower-case letters, digits and _ (e.g. prog_load, xdp, any)", opt, arg);
	}
	return s;
}

static void send_fd(int sock, int fd)
{
	char data = 'F';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		die(SETUP_FAILED, "sending the bpffs context to the parent: %s", strerror(errno));
}

static int recv_fd(int sock)
{
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(SETUP_FAILED, "writing %s: %s", path, strerror(errno));
	close(fd);
}

/* The child: drop to uid, enter new user and mount namespaces, get the token mount, exec. */
static pid_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void child(int sock, uid_t uid, pid_t parent, char **cmd)
{
	char map[64], path[32];
	int fs_fd, mnt_fd;
	char ack;

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		die(SETUP_FAILED, "becoming uid %u: %s", uid, strerror(errno));
	/* After the uid change, which clears it: end with the helper, never outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(SETUP_FAILED);
	/* setresuid made the process non-dumpable, which would forbid writing its own uid_map. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		die(SETUP_FAILED, "unshare(CLONE_NEWUSER|CLONE_NEWNS) as uid %u: %s", uid, strerror(errno));
	snprintf(map, sizeof(map), "0 %u 1", uid);
	write_file("/proc/self/uid_map", map);
	write_file("/proc/self/setgroups", "deny");
	write_file("/proc/self/gid_map", map);

	fs_fd = fsopen("bpf", 0);
	if (fs_fd < 0)
		die(SETUP_FAILED, "fsopen(\"bpf\") in a user namespace: %s (a kernel without BPF tokens, before 6.9, refuses this)", strerror(errno));
	send_fd(sock, fs_fd);
	if (read(sock, &ack, 1) != 1 || ack != 'C')
		die(SETUP_FAILED, "the parent could not configure the bpffs (see its message)");
	mnt_fd = fsmount(fs_fd, 0, 0);
	if (mnt_fd < 0)
		die(SETUP_FAILED, "fsmount of the delegated bpffs: %s", strerror(errno));
	close(fs_fd);
	close(sock);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mnt_fd);
	setenv("LIBBPF_BPF_TOKEN_PATH", path, 1);
	execvp(cmd[0], cmd);
	die(127, "exec %s: %s", cmd[0], strerror(errno));
}

int main(int argc, char **argv)
{
	char *lists[4] = { NULL, NULL, NULL, NULL };
	const char *names[4] = { "--cmds", "--maps", "--progs", "--attachs" };
	uid_t uid = 1000;
	int print = 0, i, sv[2], fs_fd, status;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		int known = 0;

		for (int k = 0; k < 4; k++) {
			if (!strcmp(argv[i], names[k])) {
				if (i + 1 >= argc)
					usage("a delegation option without its list");
				lists[k] = to_bpffs_list(argv[i], argv[i + 1]);
				i++;
				known = 1;
			}
		}
		if (known)
			continue;
		if (!strcmp(argv[i], "--uid") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			/* (uid_t)-1 means "unchanged" to setresuid, and larger values wrap around. */
			if (*end || !*argv[i] || v == 0 || v >= 0xffffffffUL)
				die(2, "--uid %s: a non-zero number (the token is for an unprivileged user)", argv[i]);
			uid = v;
		} else if (!strcmp(argv[i], "--print")) {
			print = 1;
		} else {
			die(2, "unknown option %s", argv[i]);
		}
	}
	if (print) {
		for (int k = 0; k < 4; k++)
			if (lists[k])
				printf("%s=%s\n", keys[k], lists[k]);
		printf("uid=%u\n", uid);
		return 0;
	}
	if (i >= argc - 1)
		usage("no command after --");
	if (geteuid() != 0)
		die(SETUP_FAILED, "must start as root: the parent configures the delegated bpffs");

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die(SETUP_FAILED, "socketpair: %s", strerror(errno));
	pid_t self = getpid();

	pid = fork();
	if (pid < 0)
		die(SETUP_FAILED, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], uid, self, argv + i + 1);
	}
	child_pid = pid;
	signal(SIGTERM, forward);
	signal(SIGINT, forward);
	signal(SIGHUP, forward);
	close(sv[1]);
	fs_fd = recv_fd(sv[0]);
	if (fs_fd >= 0) {
		int ok = 1;

		for (int k = 0; k < 4 && ok; k++) {
			if (lists[k] && fsconfig(fs_fd, FSCONFIG_SET_STRING, keys[k], lists[k], 0)) {
				fprintf(stderr, "bpf-harness-token: fsconfig %s=%s: %s\n", keys[k], lists[k], strerror(errno));
				ok = 0;
			}
		}
		if (ok && fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) {
			fprintf(stderr, "bpf-harness-token: creating the delegated bpffs: %s%s\n", strerror(errno),
				errno == EPERM ? " (a kernel without BPF tokens, before 6.9, refuses a bpffs from a user namespace)" : "");
			ok = 0;
		}
		/* MSG_NOSIGNAL: a child that died meanwhile must not take the parent down with SIGPIPE. */
		if (send(sv[0], ok ? "C" : "X", 1, MSG_NOSIGNAL) != 1)
			ok = 0;
		close(fs_fd);
	}
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(SETUP_FAILED, "waitpid: %s", strerror(errno));
	if (fs_fd < 0 && WIFSIGNALED(status))
		fprintf(stderr, "bpf-harness-token: the child died by signal %d during setup\n", WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
