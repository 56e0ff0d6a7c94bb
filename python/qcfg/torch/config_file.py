"""A quantize config given as a Python dict, written to the file `qcfg compile` / `qcfg ptq`
read. YAML, not JSON: ModelOpt's dict configs have integer keys (`block_sizes: {-1: 16}`), which
JSON turns into the string "-1" that ModelOpt (and so qcfg) rejects as an axis."""

from qcfg._native import QcfgError


def _plain(value, where):
    """The config with tuples as lists; anything YAML cannot say plainly is an error naming it."""
    if isinstance(value, dict):
        return {k: _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise QcfgError(f"config{where}: a {type(value).__name__} cannot be written to a recipe file; "
                    "use plain numbers, strings, lists and dicts as ModelOpt's configs do")


def write_config(config, path):
    try:
        import yaml
    except ImportError as e:
        raise QcfgError("a config given as a dict needs PyYAML (pip install pyyaml): it is written "
                        "as YAML so that integer keys such as block_sizes' -1 stay integers") from e
    with open(path, "w") as f:
        yaml.safe_dump(_plain(config, ""), f, sort_keys=False)
    return path
