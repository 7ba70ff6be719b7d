"""The optional C extensions; everything else about the package is in pyproject.toml.

`optional=True`: where no C compiler works, setuptools warns and installs mlsalary without them:
runtime/forest.py evaluates the trees with numpy (the same results, bit for bit), and
batch/readers.py reads CSV lines in Python (the same rows).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("mlsalary.runtime._forest", ["mlsalary/runtime/_forest.c"], optional=True),
        Extension("mlsalary.batch._text", ["mlsalary/batch/_text.c"], optional=True),
    ]
)
