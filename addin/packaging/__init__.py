"""Packaging of the add-in: the classic VBA wrappers and ``.xlam`` (:mod:`.vba`, :mod:`.generate`)
and the xlwings Lite bundle (:mod:`.lite`), all derived from :data:`addin.registry.REGISTRY`."""
