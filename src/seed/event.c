#define _GNU_SOURCE
#include "seed/event.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


int
ecg_bus_subscribe(struct ecg_bus *bus, ecg_event_fn fn, void *arg)
{
	if (bus->n == ECG_BUS_MAX)
		return -ENOSPC;
	bus->sub[bus->n].fn = fn;
	bus->sub[bus->n].arg = arg;
	bus->n++;
	return 0;
}

void
ecg_bus_publish(void *arg, const struct ecg_event *ev)
{
	struct ecg_bus *bus = arg;
	size_t i;

	for (i = 0; i < bus->n; i++)
		bus->sub[i].fn(bus->sub[i].arg, ev);
}

const char *
ecg_event_end_name(enum ecg_end end)
{
	switch (end) {
	case ECG_END_EXITED:
		return "exited";
	case ECG_END_KILLED:
		return "killed";
	case ECG_END_START_FAILED:
		return "could not start";
	case ECG_END_NOT_READY:
		return "not ready";
	case ECG_END_TIMEOUT:
		return "timed out";
	case ECG_END_STOPPED:
		return "stopped";
	case ECG_END_UNHEALTHY:
		return "unhealthy";
	default:
		return "running";
	}
}
