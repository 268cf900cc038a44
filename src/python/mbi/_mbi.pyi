"""Type stubs of mbi's native module (src/python/*.cpp); the docstrings are help()'s."""
from os import PathLike
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

_Path = Union[str, PathLike[str]]

class Error(ValueError): ...

class Table:
    def __init__(self, path: _Path, in_memory: bool = False) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def key_words(self) -> int: ...
    @property
    def in_memory(self) -> bool: ...
    @property
    def trees(self) -> int: ...
    @property
    def tree_per_step(self) -> bool: ...
    @property
    def resident_bytes(self) -> int: ...
    @property
    def image_shape(self) -> tuple[int, int]: ...
    @property
    def classes(self) -> int: ...
    @property
    def glimpses(self) -> int: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def keys(self) -> npt.NDArray[np.uint64]: ...
    @property
    def predictions(self) -> npt.NDArray[np.uint8]: ...
    @property
    def steps(self) -> npt.NDArray[np.uint8]: ...
    def search(
        self,
        queries: npt.NDArray[np.uint64],
        step: int = -1,
        search: str = "tree",
        probes: Optional[int] = None,
        max_comparisons: Optional[int] = None,
        epsilon: Optional[float] = None,
    ) -> dict[str, npt.NDArray[np.uint32]]: ...
    def classify(
        self,
        images: npt.NDArray[np.uint8],
        search: str = "tree",
        probes: Optional[int] = None,
        max_comparisons: Optional[int] = None,
        epsilon: Optional[float] = None,
        threads: int = 1,
    ) -> dict[str, Any]: ...
    def evaluate(
        self,
        images: npt.NDArray[np.uint8],
        labels: npt.NDArray[np.uint8],
        search: str = "tree",
        probes: Optional[int] = None,
        max_comparisons: Optional[int] = None,
        epsilon: Optional[float] = None,
        threads: int = 1,
        dataset: str = "",
        split: str = "",
        hw_config: Optional[_Path] = None,
        energy_config: Optional[_Path] = None,
    ) -> dict[str, Any]: ...

class GeneratedNetwork:
    def __init__(self, path: _Path) -> None: ...
    @property
    def input_shape(self) -> tuple[int, int]: ...
    @property
    def classes(self) -> int: ...
    @property
    def memory_ratio(self) -> float: ...
    @property
    def memory(self) -> dict[str, Any]: ...
    def classify(self, images: npt.NDArray[np.uint8], tile: int = 16, threads: int = 1) -> npt.NDArray[np.int32]: ...
    def evaluate(
        self,
        images: npt.NDArray[np.uint8],
        labels: npt.NDArray[np.uint8],
        tile: int = 16,
        threads: int = 1,
        dataset: str = "",
        split: str = "",
        energy_config: Optional[_Path] = None,
    ) -> dict[str, Any]: ...

class Dimension:
    def __init__(self, name: str, lower: float, upper: float, log_scale: bool = False, integer: bool = False) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def lower(self) -> float: ...
    @property
    def upper(self) -> float: ...
    @property
    def log_scale(self) -> bool: ...
    @property
    def integer(self) -> bool: ...

def load_images(
    data: _Path, split: str = "test", val_fraction: float = 0.1, split_seed: int = 0, limit: int = 0
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
def hw_energy(
    *,
    config: Optional[_Path] = None,
    comparisons_per_image: Optional[float] = None,
    arrays_per_key: Optional[float] = None,
    accuracy: Optional[float] = None,
    storage_mb: Optional[float] = None,
    table: Optional[Table] = None,
    images: Optional[npt.NDArray[np.uint8]] = None,
    labels: Optional[npt.NDArray[np.uint8]] = None,
    probes: int = 1,
    coding: str = "thermometer",
    seed: int = 1,
    threads: int = 1,
) -> dict[str, Any]: ...
def maximize(
    f: Callable[[list[float]], float],
    dimensions: Sequence[Dimension],
    budget: int,
    method: str = "bo",
    seed: int = 0,
    initial_random: int = 5,
) -> dict[str, Any]: ...
def minimize(
    f: Callable[[list[float]], float],
    dimensions: Sequence[Dimension],
    budget: int,
    method: str = "bo",
    seed: int = 0,
    initial_random: int = 5,
) -> dict[str, Any]: ...
