"""The import contracts of docs/architecture.md (pyproject.toml's [tool.importlinter]).

Each case writes one deliberate import into a temporary copy of src/psa and runs the contracts
on the copy: the contract that the import breaks fails, the others still hold. The real tree
keeps all of them. Relative imports, imports inside functions and imports for type checking
only count like any other.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each check runs lint-imports in a subprocess (about a second)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]
}
KEPT = {"layers": "KEPT", "edge": "KEPT", "pure-rules": "KEPT", "core": "KEPT"}
LINT = (
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())"
)


def lint(src: Path, tmp_path: Path) -> tuple[int, dict[str, str], str]:
    """Run lint-imports on the psa package under `src`: exit code, each contract's verdict and
    the report."""
    env = {
        **os.environ,
        # The copy comes before the installed (editable) psa on the path.
        "PYTHONPATH": str(src),
        # One line per verdict: the report is wrapped to the terminal's width otherwise.
        "COLUMNS": "1000",
    }
    run = subprocess.run(
        [sys.executable, "-c", LINT, "--no-logo", "--no-cache", str(CONFIG)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = run.stdout + run.stderr
    verdicts = {}
    for key, name in CONTRACTS.items():
        found = re.search(re.escape(name) + r" (KEPT|BROKEN)", report)
        verdicts[key] = found.group(1) if found else "MISSING"
    return run.returncode, verdicts, report


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package's Python files (templates and static files do not import)."""
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "psa",
        src / "psa",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
    )
    return src


def append(src: Path, module: str, code: str) -> int:
    """Add `code` at the end of the module; the line number of its import."""
    path = src / module
    before = path.read_text() + "\n\n"
    path.write_text(before + code + "\n")
    lines = code.splitlines()
    first = next(
        i for i, line in enumerate(lines) if "import " in line and ("psa" in line or ".." in line)
    )
    return before.count("\n") + first + 1


def test_the_real_tree_keeps_every_contract(tmp_path: Path) -> None:
    code, verdicts, report = lint(ROOT / "src", tmp_path)
    assert (code, verdicts) == (0, KEPT), report
    assert "Contracts: 4 kept, 0 broken." in report


