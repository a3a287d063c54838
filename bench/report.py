"""What a benchmark run measured (turns per level) and how it is written: the results table, the
JSON beside it and the latency chart."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# How often the soak samples the servers' memory (seconds).
SOAK_SAMPLE_S = 5


@dataclass
class Turn:
    conversation: str
    index: int
    seconds: float
    ok: bool


@dataclass
class LevelResult:
    system: str
    concurrency: int
    turns: list[Turn] = field(default_factory=list)
    wall_seconds: float = 0.0
    rasa_rss_mb: float = 0.0
    actions_rss_mb: float = 0.0
    rasa_cpu_s: float = 0.0
    actions_cpu_s: float = 0.0
    web_cpu_s: float = 0.0
    worker_cpu_s: float = 0.0
    # Every process of the system under test together (ours: the launcher's whole tree).
    total_cpu_s: float = 0.0

    def summary(self) -> dict[str, float | int | str]:
        latencies = sorted(t.seconds * 1000 for t in self.turns)
        return {"system": self.system, "concurrency": self.concurrency, "turns": len(self.turns),
                "errors": sum(not t.ok for t in self.turns), "p50_ms": pct(latencies, 50),
                "p95_ms": pct(latencies, 95), "p99_ms": pct(latencies, 99),
                "messages_per_s": len(self.turns) / self.wall_seconds if self.wall_seconds else 0.0,
                "rasa_rss_mb": self.rasa_rss_mb, "actions_rss_mb": self.actions_rss_mb,
                "rasa_cpu_ms_per_turn": self.per_turn_ms(self.rasa_cpu_s),
                "actions_cpu_ms_per_turn": self.per_turn_ms(self.actions_cpu_s),
                "web_cpu_ms_per_turn": self.per_turn_ms(self.web_cpu_s),
                "worker_cpu_ms_per_turn": self.per_turn_ms(self.worker_cpu_s),
                "total_cpu_ms_per_turn": self.per_turn_ms(self.total_cpu_s)}

    def per_turn_ms(self, cpu_seconds: float) -> float:
        return 1000 * cpu_seconds / len(self.turns) if self.turns else 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def write_report(out: Path, levels: list[LevelResult], extras: dict[str, object]) -> str:
    rows = [level.summary() for level in levels]
    by = {(r["system"], r["concurrency"]): r for r in rows}
    lines = [f"# Benchmark — {extras['when']}", "", f"Machine: {extras['machine']}. Loopback, {extras['profile']}, "
             "REST channel, each bot warmed up by five conversations first. Each turn is one HTTP request and its "
             "full answer. RSS and CPU count each server's processes with their children (rasa-sdk serves from "
             "a worker process); CPU ms/turn is the CPU time "
             "they used during the level over its turns — what bounds throughput on a machine of this size. "
             "*all* is every process of the system together: for ours the launcher and everything it started "
             "(rasa, action server, web app, worker), for the starter bot its one rasa process.", "",
             "| system | concurrent conversations | turns | errors | p50 ms | p95 ms | p99 ms | messages/s "
             "| rasa RSS MB | action server RSS MB | CPU ms/turn: rasa | action server | web app | worker | all |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['system']} | {r['concurrency']} | {r['turns']} | {r['errors']} | {r['p50_ms']:.0f} | "
                     f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['messages_per_s']:.1f} | {r['rasa_rss_mb']:.0f} | "
                     f"{r['actions_rss_mb']:.0f} | {r['rasa_cpu_ms_per_turn']:.1f} | "
                     f"{r['actions_cpu_ms_per_turn']:.1f} | {r['web_cpu_ms_per_turn']:.1f} | "
                     f"{r['worker_cpu_ms_per_turn']:.1f} | {r['total_cpu_ms_per_turn']:.1f} |")
    lines += ["", "Ours as a ratio to the starter bot at the same concurrency (p50 and CPU: lower is better; "
              "throughput: higher is better):", "",
              "| concurrent | p50 ratio | throughput ratio | CPU per turn ratio (all processes) |", "|---|---|---|---|"]
    for level in sorted({r["concurrency"] for r in rows}):
        ours, starter = by.get((extras["ours"], level)), by.get(("starter", level))
        if ours and starter:
            lines.append(f"| {level} | {ours['p50_ms'] / starter['p50_ms']:.2f} | "
                         f"{ours['messages_per_s'] / starter['messages_per_s']:.2f} | "
                         f"{ratio(float(ours['total_cpu_ms_per_turn']), float(starter['total_cpu_ms_per_turn']))} |")
    lines += ["", "| measure | aftersales | starter bot |", "|---|---|---|",
              f"| model load (process start → answering) | {extras['load_ours']:.1f} s | "
              f"{extras['load_starter']:.1f} s |",
              f"| training (empty cache) | {fmt_seconds(extras.get('train_ours'))} | "
              f"{fmt_seconds(extras.get('train_starter'))} |",
              f"| NLU alone, one message at a time (`POST /model/parse`), median | {extras['parse_ours']:.0f} ms | "
              f"{extras['parse_starter']:.0f} ms |",
              "| long conversations (5, measured interleaved): median of turns 1–10 → 91–100 | "
              f"{extras['long_early']:.0f} → "
              f"{extras['long_late']:.0f} ms (×{extras['long_late'] / extras['long_early']:.2f}) | — |", "",
              "![latency](latency.png)", ""]
    flooded = extras.get("long_messages")
    if isinstance(flooded, list):
        lines += ["## Others' latency while one client sends long messages", "",
                  "One conversation asks a policy question again and again while another client sends long "
                  "messages back to back, each from a new sender id.", "",
                  "| the other client sends | calm p50 ms | calm p95 ms | long messages sent | their p50 ms |",
                  "|---|---|---|---|---|"]
        for row in flooded:
            noisy = "—" if row["noisy_p50_ms"] is None else f"{row['noisy_p50_ms']:.0f}"
            lines.append(f"| {row['load']} | {row['calm_p50_ms']:.0f} | {row['calm_p95_ms']:.0f} | "
                         f"{row['noisy_messages']} | {noisy} |")
        lines.append("")
    soak = extras.get("soak")
    if soak:
        lines += ["## Soak", "", f"{soak['minutes']:g} minutes at {soak['concurrency']} concurrent conversations "
                  "(the same five conversations, each on a fresh order), stopping by itself. RSS sampled every "
                  f"{SOAK_SAMPLE_S} s; drift = last minute's mean against the first minute's.", "",
                  "| turns | errors | messages/s | p50 ms | p99 ms | rasa RSS first → last min (max) | "
                  "action server RSS first → last min (max) |", "|---|---|---|---|---|---|---|",
                  f"| {soak['turns']} | {soak['errors']} | {soak['messages_per_s']:.1f} | {soak['p50_ms']:.0f} | "
                  f"{soak['p99_ms']:.0f} | {soak['rasa_first']:.0f} → {soak['rasa_last']:.0f} MB "
                  f"({soak['rasa_max']:.0f}) | {soak['actions_first']:.0f} → {soak['actions_last']:.0f} MB "
                  f"({soak['actions_max']:.0f}) |", ""]
    text = "\n".join(lines)
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps({"levels": rows, **extras}, indent=2, default=str), encoding="utf-8")
    chart(out / "latency.png", rows)
    return text


def ratio(ours: float, starter: float) -> str:
    """ours / starter, or — when the starter used no CPU that /proc could see (a level too short for
    one clock tick)."""
    return f"{ours / starter:.2f}" if starter > 0 else "—"


def fmt_seconds(value: object) -> str:
    return "not measured (--no-training)" if value is None else f"{float(value):.0f} s"


def chart(path: Path, rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    systems = sorted({r["system"] for r in rows}, key=lambda name: name == "starter")
    for system, colour in zip(systems, ("#e4393c", "#3b6fd8"), strict=False):
        mine = sorted((r for r in rows if r["system"] == system), key=lambda r: r["concurrency"])
        xs = [r["concurrency"] for r in mine]
        left.plot(xs, [r["p50_ms"] for r in mine], "o-", color=colour, label=f"{system} p50")
        left.plot(xs, [r["p95_ms"] for r in mine], "o--", color=colour, alpha=0.6, label=f"{system} p95")
        right.plot(xs, [r["messages_per_s"] for r in mine], "o-", color=colour, label=system)
    left.set(xlabel="concurrent conversations", ylabel="ms per turn", title="Latency", xscale="log")
    right.set(xlabel="concurrent conversations", ylabel="messages / s", title="Throughput", xscale="log")
    left.legend()
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
