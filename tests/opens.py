"""Records the files this test process opens (Python's audit events), for the tests that
check a workbook never makes us open another file. The hook is installed once, on import."""

from __future__ import annotations

import os
import sys


class Opens:
    """Files opened while ``active``; reset ``paths`` before each recording."""

    active = False
    paths: list[str] = []

    @classmethod
    def hook(cls, event, args):
        if cls.active and event == "open" and args and isinstance(args[0], (str, bytes)):
            cls.paths.append(os.fsdecode(args[0]))


sys.addaudithook(Opens.hook)
