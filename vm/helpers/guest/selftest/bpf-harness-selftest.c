// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf-harness-selftest: loads the programs of BPF selftest objects one case at a time,
 * the way the kernel tree's tools/testing/selftests/bpf/test_loader.c does, and prints
 * what happened. It judges nothing: the harness reads the tags, decides the cases, and
 * matches what comes back. Linked against the tree's own libbpf, with the tree's
 * instruction printer (disasm.c, disasm_helpers.c) and capability helpers.
 *
 * stdin, repeated (one SSH round trip carries a batch of objects):
 *   file NAME LEN\n<LEN bytes>          a file the cases may name (__btf_path), kept in
 *                                       the loader's own temporary directory, its cwd
 *   obj LEN NAME OPTS\n<LEN bytes of ELF>
 *       NAME: libbpf's object name (the skeleton's). OPTS, comma-separated ("-": none),
 *       what the tree's prog_tests runner does around test_loader for this object:
 *       "nosysadmin" runs its cases without CAP_SYS_ADMIN (prog_tests/verifier.c's
 *       run_tests_aux), "prefill:MAP" writes its test_val into key 0 of MAP before a
 *       test run (verifier.c's init_test_val_map), "notestflags" leaves test_progs'
 *       testing flags out (the 6.1 tree's test_loader sets none).
 *   case ID MODE PROG LOG_LEVEL FLAG_OPS AUX BTF_PATH XLATED RUN EXPECT_FAIL\n
 *       MODE priv|unpriv; FLAG_OPS "+N,-N,..." applied in order over test_progs'
 *       testing flags ("-" for none); AUX the auxiliary programs to load too,
 *       comma-separated ("-" for none); BTF_PATH "-" for none; XLATED, RUN and
 *       EXPECT_FAIL (what the tags say of the load) 0|1.
 * stdout, per case:
 *   @@case ID err=ERRNO us=MICROSECONDS insns=VERIFIED_INSNS
 *   @@log LEN\n<bytes>        the verifier log, as test_loader would have it
 *   @@stats LEN\n<bytes>      the level-4 (statistics) log of a program that loaded
 *                             without a __log_level
 *   @@xlated LEN\n<bytes>     when asked and loaded: "N: insn" lines, test_loader's format
 *   @@retval N  or  @@run_err ERRNO
 *   @@skip REASON             instead of all of the above
 *   @@end ID
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cap_helpers.h"
#ifdef HAVE_DISASM_HELPERS
#include "disasm_helpers.h"
#endif

#define LOG_BUF_SZ (2 * 1024 * 1024) /* TEST_LOADER_LOG_BUF_SZ */
/* Older trees' uapi headers lack it; the kernel refuses what it does not know, and the probe below says so. */
#ifndef BPF_F_TEST_REG_INVARIANTS
#define BPF_F_TEST_REG_INVARIANTS (1U << 7)
#endif
#define TEST_DATA_LEN 64
#define MAX_LINKS 32

static char log_buf[LOG_BUF_SZ];
static char stats_buf[64 * 1024];
static bool no_sys_admin, no_testing_flags;
static char prefill_map[256];

/* prog_tests/verifier.c's struct test_val (MAX_ENTRIES 11) and the value init_test_val_map writes. */
struct test_val {
	unsigned int index;
	int foo[11];
};
#ifdef HAVE_DISASM_HELPERS
static char text_buf[LOG_BUF_SZ];
#endif

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bpf-harness-selftest: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void section(const char *name, const char *data, size_t len)
{
	printf("@@%s %zu\n", name, len);
	fwrite(data, 1, len, stdout);
	putchar('\n');
}

/* test_progs' testing_prog_flags(): the test flags this kernel accepts. */
static int testing_flags(void)
{
	static int cached = -1;
	const int wanted[] = { BPF_F_TEST_RND_HI32, BPF_F_TEST_REG_INVARIANTS };
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int i, fd;

	if (cached >= 0)
		return cached;
	cached = 0;
	for (i = 0; i < 2; i++) {
		opts.prog_flags = wanted[i];
		fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "flag-test", "GPL", insns, 2, &opts);
		if (fd >= 0) {
			cached |= wanted[i];
			close(fd);
		}
	}
	return cached;
}

/* test_loader's can_execute_unpriv(), for x86-64 (efficient unaligned access). */
static const char *unpriv_refused(void)
{
	static char why[128];
	char buf[16] = "", cmdline[4096] = "";
	FILE *f = fopen("/proc/sys/kernel/unprivileged_bpf_disabled", "r");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return "kernel.unprivileged_bpf_disabled cannot be read";
	}
	fclose(f);
	if (atoi(buf)) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(why, sizeof(why), "kernel.unprivileged_bpf_disabled is %s", buf);
		return why;
	}
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (fgets(cmdline, sizeof(cmdline), f) && strstr(cmdline, "mitigations=off"))
			snprintf(why, sizeof(why), "the kernel runs with mitigations=off");
		fclose(f);
		if (why[0])
			return why;
	}
	return NULL;
}

