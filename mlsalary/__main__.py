from mlsalary.cli import main

main()
