"""The headless workbook engine: :mod:`.package` checks a package before anything parses it,
:mod:`.sheetxml` reads formula cells and writes cached values, :mod:`.recalc` evaluates a
workbook and writes the copy, :mod:`.charts` draws its charts."""
