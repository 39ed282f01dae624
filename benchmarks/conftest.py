import os
import sys

# Benchmarks import their shared variants as a top-level module.
sys.path.insert(0, os.path.dirname(__file__))
