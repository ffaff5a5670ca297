"""`minewatch meters …` — the grid company's side: meter readings and customer registers in,
mining suspicions out."""

from __future__ import annotations

import typer

meters_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Smart-meter data: ingest readings and registers, score accounts "
                              "(电表数据：导入与评分).")
