"""Terminal channel: a REPL for local chat and manual testing. Renders a Reply as plain lines."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from bot.engine import Engine, handle_safely
from bot.types import ConversationState, Incoming, Reply

PROMPT = "[bold cyan]Bạn[/bold cyan]: "
EXIT_WORDS = {"/quit", "/exit", "thoat", "thoát", "quit", "exit"}


def render(reply: Reply) -> str:
    """Plain text with numbered options; markup in the reply text is escaped, never interpreted."""
    lines = [escape(reply.text)]
    if reply.options and not all(o.payload.startswith("helpful:") for o in reply.options):
        lines.extend(escape(o.label) for o in reply.options if not o.payload.startswith("helpful:"))
    return "\n".join(lines)


def run_repl(engine: Engine, console: Console | None = None) -> None:
    console = console or Console()
    state = ConversationState()
    console.print("[bold]Trợ lý thủ tục hành chính[/bold] — gõ câu hỏi, /quit để thoát.\n")
    while True:
        try:
            text = console.input(PROMPT)
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        except UnicodeDecodeError:
            console.print("[yellow]Không đọc được ký tự vừa nhập, anh/chị vui lòng gõ lại.[/yellow]")
            continue
        if text.strip().lower() in EXIT_WORDS:
            break
        reply = handle_safely(engine, Incoming("terminal", "local", text), state)
        state = reply.state
        console.print(f"[bold green]Trợ lý[/bold green]: {render(reply)}\n")
