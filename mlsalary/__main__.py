"""`mlsalary` (the console script) and `python -m mlsalary`: one run of the command line.

OpenBLAS, which numpy loads, starts a thread per core that spins while it waits for work, so
the command's own work shares the CPU with them. mlsalary does no large linear algebra, so a
run asks for one BLAS thread unless the environment already sets OPENBLAS_NUM_THREADS. (Only
the command line does: a program that imports mlsalary keeps its own settings.)

A run is one command, then the process ends, so the cyclic garbage collector is kept from
work that cannot free anything: it is off while the CLI's modules are imported (their
objects live until the exit), then those objects are frozen (gc.freeze: later passes skip
them), and everything left is frozen at the end, which spares the last full pass Python makes
at exit. The command itself runs with the collector on, as in any program. Objects are still
freed by reference counting, and atexit handlers still run.
"""

import gc
import os


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
    gc.disable()
    try:
        from mlsalary.cli import main as run

        gc.freeze()
    finally:
        gc.enable()
    try:
        run()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
