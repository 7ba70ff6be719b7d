"""The shipped, trained model (installed as ``mlsalary.shipped``); see metadata.json."""
