"""`psa bench AREA`: the benchmarks of psa.bench, one JSON line per measurement."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from psa.cli.common import add_data_dir_arg, data_dir

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    bench = commands.add_parser("bench", help="benchmarks; one JSON line per measurement")
    bench.add_argument("area", choices=["platform", "scheduling", "time", "education", "finance"])
    bench.add_argument("--size", choices=["small", "large"], default="small")
    bench.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    add_data_dir_arg(bench)
    bench.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    data_dir(args)
    if args.db == "postgres":
        # Never the application's own DATABASE_URL: the benchmark loads a synthetic organisation.
        os.environ["DATABASE_URL"] = (
            os.environ.get("PSA_BENCH_DATABASE_URL")
            or "postgres://postgres@127.0.0.1:5432/psa_bench"
        )
    from psa.bench import run

    return run(area=args.area, size=args.size, db=args.db)
