"""The query path: a model folder's compiled files, read and evaluated with numpy only.

- format.py: the model folder format (file names, version policy, typed metadata, reading,
  writing and checking forest.npz and forest.json);
- forest.py: the forest evaluator (Forest, LeafMasks);
- model.py: CompiledModel, the query-time interface of SalaryModel;
- _sklearn.py: export at train time, the only code that reads scikit-learn internals.

Nothing is imported here, so that reading metadata does not pay for numpy.
"""
