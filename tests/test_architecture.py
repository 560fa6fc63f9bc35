"""The import contract of docs/architecture.md, checked on the source (no imports executed).

The rooms stay honest only if a wrong arrow fails the build: the engine imports no channel, app,
web, HTTP or database module; `knowledge` imports nothing of ours; `indexer` only `knowledge`;
`feedback` never `bot`; channels never the app. A small AST walk is enough and has no dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("knowledge", "indexer", "bot", "feedback")
HTTP_OR_DATABASE = ("sqlalchemy", "starlette", "uvicorn", "httpx", "telegram", "alembic", "psycopg", "jinja2",
                    "multipart", "argon2", "itsdangerous")

# package (path prefix) → module prefixes it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "knowledge": ("indexer", "bot", "feedback"),
    "indexer": ("bot", "feedback"),
    "feedback": ("bot", "indexer"),
    "bot/engine": ("bot.app", "bot.channels", "bot.tools", "bot.cli", "feedback", *HTTP_OR_DATABASE),
    "bot/channels": ("bot.app", "bot.tools", "bot.cli", "feedback", "sqlalchemy"),
    "bot/app": ("bot.tools", "bot.cli"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package):
    assert violations(package, FORBIDDEN[package]) == []


def test_the_contract_catches_a_wrong_arrow(tmp_path, monkeypatch):
    """The checker itself: a module that imports what it must not is reported."""
    (tmp_path / "bot" / "engine").mkdir(parents=True)
    (tmp_path / "bot" / "engine" / "bad.py").write_text("from bot.app.server import create_app\nimport sqlalchemy\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert len(violations("bot/engine", FORBIDDEN["bot/engine"])) == 2


def test_no_module_is_over_400_lines():
    """Small modules with one job: a file that grows past this is two jobs."""
    long = [f"{p.relative_to(ROOT)}: {n}" for pkg in OURS for p in sorted((ROOT / pkg).rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert long == []


def test_every_module_says_why_it_exists():
    missing = [str(p.relative_to(ROOT)) for pkg in OURS for p in sorted((ROOT / pkg).rglob("*.py"))
               if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
               and p.read_text(encoding="utf-8").strip()]
    assert missing == []
