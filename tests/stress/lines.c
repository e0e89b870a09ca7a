/*
 * lines: numbered, checksummed lines for the stress driver.
 *
 *   lines gen NAME COUNT      prints COUNT lines "NAME SEQ CHECK PAYLOAD"
 *   lines check [NAME=COUNT]...
 *                             reads ecg-run output ("PREFIX | line") on stdin
 *                             and checks every generated line: whole, under
 *                             its own prefix, checksum right, in order with
 *                             no gap; NAME=COUNT also demands all COUNT lines.
 *   lines slowcat [PAUSE_US]  copies stdin to stdout in small, slow pieces
 *                             (with PAUSE_US: at most 512 bytes per pause)
 *
 * check prints "lines N bad N" and, per task, "NAME got N".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint32_t
fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int
gen(const char *name, long count)
{
	char payload[256];
	uint32_t x = fnv(name, strlen(name));
	long i;

	for (i = 0; i < count; i++) {
		size_t len = 20 + (size_t)(i * 7 % 100), k;
		for (k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			payload[k] = (char)('a' + (x >> 16) % 26);
		}
		payload[len] = '\0';
		if (printf("%s %ld %08x %s\n", name, i, fnv(payload, len), payload) < 0)
			return 1;
	}
	return fflush(stdout) != 0;
}

struct seen {
	char name[80];
	long next;
	long want;
	int cut;	/* its last line so far was cut short */
};

static struct seen tasks[512];
static size_t ntasks;

static struct seen *
task(const char *name)
{
	size_t i;

	for (i = 0; i < ntasks; i++)
		if (strcmp(tasks[i].name, name) == 0)
			return &tasks[i];
	if (ntasks == sizeof(tasks) / sizeof(tasks[0]))
		return NULL;
	snprintf(tasks[ntasks].name, sizeof(tasks[ntasks].name), "%s", name);
	tasks[ntasks].want = -1;
	return &tasks[ntasks++];
}

static int
check(int argc, char **argv)
{
	static char line[1 << 16];
	long lines = 0, bad = 0;
	size_t i;
	int j;

	for (j = 0; j < argc; j++) {
		char *eq = strchr(argv[j], '=');
		struct seen *t;
		if (eq == NULL)
			continue;
		*eq = '\0';
		t = task(argv[j]);
		if (t != NULL)
			t->want = atol(eq + 1);
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char prefix[80], name[80], payload[256], extra;
		unsigned check_sum;
		long seq;
		char *bar = strstr(line, " | ");
		struct seen *t;

		if (bar == NULL || (size_t)(bar - line) >= sizeof(prefix))
			continue;
		memcpy(prefix, line, (size_t)(bar - line));
		prefix[bar - line] = '\0';
		for (i = strlen(prefix); i > 0 && prefix[i - 1] == ' '; i--)
			prefix[i - 1] = '\0';
		if (strncmp(prefix, "gen", 3) != 0)
			continue;	/* not a generator's line */
		lines++;
		t = task(prefix);
		if (t == NULL)
			continue;
		/*
		 * A line cut short is fine as the last one of a task that was
		 * killed (ecg-run ends it with a newline); anything after it,
		 * or a cut line of a task that ended on its own, is not.
		 */
		if (t->cut && bad++ < 5)
			fprintf(stderr, "%s: a line after a cut one: %.120s", prefix, line);
		t->cut = 0;
		if (sscanf(bar + 3, "%79s %ld %x %255s%c", name, &seq, &check_sum, payload, &extra) != 5 ||
		    extra != '\n' || strcmp(name, prefix) != 0 ||
		    fnv(payload, strlen(payload)) != check_sum) {
			t->cut = 1;
			continue;
		}
		if (seq != t->next) {
			if (bad++ < 5)
				fprintf(stderr, "%s: line %ld after %ld\n", name, seq, t->next - 1);
		}
		t->next = seq + 1;
	}
	for (i = 0; i < ntasks; i++) {
		printf("%s got %ld\n", tasks[i].name, tasks[i].next);
		if (tasks[i].want >= 0 && tasks[i].cut) {
			fprintf(stderr, "%s: its last line was cut\n", tasks[i].name);
			bad++;
		}
		if (tasks[i].want >= 0 && tasks[i].next != tasks[i].want) {
			fprintf(stderr, "%s: %ld lines of %ld\n", tasks[i].name, tasks[i].next,
			    tasks[i].want);
			bad += tasks[i].want - tasks[i].next;
		}
	}
	printf("lines %ld bad %ld\n", lines, bad);
	return bad != 0;
}

static int
slowcat(long pause_us)
{
	char buf[4096];
	struct timespec pause = { 0, 200000 };
	size_t most = sizeof(buf);
	unsigned x = (unsigned)getpid();
	ssize_t n;

	if (pause_us > 0) {
		pause.tv_sec = pause_us / 1000000;
		pause.tv_nsec = pause_us % 1000000 * 1000;
		most = 512;
	}
	for (;;) {
		x = x * 1103515245u + 12345u;
		n = read(0, buf, 1 + (x >> 16) % most);
		if (n <= 0)
			return 0;
		if (write(1, buf, (size_t)n) != n)
			return 1;
		if (pause_us > 0 || (x >> 8) % 8 == 0)
			nanosleep(&pause, NULL);
	}
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], atol(argv[3]));
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "slowcat") == 0)
		return slowcat(argc >= 3 ? atol(argv[2]) : 0);
	fprintf(stderr, "usage: lines gen NAME COUNT | check [NAME=COUNT]... | slowcat\n");
	return 2;
}
