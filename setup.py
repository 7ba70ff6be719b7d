"""The optional C forest evaluator; everything else about the package is in pyproject.toml.

`optional=True`: where no C compiler works, setuptools warns and installs mlsalary without it,
and runtime/forest.py evaluates the trees with numpy (the same results, bit for bit).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("mlsalary.runtime._forest", ["mlsalary/runtime/_forest.c"], optional=True)])
