/*
 * inject: runs a command with one system call made to fail, for the tests
 * of what ecg-run does when a call it cannot do without fails.
 *
 *   inject SYSCALL ARG VALUE ERRNO COMMAND [ARGUMENT]...
 *
 * Every call of SYSCALL (prctl, fcntl, clone, socket or close_range) whose argument number ARG (0 to
 * 5) is VALUE fails with ERRNO (a number) in COMMAND and everything it
 * starts; other calls are left alone.  A seccomp filter does it, so no
 * privilege is needed.  Exits 77 (skip) where seccomp filters are not
 * available, 126/127 when COMMAND cannot be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

int
main(int argc, char **argv)
{
#ifdef ARCH
	long nr, arg, value, err;

	if (argc < 6) {
		fprintf(stderr, "usage: inject SYSCALL ARG VALUE ERRNO COMMAND [ARGUMENT]...\n");
		return 2;
	}
	if (strcmp(argv[1], "prctl") == 0)
		nr = SYS_prctl;
	else if (strcmp(argv[1], "fcntl") == 0)
		nr = SYS_fcntl;
	else if (strcmp(argv[1], "clone") == 0)
		nr = SYS_clone;
	else if (strcmp(argv[1], "socket") == 0)
		nr = SYS_socket;
#ifdef SYS_close_range
	else if (strcmp(argv[1], "close_range") == 0)
		nr = SYS_close_range;
#endif
	else {
		fprintf(stderr, "inject: unknown system call %s\n", argv[1]);
		return 2;
	}
	arg = strtol(argv[2], NULL, 10);
	value = strtol(argv[3], NULL, 10);
	err = strtol(argv[4], NULL, 10);
	if (arg < 0 || arg > 5 || err <= 0 || err > 4095) {
		fprintf(stderr, "inject: bad argument number or errno\n");
		return 2;
	}
	{
		/* the low 32 bits of the argument (little-endian) */
		struct sock_filter code[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 0, 5),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 3),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			    (unsigned)(offsetof(struct seccomp_data, args) + (size_t)arg * 8)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)value, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
			perror("inject: seccomp");
			return 77;
		}
	}
	execvp(argv[5], argv + 5);
	fprintf(stderr, "inject: %s: %s\n", argv[5], strerror(errno));
	return errno == ENOENT ? 127 : 126;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "inject: no seccomp filter for this architecture\n");
	return 77;
#endif
}
