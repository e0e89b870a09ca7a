# report.awk: turns bench.sh's result lines ("key=value ...", one per run)
# into the Markdown tables of RESULTS.md: per workload and tool, the median
# of the runs with min and max, and the ratio of medians to the shell
# baseline.

function fields(   i, kv) {
	delete f
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = substr($i, length(kv[1]) + 2)
	}
}

# the list of values of key k for workload w and tool t, sorted, in v[1..n]
function values(w, t, k, v,   i, n, x, j) {
	n = 0
	for (i = 1; i <= nrec; i++) {
		if (rw[i] != w || rt[i] != t || !((i, k) in rv))
			continue
		x = rv[i, k] + 0
		for (j = n; j > 0 && v[j] > x; j--)
			v[j + 1] = v[j]
		v[j + 1] = x
		n++
	}
	return n
}

function median(w, t, k,   v, n) {
	n = values(w, t, k, v)
	if (n == 0)
		return ""
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

# "median (min–max)" with a printf format, scaled by s
function spread(w, t, k, fmt, s,   v, n, m) {
	n = values(w, t, k, v)
	if (n == 0)
		return "–"
	m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	if (n == 1)
		return sprintf(fmt, m * s)
	return sprintf(fmt " (" fmt "–" fmt ")", m * s, v[1] * s, v[n] * s)
}

function ratio(w, t, k, base,   m, b) {
	m = median(w, t, k)
	b = median(w, base, k)
	if (m == "" || b == "" || b + 0 == 0)
		return "–"
	return sprintf("%.2f×", m / b)
}

function runs_of(w, t,   i, n) {
	n = 0
	for (i = 1; i <= nrec; i++)
		if (rw[i] == w && rt[i] == t)
			n++
	return n
}

function killed(w, t,   i) {
	for (i = 1; i <= nrec; i++)
		if (rw[i] == w && rt[i] == t && rv[i, "timeout"] == 1)
			return 1
	return 0
}

# A table of one figure per tool with its exit statuses and leftovers: the
# figure is field k printed with fmt, or the text over for a killed tool.
function status_table(w, title, what, k, fmt, over,   i, t) {
	if (runs_of(w, "ecg-run") + runs_of(w, "shell") == 0)
		return
	print "### " title "\n"
	print "| tool | " what ": median (min–max) | × shell | exit status | processes left |"
	print "|---|---|---|---|---|"
	for (i = 1; i <= ntools; i++) {
		t = tl[i]
		if (runs_of(w, t) == 0)
			continue
		printf "| %s | %s | %s | %s | %s |\n", t,
		    killed(w, t) ? over : spread(w, t, k, fmt, 1),
		    killed(w, t) ? "–" : ratio(w, t, k, "shell"),
		    distinct(w, t, "status"), distinct(w, t, "left")
	}
	print ""
}

# the distinct values of a text field, as "a, b"
function distinct(w, t, k,   i, seen, out, x) {
	out = ""
	for (i = 1; i <= nrec; i++) {
		if (rw[i] != w || rt[i] != t || !((i, k) in rv))
			continue
		x = rv[i, k]
		if (x in seen)
			continue
		seen[x] = 1
		out = out == "" ? x : out ", " x
	}
	return out == "" ? "–" : out
}

function verdict(w, t,   i, ok, n, bad) {
	ok = n = 0
	bad = ""
	for (i = 1; i <= nrec; i++) {
		if (rw[i] != w || rt[i] != t)
			continue
		n++
		if (rv[i, "verdict"] ~ /^ok/)
			ok++
		else if (bad == "")
			bad = rv[i, "verdict"]
	}
	gsub(/_/, " ", bad)
	if (n == 0)
		return "–"
	if (ok == n)
		return "ok " ok "/" n
	return ok "/" n " ok; " (bad == "" ? "no output" : bad)
}

{
	fields()
	nrec++
	rw[nrec] = f["w"]
	rt[nrec] = f["tool"]
	for (k in f)
		rv[nrec, k] = f[k]
}

END {
	ntools = split(tools, tl, " ")
	printf "Sizes: %d runs; W1/W1b %d tasks × %d lines of 100 B; W2 %d sleepers + 1 failing;" \
	    " W3 %d tasks; W4 %d idle tasks, flood %d lines, reader pauses %s s; W5 %s s;" \
	    " time limit %d s per run. Bench time: %d s. Files on %s;" \
	    " the scheduler's automatic groups (one a session) %s.\n\n",
	    runs, tasks, lines, sleepers, start, idle_tasks, flood, pause, idle_s, timeout, elapsed,
	    fs, autogroup == "1" ? "on" : autogroup == "0" ? "off" : "not in this kernel"
	mb = tasks * lines * 100 / 1e6

	for (wi = 1; wi <= 2; wi++) {
		w = wi == 1 ? "W1" : "W1b"
		if (runs_of(w, "shell") + runs_of(w, "ecg-run") == 0)
			continue
		print "### " w (w == "W1" ? ": throughput, whole-line 64 KiB writes" : \
		    ": reassembly, 4,096-byte writes that cut lines") "\n"
		print "| tool | wall s: median (min–max) | × shell | × relay | × relay-prefix | MB/s | own CPU s | peak RSS MiB | checker |"
		print "|---|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= ntools; i++) {
			t = tl[i]
			if (runs_of(w, t) == 0)
				continue
			if (killed(w, t)) {
				printf "| %s | > %d (killed) | > %.0f× | – | – | – | – | – | not finished |\n", t,
				    timeout, timeout / median(w, "shell", "wall")
				continue
			}
			printf "| %s | %s | %s | %s | %s | %.0f | %s | %s | %s |\n", t, spread(w, t, "wall", "%.2f", 1),
			    ratio(w, t, "wall", "shell"),
			    ratio(w, t, "wall", t == "ecg-run-log" && runs_of(w, "relay-log") > 0 ? "relay-log" : "relay"),
			    ratio(w, t, "wall", "relay-prefix"),
			    mb / median(w, t, "wall"),
			    spread(w, t, "cpu", "%.2f", 1), spread(w, t, "rss_kb", "%.1f", 1 / 1024),
			    verdict(w, t)
		}
		print ""
	}

	status_table("W2", "W2: cancel latency, from the failure to the supervisor's exit",
	    "ms", "latency_ms", "%.1f", "> " timeout " s (killed: hung)")
	status_table("W3", "W3: start-up, " start " tasks that exit 0 at once",
	    "wall s", "wall", "%.3f", "> " timeout " (killed)")

	if (runs_of("W4", "ecg-run") + runs_of("W4f", "ecg-run") > 0) {
		print "### W4: memory\n"
		print "| tool | RSS MiB, " idle_tasks " idle tasks | × shell | of it private (RssAnon) MiB | peak RSS MiB, flood | flood wall s (incl. " pause " s pause) | flood checker |"
		print "|---|---|---|---|---|---|---|"
		for (i = 1; i <= ntools; i++) {
			t = tl[i]
			if (runs_of("W4", t) + runs_of("W4f", t) == 0)
				continue
			idle = killed("W4", t) ? "killed after " timeout " s" : spread("W4", t, "idle_hwm_kb", "%.2f", 1 / 1024)
			if (killed("W4f", t))
				fl = "killed after " timeout " s | – | not finished"
			else
				fl = spread("W4f", t, "rss_kb", "%.1f", 1 / 1024) " | " \
				    spread("W4f", t, "wall", "%.2f", 1) " | " verdict("W4f", t)
			printf "| %s | %s | %s | %s | %s |\n", t, idle, ratio("W4", t, "idle_hwm_kb", "shell"),
			    killed("W4", t) ? "–" : spread("W4", t, "idle_anon_kb", "%.2f", 1 / 1024), fl
		}
		print ""
	}

	if (runs_of("W5", "ecg-run") > 0) {
		print "### W5: idle cost over " idle_s " s, 10 sleeping tasks\n"
		print "| tool | CPU s: median (min–max) | context switches/s: median (min–max) |"
		print "|---|---|---|"
		for (i = 1; i <= ntools; i++) {
			t = tl[i]
			if (runs_of("W5", t) == 0)
				continue
			if (killed("W5", t)) {
				printf "| %s | killed after %d s | – |\n", t, timeout
				continue
			}
			printf "| %s | %s | %s |\n", t, spread("W5", t, "idle_cpu", "%.2f", 1),
			    spread("W5", t, "idle_cs", "%.1f", 1 / idle_s)
		}
		print ""
	}
}
