"""Everything that reads, evaluates, writes or generates ``.xlsx`` files, and the command line.

:mod:`workbook.engine` recalculates workbooks headlessly (package safety, worksheet XML,
evaluation, charts); :mod:`workbook.build` generates the deal templates; :mod:`workbook.cli` is
the ``computecredit`` command, which only dispatches.
"""
