"""What the engine's single pass does not do: circular references, and recalculating what depends
on a cell whose value changed after the pass.

The ``formulas`` engine evaluates a workbook as a dependency graph (a schedula dispatcher): data
nodes are cells, ranges and names, function nodes are formulas and the assemblers that build a
range from its cells. A cell on a loop is never evaluated in that pass (its inputs never all
arrive), nor is anything downstream of it. :class:`Graph` evaluates such nodes itself, calling
the engine's own compiled functions and filters:

* :meth:`Graph.loops`: the strongly connected groups of formula cells (circular references),
  each with one loop through it for the message (``E59 -> E57 -> E71 -> E59``);
* :meth:`Graph.recompute`: every function node downstream of some changed nodes, in dependency
  order; a loop is iterated as Excel does when the workbook enables iterative calculation
  (:class:`Iteration`): passes over the loop's formula cells in Excel's order (sheet by sheet
  in tab order, each sheet row by row, left to right), each cell computed from the latest
  values (so a cell sees the new values of cells before it in the same pass), starting from
  the values the file holds; stopping after the first pass in which no cell of the loop
  changed by ``delta`` or more, or after ``count`` passes. Cells downstream of a loop are then
  computed once from its final values.

Data tables (:mod:`.datatable`) and cells kept at the file's values use :meth:`recompute` to
bring what depends on them up to date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["Graph", "Iteration", "Loop", "LoopError"]


@dataclass(frozen=True)
class Iteration:
    """Excel's iterative-calculation settings (``calcPr``: ``iterate``, ``iterateCount``,
    ``iterateDelta``; Excel's defaults 100 and 0.001)."""
    enabled: bool = False
    count: int = 100
    delta: float = 0.001


@dataclass
class Loop:
    """A circular reference: its formula cells (engine node ids) and one loop through them."""
    cells: list[str]
    path: list[str]                 # node ids, first == last
    passes: int = 0                 # passes made when iterated
    converged: bool = False
    max_change: float = math.inf


class LoopError(Exception):
    """Loops found where iteration is off (``args[0]``: the list of :class:`Loop`)."""


@dataclass
class _Self:
    """What a function that asks for the dispatcher (``sh.SELF``) reads: the current values."""
    solution: dict[str, Any] = field(default_factory=dict)


