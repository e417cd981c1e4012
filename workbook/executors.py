"""Where the portfolio Monte Carlo tasks run: here, in local processes, or on a Dask cluster.

Each executor is a callable ``map_fn(fn, args_list) -> [fn(*args) for args in args_list]``
(results in order), as :func:`pymodel.portfolio.simulate_many` expects. The tasks are pure
functions of their arguments and their random streams are keyed by (seed, path chunk, loan
chunk), so every executor returns the same numbers for the same seed.

* :func:`local_executor` (the default): ``workers`` processes of this machine
  (:class:`concurrent.futures.ProcessPoolExecutor`); the tasks of one scenario travel in one
  chunk, so its model is pickled once per chunk. ``workers=1`` runs in this process.
* :class:`DaskExecutor`: a Dask ``distributed`` client, to a scheduler at ``address`` (a
  bank's own cluster: ``tcp://host:8786``) or ``"local"`` for a
  :class:`~dask.distributed.LocalCluster` of ``workers`` processes. Each scenario's model is
  scattered to the cluster once; tasks refer to it. Dask schedules, retries and balances; we
  add no scheduler of our own.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable

__all__ = ["local_executor", "DaskExecutor", "executor_for"]


class _Local:
    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "_Local":
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def __call__(self, fn: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
        args = list(args)
        if self.pool is None or len(args) < 2:
            return [fn(*a) for a in args]
        chunk = max(1, len(args) // (self.workers * 4))
        return list(self.pool.map(_star, [fn] * len(args), args, chunksize=chunk))

    def describe(self) -> str:
        return f"local, {self.workers} process{'es' if self.workers > 1 else ''}"


def _star(fn: Callable[..., Any], a: tuple) -> Any:
    return fn(*a)


def local_executor(workers: int | None = None) -> _Local:
    """Processes of this machine (default: one per core); use as a context manager."""
    return _Local(workers if workers else (os.cpu_count() or 1))


class DaskExecutor:
    """Run the tasks on a Dask cluster (``address``) or a LocalCluster (``"local"``)."""

    def __init__(self, address: str, workers: int | None = None):
        self.address = address
        self.workers = workers
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> "DaskExecutor":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is in the install requirements
            raise RuntimeError("--dask needs Dask: pip install 'computecredit[dask]' (or "
                               "'dask[distributed]')") from None
        if self.address == "local":
            self.cluster = LocalCluster(n_workers=self.workers or 2, threads_per_worker=1,
                                        processes=True, dashboard_address=":0")
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.address)
        return self

    def __exit__(self, *exc: Any) -> None:
        import logging
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.CRITICAL)   # a LocalCluster's shutdown chatter is not our error
        try:
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            log.setLevel(level)
            self.client = self.cluster = None

    def __call__(self, fn: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
        from pymodel.portfolio import Model
        args = [list(a) for a in args]
        if not args:
            return []
        # scatter every distinct model once; tasks carry its future instead of a copy
        models: dict[int, Any] = {}
        for a in args:
            for v in a:
                if isinstance(v, Model) and id(v) not in models:
                    models[id(v)] = v
        if models:
            futs = self.client.scatter(list(models.values()), hash=False)
            handle = dict(zip(models, futs))
            args = [[handle[id(v)] if isinstance(v, Model) else v for v in a] for a in args]
        columns = list(zip(*args))
        futures = self.client.map(fn, *columns, pure=False)
        return self.client.gather(futures)

    def describe(self) -> str:
        if self.cluster is not None:
            return f"Dask LocalCluster, {len(self.client.scheduler_info()['workers'])} workers"
        return f"Dask cluster at {self.address}"


def executor_for(dask: str | None, workers: int | None) -> Any:
    """The executor a command line asks for: Dask when ``dask`` is given, else local."""
    if dask:
        return DaskExecutor(dask, workers)
    return local_executor(workers)
