"""The query path: a model folder's compiled files, read and evaluated with numpy (and C).

Never imports mlsalary.train (tests/test_imports.py). The module map is docs/architecture.md.
Nothing is imported here, so that reading metadata does not pay for numpy.
"""
