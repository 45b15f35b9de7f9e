"""``python -m bench [--quick] [--only KEY ...]``: run the benchmarks, write latest.json, print the table."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.common import GOALS, RESULTS_DIR, Results, machine, markdown_table, table_rows

Section = Callable[[Results, bool], None]


def _sections() -> dict[str, tuple[Section, tuple[str, ...]]]:
    """Each section with the keys it produces (imports are deferred so ``--help`` is instant)."""
    from bench import align, ingest, meetings, relevance, runs, search, stories, themes

    return {
        "search": (search.run, ("memory_search_p95_ms_100k", "memory_search_p95_ms_100k_baseline_local_mode")),
        "ingest": (ingest.run, ("ingest_vs_raw_embedder_ratio", "ingest_rows_per_second_100k",
                                "ingest_peak_rss_mb_100k")),
        "themes": (themes.run, ("themes_nmi_banking77_train", "themes_ari_banking77_train",
                                "themes_count_banking77_train", "themes_nmi_subsets_min", "themes_ari_subsets_min",
                                "themes_seconds_100k", "themes_peak_rss_mb_100k")),
        "relevance": (relevance.run, tuple(f"{k}{m}" for m in ("", "_llm") for k in (
            "ask_evidence_precision", "ask_abstention_offdomain", "ask_false_abstention", "run_evidence_precision",
            "run_evidence_recall")
        )),
        "runs": (runs.run, ("offline_run_overhead_vs_bare_langgraph", "offline_run_seconds_10k",
                            "themes_seconds_10k", "peak_rss_mb_ingest_100k", "llm_calls_per_full_run",
                            "llm_wall_vs_critical_path_ratio")),
        "stories": (stories.run, ("story_defects_per_story", "story_defects_per_story_llm")),
        "meetings": (meetings.run, ("meeting_requirements_precision", "meeting_requirements_recall")),
        "align": (align.run, ("align_agreement", "align_unaligned_share")),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the selected sections; a failing section leaves its keys at null with the error as note."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="pmpilot benchmarks (docs/performance.md)")
    parser.add_argument("--quick", action="store_true", help="the reduced set: under 5 minutes on 2 cores")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="run only the sections producing these keys")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "latest.json", help="where to write the JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sections = _sections()
    if args.only:
        unknown = sorted(set(args.only) - set(GOALS) - set(sections))
        if unknown:
            parser.error(f"unknown key(s): {', '.join(unknown)}; expected section names or keys of {sorted(GOALS)}")
        chosen = {n: s for n, s in sections.items() if n in args.only or set(s[1]) & set(args.only)}
    else:
        chosen = sections
    results = Results(quick=args.quick)
    info = machine()
    started = time.perf_counter()
    durations: dict[str, float] = {}
    for name, (section, keys) in chosen.items():
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            section(results, args.quick)
        except Exception as exc:  # a broken section must not hide the others' figures: recorded as null + reason
            traceback.print_exc()
            for key in keys:
                if key not in results.figures:
                    results.put(key, None, f"not measured: {type(exc).__name__}: {exc}")
        durations[name] = round(time.perf_counter() - t0, 1)
        print(f"[bench] {name} done in {durations[name]:.0f} s", file=sys.stderr, flush=True)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": info,
        **{key: results.figures.get(key) for key in GOALS if key in results.figures},
        **results.extra,
        "notes": results.notes,
        "goals": {key: str(goal) for key, goal in GOALS.items()},
        "section_seconds": durations,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print_table(results.figures, info, document["total_seconds"], args.out)
    return 0


def _print_table(figures: dict[str, object], info: dict[str, object], total: float, out: Path) -> None:
    rows = [("key", "value", "goal", "pass"), *table_rows(figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{info['cores']} cores, {info['ram_gb']} GB RAM, {info['cpu']}; load {info['load_avg_1m_at_start']} "
          f"at start; {total:.0f} s; written to {out}")
    print("\nMarkdown:\n" + markdown_table(figures))


if __name__ == "__main__":
    sys.exit(main())