/* test_loader's is_unpriv_capable_map(). */
static bool unpriv_capable_map(struct bpf_map *map)
{
	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return !(bpf_map__map_flags(map) & BPF_F_ZERO_SEED);
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		return true;
	default:
		return false;
	}
}

static bool in_list(const char *name, const char *list)
{
	size_t n = strlen(name);
	const char *p = list;

	if (strcmp(list, "-") == 0)
		return false;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
			return true;
		p += n;
	}
	return false;
}

static int apply_flag_ops(int flags, const char *ops)
{
	char *copy, *tok, *save;

	if (strcmp(ops, "-") == 0)
		return flags;
	copy = strdup(ops);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = (int)strtol(tok + 1, NULL, 0);

		flags = tok[0] == '-' ? flags & ~v : flags | v;
	}
	free(copy);
	return flags;
}

#ifdef HAVE_DISASM_HELPERS
/* test_loader's get_xlated_program_text(). */
static int xlated_text(int prog_fd, char *text, size_t sz)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), cnt, i;
	struct bpf_insn *insns, *insn, *end;
	char buf[64];
	size_t off = 0;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
	insns = calloc(cnt ? cnt : 1, sizeof(*insns));
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = cnt * sizeof(struct bpf_insn);
	info.xlated_prog_insns = (__u64)(unsigned long)insns;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		free(insns);
		return -errno;
	}
	text[0] = 0;
	for (insn = insns, end = insns + cnt; insn < end;) {
		i = insn - insns;
		insn = disasm_insn(insn, buf, sizeof(buf));
		off += snprintf(text + off, off < sz ? sz - off : 0, "%u: %s\n", i, buf);
		if (off >= sz)
			break;
	}
	free(insns);
	return 0;
}
#endif

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Opens the object and sets it up as test_loader's run_subtest() does for one case. */
static struct bpf_object *prepare(const void *bytes, size_t len, const char *obj_name, const char *btf_path,
				  const char *prog_name, const char *aux, const char *flag_ops, bool unpriv,
				  int log_level, char *buf, size_t buf_sz, struct bpf_program **target)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = obj_name,
		    .btf_custom_path = strcmp(btf_path, "-") ? btf_path : NULL);
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;

	obj = bpf_object__open_mem(bytes, len, &open_opts);
	if (!obj)
		return NULL;
	*target = NULL;
	bpf_object__for_each_program(prog, obj) {
		bool mine = strcmp(bpf_program__name(prog), prog_name) == 0;

		if (mine)
			*target = prog;
		bpf_program__set_autoload(prog, mine || in_list(bpf_program__name(prog), aux));
	}
	if (!*target)
		die("object has no program %s", prog_name);
	buf[0] = 0;
	bpf_program__set_log_buf(*target, buf, buf_sz);
	bpf_program__set_log_level(*target, log_level);
	bpf_program__set_flags(*target, apply_flag_ops(bpf_program__flags(*target) | (no_testing_flags ? 0 : testing_flags()), flag_ops));
	bpf_object__for_each_map(map, obj)
		bpf_map__set_autocreate(map, !unpriv || unpriv_capable_map(map));
	return obj;
}

