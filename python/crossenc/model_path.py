"""Finding a model: a .cenc file, a Hugging Face folder, or a Hub id in the local Hugging Face
cache (crossenc never downloads; `huggingface-cli download` fills that cache)."""

from __future__ import annotations

import os
from pathlib import Path


def hub_cache_dirs() -> list[Path]:
    """Where huggingface_hub keeps downloads: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/..."""
    if os.environ.get("HF_HUB_CACHE"):
        return [Path(os.environ["HF_HUB_CACHE"])]
    if os.environ.get("HF_HOME"):
        return [Path(os.environ["HF_HOME"]) / "hub"]
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(xdg) / "huggingface" / "hub"]


def _cached_snapshot(model_id: str) -> Path | None:
    for cache in hub_cache_dirs():
        repo = cache / ("models--" + model_id.replace("/", "--"))
        ref = repo / "refs" / "main"
        if ref.is_file():
            snapshot = repo / "snapshots" / ref.read_text().strip()
            if snapshot.is_dir():
                return snapshot
        snapshots = sorted((repo / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime)
        if snapshots:
            return snapshots[-1]
    return None


def resolve_model(model: str | os.PathLike) -> str:
    """The local path for `model`; FileNotFoundError when there is none."""
    path = Path(model)
    if path.exists():
        return str(path)
    name = str(model)
    if name.count("/") == 1 and not name.startswith((".", "/")):
        snapshot = _cached_snapshot(name)
        if snapshot is not None:
            return str(snapshot)
    raise FileNotFoundError(
        f"model '{name}' not found: give a .cenc file or a Hugging Face model folder, or a Hub id "
        f"already in the local Hugging Face cache ({', '.join(map(str, hub_cache_dirs()))}); "
        "crossenc does not download models")
