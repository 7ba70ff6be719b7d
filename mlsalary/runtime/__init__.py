"""The query path: a model folder's compiled files, read and evaluated with numpy (and C).

- format.py: the model folder format (file names, version policy, typed metadata, reading,
  writing and checking forest.npz and forest.json);
- forest.py: the forest evaluator (Forest, LeafMasks), in numpy, or in C where _forest.c
  was built (the same results);
- model.py: CompiledModel, the query-time interface of SalaryModel;
- compile.py: the evaluator's tables, built at export (and when a version 1 folder loads);
- _sklearn.py: export at train time, the only code that reads scikit-learn internals.

Nothing is imported here, so that reading metadata does not pay for numpy.
"""
