"""`tthc staff …`: staff accounts from the command line, for the first administrator and for when the
web page is out of reach. Each command calls feedback.accounts, as the web accounts page does, so the
checks and the audit rows (actor "cli") are the same on both ways in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli_common import console, settings as _settings

ACTOR = "cli"
ROLE_HELP = "staff (cán bộ) | admin (quản trị) | editor (biên tập)"
staff_app = typer.Typer(help="Staff accounts for the feedback web pages.", no_args_is_help=True)


def _run(work: Callable) -> object:
    """Open the database, run `work(db)` in one transaction; a refused act exits 2 with its reason."""
    from bot.app.wiring import open_database
    from feedback.service import InvalidInput

    sessions = open_database(_settings())
    try:
        with sessions() as db, db.begin():
            return work(db)
    except InvalidInput as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc


def _show_once(username: str, password: str | None) -> None:
    if password:
        Console().print(f"Mật khẩu tạm của {username} (chỉ hiện một lần): [bold]{password}[/bold]")


@staff_app.command("list")
def staff_list() -> None:
    """Every account: role, active or disabled, locked, last login, open sessions."""
    from feedback import accounts
    from feedback.workdays import format_local_datetime

    rows = _run(accounts.list_accounts)
    table = Table("Tên đăng nhập", "Tên hiển thị", "Vai trò", "Trạng thái", "Khóa", "Đăng nhập gần nhất", "Phiên",
                  title="Tài khoản cán bộ")
    for a in rows:
        lock = ", ".join(w for w, on in (("quản trị khóa", a.locked), ("đăng nhập sai", a.throttled)) if on) or "—"
        table.add_row(a.username, a.display_name, a.role, "hoạt động" if a.active else "vô hiệu hóa", lock,
                      format_local_datetime(a.last_login_at) or "chưa", str(a.sessions))
    Console().print(table)


@staff_app.command("add")
def staff_add(
    username: str,
    role: Annotated[str, typer.Option(help=ROLE_HELP)] = "staff",
    display_name: Annotated[str, typer.Option(help="name shown on pages")] = "",
    password: Annotated[str | None, typer.Option(help="at least 10 characters (prompted when omitted)")] = None,
    generate: Annotated[bool, typer.Option("--generate", help="generate a temporary password and print it once")] = False,
) -> None:
    """Create a staff user (argon2-hashed password)."""
    from feedback import accounts

    if not generate and password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user, generated = _run(lambda db: accounts.create(db, ACTOR, username, role, display_name,
                                                      None if generate else password, temporary=generate))
    console.print(f"Đã tạo tài khoản {user.username} ({role}).")
    _show_once(user.username, generated)


def _by_name(act: Callable, username: str, *args) -> object:
    from feedback import accounts

    return _run(lambda db: act(db, ACTOR, accounts.find(db, username).id, *args))


@staff_app.command("disable")
def staff_disable(username: str) -> None:
    """Disable an account and end all its sessions (its history stays)."""
    from feedback import accounts

    _by_name(accounts.disable, username)
    console.print(f"Đã vô hiệu hóa {username}; mọi phiên đăng nhập đã kết thúc.")


@staff_app.command("enable")
def staff_enable(username: str) -> None:
    """Enable a disabled account again."""
    from feedback import accounts

    _by_name(accounts.enable, username)
    console.print(f"Đã kích hoạt lại {username}.")


@staff_app.command("lock")
def staff_lock(username: str) -> None:
    """Lock an account (until unlocked) and end all its sessions."""
    from feedback import accounts

    _by_name(accounts.lock, username)
    console.print(f"Đã khóa {username}; mọi phiên đăng nhập đã kết thúc.")


@staff_app.command("unlock")
def staff_unlock(username: str) -> None:
    """Lift a lock and clear the wrong-password throttle of this username."""
    from feedback import accounts

    _by_name(accounts.unlock, username)
    console.print(f"Đã mở khóa {username} và xóa bộ đếm đăng nhập sai.")


@staff_app.command("reset-password")
def staff_reset_password(
    username: str,
    password: Annotated[str | None, typer.Option(help="the temporary password (omit to generate one, printed once)")] = None,
    temporary: Annotated[bool, typer.Option("--temporary/--no-temporary",
                                            help="ask for a new password at the next login (default)")] = True,
) -> None:
    """Set a temporary password; every session of the account ends."""
    from feedback import accounts

    user, generated = _by_name(accounts.reset_password, username, password, temporary)
    console.print(f"Đã đặt mật khẩu tạm cho {user.username}; mọi phiên đăng nhập đã kết thúc.")
    _show_once(user.username, generated)


@staff_app.command("role")
def staff_role(username: str, role: Annotated[str, typer.Argument(help=ROLE_HELP)]) -> None:
    """Change an account's global role (takes effect on its next page)."""
    from feedback import accounts

    _by_name(accounts.set_role, username, role)
    console.print(f"Tài khoản {username} nay có vai trò {role}.")
