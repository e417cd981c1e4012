"""The headless workbook engine: recalculate an .xlsx without Excel.

One file flows through these modules, in order:

* :mod:`.package`: open the zip and check it before anything parses it (sizes, macros, DTDs,
  external links); read and copy its parts;
* :mod:`.sheetxml`: worksheet XML read and written with a streaming parser and byte offsets;
* :mod:`.formulatext`: formula text: tokens, called functions, rewrites for the engine;
* :mod:`.functions`: our Excel functions registered in the ``formulas`` engine;
* :mod:`.evaluate`: compute every formula cell of a checked package (ranges of plain values
  reach the engine as one array each, :mod:`.valueblocks`; a column of formulas filled down is
  one vectorised call, :mod:`.columns`);
* :mod:`.report`: what a run found (error cells, FALSE checks, the Summary) and its printing;
* :mod:`.output`: write the recalculated copy atomically;
* :mod:`.charts`: draw the workbook's charts as PNG;
* :mod:`.recalc`: ``computecredit recalc``: one file end to end, and the command line;
* :mod:`.session`: build once, recalculate many: a workbook compiled once, its inputs changed
  and only what depends on them recomputed, in process.
"""
