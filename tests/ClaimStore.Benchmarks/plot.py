#!/usr/bin/env python3
"""Draws docs/benchmarks/benchmarks.png from the benchmark's results.

Usage (from the checkout root):
    /usr/bin/python3 tests/ClaimStore.Benchmarks/plot.py [RESULTS_DIR_OR_CSV ...] [--png OUT.png] [--csv OUT.csv]

Input: the per-scenario CSVs the benchmark writes (benchmark-results/full/<scenario>.csv, columns
scenario,size,key,value), or a combined CSV of the same columns. Defaults: benchmark-results/full
in, docs/benchmarks/benchmarks.png and docs/benchmarks/results.csv out (the CSV is the combined
input, committed next to the chart so the chart can be redrawn from it).
Needs matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ORDER = ["append", "read", "lag", "rebuild", "scale"]


def read_rows(inputs):
    files = []
    for item in inputs:
        if os.path.isdir(item):
            files += sorted(glob.glob(os.path.join(item, "*.csv")))
        else:
            files.append(item)
    rows = []
    for path in files:
        with open(path, newline="", encoding="utf-8") as handle:
            rows += [r for r in csv.DictReader(handle) if r.get("key")]
    rows.sort(key=lambda r: (ORDER.index(r["scenario"]) if r["scenario"] in ORDER else 99, r["scenario"]))
    return rows


def main(argv):
    inputs, png, out_csv = [], os.path.join(ROOT, "docs", "benchmarks", "benchmarks.png"), None
    i = 0
    while i < len(argv):
        if argv[i] == "--png":
            png = argv[i + 1]
            i += 2
        elif argv[i] == "--csv":
            out_csv = argv[i + 1]
            i += 2
        else:
            inputs.append(argv[i])
            i += 1
    if not inputs:
        inputs = [os.path.join(ROOT, "benchmark-results", "full")]
        out_csv = out_csv or os.path.join(ROOT, "docs", "benchmarks", "results.csv")

    rows = read_rows(inputs)
    if not rows:
        sys.exit(f"no results in {inputs}")
    v = {r["key"]: float(r["value"]) for r in rows if r["key"] != "ratio"}

    if out_csv:
        os.makedirs(os.path.dirname(os.path.abspath(out_csv)), exist_ok=True)
        with open(out_csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["scenario", "size", "key", "value"], lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: r[k] for k in ["scenario", "size", "key", "value"]} for r in rows)

    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    fig.suptitle("ClaimStore benchmarks against their baselines (medians of rounds; 2 cores, PostgreSQL 15, durable commits)", fontsize=13)
    ours, base, floor = "#2b6cb0", "#a0aec0", "#718096"

    def bars(ax, labels, values, colors, title, ylabel, fmt="{:,.0f}", log=False):
        present = [(l, x, c) for l, x, c in zip(labels, values, colors) if x is not None]
        if not present:
            ax.set_title(title + "\n(no data)")
            ax.axis("off")
            return
        ls, xs, cs = zip(*present)
        drawn = ax.bar(ls, xs, color=cs)
        for bar, x in zip(drawn, xs):
            ax.annotate(fmt.format(x), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
        if log:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=11)
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", labelsize=9)
        ax.margins(y=0.15)

    g = v.get

    # append
    ratio = g("append.ratio_vs_marten")
    labels = [f"ClaimStore\nHTTP\np99 {g('append.http.p99_ms', 0):.0f} ms", f"Marten,\n1 tx/claim\np99 {g('append.marten.p99_ms', 0):.0f} ms"]
    values = [g("append.http.claims_per_s"), g("append.marten.claims_per_s")]
    colours = [ours, base]
    if g("append.marten_defaults.claims_per_s"):
        labels.append(f"the same,\nNpgsql defaults\np99 {g('append.marten_defaults.p99_ms', 0):.0f} ms")
        values.append(g("append.marten_defaults.claims_per_s"))
        colours.append(base)
    labels.append(f"raw INSERT\n(floor)\np99 {g('append.npgsql.p99_ms', 0):.0f} ms")
    values.append(g("append.npgsql.claims_per_s"))
    colours.append(floor)
    bars(axes[0][0], labels, values, colours,
         f"append, 32 clients: {ratio:.2f}× Marten (target ≥ 5×)" if ratio else "append", "claims/s")

    # read
    ratio = g("read.ratio_vs_marten")
    bars(axes[0][1],
         [f"ClaimStore\np99 {g('read.claimstore.p99_ms', 0):.1f} ms", f"Marten per request\np99 {g('read.marten.p99_ms', 0):.1f} ms"],
         [g("read.claimstore.requests_per_s"), g("read.marten.requests_per_s")],
         [ours, base],
         f"current positions, 32 clients: {ratio:.2f}× (target ≥ 10×)" if ratio else "read", "requests/s")

    # lag
    ax = axes[0][2]
    if g("lag.loaded.p95_ms") is not None:
        width = 0.38
        xs = range(3)
        loaded = [g(f"lag.loaded.p{p}_ms") for p in (50, 95, 99)]
        idle = [g(f"lag.idle.p{p}_ms") for p in (50, 95, 99)]
        b1 = ax.bar([x - width / 2 for x in xs], loaded, width, color=ours, label=f"under {g('lag.background.claims_per_s', 0):,.0f} claims/s")
        b2 = ax.bar([x + width / 2 for x in xs], idle, width, color=base, label="idle (baseline)")
        for group in (b1, b2):
            for bar in group:
                ax.annotate(f"{bar.get_height():.0f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
        ax.axhline(250, color="#c53030", linestyle="--", linewidth=1, label="target p95 ≤ 250 ms")
        ax.set_xticks(list(xs), ["p50", "p95", "p99"])
        ax.set_ylabel("ms from POST acknowledged to GET /contradictions")
        ax.set_title("contradiction lag", fontsize=11)
        ax.legend(fontsize=8)
        ax.margins(y=0.15)
    else:
        ax.axis("off")

    # rebuild
    ratio = g("rebuild.ratio_vs_plain_read")
    events = g("rebuild.events", 0)
    bars(axes[1][0], ["ProjectionRebuild", "plain sequential read\nof mt_events"],
         [g("rebuild.rebuild.events_per_s"), g("rebuild.plain_read.events_per_s")], [ours, floor],
         f"rebuild from {events:,.0f} events: {ratio:.2f}× the plain read" if ratio else "rebuild", "events/s")

    # scale
    ax = axes[1][1]
    sizes = sorted({int(k.split(".")[1]) for k in v if k.startswith("scale.") and k.split(".")[1].isdigit()})
    if sizes:
        metrics = [("append_p50_ms", "append p50", ours), ("activation_ms", "activation", "#dd6b20"),
                   ("asof_p50_ms", "asOf query p50", "#38a169"), ("marten_stream_read_ms", "Marten stream read + fold", base)]
        width = 0.2
        for j, (key, label, color) in enumerate(metrics):
            values = [max(g(f"scale.{s}.{key}", 0), 0.01) for s in sizes]
            drawn = ax.bar([i + (j - 1.5) * width for i in range(len(sizes))], values, width, color=color, label=label)
            for bar, x in zip(drawn, values):
                ax.annotate(f"{x:.0f}" if x >= 10 else f"{x:.1f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7, xytext=(0, 1), textcoords="offset points")
        ax.set_yscale("log")
        ax.axhline(200, color="#c53030", linestyle="--", linewidth=1, label="targets: activation 200 ms, asOf 100 ms")
        ax.axhline(100, color="#c53030", linestyle=":", linewidth=1)
        ax.set_xticks(range(len(sizes)), [f"{s:,} claims" for s in sizes])
        ax.set_ylabel("ms (log scale)")
        ratio = g(f"scale.append_p50_{sizes[-1]}_vs_{sizes[0]}")
        ax.set_title(f"one actor's size: append p50 {ratio:.2f}× from {sizes[0]:,} to {sizes[-1]:,}" if ratio else "scale", fontsize=11)
        ax.legend(fontsize=7, loc="upper left")
    else:
        ax.axis("off")

    # memory
    bars(axes[1][2], ["host RSS\nafter ingest", "after idle", "of which:\nread side heap", "target"],
         [g("rebuild.memory.host_rss_mib"), g("rebuild.memory.host_rss_idle_mib"), g("rebuild.memory.read_model_mib"), 512.0],
         [ours, ours, base, "#c53030"],
         f"host memory after ingesting {g('rebuild.events', 0) / 1e6:.2f} M events", "MiB")

    fig.tight_layout(rect=(0, 0, 1, 0.96))
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    fig.savefig(png, dpi=100)
    print(f"wrote {png}" + (f" and {out_csv}" if out_csv else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
