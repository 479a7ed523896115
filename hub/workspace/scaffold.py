"""``hub init``: write a new workspace from the templates in ``hub/workspace/templates/``.

The templates are shipped as package data. Dotfiles are stored without their dot
(``gitignore``, ``env.example``) because package-data globs skip hidden files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from hub.errors import ConfigError, ConflictError
from hub.workspace.loader import CONFIG_FILE

# template name -> path in the workspace, in the order they are written
TEMPLATES: dict[str, str] = {
    "hub.yaml": CONFIG_FILE,
    "mappings/README.md": "mappings/README.md",
    "flows/README.md": "flows/README.md",
    "env.example": ".env.example",
    "gitignore": ".gitignore",
}


@dataclass
class ScaffoldResult:
    """What ``scaffold_workspace`` did, as paths relative to ``root``."""

    root: Path
    written: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # hub.yaml, with --force
    kept: list[str] = field(default_factory=list)  # already there, left as they were
    extended: list[str] = field(default_factory=list)  # .gitignore: missing lines appended


def template_text(name: str) -> str:
    return files("hub.workspace").joinpath("templates", *name.split("/")).read_text(encoding="utf-8")


def scaffold_workspace(root: Path, *, force: bool = False) -> ScaffoldResult:
    """Create ``root`` (if needed) with ``hub.yaml``, ``mappings/``, ``flows/``, ``.gitignore``, ``.env.example``.

    An existing ``hub.yaml`` is only replaced with ``force``. Other files that already
    exist are kept (they may hold the admin's edits); an existing ``.gitignore`` gets the
    lines it lacks appended.
    """
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a folder")
    config = root / CONFIG_FILE
    if config.exists() and not force:
        raise ConflictError(
            f"{config} already exists; use --force to replace it with the template",
            details={"hint": f"check the existing one with: HUB_WORKSPACE={root} hub config check"},
        )
    result = ScaffoldResult(root=root)
    for template, target in TEMPLATES.items():
        path = root / target
        text = template_text(template)
        if target == ".gitignore" and path.exists():
            if _extend_gitignore(path, text):
                result.extended.append(target)
            else:
                result.kept.append(target)
            continue
        if path.exists() and target != CONFIG_FILE:
            result.kept.append(target)
            continue
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        (result.replaced if existed else result.written).append(target)
    return result


def _extend_gitignore(path: Path, template: str) -> bool:
    existing = path.read_text(encoding="utf-8")
    present = {line.strip() for line in existing.splitlines()}
    missing = [line for line in template.splitlines() if line.strip() and not line.startswith("#")]
    missing = [line for line in missing if line.strip() not in present]
    if not missing:
        return False
    separator = "" if existing.endswith("\n") or not existing else "\n"
    path.write_text(existing + separator + "\n# integration hub\n" + "\n".join(missing) + "\n", encoding="utf-8")
    return True
