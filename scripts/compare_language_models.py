"""One NLU model for Chinese and English, or one per language? Trains both ways and measures them
on the held-out phrasings (accuracy) and per message (parse latency), then writes the table.

    .venv-bot/bin/python scripts/compare_language_models.py reports/languages.md   (make language-report)

- one model: config.yml over data/ (both languages) — what the bot runs;
- Chinese model: config.yml over the Chinese files only (data/nlu.yml, data/nlu_zh_*.yml);
- English model: config.yml over the English files only (data/nlu_en*.yml) (the same pipeline: jieba
  reads English words as words, and its order-number lemma applies to both languages).
Each is trained NLU-only into a temporary folder, then loaded and asked every held-out phrasing of
its language(s) twice (the first pass warms up; the second is timed)."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT / "scripts"))
sys.path.insert(1, str(ROOT))

from evaluate_nlu import agent_for, classify  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

HELDOUT = {"zh": sorted(str(p) for p in (ROOT / "tests" / "nlu").glob("heldout_zh*.yml")),
           "en": sorted(str(p) for p in (ROOT / "tests" / "nlu").glob("heldout_en*.yml"))}


CHOICE = """
## The choice: one model

Measured here: a model of its own reads its language's held-out phrasings {zh} points (Chinese) and
{en} points (English) against the shared model and parses a message {faster} ms faster (a smaller
vocabulary; the p50s are in the table), and two smaller trainings take about as long as the combined
one. (The combined model here is trained NLU-only; the bot's full `rasa train` of the same data lands a
point or two apart — reports/nlu.md —
which is the size of the run-to-run difference between data changes, too.) The bot still runs one
model, because a Rasa model is the whole bot — NLU *and* dialogue — and a conversation lives in one server's model:

- a shopper who switches language mid-request must keep the form, its slots and its confirmation;
  with a model per language, the switch is a jump to another server whose tracker knows nothing of the
  form (or shares a tracker written by a different domain), and handoff, pauses and proactive updates
  would all need a router that knows which server holds which conversation;
- every replica of the scaled profile would carry two models: twice the memory (~1.1 GB each, the
  first limit on a 2-core / small-memory node) for the same traffic;
- mixed messages ("我想cancel订单", English order talk with Chinese product names) need no routing
  decision at all.

Where a model of its own reads its language better, the way to get that without giving the above up is
one Rasa model with a per-language intent classifier inside its pipeline (the language tag is already
there); more phrasings from real transcripts move every row more than the choice does.
"""


def train(name: str, config: Path, nlu: Path, out: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv-bot" / "bin" / "rasa"), "train", "nlu", "--config", str(config), "--nlu",
                    str(nlu), "--domain", str(ROOT / "domain.yml"), "--out", str(out), "--fixed-model-name", name],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out / f"{name}.tar.gz", time.perf_counter() - started


def language_files(pattern: str, workdir: Path, *also: str) -> Path:
    """One language's training files, gathered in a folder of their own (`rasa train --nlu` takes one)."""
    folder = workdir / f"data-{pattern.replace('*', '')}"
    folder.mkdir()
    for path in [*(ROOT / "data").glob(pattern), *(ROOT / "data" / name for name in also)]:
        shutil.copy(path, folder / path.name)
    return folder


async def measure(model: Path, language: str) -> dict[str, float]:
    examples = [(m.get("text"), m.get("intent")) for path in HELDOUT[language]
                for m in load_data(path).intent_examples]
    rows = await classify(str(model), examples)  # warm-up pass, and the accuracy
    agent = agent_for(str(model))
    timings = []
    for text, *_ in rows:
        started = time.perf_counter()
        await agent.parse_message(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"phrasings": len(rows), "accuracy": sum(e == p for _, e, p, _ in rows) / len(rows),
            "p50_ms": statistics.median(timings), "p95_ms": timings[int(len(timings) * 0.95) - 1]}


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        models = {
            "one model (both languages)": (train("both", ROOT / "config.yml", ROOT / "data", workdir), ("zh", "en")),
            "Chinese-only model": (train("zh", ROOT / "config.yml", language_files("nlu_zh*", workdir, "nlu.yml"),
                                         workdir), ("zh",)),
            "English-only model": (train("en", ROOT / "config.yml", language_files("nlu_en*", workdir), workdir),
                                   ("en",)),
        }
        lines = ["# One NLU model for both languages, or one per language", "",
                 "Made by `make language-report` (scripts/compare_language_models.py) on this machine "
                 f"({time.strftime('%Y-%m-%d')}). Held-out phrasings: never trained on. Latency: one "
                 "`parse_message` per held-out phrasing, after a warm-up pass.", "",
                 "| model | trained in | size | language | held-out phrasings | intent accuracy | parse p50 | "
                 "parse p95 |", "|---|---|---|---|---|---|---|---|"]
        accuracy, latency = {}, {}
        for label, ((path, seconds), languages) in models.items():
            for language in languages:
                m = asyncio.run(measure(path, language))
                accuracy[label, language], latency[label, language] = m["accuracy"], m["p50_ms"]
                lines.append(f"| {label} | {seconds:.0f} s | {path.stat().st_size / 1e6:.1f} MB | {language} | "
                             f"{m['phrasings']} | {m['accuracy']:.1%} | {m['p50_ms']:.1f} ms | {m['p95_ms']:.1f} ms |")
        shared = "one model (both languages)"
        own = {"zh": accuracy["Chinese-only model", "zh"] - accuracy[shared, "zh"],
               "en": accuracy["English-only model", "en"] - accuracy[shared, "en"]}
        faster = statistics.mean([latency[shared, "zh"] - latency["Chinese-only model", "zh"],
                                  latency[shared, "en"] - latency["English-only model", "en"]])
        choice = CHOICE.format(zh=f"{own['zh'] * 100:+.1f}", en=f"{own['en'] * 100:+.1f}", faster=f"{faster:.1f}")
        Path(out).write_text("\n".join(lines) + "\n" + choice, encoding="utf-8")
        print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reports/languages.md")
