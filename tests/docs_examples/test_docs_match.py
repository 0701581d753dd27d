"""The test examples in docs/ are the files in this directory, so they run as written."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).parent
DOCS = HERE.parent.parent / "docs"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


def test_webhook_testing_example_is_the_tested_file():
    example = (HERE / "test_webhook_example.py").read_text()
    assert example in python_blocks((DOCS / "webhooks.md").read_text())


def test_task_mode_testing_example_is_the_tested_file():
    example = (HERE / "test_task_mode_example.py").read_text()
    assert example in python_blocks((DOCS / "webhooks.md").read_text())


def test_emulator_pytest_examples_are_the_tested_file():
    example = (HERE / "test_emulator_example.py").read_text()
    assert example in python_blocks((DOCS / "emulator.md").read_text())


def test_emulator_examples_name_the_redirect_host_they_need():
    """The examples return to shop.example, which the emulator refuses unless listed."""
    from django.conf import settings

    example = (HERE / "test_emulator_example.py").read_text()
    prerequisites = (DOCS / "emulator.md").read_text().split("## From pytest")[1]
    assert "https://shop.example/" in example
    assert '"ALLOWED_REDIRECT_HOSTS": ["shop.example"]' in prerequisites
    assert "shop.example" in settings.RECUR_EMULATOR["ALLOWED_REDIRECT_HOSTS"]


def test_signals_testing_example_uses_the_webhook_example_fixtures():
    text = (DOCS / "signals.md").read_text()
    block = next(b for b in python_blocks(text) if "def test_points_credited" in b)
    assert "post_event(client," in block and "pending_txn" in block
    assert "from recur_django.testing import" in block
    assert "post_signed_event" not in block


def test_readme_links_are_absolute_and_lead_to_existing_pages():
    """PyPI renders the README, where relative links break."""
    readme = (HERE.parent.parent / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert targets and all(t.startswith("https://") for t in targets), targets
    site = "https://recur-django.readthedocs.io/en/latest/"
    for target in targets:
        if target.startswith(site):
            page = target.removeprefix(site).rstrip("/")
            assert (DOCS / f"{page}.md").is_file(), target


def test_readme_keeps_clone_only_parts_in_their_section():
    """The README is also the PyPI page: `make …` and the example project need a clone, so
    they appear only under the section that says so, which says how to install a clone."""
    readme = (HERE.parent.parent / "README.md").read_text()
    heading = "## From a clone of the repository"
    assert heading in readme
    before, clone_section = readme.split(heading)
    clone_section = clone_section.split("\n## ")[0]
    outside = before + readme.split(heading)[1][len(clone_section) :]
    for clone_only in ("make demo", "make test", "example_project/", ".venv/"):
        assert clone_only in clone_section, clone_only
        assert clone_only not in outside, clone_only
    assert "make " not in outside.replace("(`make bench`, from a clone)", "")
    assert "git clone https://github.com/recur-django/recur-django" in clone_section
    assert "pip install -e /path/to/recur-django" in clone_section
    assert "pip install recur-django" in before
