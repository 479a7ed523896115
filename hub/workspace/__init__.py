"""The workspace an IT admin keeps in git: ``hub.yaml``, ``mappings/``, ``flows/``.

::

    from hub.workspace import load_workspace
    workspace = load_workspace(settings.workspace)     # raises ConfigError listing every error
    workspace.config.connectors, workspace.store_rules, workspace.mappings_dir

:func:`load_yaml` is the line-aware YAML reader (with ``${ENV}`` interpolation) that
``hub.yaml`` and the mapping files share.
"""

from hub.workspace.config import WorkspaceConfig
from hub.workspace.loader import Workspace, load_workspace, validate_config
from hub.workspace.scaffold import ScaffoldResult, scaffold_workspace
from hub.workspace.yamlfile import LoadedYaml, Problem, config_error, format_path, load_yaml, parse_yaml

__all__ = [
    "LoadedYaml",
    "Problem",
    "ScaffoldResult",
    "Workspace",
    "WorkspaceConfig",
    "config_error",
    "format_path",
    "load_workspace",
    "load_yaml",
    "parse_yaml",
    "scaffold_workspace",
    "validate_config",
]
