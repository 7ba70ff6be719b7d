"""`mlsalary` (the console script) and `python -m mlsalary`: one run of the command line.

A run is one command, then the process ends, so the cyclic garbage collector is kept from
work that cannot free anything: it is off while the CLI's modules are imported (their
objects live until the exit), then those objects are frozen (gc.freeze: later passes skip
them), and everything left is frozen at the end, which spares the last full pass Python makes
at exit. The command itself runs with the collector on, as in any program. Objects are still
freed by reference counting, and atexit handlers still run.
"""

import gc


def main() -> None:
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