static void run_case(const void *obj_bytes, size_t obj_len, const char *obj_name, char *line)
{
	char id[64], mode[16], prog_name[256], flag_ops[256], aux[4096], btf_path[1024];
	int log_level, want_xlated, want_run, expect_fail, first, err, retval = 0, nlinks = 0, i;
	bool stats_only;
	const __u64 drop = 1ULL << CAP_SYS_ADMIN | 1ULL << CAP_NET_ADMIN | 1ULL << CAP_PERFMON | 1ULL << CAP_BPF;
	__u64 old_caps = 0, sysadmin_caps = 0;
	bool unpriv, caps_dropped = false;
	struct bpf_link *links[MAX_LINKS];
	struct bpf_program *target = NULL;
	struct bpf_object *obj;
	struct bpf_map *map;
	long long t0;
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);

	if (sscanf(line, "case %63s %15s %255s %d %255s %4095s %1023s %d %d %d", id, mode, prog_name, &log_level,
		   flag_ops, aux, btf_path, &want_xlated, &want_run, &expect_fail) != 10)
		die("bad case line: %s", line);
	unpriv = strcmp(mode, "unpriv") == 0;
	printf("@@case %s", id);
	if (no_sys_admin && (err = cap_disable_effective(1ULL << CAP_SYS_ADMIN, &sysadmin_caps)))
		die("dropping CAP_SYS_ADMIN failed: %s", strerror(-err));
	if (unpriv) {
		const char *why = unpriv_refused();

		if (why) {
			printf("\n@@skip %s\n", why);
			goto out;
		}
		if ((err = cap_disable_effective(drop, &old_caps)))
			die("dropping capabilities failed: %s", strerror(-err));
		caps_dropped = true;
	}

	/*
	 * test_loader asks for no log unless __log_level says so; libbpf then loads once
	 * without a log and, if that fails, again with level 1, whose log test_loader reads.
	 * Here a case the tags expect to load asks for level 4 first (statistics only:
	 * veristat's columns), and if it fails loads again with level 1; a case expected to
	 * fail asks for level 1 at once. Either way the verdict and the log test_loader would
	 * read are the same, in at most the two loads libbpf itself makes; a program that
	 * loads is judged on an empty log, as there, its log kept as statistics.
	 */
	stats_buf[0] = 0;
	log_buf[0] = 0;
	/* Our statistics-only load, not a __log_level(4) of the tags (whose log is the test's). */
	stats_only = !log_level && !expect_fail;
	first = log_level ? log_level : expect_fail ? 1 : 4;
	obj = prepare(obj_bytes, obj_len, obj_name, btf_path, prog_name, aux, flag_ops, unpriv,
		      first, stats_only ? stats_buf : log_buf, stats_only ? sizeof(stats_buf) : sizeof(log_buf), &target);
	if (!obj)
		goto open_failed;
	t0 = now_us();
	err = bpf_object__load(obj);
	t0 = now_us() - t0;
	if (err && stats_only) {
		bpf_object__close(obj);
		stats_buf[0] = 0;
		obj = prepare(obj_bytes, obj_len, obj_name, btf_path, prog_name, aux, flag_ops, unpriv,
			      1, log_buf, sizeof(log_buf), &target);
		if (!obj)
			goto open_failed;
		t0 = now_us();
		err = bpf_object__load(obj);
		t0 = now_us() - t0;
	} else if (!err && !log_level && first == 1) {
		/* Loaded after all: test_loader's log would be empty; this one holds the statistics. */
		snprintf(stats_buf, sizeof(stats_buf), "%s", log_buf);
		log_buf[0] = 0;
	}
	if (err == 0 && bpf_obj_get_info_by_fd(bpf_program__fd(target), &info, &info_len))
		info.verified_insns = 0;
	printf(" err=%d us=%lld insns=%u\n", err < 0 ? -err : err, t0, info.verified_insns);
	section("log", log_buf, strlen(log_buf));
	if (stats_buf[0])
		section("stats", stats_buf, strlen(stats_buf));

	/* As test_loader: the kernel hides program info from the unprivileged, and programs run with all capabilities. */
	if (caps_dropped) {
		cap_enable_effective(old_caps, NULL);
		caps_dropped = false;
	}
	if (err)
		goto close;
#ifdef HAVE_DISASM_HELPERS
	if (want_xlated) {
		int e = xlated_text(bpf_program__fd(target), text_buf, sizeof(text_buf));

		if (e)
			printf("@@xlated_err %d\n", -e);
		else
			section("xlated", text_buf, strlen(text_buf));
	}
#else
	if (want_xlated)
		printf("@@xlated_err %d\n", EOPNOTSUPP);
