"""What the simulated shoppers do besides the concurrency levels: long conversations, a calm
conversation while another client sends long messages, and the soak."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bench.processes import rss_mb
from bench.report import SOAK_SAMPLE_S, pct
from bench.scenarios import Scenarios

if TYPE_CHECKING:
    from bench.run import Bot


def long_conversation(bot: Bot, turns: int, metadata: dict[str, str], messages: list[str], pairs: int = 5,
                      window: int = 10) -> tuple[list[float], list[float]]:
    """Latency (ms) of the first `window` turns and of the last `window` of `turns`, in `pairs`
    conversations of each. One turn of a new conversation and one of a conversation already
    `turns - window` turns long are measured by turns, so the machine's drift and hiccups (one
    conversation's ten turns moved by half from run to run here) fall on both alike; both say the
    same messages at the same turns."""
    late_start = turns - window
    if late_start < 0 or late_start % len(messages):
        raise ValueError("the last turns must start where the messages start again")

    def say(sender: str, turn: int) -> float:
        return bot.say(sender, messages[turn % len(messages)], metadata)[0] * 1000

    early: list[float] = []
    late: list[float] = []
    for _ in range(pairs):
        new, long = f"bench-long-{uuid.uuid4().hex[:8]}", f"bench-long-{uuid.uuid4().hex[:8]}"
        for turn in range(late_start):
            say(long, turn)
        for turn in range(window):
            early.append(say(new, turn))
            late.append(say(long, late_start + turn))
    return early, late


def under_long_messages(bot: Bot, metadata: dict[str, str], seconds: float = 15.0) -> list[dict[str, object]]:
    """Latency of a calm conversation while one client sends long messages back to back, each from a
    new sender id (so every one reaches the NLU, as an attacker would): nothing, messages at the
    channel's limit, and ten times the limit (answered "please shorten" at the door)."""
    from bot_extensions.guard import MAX_MESSAGE_CHARS

    rows: list[dict[str, object]] = []
    for label, length in (("nobody else", 0), (f"{MAX_MESSAGE_CHARS:,}-character messages", MAX_MESSAGE_CHARS),
                          (f"{10 * MAX_MESSAGE_CHARS:,}-character messages", 10 * MAX_MESSAGE_CHARS)):
        stop = threading.Event()
        noisy: list[float] = []

        def flood(size: int, stop: threading.Event, noisy: list[float]) -> None:
            text = ("我要退款订单号是多少呢" * (size // 10 + 1))[:size]
            while not stop.is_set():
                noisy.append(bot.say(f"bench-flood-{uuid.uuid4().hex[:8]}", text, metadata)[0] * 1000)

        flooder = threading.Thread(target=flood, args=(length, stop, noisy), daemon=True) if length else None
        if flooder:
            flooder.start()
        calm: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            calm.append(bot.say(f"bench-calm-{uuid.uuid4().hex[:8]}", "退款多久能到账", metadata)[0] * 1000)
        stop.set()
        if flooder:
            flooder.join()
        calm.sort()
        noisy.sort()
        rows.append({"load": label, "calm_p50_ms": pct(calm, 50), "calm_p95_ms": pct(calm, 95),
                     "noisy_messages": len(noisy), "noisy_p50_ms": pct(noisy, 50) if noisy else None})
    return rows




def soak(bot: Bot, minutes: float, concurrency: int, scenarios: Scenarios,
         metadata: dict[str, str]) -> dict[str, float]:
    """Whole conversations at a steady concurrency until the time is up; RSS sampled throughout."""
    deadline = time.monotonic() + minutes * 60
    turns: list[tuple[float, bool]] = []
    samples: list[tuple[float, float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        started = time.monotonic()
        while not stop.is_set():
            samples.append((time.monotonic() - started, sum(rss_mb(p) for p in bot.rasa_pids()),
                            sum(rss_mb(p) for p in bot.action_pids())))
            stop.wait(SOAK_SAMPLE_S)

    def converse(_: int) -> None:
        while time.monotonic() < deadline:
            sender = f"soak-{uuid.uuid4().hex[:12]}"
            for text in scenarios.next():
                turns.append(bot.say(sender, text, metadata))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(converse, range(concurrency)))
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    latencies = sorted(seconds * 1000 for seconds, _ in turns)
    first = [s for s in samples if s[0] <= 60] or samples[:1]
    last = [s for s in samples if s[0] >= samples[-1][0] - 60] or samples[-1:]
    return {"minutes": minutes, "concurrency": concurrency, "turns": len(turns),
            "errors": sum(not ok for _, ok in turns), "messages_per_s": len(turns) / wall,
            "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
            "rasa_first": statistics.mean(s[1] for s in first), "rasa_last": statistics.mean(s[1] for s in last),
            "rasa_max": max(s[1] for s in samples), "actions_first": statistics.mean(s[2] for s in first),
            "actions_last": statistics.mean(s[2] for s in last), "actions_max": max(s[2] for s in samples)}
