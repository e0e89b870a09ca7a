#include <signal.h>
#include <string.h>

#include "tap.h"
#include "config/value.h"

static long
dur(const char *s)
{
	const char *why;
	long ms = -7;

	if (ecg_value_duration(s, &ms, &why) < 0)
		return -1;
	return ms;
}

static long
size(const char *s)
{
	const char *why;
	size_t n;

	if (ecg_value_size(s, 1024, 64 * 1024 * 1024, &n, &why) < 0)
		return -1;
	return (long)n;
}

static int
sig(const char *s)
{
	const char *why;
	int n;

	if (ecg_value_signal(s, &n, &why) < 0)
		return -1;
	return n;
}

int
main(void)
{
	char buf[32];

	ok(dur("250ms") == 250, "250ms");
	ok(dur("10s") == 10000, "10s");
	ok(dur("1.5s") == 1500, "1.5s");
	ok(dur("2m") == 120000, "2m");
	ok(dur("1h") == 3600000, "1h");
	ok(dur("3") == 3000, "a bare number is seconds");
	ok(dur("0.5") == 500, "decimals: 0.5 = 500 ms");
	ok(dur("0") == 0, "0 is allowed");
	ok(dur("0.0001s") == 1 && dur("0.4ms") == 1 && dur("0.000s") == 0,
	    "less than a millisecond, but not 0, rounds up to 1 ms");
	ok(dur("-1s") == -1 && dur("5x") == -1 && dur("") == -1 && dur("s") == -1 &&
	    dur("1e3") == -1 && dur("1 s") == -1 && dur("200h") == -1, "bad durations are refused");
	ecg_value_format_duration(1500, buf, sizeof(buf));
	ok(strcmp(buf, "1500ms") == 0 && dur(buf) == 1500, "formatted durations read back");

	ok(size("4096") == 4096, "4096");
	ok(size("64K") == 65536 && size("64KiB") == 65536, "64K and 64KiB");
	ok(size("1M") == 1048576 && size("1MiB") == 1048576, "1M and 1MiB");
	ok(size("64MiB") == 64L * 1024 * 1024, "the largest size");
	ok(size("1023") == -1 && size("65M") == -1 && size("1G") == -1 && size("x") == -1 &&
	    size("-4K") == -1 && size("99999999999999999999") == -1, "bad sizes are refused");
	{
		const char *why = NULL;
		size_t n = 0;
		ok(ecg_value_size("2G", 1024, (size_t)1 << 40, &n, &why) == 0 &&
		    n == (size_t)2 << 30, "2G within a larger range");
		ok(ecg_value_size("512", 1024, 4096, &n, &why) < 0 &&
		    strcmp(why, "size out of range (from 1KiB to 4KiB)") == 0,
		    "the range is said: %s", why);
		ok(ecg_value_size("17179869185G", 1024, (size_t)1 << 40, &n, &why) < 0,
		    "a size that would wrap around is out of range");
		ecg_value_format_size((size_t)3 << 30, buf, sizeof(buf));
		ok(strcmp(buf, "3GiB") == 0, "3GiB formatted");
	}

	ok(sig("TERM") == SIGTERM && sig("SIGTERM") == SIGTERM && sig("term") == SIGTERM,
	    "TERM, SIGTERM, term");
	ok(sig("9") == SIGKILL && sig("KILL") == SIGKILL, "numbers and KILL");
	ok(sig("0") == -1 && sig("999") == -1 && sig("NOPE") == -1 && sig("") == -1 &&
	    sig("9x") == -1, "bad signals are refused");
	ok(strcmp(ecg_value_signame(SIGINT, buf, sizeof(buf)), "INT") == 0, "signame");

	ok(ecg_value_distance("comand", "command") == 1, "distance of a typo");
	ok(ecg_value_distance("cwd", "cwd") == 0, "distance to itself");
	{
		struct ecg_suggest sg;
		ecg_suggest_init(&sg, "stop_timout");
		ecg_suggest_offer(&sg, "stop_signal");
		ecg_suggest_offer(&sg, "stop_timeout");
		ecg_suggest_offer(&sg, "cwd");
		ok(sg.best != NULL && strcmp(sg.best, "stop_timeout") == 0, "the closest candidate is suggested");
		ecg_suggest_init(&sg, "zzzzzz");
		ecg_suggest_offer(&sg, "command");
		ok(sg.best == NULL, "nothing is suggested when nothing is close");
	}
	return tap_done();
}