#endif
	if (want_run) {
		bool syscall = bpf_program__type(target) == BPF_PROG_TYPE_SYSCALL;
		__u8 out_buf[TEST_DATA_LEN << 2] = {}, in_buf[TEST_DATA_LEN] = {};
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = in_buf, .data_size_in = sizeof(in_buf),
			    .data_out = out_buf, .data_size_out = sizeof(out_buf), .repeat = 1);
		LIBBPF_OPTS(bpf_test_run_opts, empty);

		bpf_object__for_each_map(map, obj) {
			if (!bpf_map__autocreate(map) || bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
				continue;
			if (nlinks >= MAX_LINKS || !(links[nlinks] = bpf_map__attach_struct_ops(map))) {
				printf("@@run_err %d\n", errno);
				goto close;
			}
			nlinks++;
		}
		if (prefill_map[0]) {
			struct test_val value = { .index = (6 + 1) * sizeof(int), .foo[6] = 0xabcdef12 };
			struct bpf_map *m = bpf_object__find_map_by_name(obj, prefill_map);
			int key = 0;

			if (!m || bpf_map_update_elem(bpf_map__fd(m), &key, &value, 0)) {
				printf("@@run_err %d\n", m ? errno : ENOENT);
				goto close;
			}
		}
		if (bpf_prog_test_run_opts(bpf_program__fd(target), syscall ? &empty : &topts)) {
			printf("@@run_err %d\n", errno);
		} else {
			retval = syscall ? empty.retval : topts.retval;
			printf("@@retval %d\n", retval);
		}
	}
close:
	for (i = nlinks - 1; i >= 0; i--)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	goto out;
open_failed:
	printf(" err=%d us=0 insns=0\n", errno);
	section("log", "", 0);
out:
	if (caps_dropped)
		cap_enable_effective(old_caps, NULL);
	if (no_sys_admin)
		cap_enable_effective(sysadmin_caps, NULL);
	printf("@@end %s\n", id);
	fflush(stdout);
}

static char work_dir[] = "/tmp/bpf-harness-selftest.XXXXXX";

/* The working directory holds only the flat files "file" lines wrote. */
static void remove_work_dir(void)
{
	struct dirent *e;
	DIR *d = opendir(work_dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(work_dir);
}

int main(void)
{
	char *line = NULL, *obj = NULL, obj_name[256] = "";
	size_t cap = 0, obj_len = 0;
	ssize_t n;

	/* A directory of its own for the files cases name (relative __btf_path), removed at exit. */
	if (!mkdtemp(work_dir) || chdir(work_dir))
		die("making a working directory: %s", strerror(errno));
	atexit(remove_work_dir);
	/* libbpf's own warnings go to stderr; the verifier log comes through log_buf. */
	while ((n = getline(&line, &cap, stdin)) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "file ", 5) == 0) {
			char name[256];
			size_t len;
			char *buf;
			FILE *f;

			if (sscanf(line, "file %255s %zu", name, &len) != 2 || strchr(name, '/') || name[0] == '.')
				die("bad file line: %s", line);
			buf = malloc(len ? len : 1);
			if (!buf || fread(buf, 1, len, stdin) != len)
				die("short file %s", name);
			f = fopen(name, "w");
			if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
				die("writing %s: %s", name, strerror(errno));
			free(buf);
		} else if (strncmp(line, "obj ", 4) == 0) {
			char opts[512], *p;

			free(obj);
			if (sscanf(line, "obj %zu %255s %511s", &obj_len, obj_name, opts) != 3)
				die("bad object line: %s", line);
			no_sys_admin = strstr(opts, "nosysadmin") != NULL;
			no_testing_flags = strstr(opts, "notestflags") != NULL;
			prefill_map[0] = 0;
			if ((p = strstr(opts, "prefill:")))
				sscanf(p + 8, "%255[^,]", prefill_map);
			obj = malloc(obj_len ? obj_len : 1);
			if (!obj || fread(obj, 1, obj_len, stdin) != obj_len)
				die("short object (%zu bytes expected)", obj_len);
		} else if (strncmp(line, "case ", 5) == 0) {
			if (!obj)
				die("case before any object");
			run_case(obj, obj_len, obj_name, line);
		} else if (line[0]) {
			die("unknown input line: %s", line);
		}
	}
	free(obj);
	free(line);
	return 0;
}
