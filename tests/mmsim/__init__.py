# Makes tests/mmsim importable as a package, so tests can `from mmsim.client import MMSim`
# (tests/e2e/harness.py puts tests/ on sys.path). The simulator's own modules import
# each other flat, as mmsim.py and dbusmock run them from this directory.
