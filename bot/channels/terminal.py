"""Terminal channel: a REPL for local chat and manual testing. Renders a Reply as plain lines.

Printed with soft wrapping: rich would otherwise hard-wrap at the console width (80 columns when
piped) and break a portal link across two lines, so it could no longer be copied or clicked.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from bot.channels.edge import split_command
from bot.channels.render import with_numbered_choices
from bot.engine import replies
from bot.engine.turn import Engine, handle_safely
from bot.engine.types import ConversationState, Incoming, Reply

EXIT_WORDS = {"/quit", "/exit", "thoat", "thoát", "quit", "exit"}


def render(reply: Reply) -> str:
    """Plain text with numbered options; markup in the reply text is escaped, never interpreted."""
    return escape(with_numbered_choices(reply))


def run_repl(engine: Engine, console: Console | None = None) -> None:
    console = console or Console()
    state = ConversationState()
    console.print(f"[bold]{escape(replies.t('vi', 'terminal_welcome'))}[/bold]\n")
    while True:
        try:
            text = console.input(f"[bold cyan]{replies.t(state.language, 'terminal_you')}[/bold cyan]: ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        except UnicodeDecodeError:
            console.print(f"[yellow]{escape(replies.t(state.language, 'terminal_bad_input'))}[/yellow]")
            continue
        if text.strip().lower() in EXIT_WORDS:
            break
        command = split_command(text)  # "/phananh", "/tracuu PA-…", "/huy": as on Zalo, typed
        incoming = Incoming("terminal", "local", command[2], command=command[0]) if command else Incoming("terminal", "local", text)
        reply = handle_safely(engine, incoming, state)
        state = reply.state
        console.print(f"[bold green]{replies.t(state.language, 'terminal_bot')}[/bold green]: {render(reply)}\n",
                      soft_wrap=True)
