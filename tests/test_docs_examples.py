"""Every ```python block in docs/ runs, so the documentation cannot drift from the code.

Each page's blocks run in order in one fresh namespace (a throwaway module), inside a
temporary working directory; one test case per page, named by its path. A block that must
not run (it needs a cloud account or an emulator) is written ```py instead.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")


@dataclass(frozen=True)
class Block:
    """One runnable fenced block: where it starts and its source, dedented."""

    number: int
    line: int
    source: str


def python_blocks(text: str) -> list[Block]:
    """The ```python blocks of a markdown page, in order (```py and others are skipped)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        index += 1
        if opening is None:
            continue
        indent, fence = opening["indent"], opening["fence"]
        language = opening["info"].split()[0].strip("{}.").lower() if opening["info"] else ""
        first_line = index + 1
        body: list[str] = []
        while index < len(lines):
            line = lines[index]
            index += 1
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                break
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
        if language == "python":
            blocks.append(Block(len(blocks) + 1, first_line, "\n".join(body) + "\n"))
    return blocks


def pages() -> list[Path]:
    """Every markdown page under docs/ holding at least one runnable block."""
    return sorted(
        path for path in DOCS.rglob("*.md") if python_blocks(path.read_text(encoding="utf-8"))
    )


def run_page(page: Path, workdir: Path, docs: Path = DOCS) -> None:
    """Run the page's blocks in one namespace; fail naming the page and the block."""
    shown = str(page.relative_to(docs.parent))
    name = f"docs_example_{re.sub(r'[^0-9a-zA-Z]+', '_', shown)}"
    module = types.ModuleType(name)
    module.__file__ = str(page)
    sys.modules[name] = module  # dataclasses and msgspec look classes' modules up by name
    environment = dict(os.environ)
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        for block in python_blocks(page.read_text(encoding="utf-8")):
            label = f"{shown} block {block.number} (line {block.line})"
            # Padding makes traceback line numbers the page's own line numbers.
            padded = "\n" * (block.line - 1) + block.source
            code = compile(padded, shown, "exec")
            try:
                exec(code, module.__dict__)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                details = "".join(traceback.format_exception(exc))
                pytest.fail(f"{label} raised {type(exc).__name__}: {exc}\n\n{details}")
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environment)
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    "page", pages(), ids=lambda page: str(page.relative_to(DOCS.parent)).replace(os.sep, "/")
)
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    run_page(page, tmp_path)


def test_the_plugin_and_configuration_pages_are_checked() -> None:
    checked = {str(page.relative_to(DOCS)) for page in pages()}
    assert {"plugins.md", "configuration.md", "lakefs.md"} <= checked


EXAMPLE = """\
# Title

```python
x = 1
```

```py
raise SystemExit("never runs")
```

!!! note
    ```python
    y = x + 1
    ```

````python
z = '''
```
'''
````

~~~python
assert y == 2
~~~

```pycon
>>> not python
```
"""


def test_blocks_are_extracted_in_order_and_dedented() -> None:
    blocks = python_blocks(EXAMPLE)
    assert [block.source for block in blocks] == [
        "x = 1\n",
        "y = x + 1\n",
        "z = '''\n```\n'''\n",
        "assert y == 2\n",
    ]
    assert [block.number for block in blocks] == [1, 2, 3, 4]
    assert [block.line for block in blocks] == [4, 13, 17, 23]


def test_a_failing_block_names_the_page_and_the_block(tmp_path: Path) -> None:
    fake = tmp_path / "docs" / "broken.md"
    fake.parent.mkdir()
    fake.write_text("```python\nok = 1\n```\n\n```python\nraise ValueError('boom')\n```\n")

    with pytest.raises(pytest.fail.Exception) as caught:
        run_page(fake, tmp_path, docs=fake.parent)

    message = str(caught.value)
    assert "docs/broken.md block 2 (line 6) raised ValueError: boom" in message
    assert 'File "docs/broken.md", line 6' in message
