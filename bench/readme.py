"""The README's performance table: the figures the project set itself targets for (issue 18), each
ours beside the starter bot's from one run's results.json, with the target and whether it is met.
`make bench` (a single-replica run at 1, 10 and 50 conversations) writes it into README.md between
its markers; tests/unit/test_bench.py keeps the README equal to the latest run's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench-table -->", "<!-- /bench-table -->"
LEVELS = (1, 10, 50)


def latest_results(results_dir: Path) -> dict[str, Any]:
    """The results.json of the run bench/results/latest.md shows (it links that run's chart)."""
    latest = (results_dir / "latest.md").read_text(encoding="utf-8")
    found = re.search(r"\]\(([\w-]+)/latency\.png\)", latest)
    if found is None:
        raise ValueError("bench/results/latest.md links no run")
    return json.loads((results_dir / found.group(1) / "results.json").read_text(encoding="utf-8"))


def _ratios(values: list[float]) -> str:
    return " / ".join(f"×{v:.2f}" for v in values)


def _mark(met: bool) -> str:
    return "met" if met else "**not met**"


def targets_table(results: dict[str, Any]) -> str:
    levels = {(r["system"], r["concurrency"]): r for r in results["levels"]}
    ours = [levels[(results["ours"], n)] for n in LEVELS]
    starter = [levels[("starter", n)] for n in LEVELS]
    cpu = [o["total_cpu_ms_per_turn"] / s["total_cpu_ms_per_turn"] for o, s in zip(ours, starter, strict=True)]
    p50 = [o["p50_ms"] / s["p50_ms"] for o, s in zip(ours, starter, strict=True)]
    throughput = [o["messages_per_s"] / s["messages_per_s"] for o, s in zip(ours, starter, strict=True)]
    rss_ours, rss_starter = max(o["rasa_rss_mb"] for o in ours), max(s["rasa_rss_mb"] for s in starter)
    long = results["long_late"] / results["long_early"]
    ms = " / ".join
    rows = [
        ("CPU per turn, all processes (at 1 / 10 / 50 conversations)",
         ms(f"{o['total_cpu_ms_per_turn']:.1f}" for o in ours) + " ms",
         ms(f"{s['total_cpu_ms_per_turn']:.1f}" for s in starter) + " ms", _ratios(cpu), "≤ ×0.5",
         _mark(max(cpu) <= 0.5)),
        ("p50 latency (at 1 / 10 / 50)", ms(f"{o['p50_ms']:.0f}" for o in ours) + " ms",
         ms(f"{s['p50_ms']:.0f}" for s in starter) + " ms", _ratios(p50), "≤ ×0.5 at 1 and 10",
         _mark(max(p50[:2]) <= 0.5)),
        ("throughput (at 1 / 10 / 50)", ms(f"{o['messages_per_s']:.1f}" for o in ours) + " msg/s",
         ms(f"{s['messages_per_s']:.1f}" for s in starter) + " msg/s", _ratios(throughput), "≥ ×2 at 50",
         _mark(throughput[2] >= 2)),
        ("long conversation: turns 91–100 against 1–10", f"{results['long_early']:.0f} → {results['long_late']:.0f} ms",
         "—", f"×{long:.2f}", "≤ ×1.1", _mark(long <= 1.1)),
        ("rasa server RSS", f"{rss_ours:.0f} MB", f"{rss_starter:.0f} MB", f"×{rss_ours / rss_starter:.2f}", "≤ ×0.6",
         _mark(rss_ours / rss_starter <= 0.6)),
        ("model load (start → answering)", f"{results['load_ours']:.1f} s", f"{results['load_starter']:.1f} s", "—",
         "≤ 10 s", _mark(results["load_ours"] <= 10)),
    ]
    if results.get("train_ours") is not None:
        rows.append(("training from an empty cache", f"{results['train_ours']:.0f} s",
                     f"{results['train_starter']:.0f} s", "—", "≤ 60 s", _mark(results["train_ours"] <= 60)))
    lines = [f"`make bench`, {results['when']} ({results['machine']}; {results['profile']}):", "",
             "| figure | aftersales | starter bot | ratio | target | |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_readme(readme: Path, results: dict[str, Any]) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(f"{text[:start]}\n{targets_table(results)}\n{text[end:]}", encoding="utf-8")