class Graph:
    """The engine model's graph, for evaluating nodes outside the engine's own pass.

    ``order`` gives a formula cell's place in Excel's calculation order (sheet index, row,
    column) from its node id, or None for nodes that are not cells of this workbook.
    """

    def __init__(self, dsp: Any, order: Callable[[str], tuple[int, int, int] | None],
                 bounds: Callable[[str], tuple[Any, int, int, int, int] | None] | None = None
                 ) -> None:
        from formulas.cell import InvRangesAssembler, RangesAssembler
        self.dsp = dsp
        self.bounds = bounds
        self._assemblers: list[tuple[Any, tuple[Any, int, int, int, int]]] | None = None
        self.nodes = dsp.nodes
        self.pred = dsp.dmap.pred
        self.succ = dsp.dmap.succ
        self.order = order
        # the inverse of a range assembled from its cells (range -> cells) is not a
        # dependency: it only spreads an array formula's result, so it is kept only where the
        # range is computed by a formula
        self.skip = set()
        for fid, attr in self.nodes.items():
            if attr.get("type") == "function" and isinstance(attr.get("function"),
                                                             InvRangesAssembler):
                rng = next(iter(attr["inputs"]), None)
                if rng is None or any(isinstance(self.nodes[p].get("function"),
                                                 RangesAssembler)
                                      for p in self.pred.get(rng, ())):
                    self.skip.add(fid)
            elif attr.get("type") == "function":
                # the inverse of a defined name (name -> the cell it names), which the engine
                # adds so that a value given to the name reaches the cell: not a dependency
                ins, outs = list(attr.get("inputs") or ()), list(attr.get("outputs") or ())
                if len(ins) == 1 and len(outs) == 1 and \
                        outs[0] in (self.nodes.get(ins[0], {}).get("inv-data") or ()):
                    self.skip.add(fid)
        self._formula_fn: dict[str, str] = {}
        from formulas.cell import CellWrapper
        for fid, attr in self.nodes.items():
            if attr.get("type") == "function" and isinstance(attr.get("function"), CellWrapper):
                for out in attr.get("outputs", ()):
                    self._formula_fn[out] = fid

    # -- structure ---------------------------------------------------------------------------
    def is_function(self, n: Any) -> bool:
        return self.nodes.get(n, {}).get("type") == "function"

    def formula_cells(self) -> dict[str, str]:
        """Output node -> function node of every formula."""
        return self._formula_fn

    def formula_functions(self) -> set[Any]:
        """The function nodes that are formulas of cells (not assemblers or names)."""
        if not hasattr(self, "_formula_set"):
            self._formula_set = set(self._formula_fn.values())
        return self._formula_set

    def readers(self, node: str) -> list[Any]:
        """What reads a cell: its node, if the engine made one, and the function nodes that
        assemble a range holding it (a range may read its cells without a node for each)."""
        from formulas.cell import RangesAssembler
        out: list[Any] = [node] if node in self.nodes else []
        if self.bounds is None:
            return out
        where = self.bounds(node)
        if where is None:
            return out
        if self._assemblers is None:
            self._assemblers = []
            for fid, attr in self.nodes.items():
                if attr.get("type") == "function" and isinstance(attr.get("function"),
                                                                 RangesAssembler):
                    b = self.bounds(next(iter(attr.get("outputs", ())), ""))
                    if b is not None:
                        self._assemblers.append((fid, b))
        key, row, col = where[0], where[1], where[2]
        for fid, (k, r1, c1, r2, c2) in self._assemblers:
            if k == key and r1 <= row <= r2 and c1 <= col <= c2:
                out.append(fid)
        return out

    def pending(self, values: dict[Any, Any]) -> set[Any]:
        """The function nodes the engine's pass left unevaluated (an output has no value)."""
        return {f for f, a in self.nodes.items()
                if a.get("type") == "function" and f not in self.skip
                and any(o not in values for o in a.get("outputs", ()))}

    def downstream(self, starts: Iterable[Any]) -> set[Any]:
        """Every function node that depends on any of ``starts`` (data or function nodes;
        a function node given is included)."""
        starts = list(starts)
        seen: set[Any] = {n for n in starts if self.is_function(n) and n not in self.skip}
        stack = list(starts)
        while stack:
            n = stack.pop()
            for s in self.succ.get(n, ()):
                if s in seen or s in self.skip:
                    continue
                seen.add(s)
                stack.append(s)
        return {n for n in seen if self.is_function(n)}

    def upstream(self, targets: Iterable[Any]) -> set[Any]:
        """Every function node that any of ``targets`` depends on (directly or not)."""
        seen: set[Any] = set()
        stack = list(targets)
        while stack:
            n = stack.pop()
            for p in self.pred.get(n, ()):
                if p in seen or p in self.skip:
                    continue
                seen.add(p)
                stack.append(p)
        return {n for n in seen if self.is_function(n)}

    def _components(self, funcs: set[Any]) -> list[list[Any]]:
        """Strongly connected components of the function nodes ``funcs`` (edges through their
        output data nodes), in dependency order (a component after those it depends on)."""
        succ_f: dict[Any, list[Any]] = {}
        for f in sorted(funcs, key=str):   # the same order whatever the hash seed
            nxt = []
            for d in self.nodes[f].get("outputs", ()):
                for g in self.succ.get(d, ()):
                    if g in funcs:
                        nxt.append(g)
            succ_f[f] = nxt
        comps = _tarjan(succ_f)
        comps.reverse()  # Tarjan yields sinks first
        return comps

    def _is_loop(self, comp: list[Any]) -> bool:
        if len(comp) > 1:
            return True
        f = comp[0]
        return any(g == f for d in self.nodes[f].get("outputs", ()) for g in self.succ.get(d, ()))

    def loops(self, funcs: set[Any]) -> list[Loop]:
        """The circular references among the function nodes ``funcs``."""
        out = []
        for comp in self._components(funcs):
            if self._is_loop(comp):
                out.append(self._loop(comp))
        return out

    def _loop(self, comp: list[Any]) -> Loop:
        cells = sorted((o for f in comp if f in self._formula_fn.values()
                        for o in self.nodes[f].get("outputs", ()) if self.order(o) is not None),
                       key=lambda o: self.order(o))
        return Loop(cells, self._path(comp, cells))

    def _path(self, comp: list[Any], cells: list[str]) -> list[str]:
        """A shortest loop from the first cell back to itself, through cells only (each cell
        refers to the next)."""
        if not cells:
            return []
        members = set(comp)
        cell_set = set(cells)

        def refers_to(cell: str) -> list[str]:
            """Cells whose value ``cell``'s formula reads, directly or through ranges/names."""
            f = self._formula_fn.get(cell)
            found: list[str] = []
            seen = set()
            stack = [i for i in (self.nodes[f]["inputs"] if f else ())]
            while stack:
                d = stack.pop()
                if d in seen:
                    continue
                seen.add(d)
                if d in cell_set:
                    found.append(d)
                    continue
                for g in self.pred.get(d, ()):
                    if g in members and g not in self.skip:
                        stack.extend(self.nodes[g].get("inputs", ()))
            return sorted(found, key=lambda o: self.order(o) or (0, 0, 0))

        start = cells[0]
        prev = {start: None}
        queue = [start]
        while queue:
            nxt_q = []
            for c in queue:
                for d in refers_to(c):
                    if d == start:
                        path = [start]
                        while c is not None:
                            path.append(c)
                            c = prev[c]
                        path.reverse()
                        return path
                    if d not in prev:
                        prev[d] = c
                        nxt_q.append(d)
            queue = nxt_q
        return [start, start]

    # -- evaluation --------------------------------------------------------------------------
    def value_of(self, n: Any, values: dict[Any, Any]) -> Any:
        import schedula as sh
        if n is sh.SELF:
            return _Self(values)
        if n in values:
            return values[n]
        dv = self.dsp.default_values.get(n)
        if dv is not None:
            return dv["value"]
        return sh.NONE

    def raw_call(self, f: Any, values: dict[Any, Any]) -> Any:
        """Function node ``f``'s result from ``values``, before any filter (its own shape)."""
        import schedula as sh
        attr = self.nodes[f]
        args = [self.value_of(i, values) for i in attr["inputs"]]
        return attr["function"](*[a for a in args if a is not sh.NONE])

    def call(self, f: Any, values: dict[Any, Any]) -> dict[Any, Any]:
        """Evaluate function node ``f`` from ``values``; its outputs, filtered as the engine
        filters them (not stored)."""
        import schedula as sh
        attr = self.nodes[f]
        args = [self.value_of(i, values) for i in attr["inputs"]]
        args = [a for a in args if a is not sh.NONE]
        res = attr["function"](*args)
        for flt in attr.get("filters", ()) or ():
            res = flt(res)
        outs = list(attr.get("outputs", ()))
        results = res if len(outs) > 1 else [res]
        got = {}
        for k, v in zip(outs, results):
            if v is sh.NONE:
                continue
            for flt in self.nodes[k].get("filters", ()) or ():
                v = flt(v)
            got[k] = v
        return got

    def start_value(self, node: str, raw: Any) -> Any:
        """A cell's value as the engine holds it (the node's filters applied to ``raw``)."""
        import numpy as np
        import schedula as sh
        v = np.empty((1, 1), dtype=object)
        v[0, 0] = sh.EMPTY if raw is None else raw
        for flt in self.nodes[node].get("filters", ()) or ():
            v = flt(v)
        return v

    def recompute(self, values: dict[Any, Any], changed: Iterable[Any],
                  iteration: Iteration, start: Callable[[str], Any] | None = None,
                  failed: dict[Any, str] | None = None) -> list[Loop]:
        """Recompute, in ``values`` (node -> value, updated in place), every function node
        downstream of the ``changed`` nodes. Loops are iterated when ``iteration.enabled``
        (starting from ``start(node)``, the raw value the file holds), else raise
        :class:`LoopError`. A function that fails records its output in ``failed``. Returns the
        loops iterated."""
        funcs = self.downstream(changed)
        return self.evaluate(values, funcs, iteration, start, failed)

    def evaluate(self, values: dict[Any, Any], funcs: set[Any], iteration: Iteration,
                 start: Callable[[str], Any] | None = None,
                 failed: dict[Any, str] | None = None) -> list[Loop]:
        """Evaluate the function nodes ``funcs`` in dependency order (see :meth:`recompute`)."""
        failed = {} if failed is None else failed
        comps = self._components(funcs)
        loops = [c for c in comps if self._is_loop(c)]
        if loops and not iteration.enabled:
            raise LoopError(sorted((self._loop(c) for c in loops), key=self._first))
        done = []
        for comp in comps:
            if not self._is_loop(comp):
                self._eval_one(comp[0], values, failed)
                continue
            loop = self._loop(comp)
            self._iterate(comp, loop, values, iteration, start, failed)
            done.append(loop)
        return sorted(done, key=self._first)

    def _first(self, loop: Loop) -> tuple[int, ...]:
        """Where a loop's first cell is (sheet, row, column): loops are named in that order."""
        return tuple(self.order(loop.cells[0]) or (0, 0, 0)) if loop.cells else (0, 0, 0)

    def _eval_one(self, f: Any, values: dict[Any, Any], failed: dict[Any, str]) -> None:
        attr = self.nodes[f]
        try:
            got = self.call(f, values)
        except Exception as exc:  # a function the engine cannot evaluate here
            for o in attr.get("outputs", ()):
                failed[o] = f"{type(exc).__name__}"
            return
        values.update(got)

    def _iterate(self, comp: list[Any], loop: Loop, values: dict[Any, Any],
                 iteration: Iteration, start: Callable[[str], Any] | None,
                 failed: dict[Any, str]) -> None:
        formula_fns = [f for f in comp if f in self._formula_fn.values()
                       and any(self.order(o) is not None for o in self.nodes[f]["outputs"])]
        formula_fns.sort(key=lambda f: min(self.order(o) for o in self.nodes[f]["outputs"]
                                           if self.order(o) is not None))
        derived = [f for f in comp if f not in set(formula_fns)]
        producer = {}
        for f in derived:
            for o in self.nodes[f].get("outputs", ()):
                producer[o] = f
        cell_outputs = [o for f in formula_fns for o in self.nodes[f]["outputs"]]
        for o in cell_outputs:
            raw = start(o) if start else None
            values[o] = self.start_value(o, raw)

        def refresh(node: Any, seen: set[Any]) -> None:
            f = producer.get(node)
            if f is None or f in seen:
                return
            seen.add(f)
            for i in self.nodes[f]["inputs"]:
                if i in producer:
                    refresh(i, seen)
            try:
                values.update(self.call(f, values))
            except Exception as exc:
                for o in self.nodes[f].get("outputs", ()):
                    failed[o] = type(exc).__name__

        for n in range(1, max(iteration.count, 1) + 1):
            change = 0.0
            for f in formula_fns:
                seen: set[Any] = set()
                for i in self.nodes[f]["inputs"]:
                    if i in producer:
                        refresh(i, seen)
                try:
                    got = self.call(f, values)
                except Exception as exc:
                    for o in self.nodes[f]["outputs"]:
                        failed[o] = type(exc).__name__
                    continue
                for o, v in got.items():
                    change = max(change, _change(values.get(o), v))
                values.update(got)
            loop.passes, loop.max_change = n, change
            if change < iteration.delta:
                loop.converged = True
                break
        # the derived nodes (ranges, names) end consistent with the final cell values
        seen = set()
        for node in list(producer):
            refresh(node, seen)


