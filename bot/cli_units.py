"""`tthc unit add/list`, `tthc staff grant/revoke`: the units (cơ quan / xã) records are routed to and who works in them.

The rules live in feedback/units.py; these commands parse, call it in one transaction and print.
`grant` and `revoke` are added to the `staff` command group of bot/cli_feedback.py.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli_common import console, settings as _settings
from bot.cli_feedback import staff_app

unit_app = typer.Typer(help="Units (cơ quan / xã) that handle feedback records.", no_args_is_help=True)


def _run(work):
    """Run `work(session)` in one transaction; a refused input is one red line and exit code 2."""
    from bot.app.wiring import open_database
    from feedback.errors import FeedbackError

    sessions = open_database(_settings())
    try:
        with sessions() as db, db.begin():
            return work(db)
    except FeedbackError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc


@unit_app.command("add")
def unit_add(
    name: Annotated[str, typer.Argument(help="the unit's name, e.g. 'UBND xã Phú Lâm'")],
    kind: Annotated[str, typer.Option(help="co_quan (an agency) | xa (a commune / ward)")] = "co_quan",
    code: Annotated[str | None, typer.Option(help="short code used by other commands (default: from the name)")] = None,
    keywords: Annotated[str, typer.Option(help="other names it is known by, comma-separated (matched at intake)")] = "",
) -> None:
    """Create a unit; new records naming it (or its keywords) are routed to it."""
    from feedback.units import add_unit

    unit = _run(lambda db: add_unit(db, name, kind=kind, code=code, keywords=keywords))
    console.print(f"Đã tạo đơn vị {unit.name} (mã {unit.code}).")


@unit_app.command("list")
def unit_list() -> None:
    """Every unit with its members and open records (the coordinator queue first)."""
    from feedback.units import KIND_LABELS, list_units

    rows = _run(lambda db: [(u.code, u.name, KIND_LABELS.get(u.kind, u.kind), str(m), str(n), u.keywords)
                            for u, m, n in list_units(db)])
    table = Table("Mã", "Tên", "Loại", "Cán bộ", "Đang mở", "Từ khóa", title="Đơn vị")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@staff_app.command("grant")
def staff_grant(
    username: str,
    unit: Annotated[str, typer.Argument(help="unit code (see `tthc unit list`)")],
    role: Annotated[str, typer.Argument(help="tiep_nhan | xu_ly | lanh_dao | quan_tri")],
) -> None:
    """Make a staff member a member of a unit with a role (or change their role there)."""
    from feedback.units import ROLE_LABELS, grant

    _run(lambda db: grant(db, username, unit, role))
    console.print(f"{username}: {ROLE_LABELS[role]} tại đơn vị {unit}.")


@staff_app.command("revoke")
def staff_revoke(username: str, unit: Annotated[str, typer.Argument(help="unit code")]) -> None:
    """Remove a staff member from a unit; they no longer see its records."""
    from feedback.units import revoke

    if _run(lambda db: revoke(db, username, unit)):
        console.print(f"Đã rút {username} khỏi đơn vị {unit}.")
    else:
        console.print(f"{username} không thuộc đơn vị {unit}.")