UPWARD = [
    pytest.param(
        "psa/people/services.py",
        "from psa.scheduling import selectors as upward",
        {"layers": "BROKEN"},
        "psa.people.services -> psa.scheduling.selectors (l.{line})",
        id="absolute-import-at-module-level",
    ),
    pytest.param(
        "psa/engagements/selectors.py",
        "def upward() -> object:\n    from ..timetracking import selectors\n\n    return selectors",
        {"layers": "BROKEN"},
        "psa.engagements.selectors -> psa.timetracking.selectors (l.{line})",
        id="relative-import-inside-a-function",
    ),
    pytest.param(
        "psa/people/rules.py",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from psa.scheduling.models import Booking",
        {"layers": "BROKEN", "pure-rules": "BROKEN"},
        "psa.people.rules -> psa.scheduling.models (l.{line})",
        id="import-for-type-checking-only",
    ),
    pytest.param(
        "psa/timetracking/rules.py",
        "from psa.timetracking.models import TimeEntry",
        # Its own domain's model, so no layer is crossed: a rule decides on plain values.
        {"pure-rules": "BROKEN"},
        "psa.timetracking.rules -> psa.timetracking.models (l.{line})",
        id="a-rule-importing-its-own-domains-model",
    ),
    pytest.param(
        "psa/people/rules.py",
        "def reads() -> object:\n    from psa.people import selectors\n\n    return selectors",
        {"pure-rules": "BROKEN"},
        "psa.people.rules -> psa.people.selectors (l.{line})",
        id="a-rule-reading-the-database-through-a-selector",
    ),
    pytest.param(
        "psa/people/selectors.py",
        "def upward() -> object:\n    from psa.home import selectors\n\n    return selectors",
        # Through the home dashboard, which reads engagements: the chain counts, not only its
        # first step (and psa.home is the edge's to import).
        {"layers": "BROKEN", "edge": "BROKEN"},
        "psa.people is not allowed to import psa.engagements:\n\n"
        "- psa.people.selectors -> psa.home.selectors (l.{line})\n"
        "  psa.home.selectors -> psa.engagements.models",
        id="indirect-through-a-composition-module",
    ),
    pytest.param(
        "psa/engagements/services.py",
        "from psa.engagements import flows",
        {"edge": "BROKEN"},
        # The flow may import scheduling; a service importing the flow would reach it too.
        "psa.engagements.services -> psa.engagements.flows (l.{line})",
        id="domain-code-importing-its-own-flow",
    ),
    pytest.param(
        "psa/timetracking/services.py",
        "from psa.scheduling import views",
        {"edge": "BROKEN"},
        "psa.timetracking.services -> psa.scheduling.views (l.{line})",
        id="domain-code-importing-a-lower-domains-page",
    ),
    pytest.param(
        "psa/finance/services.py",
        "from psa import periodic",
        # From the top domain no layer is crossed: the edge contract alone keeps a service
        # from the top-level composition.
        {"edge": "BROKEN"},
        "psa.finance.services -> psa.periodic (l.{line})",
        id="domain-code-importing-the-top-level-composition",
    ),
    pytest.param(
        "psa/timetracking/services.py",
        "from psa.cli import common",
        # The contract names the package psa.cli: each of its modules is the edge's too.
        {"edge": "BROKEN"},
        "psa.timetracking.services -> psa.cli.common (l.{line})",
        id="domain-code-importing-a-module-of-a-top-level-package",
    ),
    pytest.param(
        "psa/core/api.py",
        "def upward() -> object:\n    from psa.people.selectors import actor_for\n\n"
        "    return actor_for",
        # core.api is an edge module, whose imports the layers contract lets through: the core
        # contract is the one that holds core to itself.
        {"core": "BROKEN"},
        "psa.core.api -> psa.people.selectors (l.{line})",
        id="core-importing-a-domain",
    ),
    pytest.param(
        "psa/core/audit.py",
        "from psa.people import selectors as upward",
        {"layers": "BROKEN", "core": "BROKEN"},
        "psa.core.audit -> psa.people.selectors (l.{line})",
        id="core-domain-code-importing-a-domain",
    ),
    pytest.param(
        "psa/core/audit.py",
        "from psa import home",
        {"core": "BROKEN", "edge": "BROKEN"},
        "psa.core.audit -> psa.home (l.{line})",
        id="core-importing-a-composition-module",
    ),
    pytest.param(
        "psa/integrations/spreadsheet.py",
        "import psa.people.models",
        {"layers": "BROKEN"},
        "psa.integrations.spreadsheet -> psa.people.models (l.{line})",
        id="an-integration-importing-a-domain",
    ),
]


@pytest.mark.parametrize(("module", "code", "broken", "shown"), UPWARD)
def test_an_upward_import_breaks_its_contract(
    copy: Path, tmp_path: Path, module: str, code: str, broken: dict[str, str], shown: str
) -> None:
    # Given the copy keeps every contract
    assert lint(copy, tmp_path)[:2] == (0, KEPT)
    # When one module gains the import
    line = append(copy, module, code)
    # Then exactly the contracts it breaks fail, and the report names the import and its line
    code_, verdicts, report = lint(copy, tmp_path)
    assert (code_, verdicts) == (1, {**KEPT, **broken}), report
    assert shown.format(line=line) in report


def test_a_new_domain_must_take_its_place_in_the_order(copy: Path, tmp_path: Path) -> None:
    (copy / "psa" / "education").mkdir()
    (copy / "psa" / "education" / "__init__.py").write_text("")
    code, verdicts, report = lint(copy, tmp_path)
    assert (code, verdicts) == (1, {**KEPT, "layers": "BROKEN"}), report
    assert "The following modules are not listed as layers:\n\n- psa.education\n" in report
