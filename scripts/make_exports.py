"""Write the realistic messy TikTok export test data (issue 9) from a seed.

    python scripts/make_exports.py --out scenarios/examples/tiktok-export --seed 1
    python scripts/make_exports.py --out scenarios/examples/tiktok-export --cases tests/data/exports --seed 1

``--out`` gets the example bundle (videos.jsonl in TikTok Research API shape, scraper.csv with a
scraper's foreign headers); ``--cases`` the small test cases and their truth.json. The generator,
its parameters and every kind of mess it writes are documented in simulate/exports.py. The same
seed writes byte-identical files (tests/test_exports.py checks the committed ones).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from simulate.exports import write_bundle, write_cases  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for videos.jsonl and scraper.csv")
    parser.add_argument("--cases", type=Path, help="folder for the small test cases and truth.json")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    summary = {"bundle": write_bundle(args.out, args.seed)}
    if args.cases:
        summary["cases"] = write_cases(args.cases, args.seed)["files"]
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