def _change(old: Any, new: Any) -> float:
    """The largest absolute change between two engine values (inf where a value changed type
    or text)."""
    import numpy as np
    a = getattr(old, "value", old)
    b = getattr(new, "value", new)
    a = np.atleast_2d(np.asarray(a, dtype=object)) if a is not None else None
    b = np.atleast_2d(np.asarray(b, dtype=object))
    if a is None or a.shape != b.shape:
        return math.inf
    worst = 0.0
    for x, y in zip(a.ravel(), b.ravel()):
        if _is_num(x) and _is_num(y):
            d = abs(float(y) - float(x))
            if not math.isfinite(d):
                return math.inf
            worst = max(worst, d)
        elif _empty(x) and _is_num(y):
            worst = max(worst, abs(float(y)))
        elif not (x is y or (type(x) is type(y) and x == y)):
            return math.inf
    return worst


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or \
        type(v).__name__ in ("float64", "int64", "float32", "int32")


def _empty(v: Any) -> bool:
    import schedula as sh
    return v is None or v is sh.EMPTY


def _tarjan(succ: dict[Any, list[Any]]) -> list[list[Any]]:
    """Strongly connected components (iterative Tarjan), sinks first."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on: set[Any] = set()
    stack: list[Any] = []
    comps: list[list[Any]] = []
    counter = 0
    for root in succ:
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                comps.append(comp)
    return comps
